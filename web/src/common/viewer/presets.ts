// Window presets in Hounsfield units (centre, width), as radiologists use
// them on CT. "default" is the image's own window (or the loader's guess).
export type PresetName = 'default' | 'lung' | 'mediastinum' | 'bone' | 'brain' | 'abdomen';

export const kPresets: Record<Exclude<PresetName, 'default'>, { center: number; width: number }> = {
  lung: { center: -600, width: 1500 },
  mediastinum: { center: 50, width: 350 },
  bone: { center: 400, width: 1800 },
  brain: { center: 40, width: 80 },
  abdomen: { center: 60, width: 400 },
};

export const kPresetNames: PresetName[] = ['default', 'lung', 'mediastinum', 'bone', 'brain', 'abdomen'];

// DICOM's linear window (PS3.3 C.11.2.1.2.1) as the [lower, upper] range
// Cornerstone takes.
export function voiRange(center: number, width: number): { lower: number; upper: number } {
  return { lower: center - width / 2, upper: center + width / 2 };
}
