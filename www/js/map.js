// The latent map: a live grid of decoded images on one canvas, an overlay canvas above it
// (scatter, axes, path, markers: drawn by overlay.js from the map's state); pan, zoom, hover
// and clicks.
//
// Grid cells sit on a lattice of the plane (centres at integer multiples of the cell size), so
// a pan reuses every decoded tile still in view and only new cells are decoded. Missing tiles
// decode nearest-to-centre first, in chunks, yielding to the browser between chunks.

import { yieldToBrowser } from './engine.js';
import { classColour, drawOverlay, labelOrder } from './overlay.js';

export { classColour };
const DEFAULT_HALF = 3;
// At most this many cells are visible: a wider window or a denser grid gets coarser cells, so
// every view decodes a bounded number of images and all of them fit in the cache below (a view
// with more cells than the cache holds would evict its own tiles and decode forever).
const MAX_VISIBLE = 4096;
const MAX_TILES = 6000;
const HOVER_PX = 7;

/** Greyscale bytes (ink bright) -> a canvas of side x side. */
export function greyCanvas(bytes, side, offset = 0) {
  const c = document.createElement('canvas');
  c.width = c.height = side;
  paintGrey(c.getContext('2d'), bytes, side, offset, 0, 0);
  return c;
}

export function paintGrey(ctx, bytes, side, offset, x, y) {
  const img = ctx.createImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const v = bytes[offset + i];
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, x, y);
}


export class LatentMap {
  constructor(engine, tilesCanvas, overlayCanvas, handlers) {
    this.engine = engine;
    this.tiles = tilesCanvas;
    this.overlay = overlayCanvas;
    // { onClick(planeXY, point|null), onHover(point|null, px, py), onView(), onError(e),
    //   limits: what a share link holds (wasm linkLimits: maxCentre, zoom range) }
    this.h = handlers;
    this.cache = new Map();
    this.epoch = 0;
    this.density = 20;
    this.showScatter = true;
    this.showGrid = true;
    this.hidden = new Set();
    this.points = null; // { means, labels, order (by label), dim, xy, shown }
    this.path = [];
    this.marks = [];
    this.view = { cx: 0, cy: 0, half: DEFAULT_HALF };
    this.pending = false;
    this.idleWaiters = [];
    this.stats = { lastRedrawMs: 0, decoded: 0 };
    this.bindInput();
    new ResizeObserver(() => this.resize()).observe(this.overlay.parentElement);
    this.resize();
  }

  // ---- model and plane ----------------------------------------------------------------

  /** plane: { origin, u, v } latent vectors; point(x, y) = origin + x u + y v. */
  setModel(session, plane, side) {
    this.plane = plane;
    this.dim = plane.origin.length;
    this.side = side;
    const means = session.testMeans();
    const labels = session.testLabels();
    this.points = { means, labels, order: labelOrder(labels), dim: this.dim, xy: this.projectAll(means), shown: null };
    this.clearTiles();
  }

  /** Shows only the test points where `shown[i]` is non-zero (null: all of them). */
  showOnly(shown) {
    if (this.points) this.points.shown = shown;
    this.drawOverlay();
  }

  setPlane(plane) {
    this.plane = plane;
    if (this.points) this.points.xy = this.projectAll(this.points.means);
    this.clearTiles();
  }

  clearTiles() {
    this.cache.clear();
    this.epoch++;
    this.render();
  }

  point(x, y) {
    const { origin, u, v } = this.plane;
    return origin.map((o, k) => o + x * u[k] + y * v[k]);
  }

  project(z) {
    const { origin, u, v } = this.plane;
    let x = 0, y = 0;
    for (let k = 0; k < z.length; k++) { const d = z[k] - origin[k]; x += d * u[k]; y += d * v[k]; }
    return [x, y];
  }

  projectAll(means) {
    const n = means.length / this.dim, xy = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const [x, y] = this.project(means.subarray(i * this.dim, (i + 1) * this.dim));
      xy[2 * i] = x; xy[2 * i + 1] = y;
    }
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
  clampHalf(half) {
    const [lo, hi] = this.h.limits.zoom;
    return Math.min(DEFAULT_HALF / lo, Math.max(DEFAULT_HALF / hi, half));
  }

  clampCentre(v) {
    const m = this.h.limits.maxCentre;
    return Number.isFinite(v) ? Math.max(-m, Math.min(m, v)) : 0;
  }

  setView(cx, cy, half) {
    // Kept at f32 precision (zoom as the stored quantity), so that a share link, which holds
    // f32 numbers, restores exactly the same view and hence the same tiles.
    const zoom = Math.fround(DEFAULT_HALF / this.clampHalf(half));
    this.view = { cx: Math.fround(this.clampCentre(cx)), cy: Math.fround(this.clampCentre(cy)), half: DEFAULT_HALF / zoom };
    this.render();
    this.h.onView?.();
  }

