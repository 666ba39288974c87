import { ApiError } from '../common/api';
import { t } from '../common/i18n';

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return t('error', { detail: error.detail || error.title || `HTTP ${error.status}` });
  if (error instanceof TypeError) return t('network_error');
  return t('error', { detail: error instanceof Error ? error.message : String(error) });
}

export type Navigate = (e: Event | null, url: string) => void;

// "2026-11-28" (a date input) <-> "20261128" (DICOM DA).
export const toDa = (iso: string) => iso.replace(/-/g, '');
export const fromDa = (da: string) => (/^\d{8}$/.test(da) ? `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}` : '');
