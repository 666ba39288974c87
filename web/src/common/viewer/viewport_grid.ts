// A grid of Cornerstone3D stack viewports (1x1, 1x2, 2x2) with the mouse
// tools of a desktop reading station, for the doctor viewer:
//   left drag: the chosen tool (window/level by default; pan, zoom, length,
//     angle, rectangle and ellipse ROI);
//   middle drag: pan; right drag: zoom; wheel: one image per notch;
//   keys on a focused viewport: arrows, Page Up/Down, Home/End, space (cine).
// One rendering engine draws every viewport (one WebGL context). Each
// viewport element gets data-index, data-count, data-image-id, data-voi,
// data-zoom, data-image-rect (the image's rectangle on the canvas, CSS
// pixels) and data-series attributes, as the stack viewer's do, so that a
// page and a browser test see the state without reaching into Cornerstone.
import {
  Enums,
  RenderingEngine,
  cache,
  eventTarget,
  metaData,
  utilities,
  type StackViewport,
  type Types,
} from '@cornerstonejs/core';
import {
  AngleTool,
  EllipticalROITool,
  Enums as ToolEnums,
  LengthTool,
  PanTool,
  RectangleROITool,
  StackScrollTool,
  ToolGroupManager,
  WindowLevelTool,
  ZoomTool,
  addTool,
  annotation as annotations,
  init as initTools,
  utilities as toolUtilities,
  type Types as ToolTypes,
} from '@cornerstonejs/tools';
import { kPresets, voiRange, type PresetName } from './presets';
import { setUpCornerstone } from './setup';

export type Layout = '1x1' | '1x2' | '2x2';
export const kLayouts: Layout[] = ['1x1', '1x2', '2x2'];
export type ToolName = 'windowLevel' | 'pan' | 'zoom' | 'length' | 'angle' | 'rectangle' | 'ellipse';
export const kToolNames: ToolName[] = ['windowLevel', 'pan', 'zoom', 'length', 'angle', 'rectangle', 'ellipse'];

const kToolClass: Record<ToolName, string> = {
  windowLevel: WindowLevelTool.toolName,
  pan: PanTool.toolName,
  zoom: ZoomTool.toolName,
  length: LengthTool.toolName,
  angle: AngleTool.toolName,
  rectangle: RectangleROITool.toolName,
  ellipse: EllipticalROITool.toolName,
};
const kMeasurementKind: Record<string, Measurement['kind']> = {
  [LengthTool.toolName]: 'length',
  [AngleTool.toolName]: 'angle',
  [RectangleROITool.toolName]: 'rectangle',
  [EllipticalROITool.toolName]: 'ellipse',
};

// A measurement as the page lists it: values in the image's units (mm when
// the image has a pixel spacing, HU on CT).
export interface Measurement {
  uid: string;
  kind: 'length' | 'angle' | 'rectangle' | 'ellipse';
  imageId: string;
  length?: number;
  unit?: string;
  angle?: number;
  mean?: number;
  stdDev?: number;
  min?: number;
  max?: number;
  area?: number;
  areaUnit?: string;
  modalityUnit?: string;
}

export interface StackInput {
  key: string; // what the page calls this stack (a series UID)
  imageIds: string[];
  initialIndex?: number;
  frameTimeMs?: number; // cine speed of a multi-frame series
}

export interface SlotState {
  slot: number;
  key: string | null;
  index: number;
  count: number;
  playing: boolean;
  voi: { lower: number; upper: number } | null;
  imageId: string | null;
}

export interface ViewportGridOptions {
  onChange?: (slot: SlotState) => void; // image, window, cine of a slot changed
  onActivate?: (slot: number) => void; // a slot was clicked or focused
  onMeasurements?: (list: Measurement[]) => void;
  // Each slot's element, for the page to add its overlay and drop target.
  decorate?: (element: HTMLElement, slot: number) => void;
}

interface Slot {
  element: HTMLElement; // the slot: data attributes, the page's overlay
  stage: HTMLElement; // inside it, filling it: Cornerstone's element
  viewportId: string;
  enabled: boolean;
  stack: StackInput | null;
  index: number; // the image asked for last (the viewport may still be loading it)
  pending: number; // scrollTo calls in flight
  playing: boolean;
  cineTimer: number;
}

let toolsReady = false;
let gridCount = 0;

