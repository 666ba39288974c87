// The DICOM tags of the image in the active viewport, from its WADO-RS
// metadata (what the image loader was given): tag, keyword, VR and value,
// filtered by a search over all three. Sequences show their item count and
// their items' attributes indented below; bulk data is named, not fetched.
import { wadors } from '@cornerstonejs/dicom-image-loader';
import { h } from '../common/dom';
import { t } from '../common/i18n';
import type { DicomJson } from '../common/viewer/dicomweb';
import { keywordOf } from './tag_dictionary';

interface Row {
  tag: string;
  depth: number;
  keyword: string;
  vr: string;
  value: string;
}

function valueText(element: { vr: string; Value?: unknown[]; BulkDataURI?: string; InlineBinary?: string }): string {
  if (element.BulkDataURI || element.InlineBinary) return t('bulk_data');
  const values = element.Value ?? [];
  if (element.vr === 'SQ') return t('sequence_items', { n: values.length });
  if (element.vr === 'PN') {
    return values
      .map((v) => {
        const pn = v as { Alphabetic?: string; Ideographic?: string; Phonetic?: string } | null;
        return pn ? [pn.Alphabetic ?? '', pn.Ideographic ?? '', pn.Phonetic ?? ''].join('=').replace(/=+$/, '') : '';
      })
      .join('\\');
  }
  const text = values.map((v) => (v === null || v === undefined ? '' : String(v))).join('\\');
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

function rowsOf(ds: DicomJson, depth: number, out: Row[]): void {
  for (const tag of Object.keys(ds).sort()) {
    const element = ds[tag] as { vr: string; Value?: unknown[] };
    const upper = tag.toUpperCase();
    out.push({
      tag: upper,
      depth,
      keyword: keywordOf(upper),
      vr: element.vr,
      value: valueText(element),
    });
    if (element.vr === 'SQ' && depth < 3) {
      for (const item of element.Value ?? []) {
        if (item && typeof item === 'object') rowsOf(item as DicomJson, depth + 1, out);
      }
    }
  }
}

// The metadata of a frame is its instance's (dicomweb.ts registers frame 1).
function metadataOf(imageId: string): DicomJson | null {
  const first = imageId.replace(/\/frames\/\d+$/, '/frames/1');
  return (wadors.metaDataManager.get(first) as DicomJson | undefined) ?? null;
}

export function renderTags(imageId: string | null, filter: string, setFilter: (f: string) => void): HTMLElement {
  const ds = imageId ? metadataOf(imageId) : null;
  if (!ds) return h('p', { class: 'muted' }, t('no_image'));
  const rows: Row[] = [];
  rowsOf(ds, 0, rows);
  const search = h('input', {
    type: 'search',
    value: filter,
    placeholder: t('tag_filter'),
    'aria-label': t('tag_filter'),
    'data-testid': 'tag-filter',
  });
  const body = h('tbody', {});
  const fill = () => {
    const needle = search.value.trim().toLowerCase();
    const compact = needle.replace(/[(),\s]/g, '');
    body.replaceChildren(
      ...rows
        .filter(
          (r) =>
            !needle ||
            r.tag.toLowerCase().includes(compact) ||
            r.keyword.toLowerCase().includes(needle) ||
            r.value.toLowerCase().includes(needle),
        )
        .map((r) =>
          h(
            'tr',
            { 'data-tag': r.tag, 'data-testid': 'tag-row' },
            h('td', { class: 'mono', style: `padding-left: ${8 + r.depth * 12}px` }, `(${r.tag.slice(0, 4)},${r.tag.slice(4)})`),
            h('td', {}, r.keyword),
            h('td', { class: 'mono' }, r.vr),
            h('td', { class: 'value' }, r.value),
          ),
        ),
    );
  };
  search.addEventListener('input', () => {
    setFilter(search.value);
    fill();
  });
  fill();
  return h(
    'div',
    { class: 'tags', 'data-testid': 'tags', 'data-image-id': imageId ?? '' },
    search,
    h(
      'table',
      { class: 'data tag-table' },
      h('thead', {}, h('tr', {}, [t('tag'), t('keyword'), t('vr'), t('value')].map((x) => h('th', { scope: 'col' }, x)))),
      body,
    ),
  );
}
