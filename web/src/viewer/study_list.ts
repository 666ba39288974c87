// The study list of the doctor's hospital: search by patient name (fuzzy,
// Chinese too), patient ID, accession number, date range and modality,
// newest first, a page at a time. The search lives in the URL, so that Back
// returns to it and a list can be bookmarked.
import { h, mount } from '../common/dom';
import { t } from '../common/i18n';
import { dicomDate, personName, sex } from '../common/format';
import * as api from './api';
import { errorText, fromDa, toDa, type Navigate } from './util';

export interface ListQuery {
  name: string;
  patientId: string;
  accession: string;
  dateFrom: string; // YYYYMMDD
  dateTo: string;
  modality: string;
  page: number;
}

const kPageSize = 25;
const kModalities = ['CT', 'MR', 'CR', 'DX', 'DR', 'MG', 'US', 'XA', 'RF', 'PT', 'NM', 'ES', 'ECG', 'SM', 'OT'];

function urlOf(q: ListQuery): string {
  const p = new URLSearchParams();
  if (q.name) p.set('name', q.name);
  if (q.patientId) p.set('patientID', q.patientId);
  if (q.accession) p.set('accession', q.accession);
  if (q.dateFrom) p.set('from', q.dateFrom);
  if (q.dateTo) p.set('to', q.dateTo);
  if (q.modality) p.set('modality', q.modality);
  if (q.page > 0) p.set('page', String(q.page));
  const s = p.toString();
  return s ? `/viewer?${s}` : '/viewer';
}

export async function renderStudyList(
  main: HTMLElement,
  query: ListQuery,
  notice: string | null,
  hooks: { navigate: Navigate },
): Promise<void> {
  const input = (name: string, value: string, attrs: Record<string, string> = {}) =>
    h('input', { name, value, 'data-testid': `q-${name}`, ...attrs });
  const name = input('name', query.name, { placeholder: t('patient_name_hint'), size: '18' });
  const patientId = input('patientID', query.patientId, { size: '14' });
  const accession = input('accession', query.accession, { size: '14' });
  const from = input('from', fromDa(query.dateFrom), { type: 'date' });
  const to = input('to', fromDa(query.dateTo), { type: 'date' });
  const modality = h(
    'select',
    { name: 'modality', 'data-testid': 'q-modality' },
    h('option', { value: '' }, t('any')),
    kModalities.map((m) => h('option', { value: m, selected: m === query.modality }, m)),
  );
  const form = h(
    'form',
    { class: 'inline search', role: 'search', 'data-testid': 'search' },
    h('label', {}, h('span', {}, t('patient_name')), name),
    h('label', {}, h('span', {}, t('patient_id')), patientId),
    h('label', {}, h('span', {}, t('accession')), accession),
    h('label', {}, h('span', {}, t('date_from')), from),
    h('label', {}, h('span', {}, t('date_to')), to),
    h('label', {}, h('span', {}, t('modality')), modality),
    h('button', { type: 'submit', 'data-testid': 'search-submit' }, t('search')),
    h('button', { type: 'button', class: 'secondary', onclick: () => hooks.navigate(null, '/viewer') }, t('clear')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    hooks.navigate(null, urlOf({
      name: name.value.trim(),
      patientId: patientId.value.trim(),
      accession: accession.value.trim(),
      dateFrom: toDa(from.value),
      dateTo: toDa(to.value),
      modality: modality.value,
      page: 0,
    }));
  });
  const results = h('div', { 'data-testid': 'results', 'aria-live': 'polite' }, h('p', { class: 'muted' }, t('loading')));
  mount(
    main,
    h('h2', {}, t('studies')),
    form,
    notice ? h('p', { class: 'notice error', role: 'alert', 'data-testid': 'notice' }, notice) : null,
    results,
  );

  let found: api.SearchResult;
  try {
    found = await api.searchStudies({
      name: query.name,
      patientId: query.patientId,
      accession: query.accession,
      dateFrom: query.dateFrom,
      dateTo: query.dateTo,
      modality: query.modality,
      limit: kPageSize,
      offset: query.page * kPageSize,
    });
  } catch (error) {
    results.replaceChildren(h('p', { class: 'error', role: 'alert' }, errorText(error)));
    return;
  }
  if (found.rows.length === 0) {
    results.replaceChildren(h('p', { class: 'muted', 'data-testid': 'no-studies' }, t('no_studies')));
    return;
  }
  const head = [t('patient_name'), t('sex'), t('birth_date'), t('patient_id'), t('accession'), t('study_date'), t('modality'), t('description'), t('images')];
  const table = h(
    'table',
    { class: 'data studies', 'data-testid': 'study-table' },
    h('thead', {}, h('tr', {}, head.map((x) => h('th', { scope: 'col' }, x)))),
    h(
      'tbody',
      {},
      found.rows.map((row) => {
        const href = `/viewer?study=${encodeURIComponent(row.studyUid)}`;
        const shown = personName(row.patientName) || row.patientId;
        const tr = h(
          'tr',
          { 'data-testid': 'study-row', 'data-study': row.studyUid },
          h('td', {}, h('a', {
            href,
            'data-testid': 'study-link',
            'aria-label': t('open_study', { name: shown }),
            onclick: (e: Event) => hooks.navigate(e, href),
          }, shown)),
          h('td', {}, sex(row.sex)),
          h('td', {}, dicomDate(row.birthDate)),
          h('td', {}, row.patientId),
          h('td', {}, row.accession),
          h('td', {}, dicomDate(row.date)),
          h('td', {}, row.modalities.join(' ')),
          h('td', {}, row.description),
          h('td', {}, `${row.series} / ${row.instances}`),
        );
        // The whole row opens the study; the link inside stays the
        // keyboard's and a middle click's target.
        tr.addEventListener('click', (e) => {
          if ((e.target as HTMLElement).closest('a')) return;
          hooks.navigate(null, href);
        });
        return tr;
      }),
    ),
  );
  const pager = h(
    'nav',
    { class: 'pager', 'aria-label': t('page', { n: query.page + 1 }) },
    h('button', {
      type: 'button', class: 'secondary', disabled: query.page === 0, 'data-testid': 'prev',
      onclick: () => hooks.navigate(null, urlOf({ ...query, page: query.page - 1 })),
    }, t('previous')),
    h('span', {}, t('page', { n: query.page + 1 })),
    h('button', {
      type: 'button', class: 'secondary', disabled: !found.more, 'data-testid': 'next',
      onclick: () => hooks.navigate(null, urlOf({ ...query, page: query.page + 1 })),
    }, t('next')),
  );
  results.replaceChildren(table, pager);
}
