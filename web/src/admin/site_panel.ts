// Hospitals and this node's DICOM listeners, as the configuration file
// sets them, then the DICOM nodes (AE titles and peers), which admins edit.
import { h } from '../common/dom';
import { t } from '../common/i18n';
import { nodesPanel } from './nodes_panel';
import { adminGet } from './session';
import { table } from './table';

export interface Site {
  tenants: {
    code: string;
    name: string;
    region: string;
    ae_titles: string[];
    service_tier_years: number;
    crypto_suite: string;
    share_factor: string;
  }[];
  dicom: {
    ae_title: string;
    port: number;
    tls_port: number | null;
    unknown_callers: string;
    destinations: { ae_title: string; host: string; port: number }[];
  };
}

export function loadSite(): Promise<Site> {
  return adminGet<Site>('/api/site');
}

export async function sitePanel(): Promise<HTMLElement> {
  const site = await loadSite();
  const d = site.dicom;
  return h(
    'section',
    {},
    h('p', { class: 'muted' }, t('site_readonly')),
    h('h2', {}, t('hospital')),
    table(
      [t('code'), t('name'), t('region'), t('ae_titles'), t('tier'), t('suite'), t('factor')],
      site.tenants.map((x) => [x.code, x.name, x.region, x.ae_titles.join(', '), t('years', { n: x.service_tier_years }), x.crypto_suite, x.share_factor]),
      'tenants',
    ),
    h('h2', {}, t('this_node')),
    table(
      ['AE', t('port'), t('tls_port'), t('unknown_callers')],
      [[d.ae_title, d.port, d.tls_port ?? '—', d.unknown_callers]],
      'dicom-node',
    ),
    await nodesPanel(),
  );
}
