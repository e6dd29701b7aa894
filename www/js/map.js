// @ts-check
// The latent map: a live grid of decoded images on one canvas, an overlay canvas above it
// (scatter, axes, path, markers: drawn by overlay.js from the map's state); pan, zoom, hover
// and clicks.
//
// Grid cells sit on a lattice of the plane (centres at integer multiples of the cell size), so
// a pan reuses every decoded tile still in view and only new cells are decoded (tiles.js: the
// missing ones nearest-to-centre first, in chunks, painted as they arrive).
//
// The page's state (view, layers, marks) lives in the store; the map is told it through its
// methods and reports pans and zooms through `onView`.

import { ctx2d } from './dom.js';
import { ticket } from './generation.js';
import { bindInput } from './map-input.js';
import { classColour, drawOverlay, labelOrder, prepareOverlay } from './overlay.js';
import { paintGrey } from './paint.js';
import { decodeMissing, paintCells, tileKey } from './tiles.js';

/** @typedef {import('../types').Plane & { axisNames?: [string, string] }} MapPlane */
/** @typedef {import('./engine.js').Engine} Engine */
/** @typedef {{ z: number[], label: string, color: string }} Mark */
/** @typedef {{ index: number, label: number, z: number[] }} TestPoint */
/**
 * @typedef {object} MapHandlers
 * @property {(xy: number[], point: TestPoint|null, shift: boolean) => void} [onClick]
 * @property {(key: 'a'|'b', xy: number[]) => void} [onKeyEnd]
 * @property {(point: TestPoint|null, x?: number, y?: number) => void} [onHover]
 * @property {(view: import('./store.js').View) => void} [onView]
 * @property {(e: unknown) => void} [onError]
 * @property {import('../types').LinkLimits} limits  what a share link holds (pan and zoom stay inside)
 * @property {string} [job]  the generation job of this map's tiles (two maps need two names)
 */

export { classColour };
const DEFAULT_HALF = 3;
// At most this many cells are visible: a wider window or a denser grid gets coarser cells, so
// every view decodes a bounded number of images and all of them fit in the cache below (a view
// with more cells than the cache holds would evict its own tiles and decode forever).
const MAX_VISIBLE = 4096;
const MAX_TILES = 6000;
const HOVER_PX = 7;

export class LatentMap {
  /**
   * @param {Engine} engine
   * @param {HTMLCanvasElement} tilesCanvas
   * @param {HTMLCanvasElement} overlayCanvas
   * @param {MapHandlers} handlers
   */
  constructor(engine, tilesCanvas, overlayCanvas, handlers) {
    this.engine = engine;
    this.tiles = tilesCanvas;
    this.overlay = overlayCanvas;
    this.h = handlers;
    this.job = handlers.job ?? 'tiles';
    /** Decoded tiles: their grey bytes and the canvas painted from them.
     * @type {Map<string, { grey: Uint8Array, canvas: HTMLCanvasElement, x: number, y: number }>} */
    this.cache = new Map();
    /** @type {Uint8Array|null} the grid's colour table (null: greys) */
    this.lut = null;
    /** Tiles decoded under an older ticket (another model or plane) are dropped. */
    this.generation = ticket(this.job);
    this.density = 20;
    this.showScatter = true;
    this.showGrid = true;
    /** @type {Set<number>} */
    this.hidden = new Set();
    /** @type {{ means: Float32Array, labels: ArrayLike<number>, order: Uint32Array, dim: number, xy: Float32Array, shown: ArrayLike<number>|null }|null} */
    this.points = null;
    /** @type {number[][]} */
    this.path = [];
    /** @type {number|null} the interpolation frame being painted */
    this.cursorFrame = null;
    /** Markers by layer (the interpolation's, latent arithmetic's). @type {Map<string, Mark[]>} */
    this.markLayers = new Map();
    /** @type {[string, string]|null} */
    this.axisNames = null;
    /** @type {number|null} the test point ringed (hovered here or on the other map) */
    this.highlight = null;
    /** @type {MapPlane|null} */
    this.plane = null;
    this.dim = 0;
    this.side = 0;
    /** @type {{ canvas: HTMLCanvasElement, view?: { cx: number, cy: number, half: number }, generation?: number, aspectX?: number, aspectY?: number }|null} */
    this.backdrop = null;
    /** @type {ImageData|null} */
    this.scatterImage = null;
    this.view = { cx: 0, cy: 0, half: DEFAULT_HALF };
    this.pending = false;
    /** @type {Array<(stats: { lastRedrawMs: number, decoded: number }) => void>} */
    this.idleWaiters = [];
    this.stats = { lastRedrawMs: 0, decoded: 0 };
    /** The animation frame that will draw the overlay (0: none pending). */
    this.overlayFrame = 0;
    bindInput(this);
    new ResizeObserver(() => this.resize()).observe(this.overlay.parentElement);
    this.resize();
    prepareOverlay(this.overlay);
  }

