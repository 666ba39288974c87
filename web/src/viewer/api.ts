// What the doctor viewer asks the server: studies through QIDO-RS (the
// session's hospital only; a share session sees only its shared exams), a
// study's series through /api/studies/{uid}, its reports.
import { ApiError, getJson, request } from '../common/api';
import type { DicomJson } from '../common/viewer/dicomweb';
import type { Report, ReportVersion, Study as StudyInfo } from '../common/records';

export interface StudyRow {
  studyUid: string;
  patientName: string; // DICOM PN text "Alphabetic=Ideographic=Phonetic"
  patientId: string;
  issuer: string;
  birthDate: string;
  sex: string;
  date: string;
  time: string;
  accession: string;
  description: string;
  modalities: string[];
  series: number;
  instances: number;
}

export interface StudySearch {
  name?: string;
  patientId?: string;
  accession?: string;
  dateFrom?: string; // YYYYMMDD
  dateTo?: string;
  modality?: string;
  studyUid?: string;
  limit: number;
  offset: number;
}

export interface SearchResult {
  rows: StudyRow[];
  more: boolean; // the server has further matches (its Warning header)
}

const q = encodeURIComponent;

function text(ds: DicomJson, tag: string): string {
  const v = ds[tag]?.Value;
  if (!v || v.length === 0) return '';
  return v.map((x) => (x === null || x === undefined ? '' : String(x))).join('\\');
}

// PN in DICOM JSON is {Alphabetic, Ideographic, Phonetic}: back to the
// "A=I=P" text that format.personName reads.
export function pnText(ds: DicomJson, tag: string): string {
  const v = ds[tag]?.Value?.[0] as { Alphabetic?: string; Ideographic?: string; Phonetic?: string } | undefined;
  if (!v || typeof v !== 'object') return '';
  return [v.Alphabetic ?? '', v.Ideographic ?? '', v.Phonetic ?? ''].join('=').replace(/=+$/, '');
}

function studyRow(ds: DicomJson): StudyRow {
  return {
    studyUid: text(ds, '0020000D'),
    patientName: pnText(ds, '00100010'),
    patientId: text(ds, '00100020'),
    issuer: text(ds, '00100021'),
    birthDate: text(ds, '00100030'),
    sex: text(ds, '00100040'),
    date: text(ds, '00080020'),
    time: text(ds, '00080030'),
    accession: text(ds, '00080050'),
    description: text(ds, '00081030'),
    modalities: (ds['00080061']?.Value ?? []).map(String),
    series: Number(text(ds, '00201206') || 0),
    instances: Number(text(ds, '00201208') || 0),
  };
}

export async function searchStudies(s: StudySearch): Promise<SearchResult> {
  const params = new URLSearchParams();
  if (s.name) {
    params.set('PatientName', s.name);
    params.set('fuzzymatching', 'true');
  }
  if (s.patientId) params.set('PatientID', s.patientId);
  if (s.accession) params.set('AccessionNumber', s.accession);
  if (s.studyUid) params.set('StudyInstanceUID', s.studyUid);
  if (s.dateFrom || s.dateTo) params.set('StudyDate', `${s.dateFrom ?? ''}-${s.dateTo ?? ''}`);
  if (s.modality) params.set('ModalitiesInStudy', s.modality);
  params.set('includefield', 'StudyDescription,NumberOfStudyRelatedSeries,NumberOfStudyRelatedInstances');
  params.set('limit', String(s.limit));
  params.set('offset', String(s.offset));
  const response = await request(`/dicom-web/studies?${params}`, { headers: { Accept: 'application/dicom+json' } });
  const body = response.status === 204 ? [] : ((await response.json()) as DicomJson[]);
  const more = /additional results/i.test(response.headers.get('Warning') ?? '');
  return { rows: body.map(studyRow), more };
}

export const study = (uid: string) => getJson<StudyInfo>(`/api/studies/${q(uid)}`);

export type { Report, ReportVersion } from '../common/records';
export type { Series as SeriesInfo, Study as StudyInfo } from '../common/records';

export const reports = (uid: string) =>
  getJson<{ items: Report[] }>(`/api/reports?study=${q(uid)}`).then((r) => r.items);

export const pdfUrl = (report: Report, version: ReportVersion) =>
  `/api/reports/${q(report.id)}/versions/${version.version}/pdf`;

export const thumbnailUrl = (studyUid: string, seriesUid: string) =>
  `/dicom-web/studies/${q(studyUid)}/series/${q(seriesUid)}/thumbnail?viewport=128,128`;

export interface Me {
  login: string;
  role: string;
  tenant: string;
  kind: string;
  must_enrol_totp?: boolean;
}

export async function me(): Promise<Me | null> {
  try {
    return await getJson<Me>('/api/auth/me');
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return null;
    throw error;
  }
}
