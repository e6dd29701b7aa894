// @ts-check
// The "same style, every class" table of a conditional model: a few codes (your drawing's, A's,
// random draws from the prior), each decoded under every class. The decoder inputs come from
// Rust (everyClass); this file only lays the images out.

import { ctx2d } from './dom.js';
import { ticket } from './generation.js';
import { paintGrey } from './paint.js';

/** @typedef {{ canvas: HTMLCanvasElement, head: HTMLElement, rows: HTMLElement, status: HTMLElement }} TableElements */

export class EveryClassTable {
  /**
   * @param {import('./engine.js').Engine} engine
   * @param {import('../types').Wasm} wasm
   * @param {TableElements} els
   * @param {(c: number) => unknown} onPick  a class header was clicked
   */
  constructor(engine, wasm, els, onPick) {
    this.engine = engine;
    this.wasm = wasm;
    this.els = els;
    this.onPick = onPick;
    /** What the table shows, for the tests. @type {object|null} */
    this.last = null;
  }

  /** Marks the column of the class the map draws. @param {number} c */
  showPicked(c) {
    for (const b of this.els.head.querySelectorAll('button')) b.setAttribute('aria-pressed', String(Number(b.dataset.c) === c));
  }

  /**
   * Draw the table: `own` = [{ z, mark, title }] (your drawing, A) come first, random codes of the
   * prior (shuffle number `seed`) fill up to `count` rows; `picked`: the drawn class. Resolves
   * when painted.
   * @param {Array<{ z: Float32Array, mark: string, title: string }>} own
   * @param {number} seed
   * @param {number} picked
   * @param {number} [count]
   */
  async render(own, seed, picked, count = 4) {
    const { current } = ticket('every');
    const { session } = this.engine;
    const k = session.conditionClasses, dim = session.latentDim, side = session.side;
    const names = session.manifest().dataset.class_names.slice(0, k);
    const rows = own.slice(0, count);
    const random = count - rows.length;
    if (random > 0) {
      const z = session.samplePrior(random, seed);
      for (let r = 0; r < random; r++) rows.push({ z: z.subarray(r * dim, (r + 1) * dim), mark: '·', title: 'a random code from the prior' });
    }
    const flat = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => flat.set(r.z, i * dim));
    this.els.status.textContent = 'decoding…';
    this.els.canvas.dataset.ready = 'false';
    const bytes = await this.engine.decodeCodes(this.wasm.everyClass(flat, dim, k));
    if (!current()) return;
    const c = this.els.canvas;
    c.width = k * side; c.height = rows.length * side;
    const ctx = ctx2d(c);
    rows.forEach((_, r) => {
      for (let col = 0; col < k; col++) paintGrey(ctx, bytes, side, (r * k + col) * side * side, col * side, r * side);
    });
    this.els.head.replaceChildren(...names.map((name, col) => {
      const b = document.createElement('button');
      b.type = 'button'; b.textContent = name; b.title = `draw the map as ${name}`; b.dataset.c = String(col);
      b.addEventListener('click', () => this.onPick(col));
      return b;
    }));
    this.showPicked(picked);
    this.els.rows.replaceChildren(...rows.map((r) => {
      const s = document.createElement('span'); s.textContent = r.mark; s.title = r.title; return s;
    }));
    this.last = { marks: rows.map((r) => r.mark), z: Array.from(flat), bytes: Array.from(bytes), side, classes: k };
    this.els.status.textContent = '';
    c.dataset.ready = 'true';
  }
}
