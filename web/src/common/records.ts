// The records of the JSON API that several apps read.

// A series of /api/studies/{uid}.
export interface Series {
  series_instance_uid: string;
  modality: string;
  series_number: number | null;
  series_description: string;
  body_part_examined: string;
  num_instances: number;
}

// GET /api/studies/{uid}: the study with its series.
export interface Study {
  study_instance_uid: string;
  patient_id: string;
  patient_name: string;
  patient_birth_date: string;
  patient_sex: string;
  study_date: string;
  study_time: string;
  accession_number: string;
  study_description: string;
  modalities: string[] | string;
  num_instances: number;
  series: Series[];
}

// A report as /api/reports answers it (docs/operations.md, "Reports"):
// every version, the latest last.

export interface ReportVersion {
  version: number;
  status: 'preliminary' | 'final' | 'amended';
  sections: { title: string; text: string }[];
  conclusion: string;
  signer: string;
  signed_at: string;
  has_pdf: boolean;
}

export interface Report {
  id: string;
  kind: string;
  study_uid: string;
  status: string;
  versions: ReportVersion[];
}
