// @ts-check
// A conditional model's controls: the class the map draws (picker and table headers), the
// "same style, every class" table, the class an upload is encoded as (picked, or the judge's
// guess) and the classes of the interpolation ends. The class itself is the store's `label`;
// label vectors come from Rust.

import { $, $canvas, $select, options } from './dom.js';
import { EveryClassTable } from './classes.js';
import { JudgeGuess } from './judge.js';

/** @typedef {import('./store.js').PageState} PageState */

export class ClassControls {
  /**
   * @param {import('./engine.js').Engine} engine
   * @param {import('../types').Wasm} wasm
   * @param {import('./store.js').Store} store
   */
  constructor(engine, wasm, store) {
    this.engine = engine;
    this.wasm = wasm;
    this.store = store;
    this.judge = new JudgeGuess(wasm);
    this.table = new EveryClassTable(engine, wasm, {
      canvas: $canvas('every'), head: $('every-head'), rows: $('every-rows'), status: $('every-status'),
    }, (c) => store.set({ label: c }));
  }

  get count() { return this.engine.session ? this.engine.session.conditionClasses : 0; }

  names() { return this.engine.session.manifest().dataset.class_names.slice(0, this.count); }

  /** After a model opens: shows or hides the class controls and fills them for this model.
   * Returns what the store must drop for it (classes it does not have).
   * @returns {Partial<PageState>} */
  fill() {
    const k = this.count, s = this.store.state;
    for (const id of ['class-controls', 'every-card', 'enc-class-row']) $(id).hidden = !k;
    if (!k) return { label: 0, classA: null, classB: null };
    $select('class-pick').replaceChildren(...options(this.names().map((name, c) => [String(c), name])));
    const m = this.engine.session.manifest();
    const judged = this.judge.entryFor(m.dataset.name, m.dataset.class_names);
    /** @type {HTMLOptionElement} */ ($('enc-class').querySelector('option[value=judge]')).disabled = !judged;
    if (!judged) $select('enc-class').value = 'picked';
    /** @param {number|null} c */
    const keep = (c) => (c != null && c < k ? c : null);
    return { label: s.label < k ? s.label : 0, classA: keep(s.classA), classB: keep(s.classB) };
  }

  /** The picker and the table's headers show the drawn class. */
  showPicked() {
    if (!this.count) return;
    $select('class-pick').value = String(this.store.state.label);
    this.table.showPicked(this.store.state.label);
  }

  /** The table's own rows: your drawing and A, then random codes. */
  async renderTable() {
    if (!this.count) return;
    const s = this.store.state, own = [];
    if (s.encoded) own.push({ z: Float32Array.from(s.encoded), mark: '✎', title: 'your drawing' });
    if (s.a) own.push({ z: Float32Array.from(s.a), mark: 'A', title: 'point A' });
    await this.table.render(own, s.everySeed, s.label);
  }

  /** The class to encode image `x` as: the picked one, or the judge's guess (which then becomes
   * the picked class, so the map shows the drawing's class).
   * @param {Float32Array} x */
  async labelFor(x) {
    $('judge-text').hidden = true;
    if (!this.count || $select('enc-class').value !== 'judge') return this.store.state.label;
    const m = this.engine.session.manifest();
    const { label, p } = await this.judge.guess(m.dataset.name, m.dataset.class_names, x);
    $('judge-text').textContent = `the judge says ${this.names()[label]} (${(100 * p).toFixed(0)}%)`;
    $('judge-text').hidden = false;
    await this.store.set({ label });
    return label;
  }

  /** The classes a new end `which` records: a conditional model's drawn class.
   * @param {'a'|'b'} which
   * @returns {Partial<PageState>} */
  endClass(which) {
    const c = this.count ? this.store.state.label : null;
    return which === 'a' ? { classA: c } : { classB: c };
  }

  /** " as Trouser" for an end's text, '' for other models. @param {'a'|'b'} which */
  endText(which) {
    const c = this.store.state[which === 'a' ? 'classA' : 'classB'];
    return this.count && c != null ? ` as ${this.names()[c]}` : '';
  }

  /** Label vectors for `steps` frames (code and class, or code only: A's class throughout), or
   * undefined for an unconditional model.
   * @param {number} steps */
  interpolationLabels(steps) {
    const k = this.count, s = this.store.state;
    if (!k) return undefined;
    const ya = s.classA ?? s.label, yb = s.classB ?? s.label;
    return this.wasm.classBlend(ya, s.part === 'code' ? ya : yb, steps, k);
  }
}
