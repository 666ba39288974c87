// The reading page of one study: the patient banner, a toolbar (layout,
// tools, window presets, cine, reset), the series of the study (and of the
// prior exams opened beside it) as rendered thumbnails, the viewport grid,
// and beside it the report, the measurements, the DICOM tags of the image
// in the active viewport, and the patient's prior exams at this hospital.
import { ApiError } from '../common/api';
import { h, mount } from '../common/dom';
import { t } from '../common/i18n';
import { dateTime, dicomDate, personName, sex } from '../common/format';
import { loadStack, type StackSource } from '../common/viewer/dicomweb';
import { kPresetNames, type PresetName } from '../common/viewer/presets';
import {
  ViewportGrid,
  kLayouts,
  kToolNames,
  type Layout,
  type Measurement,
  type SlotState,
} from '../common/viewer/viewport_grid';
import * as api from './api';
import { renderTags } from './tag_panel';
import { errorText, type Navigate } from './util';

const kBase = '/dicom-web';
const kNoImages = new Set(['SR', 'DOC', 'KO', 'PR', 'ECG', 'AU', 'REG', 'SEG', 'RTSTRUCT', 'RTPLAN', 'RTDOSE']);
const kDragType = 'application/x-cloudfilm-series';
type Tab = 'report' | 'measurements' | 'tags' | 'priors';
const kTabs: Tab[] = ['report', 'measurements', 'tags', 'priors'];

export interface StudyHooks {
  navigate: Navigate;
  onSessionEnded: () => void;
}

interface SeriesRef {
  study: api.StudyInfo;
  series: api.SeriesInfo;
}

const round = (x: number | undefined, digits = 1) => (x === undefined ? '' : x.toFixed(digits));

function signedAt(text: string): string {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? text : dateTime(ms);
}

function modalities(study: api.StudyInfo): string {
  return Array.isArray(study.modalities) ? study.modalities.join(' ') : study.modalities;
}

function imageSeries(study: api.StudyInfo): api.SeriesInfo[] {
  return study.series
    .filter((s) => !kNoImages.has(s.modality) && s.num_instances > 0)
    .sort((a, b) => (a.series_number ?? 0) - (b.series_number ?? 0));
}

function reportView(report: api.Report): HTMLElement {
  const v = report.versions[report.versions.length - 1];
  return h(
    'article',
    { class: 'report', 'data-testid': 'report' },
    h('h3', {}, t(`kind.${report.kind}`), ' ', h('span', { class: `badge ${v.status}` }, t(`status_${v.status}`))),
    v.sections.map((s) => h('section', {}, s.title ? h('h4', {}, s.title) : null, h('p', { class: 'pre' }, s.text))),
    v.conclusion ? h('section', { class: 'conclusion' }, h('h4', {}, t('conclusion')), h('p', { class: 'pre' }, v.conclusion)) : null,
    v.signer || v.signed_at ? h('p', { class: 'muted small' }, t('signed_by', { name: v.signer, time: signedAt(v.signed_at) })) : null,
    v.has_pdf
      ? h('a', { class: 'button secondary', href: api.pdfUrl(report, v), target: '_blank', rel: 'noopener', 'data-testid': 'report-pdf' }, t('report_pdf'))
      : null,
  );
}

