// A series full screen: the Cornerstone3D stack viewer, with the server's
// rendered middle image shown at once while the viewer loads and decodes,
// window presets, cine for multi-frame (ultrasound), reset and the image
// number.
import { h } from '../common/dom';
import { t } from '../common/i18n';
import { createStackViewer, type StackViewer, type StackViewerState } from '../common/viewer/stack_viewer';
import { loadStack } from '../common/viewer/dicomweb';
import { kPresetNames, type PresetName } from '../common/viewer/presets';
import type { Series, Study } from './share_api';
import { showError } from './util';

let current: { viewer: StackViewer | null; overlay: HTMLElement; onKey: (e: KeyboardEvent) => void } | null = null;

function close(): void {
  if (!current) return;
  current.viewer?.destroy();
  current.overlay.remove();
  document.removeEventListener('keydown', current.onKey);
  document.body.classList.remove('no-scroll');
  current = null;
  if (location.hash === '#image') history.back();
}

export async function openImages(study: Study, series: Series): Promise<void> {
  close();
  const element = h('div', { class: 'viewport', 'data-testid': 'viewport' });
  const counter = h('span', { class: 'counter', 'data-testid': 'counter', 'aria-live': 'polite' });
  const loading = h('span', { class: 'muted' });
  const status = h('p', { class: 'viewer-status', role: 'status' }, t('loading'));
  const back = h('button', { type: 'button', class: 'secondary', 'data-testid': 'viewer-back' }, t('back'));
  const presets = h(
    'select',
    { 'aria-label': t('window'), 'data-testid': 'preset' },
    kPresetNames.map((name) => h('option', { value: name }, t(`preset_${name}`))),
  );
  const play = h('button', { type: 'button', 'data-testid': 'cine', hidden: true }, t('play'));
  const reset = h('button', { type: 'button', class: 'secondary', 'data-testid': 'reset' }, t('reset'));
  // The series' representative (middle) image, rendered by the server: on
  // screen in one small request, before the stack's first frame is decoded.
  const size = Math.round(Math.min(window.innerWidth, 1024) * Math.min(2, window.devicePixelRatio || 1));
  const placeholder = h('img', {
    class: 'placeholder',
    alt: '',
    src: `/dicom-web/studies/${encodeURIComponent(study.study_instance_uid)}/series/${encodeURIComponent(series.series_instance_uid)}/rendered?viewport=${size},${size}`,
  });
  const overlay = h(
    'div',
    { class: 'viewer', role: 'dialog', 'aria-modal': 'true', 'aria-label': series.series_description || series.modality },
    h('div', { class: 'viewer-top' }, back, h('span', { class: 'viewer-title' }, series.series_description || series.modality), counter),
    h('div', { class: 'viewport-box' }, placeholder, element),
    status,
    h('div', { class: 'viewer-tools' }, presets, play, reset, loading),
  );
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') close();
  };
  document.addEventListener('keydown', onKey);
  document.body.append(overlay);
  document.body.classList.add('no-scroll');
  current = { viewer: null, overlay, onKey };
  const mine = current;
  // The phone's back button closes the viewer rather than leaving the exam.
  history.pushState(null, '', '#image');
  window.addEventListener(
    'popstate',
    () => {
      if (current === mine) close();
    },
    { once: true },
  );
  back.addEventListener('click', close);

  const show = (s: StackViewerState) => {
    counter.textContent = t('image_of', { i: s.index + 1, n: s.count });
    loading.textContent = s.loaded < s.count ? t('loading_stack', { i: s.loaded, n: s.count }) : '';
    play.textContent = s.playing ? t('pause') : t('play');
    play.setAttribute('aria-pressed', String(s.playing));
    if (presets.value !== s.preset) presets.value = s.preset;
  };
  try {
    const stack = await loadStack('/dicom-web', study.study_instance_uid, series.series_instance_uid);
    if (current !== mine) return;
    const viewer = createStackViewer(element, {
      imageIds: stack.imageIds,
      initialIndex: stack.multiFrame ? 0 : undefined,
      frameTimeMs: stack.frameTimeMs || undefined,
      onChange: show,
    });
    mine.viewer = viewer;
    presets.addEventListener('change', () => viewer.setPreset(presets.value as PresetName));
    play.hidden = !stack.multiFrame;
    play.addEventListener('click', () => viewer.togglePlay());
    reset.addEventListener('click', () => viewer.reset());
    show(viewer.state());
    await viewer.ready;
    placeholder.remove();
    status.textContent = t('viewer_help');
    if (stack.multiFrame) viewer.play();
  } catch (error) {
    status.textContent = t('image_failed', { detail: showError(error) });
    status.classList.add('error');
  }
}
