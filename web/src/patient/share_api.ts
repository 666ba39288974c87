// The server calls of the patient app (docs/security.md, "Patient shares").
import { ApiError, getJson, postJson, request } from '../common/api';
import type { Report, ReportVersion, Study } from '../common/records';

export type Factor = 'none' | 'birth-date' | 'phone-last4' | 'id-last4' | 'one-time-code';

export interface ShareStatus {
  factor: Factor;
  state: 'open' | 'locked' | 'revoked' | 'expired' | 'not-yet';
  attempts_left: number;
  retry_after_s: number;
  expires_ms: number;
  doctor: boolean;
}

export interface ShareInfo {
  id: string;
  film_id: string;
  scope: 'film' | 'patient';
  study_uids: string[];
  factor: Factor;
  created_ms: number;
  expires_ms: number;
  revoked_ms: number | null;
  last_used_ms: number | null;
  first_opened_ms: number | null;
  parent: string | null;
}

export interface OpenedShare {
  share: ShareInfo;
  expires_ms: number;
  owner: boolean; // the patient's own share (not a doctor share)
}

export type { Report, ReportVersion, Series, Study } from '../common/records';

export interface Film {
  id: string;
  study_uid: string;
  issued_at_ms: number;
}

export interface IssuedShare {
  share: ShareInfo;
  url: string;
}

export interface AccessEvent {
  time_ms: number;
  who: string;
  role: string;
  through: 'doctor-share' | 'hospital';
  action: string;
  study_uid: string;
}

const q = encodeURIComponent;

export const shareStatus = (token: string) =>
  postJson<ShareStatus>('/api/share-sessions/status', { token });
export const openShare = (token: string, factor: string) =>
  postJson<OpenedShare>('/api/share-sessions', { token, factor });
export const sendCode = (token: string) => postJson<{ sent: boolean }>('/api/share-sessions/code', { token });
export const study = (uid: string) => getJson<Study>(`/api/studies/${q(uid)}`);
export const reports = (uid: string) =>
  getJson<{ items: Report[] }>(`/api/reports?study=${q(uid)}`).then((r) => r.items);
export const films = (uid: string) =>
  getJson<{ items: Film[] }>(`/api/films?study=${q(uid)}`).then((r) => r.items);
export const myShares = () => getJson<{ items: ShareInfo[] }>('/api/my/shares').then((r) => r.items);
export const makeDoctorShare = (hours: number, birthDate: string | null) =>
  postJson<IssuedShare>('/api/my/shares', {
    expires_in_hours: hours,
    factor: birthDate ? 'birth-date' : 'none',
    factor_value: birthDate ?? '',
  });
export const revokeShare = (id: string) => request(`/api/my/shares/${q(id)}`, { method: 'DELETE' });
export const accessHistory = () =>
  getJson<{ items: AccessEvent[] }>('/api/my/access-history').then((r) => r.items);
export const signOut = () => postJson<void>('/api/auth/logout', {});

export const pdfUrl = (report: Report, version: ReportVersion) =>
  `/api/reports/${q(report.id)}/versions/${version.version}/pdf`;
export const packageUrl = (film: Film) => `/api/films/${q(film.id)}/package`;
export const thumbnailUrl = (studyUid: string, seriesUid: string) =>
  `/dicom-web/studies/${q(studyUid)}/series/${q(seriesUid)}/thumbnail?viewport=192,192`;

// Seconds until a refused attempt may be retried (Retry-After).
export const retryAfter = (error: ApiError): number | null => error.retryAfterS;