  // ---- model and plane ----------------------------------------------------------------

  /** plane: { origin, u, v } latent vectors; point(x, y) = origin + x u + y v.
   * @param {import('../types').Session} session
   * @param {MapPlane} plane
   * @param {number} side */
  setModel(session, plane, side) {
    this.plane = plane;
    this.axisNames = plane.axisNames ?? null;
    this.dim = plane.origin.length;
    this.side = side;
    const means = session.testMeans();
    const labels = session.testLabels();
    this.points = { means, labels, order: labelOrder(labels), dim: this.dim, xy: this.projectAll(means), shown: null };
    this.clearTiles();
  }

  /** Shows only the test points where `shown[i]` is non-zero (null: all of them).
   * @param {ArrayLike<number>|null} shown */
  showOnly(shown) {
    if (this.points) this.points.shown = shown;
    this.drawOverlay();
  }

  /** @param {MapPlane} plane */
  setPlane(plane) {
    this.plane = plane;
    this.axisNames = plane.axisNames ?? null;
    if (this.points) this.points.xy = this.projectAll(this.points.means);
    this.clearTiles();
  }

  clearTiles() {
    this.cache.clear();
    this.generation = ticket(this.job);
    this.render();
  }

  /** What the map shows: grid density, the scatter and grid layers, hidden classes.
   * @param {{ density: number, showScatter: boolean, showGrid: boolean, hidden: number[] }} layers */
  setLayers({ density, showScatter, showGrid, hidden }) {
    const regrid = density !== this.density || showGrid !== this.showGrid;
    Object.assign(this, { density, showScatter, showGrid, hidden: new Set(hidden) });
    if (regrid) this.render(); else this.drawOverlay();
  }

  /** The grid's colour table (colormaps.js; null: greys): cached tiles are repainted from their
   * bytes, nothing is decoded again.
   * @param {Uint8Array|null} lut */
  setColourMap(lut) {
    if (lut === this.lut) return;
    this.lut = lut;
    for (const tile of this.cache.values()) paintGrey(ctx2d(tile.canvas), tile.grey, this.side, 0, tile.x, tile.y, lut);
    this.backdrop = null;
    this.drawTiles();
  }

  /** Markers over the map, one layer per card (interpolation ends and the encoded drawing;
   * latent arithmetic's moved point).
   * @param {Mark[]} marks @param {string} [layer] */
  setMarks(marks, layer = 'ends') { this.markLayers.set(layer, marks); this.drawOverlay(); }

  /** Rings test point `index` (null: none). @param {number|null} index */
  setHighlight(index) {
    if (index === this.highlight) return;
    this.highlight = index;
    this.drawOverlay();
  }

  /** Test point `index`'s code (its encoded mean), or null when the map has no such point.
   * @param {number} index @returns {number[]|null} */
  testCode(index) {
    const p = this.points;
    if (!p || !Number.isInteger(index) || index < 0 || index >= p.labels.length) return null;
    return Array.from(p.means.subarray(index * p.dim, (index + 1) * p.dim));
  }

  /** Every layer's markers, in the order the layers were first set. */
  get marks() { return [...this.markLayers.values()].flat(); }

  /** The interpolation path (codes), and which of its frames is being painted (null: none).
   * @param {number[][]} path
   * @param {number|null} [cursor] */
  setPath(path, cursor = null) { this.path = path; this.cursorFrame = cursor; this.drawOverlay(); }

  /** The view as the store keeps it. @returns {import('./store.js').View} */
  viewState() { return { cx: this.view.cx, cy: this.view.cy, zoom: this.zoom }; }

  /** Shows `v` unless the map shows it already (the store echoes the map's own changes).
   * @param {import('./store.js').View} v */
  showView(v) {
    const now = this.viewState();
    if (now.cx === Math.fround(v.cx) && now.cy === Math.fround(v.cy) && now.zoom === Math.fround(v.zoom)) return;
    this.setView(v.cx, v.cy, DEFAULT_HALF / v.zoom);
  }

  /** @param {number} x @param {number} y @returns {number[]} */
  point(x, y) {
    const { origin, u, v } = this.plane;
    return origin.map((o, k) => o + x * u[k] + y * v[k]);
  }

