// A series as a stack of `wadors:` image IDs, in display order, with the
// WADO-RS metadata registered for the loader. Multi-frame instances become
// one image ID per frame (ultrasound cine).
import { wadors } from '@cornerstonejs/dicom-image-loader';
import { setUpCornerstone } from './setup';

// DICOM JSON (PS3.18 F.2): tag -> {vr, Value?}.
export type DicomJson = Record<string, { vr: string; Value?: unknown[] }>;

export function value<T = string | number>(ds: DicomJson, tag: string): T | undefined {
  const v = ds[tag]?.Value;
  return v && v.length > 0 ? (v[0] as T) : undefined;
}

export function numbers(ds: DicomJson, tag: string): number[] {
  return (ds[tag]?.Value ?? []).map((x) => Number(x));
}

export interface StackSource {
  imageIds: string[];
  // The metadata of the first instance (window, frame time, modality...).
  first: DicomJson;
  multiFrame: boolean;
  frameTimeMs: number; // 0 when the series is not a cine
}

const kImageSopClasses = /^1\.2\.840\.10008\.5\.1\.4\.1\.1\.(?!88\.|104\.|9\.)/; // not SR, PDF, ECG

// Images only: SR, encapsulated PDF and waveforms have no pixels to stack.
function isImage(ds: DicomJson): boolean {
  const sopClass = String(value(ds, '00080016') ?? '');
  return kImageSopClasses.test(sopClass) && value(ds, '00280010') !== undefined;
}

function sortKey(ds: DicomJson): number[] {
  const position = numbers(ds, '00200032');
  const orientation = numbers(ds, '00200037');
  let along = 0;
  if (position.length === 3 && orientation.length === 6) {
    // Distance along the slice normal: the anatomical order of axial slices.
    const [a, b, c, d, e, f] = orientation;
    const normal = [b * f - c * e, c * d - a * f, a * e - b * d];
    along = position[0] * normal[0] + position[1] * normal[1] + position[2] * normal[2];
  }
  return [Number(value(ds, '00200013') ?? 0), along];
}

export async function loadStack(base: string, studyUid: string, seriesUid: string): Promise<StackSource> {
  // The loader's set-up empties its metadata: it must come first.
  await setUpCornerstone();
  const url = `${base}/studies/${studyUid}/series/${seriesUid}/metadata`;
  const response = await fetch(url, { headers: { Accept: 'application/dicom+json' }, credentials: 'same-origin' });
  if (!response.ok) throw new Error(`metadata: HTTP ${response.status}`);
  const instances = ((await response.json()) as DicomJson[]).filter(isImage);
  instances.sort((x, y) => {
    const [ix, px] = sortKey(x);
    const [iy, py] = sortKey(y);
    return ix !== iy ? ix - iy : px - py;
  });
  const imageIds: string[] = [];
  let multiFrame = false;
  let frameTimeMs = 0;
  for (const ds of instances) {
    const sop = String(value(ds, '00080018'));
    const frames = Number(value(ds, '00280008') ?? 1) || 1;
    const root = `wadors:${base}/studies/${studyUid}/series/${seriesUid}/instances/${sop}/frames/`;
    wadors.metaDataManager.add(`${root}1`, ds as never);
    for (let f = 1; f <= frames; f++) imageIds.push(`${root}${f}`);
    if (frames > 1) {
      multiFrame = true;
      const frameTime = Number(value(ds, '00181063') ?? 0);
      const cineRate = Number(value(ds, '00180040') ?? 0);
      frameTimeMs = frameTime > 0 ? frameTime : cineRate > 0 ? 1000 / cineRate : 1000 / 25;
    }
  }
  if (imageIds.length === 0) throw new Error('no images in this series');
  return { imageIds, first: instances[0], multiFrame, frameTimeMs };
}
