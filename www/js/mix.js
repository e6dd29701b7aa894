// @ts-check
// The content × style grid of a content/style model: rows keep a drawing's content, columns
// lend a drawing's style; the codes are mixed in Rust (mixCodes) and decoded by the engine.

import { ctx2d } from './dom.js';
import { ticket } from './generation.js';
import { paintGrey } from './paint.js';

const GAP = 2;

/** A small seeded generator (mulberry32): the same shuffle number picks the same drawings.
 * @param {number} seed */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` test drawings, each from a different alphabet while alphabets last.
 * @param {ArrayLike<number>} labels
 * @param {number} count
 * @param {number} seed */
export function pickDrawings(labels, count, seed) {
  const next = rng(seed);
  /** @type {Map<number, number[]>} */
  const byClass = new Map();
  Array.prototype.forEach.call(labels, (/** @type {number} */ l, /** @type {number} */ i) => { if (!byClass.has(l)) byClass.set(l, []); byClass.get(l).push(i); });
  const classes = [...byClass.keys()];
  for (let i = classes.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [classes[i], classes[j]] = [classes[j], classes[i]];
  }
  return Array.from({ length: count }, (_, k) => {
    const members = byClass.get(classes[k % classes.length]);
    return members[Math.floor(next() * members.length)];
  });
}

export class MixingGrid {
  /**
   * @param {import('./engine.js').Engine} engine
   * @param {import('../types').Wasm} wasm
   * @param {HTMLCanvasElement} canvas
   * @param {HTMLElement} status
   */
  constructor(engine, wasm, canvas, status) {
    this.engine = engine;
    this.wasm = wasm;
    this.canvas = canvas;
    this.status = status;
    /** What the grid shows, for the tests. @type {object|null} */
    this.last = null;
  }

  /**
   * Draw the grid for shuffle number `seed`; `own` = { z, image } (a user's encoded drawing and
   * its model input as bytes) joins as the first row and column. Resolves when painted.
   * @param {number} seed
   * @param {{ z: number[], image: Uint8Array }|null} own
   * @param {number} [size]
   */
  async render(seed, own, size = 6) {
    const { current } = ticket('mix');
    const { session } = this.engine;
    const manifest = session.manifest();
    const cd = manifest.architecture.content_dim;
    const dim = session.latentDim, side = session.side;
    const means = session.testMeans(), labels = session.testLabels();
    const picks = pickDrawings(labels, 2 * size, seed);
    // The donors' own drawings (each from its test-image file, fetched once).
    const originals = await Promise.all(picks.map((i) => this.engine.testImage(manifest.dataset.name, i)));
    if (!current()) return;
    /** @param {number} i */
    const code = (i) => means.subarray(i * dim, (i + 1) * dim);
    /** @param {number} k */
    const image = (k) => (originals[k] && originals[k].side === side ? originals[k].pixels : null);
    /** @param {number} i @param {number} k */
    const donor = (i, k) => ({ index: i, z: code(i), image: image(k) });
    const rows = picks.slice(0, size).map((i, k) => donor(i, k));
    const cols = picks.slice(size).map((i, k) => donor(i, size + k));
    if (own) {
      const mine = { index: null, z: Float32Array.from(own.z), image: own.image };
      rows.splice(size - 1, 1); rows.unshift(mine);
      cols.splice(size - 1, 1); cols.unshift(mine);
    }
    /** @param {Array<{ z: ArrayLike<number> }>} list */
    const flat = (list) => {
      const out = new Float32Array(list.length * dim);
      list.forEach((e, k) => out.set(e.z, k * dim));
      return out;
    };
    this.status.textContent = 'decoding…';
    const z = this.wasm.mixCodes(flat(rows), flat(cols), dim, cd);
    const bytes = await this.engine.decode(z);
    if (!current()) return;
    const cell = side + GAP;
    const c = this.canvas;
    c.width = (cols.length + 1) * cell + GAP;
    c.height = (rows.length + 1) * cell + GAP;
    const ctx = ctx2d(c);
    ctx.fillStyle = '#3a3f4b'; ctx.fillRect(0, 0, c.width, c.height);
    // Header cells (the donors) sit on a lighter frame than the mixed cells.
    ctx.fillStyle = '#8a93a6';
    ctx.fillRect(0, 0, c.width, cell + GAP); ctx.fillRect(0, 0, cell + GAP, c.height);
    ctx.fillStyle = '#000'; ctx.fillRect(GAP, GAP, side, side);
    /** @param {Uint8Array|null} img @param {number} x @param {number} y */
    const header = (img, x, y) => {
      if (img) paintGrey(ctx, img, side, 0, x, y);
      else { ctx.fillStyle = '#000'; ctx.fillRect(x, y, side, side); }
    };
    cols.forEach((e, k) => header(e.image, (k + 1) * cell + GAP, GAP));
    rows.forEach((e, r) => {
      header(e.image, GAP, (r + 1) * cell + GAP);
      for (let k = 0; k < cols.length; k++) {
        paintGrey(ctx, bytes, side, (r * cols.length + k) * side * side, (k + 1) * cell + GAP, (r + 1) * cell + GAP);
      }
    });
    this.last = {
      rows: rows.map((e) => e.index), cols: cols.map((e) => e.index),
      z: Array.from(z), bytes: Array.from(bytes), side, dim, contentDim: cd,
    };
    this.status.textContent = own ? 'first row and column: your drawing' : '';
    c.dataset.ready = 'true';
  }
}
