// A conditional model's controls: the class the map draws (picker and table headers), the
// "same style, every class" table, the class an upload is encoded as (picked, or the judge's
// guess) and the classes of the interpolation ends. Label vectors come from Rust.

import { EveryClassTable } from './classes.js';
import { JudgeGuess } from './judge.js';

const $ = (id) => document.getElementById(id);

export class ClassControls {
  /** `onClass()`: the drawn class changed (the page redraws the map, strip and samples). */
  constructor(engine, wasm, state, onClass) {
    Object.assign(this, { engine, wasm, state, onClass });
    this.judge = new JudgeGuess(wasm);
    this.table = new EveryClassTable(engine, wasm, {
      canvas: $('every'), head: $('every-head'), rows: $('every-rows'), status: $('every-status'),
    }, (c) => this.pick(c));
  }

  get count() { return this.engine.session ? this.engine.session.conditionClasses : 0; }

  names() { return this.engine.session.manifest().dataset.class_names.slice(0, this.count); }

  /** After a model opens: show or hide the class controls and fill them for this model. */
  async fill() {
    const k = this.count, st = this.state;
    for (const id of ['class-controls', 'every-card', 'enc-class-row']) $(id).hidden = !k;
    if (!k) { st.classA = st.classB = null; return; }
    if (!(st.classA < k)) st.classA = null;
    if (!(st.classB < k)) st.classB = null;
    $('class-pick').replaceChildren(...this.names().map((name, c) => {
      const o = document.createElement('option'); o.value = String(c); o.textContent = name; return o;
    }));
    $('class-pick').value = String(this.engine.label);
    const m = this.engine.session.manifest();
    const judged = this.judge.entryFor(m.dataset.name, m.dataset.class_names);
    $('enc-class').querySelector('option[value=judge]').disabled = !judged;
    if (!judged) $('enc-class').value = 'picked';
    await this.renderTable();
  }

  /** Draw as class `c` (from the picker, a table header or a link). */
  async pick(c) {
    this.engine.setLabel(c);
    $('class-pick').value = String(this.engine.label);
    this.table.showPicked(this.engine.label);
    await this.onClass();
  }

  /** The table's own rows: your drawing and A, then random codes. */
  async renderTable() {
    if (!this.count) return;
    const st = this.state, own = [];
    if (st.encoded) own.push({ z: Float32Array.from(st.encoded), mark: '✎', title: 'your drawing' });
    if (st.a) own.push({ z: Float32Array.from(st.a), mark: 'A', title: 'point A' });
    await this.table.render(own, st.everySeed);
  }

  /** The class to encode image `x` as: the picked one, or the judge's guess (which then becomes
   * the picked class, so the map shows the drawing's class). */
  async labelFor(x) {
    $('judge-text').hidden = true;
    if (!this.count || $('enc-class').value !== 'judge') return this.engine.label;
    const m = this.engine.session.manifest();
    const { label, p } = await this.judge.guess(m.dataset.name, m.dataset.class_names, x);
    $('judge-text').textContent = `the judge says ${this.names()[label]} (${(100 * p).toFixed(0)}%)`;
    $('judge-text').hidden = false;
    if (label !== this.engine.label) await this.pick(label);
    return label;
  }

  /** An interpolation end was set: it keeps the class drawn now. */
  endSet(which) {
    if (this.count) this.state[which === 'a' ? 'classA' : 'classB'] = this.engine.label;
  }

  /** " as Trouser" for an end's text, '' for other models. */
  endText(which) {
    const c = this.state[which === 'a' ? 'classA' : 'classB'];
    return this.count && c != null ? ` as ${this.names()[c]}` : '';
  }

  /** Label vectors for `steps` frames (code and class, or code only: A's class throughout), or
   * undefined for an unconditional model. */
  interpolationLabels(steps) {
    const k = this.count;
    if (!k) return undefined;
    const ya = this.state.classA ?? this.engine.label, yb = this.state.classB ?? this.engine.label;
    return this.wasm.classBlend(ya, this.state.part === 'code' ? ya : yb, steps, k);
  }
}
