// @ts-check
// The map's overlay canvas: the test-set scatter, axes, the interpolation path and markers,
// drawn from the map's state (view, points, path, marks) on every view change.

const TABLEAU10 = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f',
  '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/**
 * Class c's colour, the same whatever the class count (the legend and the scatter agree without
 * sharing a table): Tableau 10 for the first ten, then hues a golden angle apart at two
 * lightnesses, so Omniglot's 20 alphabets (or a model with hundreds of groups) stay apart.
 */
export function classColour(c) {
  if (c < TABLEAU10.length) return TABLEAU10[c];
  const h = ((c - TABLEAU10.length) * 137.508 + 20) % 360, l = c % 2 ? 0.42 : 0.66, s = 0.62;
  const f = (n) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return `#${[f(0), f(8), f(4)].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

function niceStep(span) {
  const raw = span / 6;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

export function drawOverlay(map) {
  const ctx = map.overlay.getContext('2d');
  const W = map.overlay.width, H = map.overlay.height, dpr = window.devicePixelRatio || 1;
  ctx.clearRect(0, 0, W, H);
  if (map.showScatter && map.points) drawScatter(map, ctx, W, H, dpr);
  drawAxes(map, ctx, W, H, dpr);
  const lit = map.highlight != null && map.points && map.highlight < map.points.labels.length ? map.highlight : null;
  if (lit != null) {
    // A test point hovered here or on the other map of a comparison: a ring, white on black.
    const [sx, sy] = map.toScreen(map.points.xy[2 * lit], map.points.xy[2 * lit + 1]);
    for (const [colour, width] of /** @type {Array<[string, number]>} */ ([['#000', 4], ['#fff', 2]])) {
      ctx.strokeStyle = colour; ctx.lineWidth = width * dpr; ctx.beginPath(); ctx.arc(sx, sy, 7 * dpr, 0, 7); ctx.stroke();
    }
  }
  if (map.path.length > 1) {
    ctx.strokeStyle = '#ffd84d'; ctx.lineWidth = 2 * dpr; ctx.beginPath();
    map.path.forEach((z, k) => { const [sx, sy] = map.toScreen(...map.project(z)); k ? ctx.lineTo(sx, sy) : ctx.moveTo(sx, sy); });
    ctx.stroke();
    ctx.fillStyle = '#ffd84d';
    for (const z of map.path) { const [sx, sy] = map.toScreen(...map.project(z)); ctx.beginPath(); ctx.arc(sx, sy, 2.5 * dpr, 0, 7); ctx.fill(); }
  }
  if (map.cursorFrame != null && map.path[map.cursorFrame]) {
    const [sx, sy] = map.toScreen(...map.project(map.path[map.cursorFrame]));
    ctx.strokeStyle = '#fff'; ctx.lineWidth = 2 * dpr; ctx.beginPath(); ctx.arc(sx, sy, 6 * dpr, 0, 7); ctx.stroke();
  }
  for (const m of map.marks) {
    const [sx, sy] = map.toScreen(...map.project(m.z));
    ctx.fillStyle = m.color; ctx.strokeStyle = '#000'; ctx.lineWidth = 1.5 * dpr;
    ctx.beginPath(); ctx.arc(sx, sy, 8 * dpr, 0, 7); ctx.fill(); ctx.stroke();
    ctx.fillStyle = '#000'; ctx.font = `bold ${11 * dpr}px system-ui, sans-serif`;
    ctx.textAlign = 'center'; ctx.textBaseline = 'middle'; ctx.fillText(m.label, sx, sy + 0.5);
  }
}

/** The test points' indices ordered by label (a counting sort, stable): the scatter's order.
 * Indexed loops: iterators and callbacks are slow in the code V8 runs before it optimises. */
export function labelOrder(labels) {
  const m = labels.length;
  let n = 0;
  for (let i = 0; i < m; i++) n = Math.max(n, labels[i] + 1);
  const start = new Uint32Array(n + 1);
  for (let i = 0; i < m; i++) start[labels[i] + 1]++;
  for (let c = 0; c < n; c++) start[c + 1] += start[c];
  const order = new Uint32Array(m);
  for (let i = 0; i < m; i++) order[start[labels[i]]++] = i;
  return order;
}

/**
 * The test-set scatter, painted into one pixel buffer and put once: ten thousand fillRect
 * calls cost a software rasteriser (no GPU raster: SwiftShader, many laptops' fallback)
 * ~100 ms a frame, which is most of a pan's cost there; the buffer costs a few ms anywhere.
 * Points are whole-pixel squares at 75% opacity, every label a model has, later classes over
 * earlier ones (one pass in label order).
 * Written for V8's first tiers as much as its optimised code: the first visit draws it once,
 * before V8 has optimised anything, beside the grid's decoding (it took ~45 ms there when each
 * point went through toScreen's array and a per-channel loop): plain numbers, no allocation
 * per point or pixel.
 */
function drawScatter(map, ctx, W, H, dpr) {
  const { xy, labels, shown, order } = map.points;
  if (map.scatterImage?.width !== W || map.scatterImage?.height !== H) map.scatterImage = ctx.createImageData(W, H);
  const img = map.scatterImage, d = img.data;
  d.fill(0);
  const r = Math.max(1, 1.3 * dpr), A = 0.75;
  // toScreen is affine: its origin and scale, once.
  const [ox, oy] = map.toScreen(0, 0), scale = map.toScreen(1, 0)[0] - ox;
  // Per label: drawn or not, and its colour times A (`order` is sorted by label: its last point
  // has the largest).
  const classes = order.length ? labels[order[order.length - 1]] + 1 : 0;
  const skip = new Uint8Array(classes), tint = new Float32Array(3 * classes);
  for (let c = 0; c < classes; c++) {
    skip[c] = map.hidden.has(c) ? 1 : 0;
    const hex = classColour(c);
    for (let k = 0; k < 3; k++) tint[3 * c + k] = A * parseInt(hex.slice(1 + 2 * k, 3 + 2 * k), 16);
  }
  for (let n = 0; n < order.length; n++) {
    const i = order[n], c = labels[i];
    if (skip[c] || (shown && !shown[i])) continue;
    const sx = ox + xy[2 * i] * scale, sy = oy - xy[2 * i + 1] * scale;
    const x0 = Math.max(0, Math.round(sx - r)), x1 = Math.min(W, Math.round(sx + r));
    const y0 = Math.max(0, Math.round(sy - r)), y1 = Math.min(H, Math.round(sy + r));
    const tr = tint[3 * c], tg = tint[3 * c + 1], tb = tint[3 * c + 2];
    for (let y = y0; y < y1; y++) {
      for (let o = 4 * (y * W + x0), end = 4 * (y * W + x1); o < end; o += 4) {
        // Source-over onto what earlier points left (straight, not premultiplied, alpha).
        const below = (d[o + 3] / 255) * (1 - A), out = A + below;
        d[o] = (tr + d[o] * below) / out;
        d[o + 1] = (tg + d[o + 1] * below) / out;
        d[o + 2] = (tb + d[o + 2] * below) / out;
        d[o + 3] = out * 255;
      }
    }
  }
  ctx.putImageData(img, 0, 0);
}

/** The axes' labels' font. @param {number} dpr */
const axesFont = (dpr) => `${10 * dpr}px ui-monospace, monospace`;

/** Has the browser find the axes' font for `canvas` now: the first text drawn in a font costs
 * ~10 ms on a first visit, which the map's constructor spends while the page still waits for
 * its model instead of in the frame that draws the first grid's overlay.
 * @param {HTMLCanvasElement} canvas */
export function prepareOverlay(canvas) {
  const ctx = canvas.getContext('2d');
  ctx.font = axesFont(window.devicePixelRatio || 1);
  ctx.measureText('-0.5');
}

function drawAxes(map, ctx, W, H, dpr) {
  const { half } = map.view;
  const step = niceStep(2 * half * Math.max(W, H) / Math.min(W, H));
  const [x0, y1] = map.toPlane(0, 0), [x1, y0] = map.toPlane(W, H);
  ctx.font = axesFont(dpr);
  ctx.lineWidth = 1;
  const label = (t) => String(Number(t.toPrecision(6)));
  const tag = (text, x, y, align, base) => {
    ctx.textAlign = align; ctx.textBaseline = base;
    const w = ctx.measureText(text).width + 6 * dpr;
    const bx = align === 'center' ? x - w / 2 : align === 'left' ? x - 3 * dpr : x - w + 3 * dpr;
    const by = base === 'bottom' ? y - 13 * dpr : y - 1 * dpr;
    ctx.fillStyle = 'rgba(0,0,0,.6)'; ctx.fillRect(bx, by, w, 14 * dpr);
    ctx.fillStyle = '#e8e8e8'; ctx.fillText(text, x, y);
  };
  for (let t = Math.ceil(x0 / step) * step; t <= x1; t += step) {
    const [sx] = map.toScreen(t, 0);
    ctx.strokeStyle = 'rgba(255,255,255,.5)'; ctx.beginPath(); ctx.moveTo(sx, H); ctx.lineTo(sx, H - 6 * dpr); ctx.stroke();
    tag(label(t), sx, H - 8 * dpr, 'center', 'bottom');
  }
  for (let t = Math.ceil(y0 / step) * step; t <= y1; t += step) {
    const [, sy] = map.toScreen(0, t);
    ctx.strokeStyle = 'rgba(255,255,255,.5)'; ctx.beginPath(); ctx.moveTo(0, sy); ctx.lineTo(6 * dpr, sy); ctx.stroke();
    tag(label(t), 9 * dpr, sy, 'left', 'middle');
  }
  if (map.axisNames) {
    tag(map.axisNames[0], W - 6 * dpr, H - 26 * dpr, 'right', 'bottom');
    tag(map.axisNames[1], 9 * dpr, 10 * dpr, 'left', 'top');
  }
}