  get zoom() { return DEFAULT_HALF / this.view.half; }
  setZoom(zoom) { this.setView(this.view.cx, this.view.cy, DEFAULT_HALF / zoom); }
  reset() { this.setView(0, 0, DEFAULT_HALF); }

  toScreen(x, y) {
    const { cx, cy, half } = this.view, W = this.tiles.width, H = this.tiles.height;
    const s = Math.min(W, H) / (2 * half);
    return [W / 2 + (x - cx) * s, H / 2 - (y - cy) * s];
  }

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
    return { step, key: `${this.epoch}:${step.toPrecision(9)}`, cells };
  }

  render() {
    if (!this.plane) return;
    this.drawTiles();
    this.drawOverlay();
    if (this.showGrid) this.schedule();
  }

  drawTiles() {
    const ctx = this.tiles.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, this.tiles.width, this.tiles.height);
    if (!this.showGrid) return;
    // Until new tiles arrive (after a zoom), the last complete grid stands in, moved and scaled.
    const b = this.backdrop;
    if (b && b.epoch === this.epoch && b.canvas.width === this.tiles.width && b.canvas.height === this.tiles.height) {
      const [bx0, by0] = this.toScreen(b.view.cx - b.view.half * b.aspectX, b.view.cy + b.view.half * b.aspectY);
      const k = b.view.half / this.view.half;
      ctx.drawImage(b.canvas, bx0, by0, b.canvas.width * k, b.canvas.height * k);
    }
    const { step, key, cells } = this.visibleCells();
    const size = Math.min(this.tiles.width, this.tiles.height) / (2 * this.view.half) * step;
    for (const c of cells) {
      const tile = this.cache.get(`${key}:${c.i}:${c.j}`);
      if (!tile) continue;
      const [sx, sy] = this.toScreen(c.i * step, c.j * step);
      // Whole device pixels so neighbouring tiles meet without seams.
      const x0 = Math.round(sx - size / 2), y0 = Math.round(sy - size / 2);
      ctx.drawImage(tile, x0, y0, Math.round(sx + size / 2) - x0, Math.round(sy + size / 2) - y0);
    }
  }

  snapshot() {
    const W = this.tiles.width, H = this.tiles.height, m = Math.min(W, H);
    this.backdrop ??= { canvas: document.createElement('canvas') };
    const b = this.backdrop;
    b.canvas.width = W; b.canvas.height = H;
    b.canvas.getContext('2d').drawImage(this.tiles, 0, 0);
    Object.assign(b, { epoch: this.epoch, view: { ...this.view }, aspectX: W / m, aspectY: H / m });
  }

  missing() {
    const { step, key, cells } = this.visibleCells();
    return { step, key, cells: cells.filter((c) => !this.cache.has(`${key}:${c.i}:${c.j}`)).sort((a, b) => a.d - b.d) };
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    const epoch = this.epoch;
    this.pump()
      .catch((e) => { if (epoch === this.epoch) this.h.onError?.(e); })
      .finally(() => {
        this.pending = false;
        // Waiters never hang on a failed pass; a pass overtaken by a new model or plane retries.
        const waiters = this.idleWaiters.splice(0);
        waiters.forEach((w) => w(this.stats));
        if (epoch !== this.epoch && this.showGrid) this.schedule();
      });
  }

  async pump() {
    const t0 = performance.now();
    let decodedAny = false;
    // Ends: a view has at most MAX_VISIBLE cells (cellSize), fewer than the cache holds, so
    // decoding them never evicts the last of them.
    for (;;) {
      const { step, key, cells } = this.missing();
      if (!cells.length || !this.showGrid) break;
      // The GPU wants big batches (one fixed shape, compiled once). On the CPU, workers share
      // each chunk; without workers the main thread yields every few dozen images to stay fluid.
      const chunk = cells.slice(0, this.engine.backend === 'webgpu' ? 256 : (this.engine.workers ? 96 * this.engine.workers : 48));
      const z = new Float32Array(chunk.length * this.dim);
      chunk.forEach((c, k) => z.set(this.point(c.i * step, c.j * step), k * this.dim));
      const epoch = this.epoch;
      const bytes = await this.engine.decodeMany(z);
      if (epoch === this.epoch) {
        const px = this.side * this.side;
        chunk.forEach((c, k) => this.cache.set(`${key}:${c.i}:${c.j}`, greyCanvas(bytes, this.side, k * px)));
        this.stats.decoded += chunk.length;
        decodedAny = true;
        this.evict();
        this.drawTiles();
      }
      await yieldToBrowser();
    }
    if (decodedAny) this.stats.lastRedrawMs = performance.now() - t0;
    this.snapshot();
  }

  evict() {
    if (this.cache.size <= MAX_TILES) return;
    const drop = this.cache.size - MAX_TILES;
    let k = 0;
    for (const key of this.cache.keys()) { if (k++ >= drop) break; this.cache.delete(key); }
  }

  /** Resolves when every visible tile is decoded and drawn. */
  idle() {
    if (!this.pending && (!this.showGrid || this.missing().cells.length === 0)) return Promise.resolve(this.stats);
    return new Promise((resolve) => { this.idleWaiters.push(resolve); this.schedule(); });
  }

  drawOverlay() {
    drawOverlay(this);
  }

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

  // ---- input ----------------------------------------------------------------------------

  bindInput() {
    const el = this.overlay;
    const pointers = new Map();
    let drag = null, pinch = null;
    const devicePos = (e) => {
      const r = el.getBoundingClientRect(), dpr = el.width / r.width;
      return [(e.clientX - r.left) * dpr, (e.clientY - r.top) * dpr];
    };
    el.addEventListener('pointerdown', (e) => {
      // Capture can fail (the pointer is already gone); dragging still works without it.
      try { el.setPointerCapture(e.pointerId); } catch { /* keep going */ }
      pointers.set(e.pointerId, devicePos(e));
      if (pointers.size === 1) {
        drag = { start: devicePos(e), view: { ...this.view }, moved: false, shift: e.shiftKey };
      } else if (pointers.size === 2) {
        const [a, b] = [...pointers.values()];
        pinch = { dist: Math.hypot(a[0] - b[0], a[1] - b[1]), view: { ...this.view }, mid: this.toPlane((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) };
        drag = null;
      }
    });
    el.addEventListener('pointermove', (e) => {
      const p = devicePos(e);
      if (pointers.has(e.pointerId)) pointers.set(e.pointerId, p);
      if (pinch && pointers.size === 2) {
        const [a, b] = [...pointers.values()];
        const want = pinch.view.half * pinch.dist / Math.max(1, Math.hypot(a[0] - b[0], a[1] - b[1]));
        const half = this.clampHalf(want), k = half / pinch.view.half;
        this.setView(pinch.mid[0] + (pinch.view.cx - pinch.mid[0]) * k, pinch.mid[1] + (pinch.view.cy - pinch.mid[1]) * k, half);
        return;
      }
      if (drag) {
        const dx = p[0] - drag.start[0], dy = p[1] - drag.start[1];
        if (Math.hypot(dx, dy) > 4 * (window.devicePixelRatio || 1)) drag.moved = true;
        if (drag.moved) {
          const s = Math.min(el.width, el.height) / (2 * drag.view.half);
          this.setView(drag.view.cx - dx / s, drag.view.cy + dy / s, drag.view.half);
        }
        return;
      }
      this.h.onHover?.(this.nearestPoint(p[0], p[1]), e.clientX, e.clientY);
    });
    const end = (e) => {
      pointers.delete(e.pointerId);
      if (drag && !drag.moved && e.type === 'pointerup') {
        const p = devicePos(e);
        this.h.onClick?.(this.toPlane(p[0], p[1]), this.nearestPoint(p[0], p[1]), drag.shift || e.shiftKey);
      }
      if (pointers.size < 2) pinch = null;
      drag = null;
    };
    el.addEventListener('pointerup', end);
    el.addEventListener('pointercancel', end);
    el.addEventListener('pointerleave', () => this.h.onHover?.(null));
    el.addEventListener('wheel', (e) => {
      e.preventDefault();
      const p = devicePos(e);
      const [mx, my] = this.toPlane(p[0], p[1]);
      const { cx, cy, half } = this.view;
      // At the zoom limits the view must not drift towards the cursor.
      const k = this.clampHalf(half * Math.exp(Math.max(-1, Math.min(1, e.deltaY * 0.0015)))) / half;
      this.setView(mx + (cx - mx) * k, my + (cy - my) * k, half * k);
    }, { passive: false });
    el.addEventListener('keydown', (e) => {
      const { cx, cy, half } = this.view, d = half * 0.2;
      const moves = { ArrowLeft: [-d, 0], ArrowRight: [d, 0], ArrowUp: [0, d], ArrowDown: [0, -d] };
      if (moves[e.key]) { this.setView(cx + moves[e.key][0], cy + moves[e.key][1], half); }
      else if (e.key === '+' || e.key === '=') this.setView(cx, cy, half / 1.25);
      else if (e.key === '-' || e.key === '_') this.setView(cx, cy, half * 1.25);
      else if (e.key === 'a' || e.key === 'b') { this.h.onKeyEnd?.(e.key, [cx, cy]); }
      else return;
      e.preventDefault();
    });
  }
}
