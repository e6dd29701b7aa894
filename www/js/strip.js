// @ts-check
// The interpolation card: its ends (A, B: full codes, set from map clicks, test points or an
// encoded drawing), steps, mode and part, the strip of decoded frames, and the ends' markers on
// the map. The frames are computed in Rust (interpolate, interpolatePart, classBlend).

import { $, $button, $canvas, $input, ctx2d, guard, notice } from './dom.js';
import { fmt } from './format.js';
import { ticket } from './generation.js';
import { download, downloadPng } from './images.js';
import { paintGrey } from './paint.js';
import { contentDim, partsOf } from './models.js';
import { exportName } from './share.js';

/** The strip on screen, once all its frames are painted (what the GIF export encodes).
 * @type {{ bytes: Uint8Array, steps: number, side: number }|null} */
let shown = null;

/** @typedef {import('../types').Page} Page */

/** Sets end `which` to code `z` (null clears it); the next plain click sets the other end.
 * `image`: the test image `z` is the code of, when it is one (a compared model then uses its
 * own code of the same image).
 * @param {Page} page @param {'a'|'b'} which @param {ArrayLike<number>|null} z
 * @param {number|null} [image] */
export function setEnd(page, which, z, image = null) {
  // Share links hold coordinates within ±maxCoord; farther points are pulled back to that box.
  const lim = page.wasm.linkLimits().maxCoord;
  if (z && Array.from(z).some((v) => Math.abs(v) > lim)) notice(`Interpolation ends are kept within ±${lim} so that share links can hold them.`);
  const end = z ? Array.from(z, (v) => Math.max(-lim, Math.min(lim, v))) : null;
  return page.store.set({
    [which]: end, [which === 'a' ? 'imageA' : 'imageB']: end ? image : null,
    ...page.classes.endClass(which), nextEnd: which === 'a' ? 'b' : 'a',
  });
}

/** The map markers of a drawing's code (✎) and the interpolation ends (A, B), where set: the
 * same on both maps of a comparison.
 * @param {number[]|null} encoded @param {number[]|null} a @param {number[]|null} b
 * @returns {import('./map.js').Mark[]} */
export function endMarks(encoded, a, b) {
  const marks = [];
  if (encoded) marks.push({ z: encoded, label: '✎', color: '#7ee0a0' });
  if (a) marks.push({ z: a, label: 'A', color: '#ff6b6b' });
  if (b) marks.push({ z: b, label: 'B', color: '#6bb6ff' });
  return marks;
}

/** Decodes and paints the strip for the store's ends; frames appear left to right while the
 * map's marker walks the path. @param {Page} page */
async function updateStrip(page) {
  const { store, map, classes, engine, wasm } = page, s = store.state;
  $('a-text').textContent = fmt(s.a) + (s.a ? classes.endText('a') : '');
  $('b-text').textContent = fmt(s.b) + (s.b ? classes.endText('b') : '');
  const strip = $canvas('strip');
  const { current } = ticket('strip');
  strip.dataset.ready = 'false'; // until this strip's last frame is painted
  shown = null;
  if (!s.a || !s.b) {
    map.setPath([]);
    strip.hidden = true;
    return;
  }
  strip.hidden = false;
  const steps = s.steps, dim = s.a.length, side = engine.session.side;
  const [ea, eb, slerp] = [new Float32Array(s.a), new Float32Array(s.b), s.mode === 'spherical'];
  const cd = contentDim(page);
  const flat = cd != null && s.part !== 'all'
    ? wasm.interpolatePart(ea, eb, steps, slerp, s.part === 'content' ? 0 : cd, s.part === 'content' ? cd : dim)
    : wasm.interpolate(ea, s.part === 'class' ? ea : eb, steps, slerp);
  // A conditional model's frames move the class too (a blend of one-hots), unless 'code only'.
  const labels = classes.interpolationLabels(steps);
  const path = Array.from({ length: steps }, (_, k) => Array.from(flat.subarray(k * dim, (k + 1) * dim)));
  map.setPath(path);
  const bytes = await engine.decode(flat, labels);
  if (!current()) return;
  strip.width = side * steps; strip.height = side;
  const ctx = ctx2d(strip);
  ctx.fillStyle = '#000'; ctx.fillRect(0, 0, strip.width, strip.height);
  for (let k = 0; k < steps; k++) {
    if (!current()) return;
    paintGrey(ctx, bytes, side, k * side * side, k * side, 0);
    map.setPath(path, k);
    await new Promise((r) => setTimeout(r, 35));
  }
  if (!current()) return; // a newer strip started during the last frame's pause
  map.setPath(path);
  shown = { bytes, steps, side };
  strip.dataset.ready = 'true';
}