function setUpTools(): void {
  if (toolsReady) return;
  initTools();
  for (const tool of [WindowLevelTool, PanTool, ZoomTool, StackScrollTool, LengthTool, AngleTool, RectangleROITool, EllipticalROITool]) {
    addTool(tool);
  }
  toolsReady = true;
}

export class ViewportGrid {
  readonly container: HTMLElement;
  private engine: RenderingEngine | null = null;
  private toolGroupId: string;
  private slots: Slot[] = [];
  private currentLayout: Layout = '1x1';
  private tool: ToolName = 'windowLevel';
  private active = 0;
  private readonly options: ViewportGridOptions;
  private readonly removers: Array<() => void> = [];
  private readonly resizeObserver: ResizeObserver;
  private measurementTimer = 0;
  readonly ready: Promise<void>;

  constructor(container: HTMLElement, options: ViewportGridOptions = {}) {
    this.container = container;
    this.options = options;
    const id = `cf-grid-${++gridCount}`;
    this.toolGroupId = `${id}-tools`;
    container.classList.add('cf-grid');
    for (let i = 0; i < 4; i++) {
      const element = document.createElement('div');
      element.className = 'cf-slot';
      element.dataset.slot = String(i);
      element.dataset.testid = 'viewport';
      element.tabIndex = 0;
      element.setAttribute('role', 'img');
      element.addEventListener('contextmenu', (e) => e.preventDefault());
      element.addEventListener('pointerdown', () => {
        this.activate(i);
        // The tools stop the mouse's default: focus for the keys by hand.
        if (document.activeElement !== element) element.focus({ preventScroll: true });
      });
      element.addEventListener('focus', () => this.activate(i));
      element.addEventListener('keydown', (e) => this.onKey(i, e));
      const stage = document.createElement('div');
      stage.className = 'cf-stage';
      element.append(stage);
      this.slots.push({ element, stage, viewportId: `${id}-vp${i}`, enabled: false, stack: null, index: 0, pending: 0, playing: false, cineTimer: 0 });
      options.decorate?.(element, i);
    }
    this.resizeObserver = new ResizeObserver(() => this.engine?.resize(true, true));
    this.ready = this.setUp();
  }

