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