/** The strip as an animated GIF (encoded in Rust, in a decode worker), with its share link in
 * the file. @param {Page} page */
async function exportGif(page) {
  const status = $('gif-status');
  if (!shown) { notice($('strip').hidden ? 'Set both interpolation ends first.' : 'The strip is still being drawn; try again in a moment.'); return; }
  const { bytes, steps, side } = shown;
  const name = exportName(page, 'interpolation', 'gif');
  // About 280 pixels across whatever the model's image size; 120 ms a frame.
  const scale = Math.max(1, Math.round(280 / side));
  status.textContent = 'encoding GIF 0%';
  const gif = await page.engine.encodeGif(bytes, steps, side, { scale, delayMs: 120, comment: location.href }, (f) => {
    status.textContent = `encoding GIF ${Math.round(100 * f)}%`;
  });
  download(new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (gif)], { type: 'image/gif' }), name);
  status.textContent = `saved ${name}`;
}

/** The card's controls show the store's choice. @param {Page} page */
function showChoice(page) {
  const s = page.store.state;
  $input('steps').value = String(s.steps);
  $button('mode-lerp').setAttribute('aria-pressed', String(s.mode === 'linear'));
  $button('mode-slerp').setAttribute('aria-pressed', String(s.mode === 'spherical'));
  for (const b of $('part-seg').querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.part === s.part));
}

/** The part buttons of the open model. @param {Page} page */
function buildParts(page) {
  $('part-seg').replaceChildren(...(partsOf(page) ?? []).map(([p, text]) => {
    const b = document.createElement('button');
    b.type = 'button'; b.id = `part-${p}`; b.textContent = text; b.dataset.part = p;
    b.addEventListener('click', guard(() => page.store.set({ part: p })));
    return b;
  }));
}

/** @param {Page} page */
export function wireStrip(page) {
  const { store, map } = page;
  store.on(['session'], () => buildParts(page));
  store.on(['steps', 'mode', 'part', 'session'], () => showChoice(page));
  store.on(['a', 'b', 'encoded', 'session'], (s) => map.setMarks(endMarks(s.encoded, s.a, s.b)));
  store.on(['a', 'b', 'steps', 'mode', 'part', 'classA', 'classB', 'label', 'session'], () => updateStrip(page));
  const [lo, hi] = page.wasm.linkLimits().steps;
  $input('steps').addEventListener('change', guard(async () => {
    const steps = Math.max(lo, Math.min(hi, Math.round(Number($input('steps').value)) || store.state.steps));
    $input('steps').value = String(steps);
    await store.set({ steps });
  }));
  $('mode-lerp').addEventListener('click', guard(() => store.set({ mode: 'linear' })));
  $('mode-slerp').addEventListener('click', guard(() => store.set({ mode: 'spherical' })));
  $('swap-ab').addEventListener('click', guard(() => {
    const s = store.state;
    return store.set({ a: s.b, b: s.a, classA: s.classB, classB: s.classA, imageA: s.imageB, imageB: s.imageA });
  }));
  $('export-strip').addEventListener('click', () => {
    if ($('strip').hidden) { notice('Set both interpolation ends first.'); return; }
    downloadPng([$canvas('strip')], exportName(page, 'interpolation', 'png'), 4);
  });
  $('export-gif').addEventListener('click', guard(() => exportGif(page)));
}
