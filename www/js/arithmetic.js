// @ts-check
// The "latent arithmetic" card: a direction in the whole code (between two classes' mean test
// codes, or from A to B), the point (A, else the map's centre) moved along it by the slider, the
// strip from the point to where it lands, and its marker on the map. A move of 1 is the analogy
// from : to :: point : ?. The means and the move are computed in Rust (classMeans, movePoint).

import { $, $button, $canvas, $input, $select, ctx2d, guard, options } from './dom.js';
import { ticket } from './generation.js';
import { paintGrey } from './map.js';
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

/** Draws the card for the store's state. @param {Page} page */
async function update(page) {
  const { store, engine, wasm, map } = page, s = store.state;
  const strip = $canvas('arith-strip'), text = $('arith-text');
  const { current } = ticket('arith');
  $select('arith-mode').value = s.arith;
  $('arith-classes').hidden = s.arith !== 'classes';
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
  store.on(['arith', 'arithFrom', 'arithTo', 'shift', 'a', 'b', 'label', 'session'], () => update(page));
  // Without A the point is the map's centre: it follows pans and zooms, once the view rests
  // (a drag changes the view on every pointer move; each update decodes a strip).
  let settle = 0;
  store.on(['view'], (s) => {
    clearTimeout(settle);
    if (s.arith !== 'off' && !s.a) settle = setTimeout(guard(() => update(page)), 150);
  });
  $select('arith-mode').addEventListener('change', guard(() => {
    const v = $select('arith-mode').value;
    return store.set({ arith: v === 'classes' || v === 'ends' ? v : 'off' });
  }));
  $select('arith-from').addEventListener('change', guard(() => store.set({ arithFrom: Number($select('arith-from').value) })));
  $select('arith-to').addEventListener('change', guard(() => store.set({ arithTo: Number($select('arith-to').value) })));
  $input('arith-shift').addEventListener('input', guard(() => store.set({ shift: Number($input('arith-shift').value) })));
  $('arith-as-b').addEventListener('click', guard(() => lastMove && setEnd(page, 'b', lastMove.moved)));
}
