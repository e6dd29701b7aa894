// @ts-check
// The "samples from the prior" card: codes drawn from the model's own prior in Rust (N(0, I), a
// mixture, categories + style), decoded in the CPU workers when there are any.

import { $, $canvas, $input, ctx2d, guard } from './dom.js';
import { ticket } from './generation.js';
import { paintGrey } from './paint.js';

/** @typedef {import('../types').Page} Page */

/** The codes of the samples on screen (for the tests). @type {Float32Array|null} */
export let lastSamples = null;

/** @param {Page} page */
export async function drawSamples(page) {
  const { engine, store } = page;
  const n = Math.max(1, Math.min(64, Number($input('sample-n').value) || 16));
  $input('sample-n').value = String(n);
  const side = engine.session.side, seed = store.state.sampleSeed;
  const c = $canvas('samples');
  c.dataset.ready = 'false'; // until these samples are painted
  await store.set({ sampleSeed: seed + 1 });
  const { current } = ticket('samples');
  const z = engine.session.samplePrior(n, seed);
  // On the CPU, in the decode workers: the main thread stays free while the page starts.
  const bytes = await engine.decodeMany(z);
  if (!current()) return;
  lastSamples = z;
  const cols = Math.min(n, 8), rows = Math.ceil(n / cols);
  c.hidden = false;
  c.width = cols * side; c.height = rows * side;
  const ctx = ctx2d(c);
  ctx.fillStyle = '#000'; ctx.fillRect(0, 0, c.width, c.height);
  for (let k = 0; k < n; k++) paintGrey(ctx, bytes, side, k * side * side, (k % cols) * side, Math.floor(k / cols) * side);
  c.dataset.ready = 'true';
}

/** @param {Page} page */
export function wireSamples(page) {
  // Samples already on screen came from the previous model or class: they are drawn again.
  page.store.on(['session', 'label'], () => ($('samples').hidden ? undefined : drawSamples(page)));
  $('sample').addEventListener('click', guard(() => drawSamples(page)));
}
