// A Cornerstone3D stack viewport with the gestures of a phone and a mouse,
// for the patient app and (later) the doctor viewer:
//   one finger / left mouse drag: scroll the stack (swipe up or down);
//   mouse wheel: one image per notch (with Ctrl: zoom);
//   two fingers: pinch to zoom and move together to pan;
//   right or middle mouse drag, or Shift + drag: pan;
//   window presets, cine play/pause, reset.
// The element gets data-index, data-count, data-loaded, data-voi,
// data-zoom, data-image-id, data-image-rect (the image's canvas rectangle in
// CSS pixels) and data-rendered attributes, so that a page (and a browser
// test) sees the viewer's state without reaching into Cornerstone.
import {
  Enums,
  RenderingEngine,
  cache,
  eventTarget,
  imageLoader,
  metaData,
  utilities,
  type StackViewport,
  type Types,
} from '@cornerstonejs/core';
import { setUpCornerstone } from './setup';
import { kPresets, voiRange, type PresetName } from './presets';

export interface StackViewerOptions {
  imageIds: string[];
  initialIndex?: number; // default: the middle image
  frameTimeMs?: number; // cine speed; default 40 ms (25 frames/s)
  prefetch?: boolean; // load the whole stack in the background (default true)
  onChange?: (state: StackViewerState) => void; // image, window, cine or loading changed
}

export interface StackViewerState {
  index: number;
  count: number;
  loaded: number; // images of the stack in the cache
  playing: boolean;
  voi: { lower: number; upper: number } | null;
  preset: PresetName;
  zoom: number; // 1 = fitted
}

export interface StackViewer {
  readonly element: HTMLElement;
  readonly ready: Promise<void>; // the first image is on screen
  state(): StackViewerState;
  scrollTo(index: number): Promise<void>;
  scrollBy(delta: number): Promise<void>;
  setPreset(name: PresetName): void;
  setWindow(center: number, width: number): void;
  play(): void;
  pause(): void;
  togglePlay(): void;
  reset(): void;
  zoomBy(factor: number): void;
  panBy(dxCss: number, dyCss: number): void;
  // The canvas rectangle (CSS pixels, relative to the element) the image
  // covers: for overlays and for checking what is on screen.
  imageRect(): { x: number; y: number; width: number; height: number } | null;
  destroy(): void;
}

let engineCount = 0;