  /** @param {ArrayLike<number>} z @returns {[number, number]} */
  project(z) {
    /** @type {[number, number]} */
    const xy = [0, 0];
    projectInto(this.plane, z, 0, z.length, xy, 0);
    return xy;
  }

  /** Every test code's plane coordinates. No view or array per code: a first visit projects
   * 10,000 of them before V8 has optimised anything, beside the first grid's decoding.
   * @param {Float32Array} means */
  projectAll(means) {
    const n = means.length / this.dim, xy = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) projectInto(this.plane, means, i * this.dim, this.dim, xy, 2 * i);
    return xy;
  }

  // ---- view -----------------------------------------------------------------------------

  resize() {
    const r = this.overlay.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(r.width * dpr)), h = Math.max(1, Math.round(r.height * dpr));
    for (const c of [this.tiles, this.overlay]) { if (c.width !== w || c.height !== h) { c.width = w; c.height = h; } }
    this.render();
  }

  /** Zoom and pan stay within what a share link holds, so every view can be shared. */
  /** @param {number} half */
  clampHalf(half) {
    const [lo, hi] = this.h.limits.zoom;
    return Math.min(DEFAULT_HALF / lo, Math.max(DEFAULT_HALF / hi, half));
  }

  /** @param {number} v */
  clampCentre(v) {
    const m = this.h.limits.maxCentre;
    return Number.isFinite(v) ? Math.max(-m, Math.min(m, v)) : 0;
  }

  /** @param {number} cx @param {number} cy @param {number} half */
  setView(cx, cy, half) {
    // Kept at f32 precision (zoom as the stored quantity), so that a share link, which holds
    // f32 numbers, restores exactly the same view and hence the same tiles.
    const zoom = Math.fround(DEFAULT_HALF / this.clampHalf(half));
    this.view = { cx: Math.fround(this.clampCentre(cx)), cy: Math.fround(this.clampCentre(cy)), half: DEFAULT_HALF / zoom };
    this.render();
    this.h.onView?.(this.viewState());
  }

  get zoom() { return DEFAULT_HALF / this.view.half; }
  /** Centres the map on the prior's square (`extent`: its half width). @param {number} extent */
  fit(extent) { this.setView(0, 0, extent); }

  /** @param {number} x @param {number} y @returns {[number, number]} */
  toScreen(x, y) {
    const { cx, cy, half } = this.view, W = this.tiles.width, H = this.tiles.height;
    const s = Math.min(W, H) / (2 * half);
    return [W / 2 + (x - cx) * s, H / 2 - (y - cy) * s];
  }

  /** @param {number} px @param {number} py @returns {[number, number]} */
  toPlane(px, py) {
    const { cx, cy, half } = this.view, W = this.tiles.width, H = this.tiles.height;
    const s = Math.min(W, H) / (2 * half);
    return [cx + (px - W / 2) / s, cy - (py - H / 2) / s];
  }

  // ---- tiles ----------------------------------------------------------------------------

  /** The density's cell size, coarser where the window would show more than MAX_VISIBLE. */
  cellSize() {
    let step = (2 * this.view.half) / this.density;
    const [x0, y1] = this.toPlane(0, 0), [x1, y0] = this.toPlane(this.tiles.width, this.tiles.height);
    // An upper bound of the cells visibleCells() lists for `s`.
    const count = (s) => (Math.floor((x1 - x0) / s) + 2) * (Math.floor((y1 - y0) / s) + 2);
    while (count(step) > MAX_VISIBLE) step *= 1.1;
    return step;
  }

  visibleCells() {
    const step = this.cellSize();
    const [x0, y1] = this.toPlane(0, 0), [x1, y0] = this.toPlane(this.tiles.width, this.tiles.height);
    const cells = [];
    const { cx, cy } = this.view;
    for (let j = Math.ceil(y0 / step - 0.5); j <= Math.floor(y1 / step + 0.5); j++) {
      for (let i = Math.ceil(x0 / step - 0.5); i <= Math.floor(x1 / step + 0.5); i++) {
        cells.push({ i, j, d: (i * step - cx) ** 2 + (j * step - cy) ** 2 });
      }
    }
    return { step, key: `${this.generation.id}:${step.toPrecision(9)}`, cells };
  }

  render() {
    if (!this.plane) return;
    this.drawTiles();
    this.drawOverlay();
    if (this.showGrid) this.schedule();
  }

  drawTiles() {
    const ctx = ctx2d(this.tiles);
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, this.tiles.width, this.tiles.height);
    if (!this.showGrid) return;
    // Until new tiles arrive (after a zoom), the last complete grid stands in, moved and scaled.
    const b = this.backdrop;
    if (b && b.generation === this.generation.id && b.canvas.width === this.tiles.width && b.canvas.height === this.tiles.height) {
      const [bx0, by0] = this.toScreen(b.view.cx - b.view.half * b.aspectX, b.view.cy + b.view.half * b.aspectY);
      const k = b.view.half / this.view.half;
      ctx.drawImage(b.canvas, bx0, by0, b.canvas.width * k, b.canvas.height * k);
    }
    const { step, key, cells } = this.visibleCells();
    paintCells(this, ctx, step, key, cells);
  }

  snapshot() {
    const W = this.tiles.width, H = this.tiles.height, m = Math.min(W, H);
    this.backdrop ??= { canvas: document.createElement('canvas') };
    const b = this.backdrop;
    b.canvas.width = W; b.canvas.height = H;
    ctx2d(b.canvas).drawImage(this.tiles, 0, 0);
    Object.assign(b, { generation: this.generation.id, view: { ...this.view }, aspectX: W / m, aspectY: H / m });
  }

  missing() {
    const { step, key, cells } = this.visibleCells();
    return { step, key, cells: cells.filter((c) => !this.cache.has(tileKey(key, c))).sort((a, b) => a.d - b.d) };
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    const { current } = this.generation;
    decodeMissing(this)
      .catch((e) => { if (current()) this.h.onError?.(e); })
      .finally(() => {
        this.pending = false;
        // Waiters never hang on a failed pass; a pass overtaken by a new model or plane retries.
        const waiters = this.idleWaiters.splice(0);
        waiters.forEach((w) => w(this.stats));
        if (!current() && this.showGrid) this.schedule();
      });
  }

  evict() {
    if (this.cache.size <= MAX_TILES) return;
    const drop = this.cache.size - MAX_TILES;
    let k = 0;
    for (const key of this.cache.keys()) { if (k++ >= drop) break; this.cache.delete(key); }
  }

  /** Resolves when every visible tile is decoded and drawn.
   * @returns {Promise<{ lastRedrawMs: number, decoded: number }>} */
  idle() {
    const done = () => { this.flushOverlay(); return this.stats; };
    if (!this.pending && (!this.showGrid || this.missing().cells.length === 0)) return Promise.resolve(done());
    return new Promise((resolve) => { this.idleWaiters.push(() => resolve(done())); this.schedule(); });
  }

  /** Redraws the overlay at the next frame, once however often it is asked: opening a model
   * sets the points, the view, the marks and the path one after another, and each redrew the
   * 10,000-point scatter at once (five times in the first visit's longest main-thread task). A
   * drag's redraw still shows in the frame its pointer event belongs to (animation frame
   * callbacks run before that frame paints). */
  drawOverlay() {
    this.overlayFrame ||= requestAnimationFrame(() => this.flushOverlay());
  }

  /** Draws a pending overlay now: before its pixels are read (exports, `idle()`). */
  flushOverlay() {
    if (!this.overlayFrame) return;
    cancelAnimationFrame(this.overlayFrame);
    this.overlayFrame = 0;
    drawOverlay(this);
  }

  /** The test point drawn nearest to device pixel (px, py), within a few pixels.
   * @param {number} px @param {number} py @returns {TestPoint|null} */
  nearestPoint(px, py) {
    if (!this.showScatter || !this.points) return null;
    const dpr = window.devicePixelRatio || 1;
    const { xy, labels, shown } = this.points;
    let best = -1, bestD = (HOVER_PX * dpr) ** 2;
    for (let i = 0; i < labels.length; i++) {
      if (this.hidden.has(labels[i]) || (shown && !shown[i])) continue;
      const [sx, sy] = this.toScreen(xy[2 * i], xy[2 * i + 1]);
      const d = (sx - px) ** 2 + (sy - py) ** 2;
      if (d < bestD) { bestD = d; best = i; }
    }
    if (best < 0) return null;
    const { means, dim } = this.points;
    return { index: best, label: labels[best], z: Array.from(means.subarray(best * dim, (best + 1) * dim)) };
  }
}

/** Writes the plane coordinates of the code z[o .. o + dim] to out[j] and out[j + 1].
 * @param {MapPlane} plane @param {ArrayLike<number>} z @param {number} o @param {number} dim
 * @param {{ [k: number]: number }} out @param {number} j */
function projectInto({ origin, u, v }, z, o, dim, out, j) {
  let x = 0, y = 0;
  for (let k = 0; k < dim; k++) { const d = z[o + k] - origin[k]; x += d * u[k]; y += d * v[k]; }
  out[j] = x; out[j + 1] = y;
}
