// The "same style, every class" table of a conditional model: a few codes (your drawing's, A's,
// random draws from the prior), each decoded under every class. The decoder inputs come from
// Rust (everyClass); this file only lays the images out.

import { paintGrey } from './map.js';

export class EveryClassTable {
  /** `els`: { canvas, head, rows, status }; `onPick(c)`: a class header was clicked. */
  constructor(engine, wasm, els, onPick) {
    Object.assign(this, { engine, wasm, els, onPick });
    this.token = 0;
    this.last = null;
  }

  /** Marks the column of the class the map draws. */
  showPicked(c) {
    for (const b of this.els.head.children) b.setAttribute('aria-pressed', String(Number(b.dataset.c) === c));
  }

  /**
   * Draw the table: `own` = [{ z, mark, title }] (your drawing, A) come first, random codes of the
   * prior (shuffle number `seed`) fill up to `count` rows. Resolves when painted.
   */
  async render(own, seed, count = 4) {
    const token = ++this.token;
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
    if (token !== this.token) return;
    const c = this.els.canvas;
    c.width = k * side; c.height = rows.length * side;
    const ctx = c.getContext('2d');
    rows.forEach((_, r) => {
      for (let col = 0; col < k; col++) paintGrey(ctx, bytes, side, (r * k + col) * side * side, col * side, r * side);
    });
    this.els.head.replaceChildren(...names.map((name, col) => {
      const b = document.createElement('button');
      b.type = 'button'; b.textContent = name; b.title = `draw the map as ${name}`; b.dataset.c = String(col);
      b.addEventListener('click', () => this.onPick(col));
      return b;
    }));
    this.showPicked(this.engine.label);
    this.els.rows.replaceChildren(...rows.map((r) => {
      const s = document.createElement('span'); s.textContent = r.mark; s.title = r.title; return s;
    }));
    this.last = { marks: rows.map((r) => r.mark), z: Array.from(flat), bytes: Array.from(bytes), side, classes: k };
    this.els.status.textContent = '';
    c.dataset.ready = 'true';
  }
}