export function createStackViewer(element: HTMLElement, options: StackViewerOptions): StackViewer {
  const imageIds = options.imageIds;
  if (imageIds.length === 0) throw new Error('createStackViewer: no images');
  const engineId = `cf-engine-${++engineCount}`;
  const viewportId = `${engineId}-stack`;
  let engine: RenderingEngine | null = null;
  let viewport: StackViewport | null = null;
  let index = Math.min(
    imageIds.length - 1,
    Math.max(0, options.initialIndex ?? Math.floor((imageIds.length - 1) / 2)),
  );
  let preset: PresetName = 'default';
  let chosenVoi: { lower: number; upper: number } | null = null;
  let playing = false;
  let cineTimer = 0;
  let destroyed = false;
  let loaded = 0;
  const listeners: Array<() => void> = [];
  const resizeObserver = new ResizeObserver(() => {
    if (engine && !destroyed) engine.resize(true, true);
  });

  const notify = () => {
    const s = state();
    element.dataset.index = String(s.index);
    element.dataset.count = String(s.count);
    element.dataset.loaded = String(s.loaded);
    element.dataset.playing = String(s.playing);
    element.dataset.preset = s.preset;
    if (s.voi) element.dataset.voi = `${s.voi.lower},${s.voi.upper}`;
    element.dataset.zoom = s.zoom.toFixed(3);
    if (viewport) element.dataset.imageId = viewport.getCurrentImageId() ?? '';
    const rect = viewport ? imageRect() : null;
    if (rect) element.dataset.imageRect = [rect.x, rect.y, rect.width, rect.height].map((v) => v.toFixed(1)).join(',');
    options.onChange?.(s);
  };

  function state(): StackViewerState {
    let voi: StackViewerState['voi'] = null;
    let zoom = 1;
    if (viewport) {
      const range = viewport.getProperties().voiRange;
      if (range) voi = { lower: range.lower, upper: range.upper };
      zoom = viewport.getZoom();
    }
    return { index, count: imageIds.length, loaded, playing, voi, preset, zoom };
  }

  const ready = (async () => {
    await setUpCornerstone();
    if (destroyed) return;
    engine = new RenderingEngine(engineId);
    engine.enableElement({
      viewportId,
      type: Enums.ViewportType.STACK,
      element: element as HTMLDivElement,
      defaultOptions: { background: [0, 0, 0] as Types.Point3 },
    });
    viewport = engine.getViewport(viewportId) as StackViewport;
    const rendered = () => {
      element.dataset.rendered = String(viewport?.getCurrentImageIdIndex() ?? '');
      notify();
    };
    element.addEventListener(Enums.Events.IMAGE_RENDERED, rendered);
    listeners.push(() => element.removeEventListener(Enums.Events.IMAGE_RENDERED, rendered));
    await viewport.setStack(imageIds, index);
    viewport.render();
    resizeObserver.observe(element);
    if (options.prefetch !== false) void prefetch();
  })();

  // Loads the stack outwards from the image on screen, a few at a time, so
  // that scrolling never waits once it is in.
  async function prefetch(): Promise<void> {
    const order: string[] = [];
    for (let d = 0; order.length < imageIds.length; d++) {
      if (index + d < imageIds.length) order.push(imageIds[index + d]);
      if (d > 0 && index - d >= 0) order.push(imageIds[index - d]);
    }
    const onLoaded = (evt: Event) => {
      const id = (evt as CustomEvent<{ image?: { imageId?: string } }>).detail?.image?.imageId;
      if (id && imageIds.includes(id)) {
        loaded = imageIds.filter((i) => cache.isLoaded(i)).length;
        notify();
      }
    };
    eventTarget.addEventListener(Enums.Events.IMAGE_LOADED, onLoaded);
    listeners.push(() => eventTarget.removeEventListener(Enums.Events.IMAGE_LOADED, onLoaded));
    let next = 0;
    const worker = async () => {
      while (!destroyed && next < order.length) {
        const id = order[next++];
        if (cache.isLoaded(id)) continue;
        try {
          await imageLoader.loadAndCacheImage(id);
        } catch {
          // shown when scrolled to; the rest of the stack still loads
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    loaded = imageIds.filter((i) => cache.isLoaded(i)).length;
    notify();
  }

  async function scrollTo(target: number): Promise<void> {
    const clamped = Math.min(imageIds.length - 1, Math.max(0, Math.round(target)));
    if (clamped === index && viewport?.getCurrentImageIdIndex() === clamped) return;
    index = clamped;
    notify();
    if (!viewport) return;
    await viewport.setImageIdIndex(index);
    // A chosen window holds while scrolling (several scrolls may be in
    // flight: it comes from our state, not from the viewport's); without
    // one, each image shows its own.
    if (chosenVoi) viewport.setProperties({ voiRange: chosenVoi });
    viewport.render();
  }

  function setWindow(center: number, width: number): void {
    chosenVoi = voiRange(center, Math.max(1, width));
    if (!viewport) return;
    viewport.setProperties({ voiRange: chosenVoi });
    viewport.render();
    notify();
  }

  function setPreset(name: PresetName): void {
    preset = name;
    if (name === 'default') chosenVoi = null;
    if (!viewport) return;
    if (name === 'default') {
      viewport.resetProperties();
      viewport.render();
      notify();
      return;
    }
    const { center, width } = kPresets[name];
    setWindow(center, width);
  }

  function zoomBy(factor: number): void {
    if (!viewport) return;
    const camera = viewport.getCamera();
    if (!camera.parallelScale) return;
    const scale = Math.min(20, Math.max(0.25, viewport.getZoom() * factor));
    viewport.setZoom(scale);
    viewport.render();
    notify();
  }

  function panBy(dxCss: number, dyCss: number): void {
    if (!viewport) return;
    const camera = viewport.getCamera();
    const from = viewport.canvasToWorld([0, 0]);
    const to = viewport.canvasToWorld([dxCss, dyCss]);
    const delta = [from[0] - to[0], from[1] - to[1], from[2] - to[2]];
    const move = (p?: Types.Point3): Types.Point3 | undefined =>
      p ? ([p[0] + delta[0], p[1] + delta[1], p[2] + delta[2]] as Types.Point3) : p;
    viewport.setCamera({ focalPoint: move(camera.focalPoint), position: move(camera.position) });
    viewport.render();
    notify();
  }

  function reset(): void {
    pause();
    preset = 'default';
    chosenVoi = null;
    if (!viewport) return;
    viewport.resetProperties();
    viewport.resetCamera();
    viewport.render();
    notify();
  }

  function play(): void {
    if (playing || imageIds.length < 2) return;
    playing = true;
    const step = Math.max(16, options.frameTimeMs ?? 40);
    let busy = false;
    cineTimer = window.setInterval(() => {
      if (busy) return; // never queue frames behind a slow decode
      busy = true;
      void scrollTo((index + 1) % imageIds.length).finally(() => (busy = false));
    }, step);
    notify();
  }

  function pause(): void {
    if (!playing) return;
    playing = false;
    window.clearInterval(cineTimer);
    notify();
  }

  function imageRect(): { x: number; y: number; width: number; height: number } | null {
    if (!viewport) return null;
    const imageId = viewport.getCurrentImageId();
    const plane = metaData.get('imagePlaneModule', imageId) as
      | { rows?: number; columns?: number }
      | undefined;
    if (!plane?.rows || !plane.columns) return null;
    const world = [
      [0, 0],
      [plane.columns, plane.rows],
    ].map(([c, r]) => utilities.imageToWorldCoords(imageId, [c, r] as Types.Point2));
    if (!world[0] || !world[1]) return null;
    const [a, b] = world.map((w) => viewport!.worldToCanvas(w as Types.Point3));
    return {
      x: Math.min(a[0], b[0]),
      y: Math.min(a[1], b[1]),
      width: Math.abs(b[0] - a[0]),
      height: Math.abs(b[1] - a[1]),
    };
  }

  // --- gestures (Pointer Events: touch, pen and mouse alike) ---------------
  const pointers = new Map<number, { x: number; y: number }>();
  let dragAccum = 0;
  let pinch: { distance: number; mid: { x: number; y: number } } | null = null;
  let panning = false;
  const stepPx = () => Math.max(4, Math.min(24, element.clientHeight / Math.min(imageIds.length, 80)));

  const twoFinger = () => {
    const [a, b] = [...pointers.values()];
    return {
      distance: Math.hypot(a.x - b.x, a.y - b.y),
      mid: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 },
    };
  };

  const onDown = (e: PointerEvent) => {
    element.setPointerCapture(e.pointerId);
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    dragAccum = 0;
    panning = e.pointerType === 'mouse' && (e.button === 1 || e.button === 2 || e.shiftKey);
    if (pointers.size === 2) pinch = twoFinger();
    if (playing && pointers.size === 1 && !panning) pause();
    e.preventDefault();
  };
  const onMove = (e: PointerEvent) => {
    const last = pointers.get(e.pointerId);
    if (!last) return;
    const dx = e.clientX - last.x;
    const dy = e.clientY - last.y;
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.size >= 2 && pinch) {
      const now = twoFinger();
      if (pinch.distance > 0 && now.distance > 0) zoomBy(now.distance / pinch.distance);
      panBy(now.mid.x - pinch.mid.x, now.mid.y - pinch.mid.y);
      pinch = now;
    } else if (pointers.size === 1 && panning) {
      panBy(dx, dy);
    } else if (pointers.size === 1) {
      // Swipe up shows the next image, as a finger pushes a page up.
      dragAccum += -dy;
      const step = stepPx();
      const images = Math.trunc(dragAccum / step);
      if (images !== 0) {
        dragAccum -= images * step;
        void scrollTo(index + images);
      }
    }
    e.preventDefault();
  };
  const onUp = (e: PointerEvent) => {
    pointers.delete(e.pointerId);
    if (pointers.size < 2) pinch = null;
    if (pointers.size === 0) panning = false;
  };
  const onWheel = (e: WheelEvent) => {
    e.preventDefault();
    if (e.ctrlKey) {
      zoomBy(e.deltaY < 0 ? 1.1 : 1 / 1.1);
    } else {
      void scrollTo(index + Math.sign(e.deltaY));
    }
  };
  const onKey = (e: KeyboardEvent) => {
    const keys: Record<string, () => void> = {
      ArrowDown: () => void scrollTo(index + 1),
      ArrowRight: () => void scrollTo(index + 1),
      ArrowUp: () => void scrollTo(index - 1),
      ArrowLeft: () => void scrollTo(index - 1),
      PageDown: () => void scrollTo(index + 10),
      PageUp: () => void scrollTo(index - 10),
      Home: () => void scrollTo(0),
      End: () => void scrollTo(imageIds.length - 1),
      ' ': () => togglePlay(),
    };
    const act = keys[e.key];
    if (act) {
      e.preventDefault();
      act();
    }
  };
  const noMenu = (e: Event) => e.preventDefault();
  element.style.touchAction = 'none'; // the page must not scroll or zoom under the image
  element.tabIndex = 0;
  element.addEventListener('pointerdown', onDown);
  element.addEventListener('pointermove', onMove);
  element.addEventListener('pointerup', onUp);
  element.addEventListener('pointercancel', onUp);
  element.addEventListener('wheel', onWheel, { passive: false });
  element.addEventListener('keydown', onKey);
  element.addEventListener('contextmenu', noMenu);
  listeners.push(() => {
    element.removeEventListener('pointerdown', onDown);
    element.removeEventListener('pointermove', onMove);
    element.removeEventListener('pointerup', onUp);
    element.removeEventListener('pointercancel', onUp);
    element.removeEventListener('wheel', onWheel);
    element.removeEventListener('keydown', onKey);
    element.removeEventListener('contextmenu', noMenu);
  });

  function togglePlay(): void {
    if (playing) pause();
    else play();
  }

  return {
    element,
    ready,
    state,
    scrollTo,
    scrollBy: (delta: number) => scrollTo(index + delta),
    setPreset,
    setWindow,
    play,
    pause,
    togglePlay,
    reset,
    zoomBy,
    panBy,
    imageRect,
    destroy() {
      destroyed = true;
      pause();
      resizeObserver.disconnect();
      for (const remove of listeners) remove();
      engine?.destroy();
      engine = null;
      viewport = null;
    },
  };
}
