// @ts-check
// The "latent arithmetic" card: a direction in the whole code (between two classes' mean test
// codes, from A to B, or between the means of two sets of points picked on the map), the point
// (A, else the map's centre) moved along it by the slider, the strip from the point to where it
// lands, and its marker on the map. A move of 1 is the analogy from : to :: point : ?. The
// means and the move are computed in Rust (classMeans, centroid, movePoint).

import { $, $button, $canvas, $input, $select, ctx2d, guard, options } from './dom.js';
import { ticket } from './generation.js';
import { paintGrey } from './paint.js';
import { setEnd } from './strip.js';

/** @typedef {import('../types').Page} Page */

const FRAMES = 9;

/** The open model's class means (computed once per model). @type {{ session: number, means: Float32Array, counts: number[] }|null} */
let classes = null;

/** What the card shows once drawn (for the tests): the point, where it lands, the frames.
 * @type {{ point: number[], moved: number[], bytes: number[], side: number }|null} */
export let lastMove = null;

/** @param {Page} page */
function classMeans(page) {
  const s = page.store.state, session = page.engine.session;
  if (classes?.session !== s.session) {
    const r = page.wasm.classMeans(session.testMeans(), session.testLabels(), session.latentDim);
    classes = { session: s.session, means: Float32Array.from(r.means), counts: r.counts };
  }
  return classes;
}

/** The class pickers, after a model opens: classes with test images only. Returns the store's
 * classes if the model has them, else its first two. @param {Page} page */
function fillClasses(page) {
  const { counts } = classMeans(page), names = page.engine.session.manifest().dataset.class_names;
  const usable = counts.map((n, c) => [c, n]).filter(([, n]) => n > 0).map(([c]) => c);
  const items = /** @type {Array<[string, string]>} */ (usable.map((c) => [String(c), names[c] ?? `class ${c}`]));
  $select('arith-from').replaceChildren(...options(items));
  $select('arith-to').replaceChildren(...options(items));
  const s = page.store.state, has = (/** @type {number} */ c) => usable.includes(c);
  return {
    arithFrom: has(s.arithFrom) ? s.arithFrom : (usable[0] ?? 0),
    arithTo: has(s.arithTo) ? s.arithTo : (usable[1] ?? usable[0] ?? 0),
  };
}

/** @param {number} n */
const count = (n) => `${n} point${n === 1 ? '' : 's'}`;

/** The picked sets' controls and their points on the map. @param {Page} page */
function showSets(page) {
  const s = page.store.state, on = s.arith === 'sets';
  $('arith-sets').hidden = !on;
  for (const which of /** @type {const} */ (['from', 'to'])) {
    $button(`arith-pick-${which}`).setAttribute('aria-pressed', String(on && s.picking === which));
  }
  $('arith-sets-text').textContent = `“from”: ${count(s.setFrom.length)}, “to”: ${count(s.setTo.length)}`
    + (on && s.picking ? ` — clicks on the map add to “${s.picking}”` : '');
  const marks = on
    ? [...s.setFrom.map((z) => ({ z, label: '−', color: '#4da3ff' })), ...s.setTo.map((z) => ({ z, label: '+', color: '#ff7a4d' }))]
    : [];
  page.map.setMarks(marks, 'arith-sets');
}

/** Adds a picked point (a full code) to the set being picked, and the sets' means once both
 * have a point. @param {Page} page @param {number[]} z */
export function addPick(page, z) {
  const { store, wasm, engine } = page, s = store.state;
  const setFrom = s.picking === 'from' ? [...s.setFrom, z] : s.setFrom;
  const setTo = s.picking === 'to' ? [...s.setTo, z] : s.setTo;
  const dim = engine.session.latentDim;
  const mean = (/** @type {number[][]} */ set) => Array.from(wasm.centroid(Float32Array.from(set.flat()), dim));
  return store.set({ setFrom, setTo, setMeans: setFrom.length && setTo.length ? [mean(setFrom), mean(setTo)] : null });
}