  private async setUp(): Promise<void> {
    await setUpCornerstone();
    setUpTools();
    this.engine = new RenderingEngine(`${this.toolGroupId}-engine`);
    const group = ToolGroupManager.createToolGroup(this.toolGroupId);
    if (!group) throw new Error('tool group exists');
    for (const name of Object.values(kToolClass)) group.addTool(name);
    group.addTool(StackScrollTool.toolName);
    group.setToolActive(StackScrollTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Wheel }] });
    group.setToolActive(PanTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Auxiliary }] });
    group.setToolActive(ZoomTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Secondary }] });
    this.applyTool();

    const changed = (evt: Event) => {
      const slot = this.slots.findIndex((s) => s.stage === evt.target);
      if (slot >= 0) this.notify(slot);
    };
    for (const slot of this.slots) {
      for (const name of [Enums.Events.IMAGE_RENDERED, Enums.Events.STACK_NEW_IMAGE, Enums.Events.VOI_MODIFIED]) {
        slot.stage.addEventListener(name, changed);
        this.removers.push(() => slot.stage.removeEventListener(name, changed));
      }
    }
    // How much of each slot's stack is in the cache (data-loaded).
    const loaded = (evt: Event) => {
      const id = (evt as CustomEvent<{ image?: { imageId?: string } }>).detail?.image?.imageId;
      // The cache marks the image loaded after this event: count next.
      this.slots.forEach((s, i) => {
        if (id && s.stack?.imageIds.includes(id)) window.setTimeout(() => this.countLoaded(i), 0);
      });
    };
    eventTarget.addEventListener(Enums.Events.IMAGE_LOADED, loaded);
    this.removers.push(() => eventTarget.removeEventListener(Enums.Events.IMAGE_LOADED, loaded));
    const measured = () => this.measurementsChanged();
    for (const name of [
      ToolEnums.Events.ANNOTATION_COMPLETED,
      ToolEnums.Events.ANNOTATION_MODIFIED,
      ToolEnums.Events.ANNOTATION_REMOVED,
    ]) {
      eventTarget.addEventListener(name, measured);
      this.removers.push(() => eventTarget.removeEventListener(name, measured));
    }
    this.resizeObserver.observe(this.container);
    this.setLayout(this.currentLayout);
  }

  layout(): Layout {
    return this.currentLayout;
  }

  slotCount(): number {
    return this.currentLayout === '1x1' ? 1 : this.currentLayout === '1x2' ? 2 : 4;
  }

  activeSlot(): number {
    return this.active;
  }

  element(slot: number): HTMLElement {
    return this.slots[slot].element;
  }

  // Shows 1, 2 or 4 viewports; a slot hidden and shown again keeps its
  // series and image.
  setLayout(layout: Layout): void {
    this.currentLayout = layout;
    this.container.dataset.layout = layout;
    const n = this.slotCount();
    this.container.replaceChildren(...this.slots.slice(0, n).map((s) => s.element));
    if (!this.engine) return;
    const group = ToolGroupManager.getToolGroup(this.toolGroupId)!;
    this.slots.forEach((slot, i) => {
      if (i >= n && slot.enabled) {
        this.pause(i);
        group.removeViewports(this.engine!.id, slot.viewportId);
        this.engine!.disableElement(slot.viewportId);
        slot.enabled = false;
      }
    });
    this.slots.forEach((slot, i) => {
      if (i < n && !slot.enabled) {
        this.engine!.enableElement({
          viewportId: slot.viewportId,
          type: Enums.ViewportType.STACK,
          element: slot.stage as HTMLDivElement,
          defaultOptions: { background: [0, 0, 0] as Types.Point3 },
        });
        group.addViewport(slot.viewportId, this.engine!.id);
        slot.enabled = true;
        if (slot.stack) void this.show(i, slot.stack, slot.index);
      }
    });
    this.engine.resize(true, true);
    if (this.active >= n) this.activate(0);
  }

  activate(slot: number): void {
    if (slot === this.active && this.slots[slot].element.classList.contains('active')) return;
    this.active = slot;
    this.slots.forEach((s, i) => s.element.classList.toggle('active', i === slot));
    this.options.onActivate?.(slot);
  }

  // Puts a stack into a slot (the active one by default).
  async load(stack: StackInput, slot = this.active): Promise<void> {
    await this.ready;
    const index = Math.min(
      stack.imageIds.length - 1,
      Math.max(0, stack.initialIndex ?? Math.floor((stack.imageIds.length - 1) / 2)),
    );
    this.pause(slot);
    this.slots[slot].stack = stack;
    this.slots[slot].index = index;
    this.slots[slot].element.dataset.series = stack.key;
    await this.show(slot, stack, index);
  }

  private async show(slot: number, stack: StackInput, index: number): Promise<void> {
    const viewport = this.viewport(slot);
    if (!viewport) return;
    await viewport.setStack(stack.imageIds, index);
    viewport.render();
    // The rest of the stack loads in the background, nearest images first,
    // so that scrolling never waits once it is in.
    toolUtilities.stackPrefetch.enable(this.slots[slot].stage);
    this.countLoaded(slot);
    this.notify(slot);
  }

  private countLoaded(slot: number): void {
    const s = this.slots[slot];
    if (!s.stack) return;
    s.element.dataset.loaded = String(s.stack.imageIds.filter((id) => cache.isLoaded(id)).length);
  }

  stackKey(slot: number): string | null {
    return this.slots[slot].stack?.key ?? null;
  }

  viewport(slot: number): StackViewport | null {
    const s = this.slots[slot];
    if (!this.engine || !s.enabled) return null;
    return (this.engine.getViewport(s.viewportId) as StackViewport | undefined) ?? null;
  }

  state(slot: number): SlotState {
    const s = this.slots[slot];
    const viewport = s.stack ? this.viewport(slot) : null;
    const range = viewport?.getProperties().voiRange;
    return {
      slot,
      key: s.stack?.key ?? null,
      index: viewport ? viewport.getCurrentImageIdIndex() : s.index,
      count: s.stack?.imageIds.length ?? 0,
      playing: s.playing,
      voi: range ? { lower: range.lower, upper: range.upper } : null,
      imageId: viewport?.getCurrentImageId() ?? null,
    };
  }

  private notify(slot: number): void {
    const s = this.slots[slot];
    const viewport = s.stack ? this.viewport(slot) : null;
    if (!viewport) return;
    const state = this.state(slot);
    // The wheel (the tools' stack scroll) moves the viewport itself.
    if (s.pending === 0) s.index = state.index;
    const el = s.element;
    el.dataset.index = String(state.index);
    el.dataset.count = String(state.count);
    el.dataset.playing = String(state.playing);
    el.dataset.imageId = state.imageId ?? '';
    if (state.voi) el.dataset.voi = `${state.voi.lower},${state.voi.upper}`;
    el.dataset.zoom = viewport.getZoom().toFixed(3);
    const rect = this.imageRect(slot);
    if (rect) el.dataset.imageRect = [rect.x, rect.y, rect.width, rect.height].map((v) => v.toFixed(1)).join(',');
    this.options.onChange?.(state);
  }

  // The canvas rectangle (CSS pixels, relative to the slot) the image
  // covers.
  imageRect(slot: number): { x: number; y: number; width: number; height: number } | null {
    const viewport = this.viewport(slot);
    const imageId = viewport?.getCurrentImageId();
    if (!viewport || !imageId) return null;
    const plane = metaData.get('imagePlaneModule', imageId) as { rows?: number; columns?: number } | undefined;
    if (!plane?.rows || !plane.columns) return null;
    // Corners of the image in world, then canvas: Cornerstone's image
    // coordinates put [0, 0] at the first pixel's outer corner.
    const [a, b] = [
      [0, 0],
      [plane.columns, plane.rows],
    ].map(([c, r]) => viewport.worldToCanvas(utilities.imageToWorldCoords(imageId, [c, r] as Types.Point2) as Types.Point3));
    return { x: Math.min(a[0], b[0]), y: Math.min(a[1], b[1]), width: Math.abs(b[0] - a[0]), height: Math.abs(b[1] - a[1]) };
  }

  async scrollTo(slot: number, target: number): Promise<void> {
    const s = this.slots[slot];
    const viewport = this.viewport(slot);
    if (!viewport || !s.stack) return;
    const index = Math.min(s.stack.imageIds.length - 1, Math.max(0, Math.round(target)));
    s.index = index;
    s.pending++;
    try {
      await viewport.setImageIdIndex(index);
    } finally {
      s.pending--;
    }
  }

  // From the image asked for last: keys held down never lose a step.
  scrollBy(slot: number, delta: number): Promise<void> {
    const s = this.slots[slot];
    return this.scrollTo(slot, (s.pending > 0 ? s.index : this.state(slot).index) + delta);
  }

  setPreset(slot: number, name: PresetName): void {
    const viewport = this.viewport(slot);
    if (!viewport) return;
    if (name === 'default') {
      viewport.resetProperties();
    } else {
      const { center, width } = kPresets[name];
      viewport.setProperties({ voiRange: voiRange(center, width) });
    }
    viewport.render();
    this.notify(slot);
  }

  setWindow(slot: number, center: number, width: number): void {
    const viewport = this.viewport(slot);
    if (!viewport) return;
    viewport.setProperties({ voiRange: voiRange(center, Math.max(1, width)) });
    viewport.render();
    this.notify(slot);
  }

  reset(slot: number): void {
    const viewport = this.viewport(slot);
    if (!viewport) return;
    this.pause(slot);
    viewport.resetProperties();
    viewport.resetCamera();
    viewport.render();
    this.notify(slot);
  }

  play(slot: number): void {
    const s = this.slots[slot];
    if (s.playing || !s.stack || s.stack.imageIds.length < 2) return;
    s.playing = true;
    const count = s.stack.imageIds.length;
    let busy = false;
    s.cineTimer = window.setInterval(() => {
      if (busy) return; // never queue frames behind a slow decode
      busy = true;
      void this.scrollTo(slot, (this.state(slot).index + 1) % count).finally(() => (busy = false));
    }, Math.max(16, s.stack.frameTimeMs || 40));
    this.notify(slot);
  }

  pause(slot: number): void {
    const s = this.slots[slot];
    if (!s.playing) return;
    s.playing = false;
    window.clearInterval(s.cineTimer);
    this.notify(slot);
  }

  togglePlay(slot: number): void {
    if (this.slots[slot].playing) this.pause(slot);
    else this.play(slot);
  }

  currentTool(): ToolName {
    return this.tool;
  }

  // The left mouse button's tool; the others stay where they are.
  setTool(name: ToolName): void {
    this.tool = name;
    this.applyTool();
  }

  private applyTool(): void {
    const group = ToolGroupManager.getToolGroup(this.toolGroupId);
    if (!group) return;
    const primary = { mouseButton: ToolEnums.MouseBindings.Primary };
    for (const [name, className] of Object.entries(kToolClass) as [ToolName, string][]) {
      if (name === this.tool) {
        // Pan and zoom keep their own buttons besides the left one.
        const extra =
          name === 'pan'
            ? [{ mouseButton: ToolEnums.MouseBindings.Auxiliary }]
            : name === 'zoom'
              ? [{ mouseButton: ToolEnums.MouseBindings.Secondary }]
              : [];
        group.setToolActive(className, { bindings: [primary, ...extra] });
      } else if (name === 'pan') {
        group.setToolActive(className, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Auxiliary }] });
      } else if (name === 'zoom') {
        group.setToolActive(className, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Secondary }] });
      } else if (kMeasurementKind[className]) {
        // Drawn measurements stay visible and can be moved.
        group.setToolPassive(className);
      } else {
        group.setToolPassive(className);
      }
    }
  }

  // Every measurement drawn on this grid's images, oldest first.
  measurements(): Measurement[] {
    const imageIds = new Set<string>();
    for (const s of this.slots) for (const id of s.stack?.imageIds ?? []) imageIds.add(id);
    const out: Measurement[] = [];
    for (const a of annotations.state.getAllAnnotations() as ToolTypes.Annotation[]) {
      const kind = kMeasurementKind[a.metadata?.toolName ?? ''];
      const imageId = a.metadata?.referencedImageId ?? '';
      if (!kind || !a.annotationUID || !imageIds.has(imageId)) continue;
      const stats = Object.values((a.data.cachedStats ?? {}) as Record<string, Record<string, unknown>>)[0] ?? {};
      const num = (k: string) => (typeof stats[k] === 'number' && Number.isFinite(stats[k]) ? (stats[k] as number) : undefined);
      const str = (k: string) => (typeof stats[k] === 'string' ? (stats[k] as string) : undefined);
      out.push({
        uid: a.annotationUID,
        kind,
        imageId,
        length: num('length'),
        unit: str('unit'),
        angle: num('angle'),
        mean: num('mean'),
        stdDev: num('stdDev'),
        min: num('min'),
        max: num('max'),
        area: num('area'),
        areaUnit: str('areaUnit'),
        modalityUnit: str('modalityUnit'),
      });
    }
    return out;
  }

  removeMeasurement(uid: string): void {
    annotations.state.removeAnnotation(uid);
    this.engine?.render();
    this.measurementsChanged();
  }

  // Shows the image a measurement was drawn on in the active slot.
  async goToMeasurement(m: Measurement): Promise<void> {
    for (let i = 0; i < this.slotCount(); i++) {
      const index = this.slots[i].stack?.imageIds.indexOf(m.imageId) ?? -1;
      if (index >= 0) {
        this.activate(i);
        await this.scrollTo(i, index);
        return;
      }
    }
  }

  // Stats are computed after the drawing ends (throttled by the tools):
  // the list follows a moment later.
  private measurementsChanged(): void {
    window.clearTimeout(this.measurementTimer);
    this.measurementTimer = window.setTimeout(() => this.options.onMeasurements?.(this.measurements()), 120);
  }

  private onKey(slot: number, e: KeyboardEvent): void {
    const keys: Record<string, () => void> = {
      ArrowDown: () => void this.scrollBy(slot, 1),
      ArrowRight: () => void this.scrollBy(slot, 1),
      ArrowUp: () => void this.scrollBy(slot, -1),
      ArrowLeft: () => void this.scrollBy(slot, -1),
      PageDown: () => void this.scrollBy(slot, 10),
      PageUp: () => void this.scrollBy(slot, -10),
      Home: () => void this.scrollTo(slot, 0),
      End: () => void this.scrollTo(slot, Number.MAX_SAFE_INTEGER),
      ' ': () => this.togglePlay(slot),
    };
    const act = keys[e.key];
    if (act && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      act();
    }
  }

  destroy(): void {
    for (let i = 0; i < this.slots.length; i++) this.pause(i);
    window.clearTimeout(this.measurementTimer);
    this.resizeObserver.disconnect();
    for (const remove of this.removers) remove();
    ToolGroupManager.destroyToolGroup(this.toolGroupId);
    this.engine?.destroy();
    this.engine = null;
  }
}
