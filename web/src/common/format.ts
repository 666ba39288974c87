// Names, dates and codes shown as a Chinese hospital expects them.
import { lang } from './i18n';

// DICOM PN "Wang^Xiaoming=王^小明=..." : the ideographic group for a Chinese
// reader (family name first, no space), the alphabetic one otherwise.
export function personName(pn: string | undefined | null): string {
  if (!pn) return '';
  const [alphabetic = '', ideographic = '', phonetic = ''] = pn.split('=');
  const join = (group: string, sep: string) =>
    group
      .split('^')
      .filter((part) => part.length > 0)
      .slice(0, 3)
      .join(sep);
  if (lang() === 'zh-CN' && ideographic) return join(ideographic, '');
  const latin = join(alphabetic, ' ');
  if (latin) return latin;
  return join(ideographic, '') || join(phonetic, ' ');
}

// DICOM DA "20261128" (or an ISO date) to 2026年11月28日 / 2026-11-28.
export function dicomDate(da: string | undefined | null): string {
  if (!da) return '';
  const digits = da.replace(/-/g, '');
  if (!/^\d{8}$/.test(digits)) return da;
  const [y, m, d] = [digits.slice(0, 4), digits.slice(4, 6), digits.slice(6, 8)];
  return lang() === 'zh-CN' ? `${y}年${Number(m)}月${Number(d)}日` : `${y}-${m}-${d}`;
}

// Milliseconds since the epoch, in the viewer's local time.
export function dateTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${date} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function sex(code: string | undefined | null): string {
  const zh: Record<string, string> = { M: '男', F: '女', O: '其他' };
  const en: Record<string, string> = { M: 'Male', F: 'Female', O: 'Other' };
  if (!code) return '';
  return (lang() === 'zh-CN' ? zh : en)[code] ?? code;
}

export function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