/** Draws the card for the store's state. @param {Page} page */
async function update(page) {
  const { store, engine, wasm, map } = page, s = store.state;
  const strip = $canvas('arith-strip'), text = $('arith-text');
  const { current } = ticket('arith');
  $select('arith-mode').value = s.arith;
  $('arith-classes').hidden = s.arith !== 'classes';
  showSets(page);
  $input('arith-shift').value = String(s.shift);
  $('arith-shift-out').textContent = s.shift.toFixed(2);
  strip.dataset.ready = 'false';
  lastMove = null;
  $button('arith-as-b').disabled = true;
  const off = (/** @type {string} */ why) => { text.textContent = why; strip.hidden = true; map.setMarks([], 'arith'); };
  if (s.arith === 'off') return off('');
  const dim = engine.session.latentDim, names = engine.session.manifest().dataset.class_names;
  let from, to, dirText;
  if (s.arith === 'classes') {
    const { means, counts } = classMeans(page);
    if (!(counts[s.arithFrom] > 0 && counts[s.arithTo] > 0)) return off('This model has no test images of one of those classes.');
    $select('arith-from').value = String(s.arithFrom);
    $select('arith-to').value = String(s.arithTo);
    from = means.subarray(s.arithFrom * dim, (s.arithFrom + 1) * dim);
    to = means.subarray(s.arithTo * dim, (s.arithTo + 1) * dim);
    dirText = [names[s.arithFrom], names[s.arithTo]];
  } else if (s.arith === 'sets') {
    if (!s.setMeans) return off('Pick at least one point for each set: the direction runs from the mean of the “from” points to the mean of the “to” points.');
    from = new Float32Array(s.setMeans[0]); to = new Float32Array(s.setMeans[1]);
    dirText = [`“from” (${count(s.setFrom.length)})`, `“to” (${count(s.setTo.length)})`];
  } else {
    if (!s.a || !s.b) return off('Set A and B first: the direction runs from A to B.');
    from = new Float32Array(s.a); to = new Float32Array(s.b);
    dirText = ['A', 'B'];
  }
  const point = s.a ?? map.point(map.view.cx, map.view.cy);
  const z = new Float32Array(point), moved = wasm.movePoint(z, from, to, s.shift);
  const who = s.a ? 'A' : 'the centre';
  text.textContent = s.shift === 1
    ? `${dirText[0]} : ${dirText[1]} :: ${who} : ? (the last frame)`
    : `${who} ${s.shift < 0 ? '−' : '+'} ${Math.abs(s.shift).toFixed(2)} × (${dirText[1]} − ${dirText[0]}) (the last frame)`;
  map.setMarks([{ z: Array.from(moved), label: '→', color: '#ffd84d' }], 'arith');
  const bytes = await engine.decode(wasm.interpolate(z, moved, FRAMES, false));
  if (!current()) return;
  const side = engine.session.side;
  strip.hidden = false;
  strip.width = side * FRAMES; strip.height = side;
  const ctx = ctx2d(strip);
  for (let k = 0; k < FRAMES; k++) paintGrey(ctx, bytes, side, k * side * side, k * side, 0);
  lastMove = { point: Array.from(point), moved: Array.from(moved), bytes: Array.from(bytes), side };
  $button('arith-as-b').disabled = false;
  strip.dataset.ready = 'true';
}

/** @param {Page} page */
export function wireArithmetic(page) {
  const { store, wasm } = page;
  const max = wasm.linkLimits().maxShift;
  $input('arith-shift').min = String(-max);
  $input('arith-shift').max = String(max);
  // A new model: its classes (the store keeps the pair when the model has both).
  store.on(['session'], () => store.set(fillClasses(page)));
  store.on(['arith', 'arithFrom', 'arithTo', 'shift', 'a', 'b', 'label', 'session', 'setFrom', 'setTo', 'setMeans', 'picking'], () => update(page));
  // Without A the point is the map's centre: it follows pans and zooms, once the view rests
  // (a drag changes the view on every pointer move; each update decodes a strip).
  let settle = 0;
  store.on(['view'], (s) => {
    clearTimeout(settle);
    if (s.arith !== 'off' && !s.a) settle = setTimeout(guard(() => update(page)), 150);
  });
  $select('arith-mode').addEventListener('change', guard(() => {
    const v = $select('arith-mode').value;
    const arith = v === 'classes' || v === 'ends' || v === 'sets' ? v : 'off';
    // Choosing "two sets" starts picking the "from" points; leaving it stops picking.
    return store.set({ arith, picking: arith === 'sets' && !store.state.setMeans ? 'from' : null });
  }));
  for (const which of /** @type {const} */ (['from', 'to'])) {
    $(`arith-pick-${which}`).addEventListener('click', guard(() => store.set({ picking: store.state.picking === which ? null : which })));
  }
  $('arith-sets-clear').addEventListener('click', guard(() => store.set({ setFrom: [], setTo: [], setMeans: null, picking: 'from' })));
  $select('arith-from').addEventListener('change', guard(() => store.set({ arithFrom: Number($select('arith-from').value) })));
  $select('arith-to').addEventListener('change', guard(() => store.set({ arithTo: Number($select('arith-to').value) })));
  $input('arith-shift').addEventListener('input', guard(() => store.set({ shift: Number($input('arith-shift').value) })));
  $('arith-as-b').addEventListener('click', guard(() => lastMove && setEnd(page, 'b', lastMove.moved)));
}