export async function renderStudy(
  main: HTMLElement,
  banner: HTMLElement,
  uid: string,
  hooks: StudyHooks,
): Promise<{ destroy(): void }> {
  main.replaceChildren(h('p', { class: 'muted' }, t('loading')));
  let study: api.StudyInfo;
  let reports: api.Report[];
  try {
    [study, reports] = await Promise.all([api.study(uid), api.reports(uid).catch(() => [] as api.Report[])]);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      hooks.onSessionEnded();
    } else {
      main.replaceChildren(h('p', { class: 'notice error', role: 'alert' }, errorText(error)));
    }
    return { destroy() {} };
  }
  document.title = `${personName(study.patient_name) || study.patient_id} · ${t('title')}`;
  mount(
    banner,
    h('strong', { 'data-testid': 'patient-name' }, personName(study.patient_name)),
    h('span', {}, [sex(study.patient_sex), dicomDate(study.patient_birth_date)].filter(Boolean).join(' ')),
    h('span', {}, `${t('patient_id')} ${study.patient_id}`),
    h('span', {}, `${dicomDate(study.study_date)} ${modalities(study)}`),
    study.accession_number ? h('span', {}, `${t('accession')} ${study.accession_number}`) : null,
    study.study_description ? h('span', { class: 'muted' }, study.study_description) : null,
  );

  // --- state ---------------------------------------------------------------
  const stacks = new Map<string, Promise<StackSource>>();
  const resolved = new Map<string, StackSource>();
  const refs = new Map<string, SeriesRef>();
  const opened: api.StudyInfo[] = [study];
  let measurements: Measurement[] = [];
  let tab: Tab = 'report';
  let destroyed = false;

  const stackOf = (ref: SeriesRef) => {
    const key = ref.series.series_instance_uid;
    let p = stacks.get(key);
    if (!p) {
      p = loadStack(kBase, ref.study.study_instance_uid, key);
      p.catch(() => stacks.delete(key));
      stacks.set(key, p);
    }
    return p;
  };

  // --- the grid and its slots' overlays ----------------------------------
  const overlays: HTMLElement[] = [];
  const gridEl = h('div', { class: 'grid', 'data-testid': 'grid' });
  const grid = new ViewportGrid(gridEl, {
    decorate: (element, slot) => {
      element.setAttribute('aria-label', t('viewport_label', { n: slot + 1 }));
      const overlay = h('div', { class: 'overlay', 'aria-hidden': 'true' }, h('span', { class: 'empty' }, t('empty_viewport')));
      overlays[slot] = overlay;
      element.append(overlay);
      element.addEventListener('dragover', (e) => {
        if (e.dataTransfer?.types.includes(kDragType)) {
          e.preventDefault();
          e.dataTransfer.dropEffect = 'copy';
          element.classList.add('drop');
        }
      });
      element.addEventListener('dragleave', () => element.classList.remove('drop'));
      element.addEventListener('drop', (e) => {
        element.classList.remove('drop');
        const key = e.dataTransfer?.getData(kDragType);
        if (!key) return;
        e.preventDefault();
        grid.activate(slot);
        void show(key, slot);
      });
    },
    onChange: (s) => {
      overlayOf(s);
      if (s.slot === grid.activeSlot()) {
        toolbarState();
        if (tab === 'tags') scheduleTags();
      }
    },
    onActivate: () => {
      toolbarState();
      markSeries();
      if (tab === 'tags') scheduleTags();
    },
    onMeasurements: (list) => {
      const added = list.length > measurements.length;
      measurements = list;
      if (added && tab !== 'measurements') selectTab('measurements');
      else if (tab === 'measurements') renderSide();
    },
  });

  function overlayOf(s: SlotState): void {
    const overlay = overlays[s.slot];
    if (!overlay) return;
    const ref = s.key ? refs.get(s.key) : undefined;
    if (!ref) return;
    const voi = s.voi;
    mount(
      overlay,
      h('span', { class: 'tl' }, `${ref.series.modality} ${ref.series.series_description}`.trim(), h('br', {}), `${dicomDate(ref.study.study_date)}`),
      h('span', { class: 'bl', 'data-testid': 'image-number' }, t('image_of', { i: s.index + 1, n: s.count })),
      voi
        ? h('span', { class: 'br' }, t('wl', { w: Math.round(voi.upper - voi.lower), c: Math.round((voi.upper + voi.lower) / 2) }))
        : null,
    );
  }

  // "Series 2, image 7" for a measurement's image.
  function imagePlace(imageId: string): string {
    for (const [key, source] of resolved) {
      const i = source.imageIds.indexOf(imageId);
      const ref = refs.get(key);
      if (i >= 0 && ref) return `${t('series_label', { n: ref.series.series_number ?? '' })} ${t('on_image', { n: i + 1 })}`;
    }
    return '';
  }

  async function show(key: string, slot: number): Promise<void> {
    const ref = refs.get(key);
    if (!ref) return;
    grid.element(slot).setAttribute('aria-busy', 'true');
    try {
      const source = await stackOf(ref);
      resolved.set(key, source);
      if (destroyed) return;
      await grid.load({ key, imageIds: source.imageIds, frameTimeMs: source.multiFrame ? source.frameTimeMs : 0 }, slot);
      markSeries();
    } catch (error) {
      overlays[slot]?.replaceChildren(h('span', { class: 'empty error' }, errorText(error)));
    } finally {
      grid.element(slot).removeAttribute('aria-busy');
    }
  }

  // --- series panel ----------------------------------------------------------
  const seriesPanel = h('nav', { class: 'series-panel', 'aria-label': t('series'), 'data-testid': 'series-panel' });

  function renderSeriesPanel(): void {
    seriesPanel.replaceChildren(
      h('p', { class: 'muted small' }, t('series_hint')),
      ...opened.map((s, i) =>
        h(
          'section',
          { class: 'series-group', 'data-study': s.study_instance_uid },
          h('h3', {}, i === 0 ? t('current') : `${dicomDate(s.study_date)}`, ' ', h('span', { class: 'muted' }, modalities(s))),
          h(
            'ul',
            {},
            imageSeries(s).map((series, n) => {
              const key = series.series_instance_uid;
              refs.set(key, { study: s, series });
              const button = h(
                'button',
                {
                  type: 'button',
                  class: 'thumb',
                  draggable: 'true',
                  'data-testid': 'series',
                  'data-series': key,
                  'aria-label': `${t('series_label', { n: series.series_number ?? n + 1 })} ${series.modality} ${series.series_description}`,
                  onclick: () => void show(key, grid.activeSlot()),
                },
                h('img', { src: api.thumbnailUrl(s.study_instance_uid, key), alt: '', width: 96, height: 96, loading: 'lazy', draggable: 'false' }),
                h(
                  'span',
                  { class: 'label' },
                  `${series.series_number ?? ''} ${series.modality}`.trim(),
                  h('br', {}),
                  h('span', { class: 'small' }, series.series_description),
                  h('br', {}),
                  h('span', { class: 'muted small' }, t('n_images', { n: series.num_instances })),
                ),
              );
              button.addEventListener('dragstart', (e) => {
                e.dataTransfer?.setData(kDragType, key);
                e.dataTransfer?.setData('text/plain', key);
                if (e.dataTransfer) e.dataTransfer.effectAllowed = 'copy';
              });
              return h('li', {}, button);
            }),
          ),
        ),
      ),
    );
    markSeries();
  }

  function markSeries(): void {
    const shown = new Set<string>();
    for (let i = 0; i < grid.slotCount(); i++) {
      const key = grid.stackKey(i);
      if (key) shown.add(key);
    }
    const active = grid.stackKey(grid.activeSlot());
    for (const b of seriesPanel.querySelectorAll<HTMLElement>('button.thumb')) {
      b.classList.toggle('shown', shown.has(b.dataset.series ?? ''));
      b.setAttribute('aria-pressed', String(b.dataset.series === active));
    }
  }

  // --- toolbar ---------------------------------------------------------------
  const layoutButtons = kLayouts.map((layout) =>
    h('button', {
      type: 'button', class: 'secondary', 'data-testid': `layout-${layout}`, 'aria-pressed': 'false',
      onclick: () => setLayout(layout),
    }, layout.replace('x', '×')),
  );
  const toolButtons = kToolNames.map((name) =>
    h('button', {
      type: 'button', class: 'secondary', 'data-testid': `tool-${name}`, 'aria-pressed': 'false',
      onclick: () => {
        grid.setTool(name);
        toolbarState();
      },
    }, t(`tool.${name}`)),
  );
  const preset = h(
    'select',
    { 'data-testid': 'preset', 'aria-label': t('window_preset') },
    kPresetNames.map((p) => h('option', { value: p }, t(`preset.${p}`))),
  );
  preset.addEventListener('change', () => grid.setPreset(grid.activeSlot(), preset.value as PresetName));
  const play = h('button', { type: 'button', class: 'secondary', 'data-testid': 'cine', onclick: () => {
    grid.togglePlay(grid.activeSlot());
    toolbarState();
  } }, t('play'));
  const reset = h('button', { type: 'button', class: 'secondary', 'data-testid': 'reset', onclick: () => {
    grid.reset(grid.activeSlot());
    preset.value = 'default';
  } }, t('reset'));
  const toolbar = h(
    'div',
    { class: 'toolbar', role: 'toolbar', 'aria-label': t('tools') },
    h('div', { class: 'group', role: 'group', 'aria-label': t('layout') }, layoutButtons),
    h('div', { class: 'group', role: 'group', 'aria-label': t('tools') }, toolButtons),
    h('div', { class: 'group' }, preset, play, reset),
  );

  function toolbarState(): void {
    layoutButtons.forEach((b, i) => b.setAttribute('aria-pressed', String(kLayouts[i] === grid.layout())));
    toolButtons.forEach((b, i) => b.setAttribute('aria-pressed', String(kToolNames[i] === grid.currentTool())));
    const s = grid.state(grid.activeSlot());
    play.textContent = s.playing ? t('pause') : t('play');
    play.setAttribute('aria-pressed', String(s.playing));
  }

  function setLayout(layout: Layout): void {
    grid.setLayout(layout);
    toolbarState();
    markSeries();
  }

  // --- side panel --------------------------------------------------------------
  const tabButtons = kTabs.map((name) =>
    h('button', {
      type: 'button', role: 'tab', class: 'secondary', 'data-testid': `tab-${name}`, 'aria-selected': 'false',
      onclick: () => selectTab(name),
    }, t(`tab_${name}`)),
  );
  const sideBody = h('div', { class: 'side-body', role: 'tabpanel' });
  const side = h('aside', { class: 'side' }, h('div', { class: 'tabs', role: 'tablist' }, tabButtons), sideBody);
  let priors: api.StudyRow[] | null = null;
  let priorsError = '';
  let tagsTimer = 0;
  let tagFilter = '';

  function selectTab(name: Tab): void {
    tab = name;
    tabButtons.forEach((b, i) => {
      b.setAttribute('aria-selected', String(kTabs[i] === name));
      b.className = kTabs[i] === name ? '' : 'secondary';
    });
    renderSide();
  }

  function scheduleTags(): void {
    window.clearTimeout(tagsTimer);
    tagsTimer = window.setTimeout(() => {
      if (tab === 'tags' && !destroyed) renderSide();
    }, 150);
  }

  function renderSide(): void {
    sideBody.dataset.tab = tab;
    switch (tab) {
      case 'report':
        sideBody.replaceChildren(...(reports.length > 0 ? reports.map(reportView) : [h('p', { class: 'muted' }, t('no_report'))]));
        break;
      case 'measurements':
        sideBody.replaceChildren(measurementList());
        break;
      case 'tags': {
        const s = grid.state(grid.activeSlot());
        sideBody.replaceChildren(renderTags(s.imageId, tagFilter, (f) => (tagFilter = f)));
        break;
      }
      case 'priors':
        sideBody.replaceChildren(priorList());
        break;
    }
  }

  function measurementList(): HTMLElement {
    if (measurements.length === 0) return h('p', { class: 'muted' }, t('no_measurements'));
    return h(
      'ol',
      { class: 'measurements', 'data-testid': 'measurements' },
      measurements.map((m) => {
        const where = imagePlace(m.imageId);
        let value = '';
        if (m.kind === 'length') value = `${round(m.length, 2)} ${m.unit ?? ''}`;
        else if (m.kind === 'angle') value = `${round(m.angle, 1)}°`;
        else {
          value = [
            m.mean !== undefined ? t('mean_sd', { mean: round(m.mean), sd: round(m.stdDev), unit: m.modalityUnit ?? '' }) : '',
            m.area !== undefined ? t('area', { area: round(m.area, 1), unit: m.areaUnit ?? '' }) : '',
            m.min !== undefined ? t('min_max', { min: round(m.min), max: round(m.max) }) : '',
          ].filter(Boolean).join('；');
        }
        const attrs: Record<string, string> = { 'data-testid': 'measurement', 'data-kind': m.kind, 'data-uid': m.uid };
        if (m.length !== undefined) attrs['data-length'] = String(m.length);
        if (m.unit) attrs['data-unit'] = m.unit;
        if (m.angle !== undefined) attrs['data-angle'] = String(m.angle);
        if (m.mean !== undefined) attrs['data-mean'] = String(m.mean);
        if (m.stdDev !== undefined) attrs['data-std'] = String(m.stdDev);
        if (m.modalityUnit) attrs['data-modality-unit'] = m.modalityUnit;
        attrs['data-image-id'] = m.imageId;
        return h(
          'li',
          attrs,
          h('strong', {}, t(`measure.${m.kind}`)),
          ' ',
          h('span', { class: 'value' }, value),
          where ? h('span', { class: 'muted small' }, ` · ${where}`) : null,
          h(
            'span',
            { class: 'row-actions' },
            h('button', { type: 'button', class: 'secondary small', onclick: () => void grid.goToMeasurement(m) }, t('show')),
            h('button', { type: 'button', class: 'secondary small', 'data-testid': 'delete-measurement', onclick: () => grid.removeMeasurement(m.uid) }, t('delete')),
          ),
        );
      }),
    );
  }

  async function loadPriors(): Promise<void> {
    try {
      const found = await api.searchStudies({ patientId: study.patient_id, limit: 100, offset: 0 });
      const self = found.rows.find((r) => r.studyUid === study.study_instance_uid);
      priors = found.rows.filter((r) => r.studyUid !== study.study_instance_uid && (!self || r.issuer === self.issuer));
    } catch (error) {
      priorsError = errorText(error);
    }
    tabButtons[kTabs.indexOf('priors')].textContent = `${t('tab_priors')}${priors ? ` (${priors.length})` : ''}`;
    if (tab === 'priors') renderSide();
  }

  function priorList(): HTMLElement {
    if (priorsError) return h('p', { class: 'error' }, priorsError);
    if (!priors) return h('p', { class: 'muted' }, t('loading'));
    if (priors.length === 0) return h('p', { class: 'muted', 'data-testid': 'no-priors' }, t('no_priors'));
    return h(
      'ul',
      { class: 'priors', 'data-testid': 'priors' },
      priors.map((p) => {
        const isOpen = opened.some((s) => s.study_instance_uid === p.studyUid);
        return h(
          'li',
          { 'data-testid': 'prior', 'data-study': p.studyUid },
          h('strong', {}, `${dicomDate(p.date)} ${p.modalities.join(' ')}`),
          h('br', {}),
          h('span', {}, p.description),
          p.accession ? h('span', { class: 'muted small' }, ` ${t('accession')} ${p.accession}`) : null,
          h('br', {}),
          h('button', {
            type: 'button', class: 'secondary small', disabled: isOpen, 'data-testid': 'open-prior',
            onclick: () => void openPrior(p.studyUid),
          }, isOpen ? t('opened') : t('open_beside')),
          ' ',
          h('a', { href: `/viewer?study=${encodeURIComponent(p.studyUid)}`, onclick: (e: Event) => hooks.navigate(e, `/viewer?study=${encodeURIComponent(p.studyUid)}`) }, t('open_alone')),
        );
      }),
    );
  }

  // A prior beside the current exam: its series join the panel and its
  // first series fills the next viewport.
  async function openPrior(priorUid: string): Promise<void> {
    if (opened.some((s) => s.study_instance_uid === priorUid)) return;
    let prior: api.StudyInfo;
    try {
      prior = await api.study(priorUid);
    } catch (error) {
      priorsError = errorText(error);
      renderSide();
      return;
    }
    opened.push(prior);
    renderSeriesPanel();
    renderSide();
    const first = imageSeries(prior)[0];
    if (!first) return;
    if (grid.layout() === '1x1') setLayout('1x2');
    const target = grid.activeSlot() + 1 < grid.slotCount() ? grid.activeSlot() + 1 : 0;
    grid.activate(target);
    await show(first.series_instance_uid, target);
  }

  // --- layout and first images -------------------------------------------------
  main.replaceChildren(
    toolbar,
    h('div', { class: 'reading-body' }, seriesPanel, h('div', { class: 'grid-wrap' }, gridEl, h('p', { class: 'muted small keys' }, t('keys_hint'))), side),
  );
  renderSeriesPanel();
  selectTab('report');
  toolbarState();
  void loadPriors();
  await grid.ready;
  toolbarState();
  const first = imageSeries(study)[0];
  if (first) {
    grid.activate(0);
    void show(first.series_instance_uid, 0);
  }
  return {
    destroy() {
      destroyed = true;
      window.clearTimeout(tagsTimer);
      grid.destroy();
    },
  };
}
