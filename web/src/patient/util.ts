import { ApiError } from '../common/api';
import { t } from '../common/i18n';

export function showError(error: unknown): string {
  if (error instanceof ApiError) return t('error', { detail: error.detail || error.title });
  if (error instanceof TypeError) return t('network_error');
  return t('error', { detail: String(error) });
}

// 900 -> "15 分钟" / "15 min"; under a minute in seconds.
export function duration(seconds: number): string {
  return seconds >= 60
    ? t('minutes', { n: Math.ceil(seconds / 60) })
    : t('seconds', { n: Math.max(1, Math.round(seconds)) });
}
