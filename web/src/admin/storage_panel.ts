// Storage statistics: what the archive received and what it keeps.
import { h } from '../common/dom';
import { bytes } from '../common/format';
import { t } from '../common/i18n';
import { adminGet } from './session';
import { table } from './table';

interface System {
  version: string;
  patients: number;
  studies: number;
  series: number;
  instances: number;
  bytes_received: number;
  bytes_stored: number;
  storage: {
    ratio: number | null;
    backlog: number;
    by_modality: { modality: string; instance_versions: number; bytes_received: number; bytes_stored: number; ratio: number | null }[];
  };
}

function ratio(r: number | null | undefined): string {
  return r ? `${r.toFixed(2)} : 1` : '—';
}

export async function storagePanel(): Promise<HTMLElement> {
  const s = await adminGet<System>('/api/system');
  const figure = (label: string, value: string, id: string) =>
    h('div', { class: 'figure' }, h('div', { class: 'muted' }, label), h('div', { class: 'value', 'data-testid': id }, value));
  return h(
    'section',
    {},
    h(
      'div',
      { class: 'figures' },
      figure(t('patients'), String(s.patients), 'patients'),
      figure(t('studies'), String(s.studies), 'studies'),
      figure(t('instances'), String(s.instances), 'instances'),
      figure(t('bytes_received'), bytes(s.bytes_received), 'bytes-received'),
      figure(t('bytes_stored'), bytes(s.bytes_stored), 'bytes-stored'),
      figure(t('ratio'), ratio(s.storage.ratio), 'ratio'),
      figure(t('backlog'), String(s.storage.backlog), 'backlog'),
    ),
    table(
      [t('modality'), t('instances'), t('bytes_received'), t('bytes_stored'), t('ratio')],
      s.storage.by_modality.map((m) => [m.modality, m.instance_versions, bytes(m.bytes_received), bytes(m.bytes_stored), ratio(m.ratio)]),
      'by-modality',
    ),
    h('p', { class: 'muted' }, `${t('version')} ${s.version}`),
  );
}
