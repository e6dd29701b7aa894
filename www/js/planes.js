// The map's plane for codes above 2-D (PCA of the test encodings, or two latent axes, through a
// fixed point) and a categorical model's cluster picker. The planes themselves come from Rust
// (pcaPlane, clusterPlane); this file keeps the pickers and the state in step.

import { fmt } from './format.js';

const $ = (id) => document.getElementById(id);

export class Planes {
  constructor(state, engine, map) { Object.assign(this, { state, engine, map }); }

  /** After a model opens: its PCA plane, axis and cluster pickers. */
  fill(wasm) {
    const { state, engine } = this, session = engine.session, dim = session.latentDim;
    state.pca = dim > 2 ? wasm.pcaPlane(session.testMeans(), dim) : null;
    state.anchor = null;
    $('plane-controls').hidden = dim <= 2 || this.clusterCount() > 0;
    this.fillAxisPickers();
    this.fillClusterPicker();
  }

  fillAxisPickers() {
    const { state } = this, dim = this.engine.session.latentDim;
    for (const [id, sel] of [['axis-i', state.axisI], ['axis-j', state.axisJ]]) {
      const el = $(id);
      el.replaceChildren(...Array.from({ length: dim }, (_, k) => {
        const o = document.createElement('option'); o.value = String(k); o.textContent = `z${k}`; return o;
      }));
      el.value = String(Math.min(sel, dim - 1));
    }
    $('plane-mode').value = state.planeMode;
    $('axis-i').disabled = $('axis-j').disabled = state.planeMode !== 'axes';
  }

  /** The number of categories of a model with a categorical code, else 0. */
  clusterCount() {
    const prior = this.engine.session?.manifest()?.architecture?.prior;
    return prior?.kind === 'categorical' ? prior.classes : 0;
  }

  /** A categorical model's map: the style plane of one cluster, with that cluster's test images. */
  showCluster() {
    const k = this.clusterCount(), { map, state } = this;
    if (!k) { map.showOnly(null); return; }
    const cats = this.engine.session.testCategories();
    const shown = cats.map((c) => (c === state.cluster ? 1 : 0));
    map.showOnly(shown);
    const count = shown.reduce((a, b) => a + b, 0);
    $('cluster-status').textContent = `${count} of ${cats.length} test images fall in this cluster; the grid varies their style`;
  }

  fillClusterPicker() {
    const k = this.clusterCount(), { state } = this;
    $('cluster-controls').hidden = !k;
    if (!k) return;
    if (state.cluster >= k) state.cluster = 0;
    $('cluster').replaceChildren(...Array.from({ length: k }, (_, c) => {
      const o = document.createElement('option'); o.value = String(c); o.textContent = `cluster ${c + 1}`; return o;
    }));
    $('cluster').value = String(state.cluster);
  }

  /** The plane the map shows now: `{ origin, u, v }` (and the map's axis names). */
  current() {
    const { state, map } = this, dim = this.engine.session.latentDim;
    if (this.clusterCount()) {
      map.axisNames = ['style 1', 'style 2'];
      return this.engine.session.clusterPlane(state.cluster);
    }
    if (dim === 2) { map.axisNames = ['z0', 'z1']; return { origin: [0, 0], u: [1, 0], v: [0, 1] }; }
    const unit = (k) => Array.from({ length: dim }, (_, d) => (d === k ? 1 : 0));
    let u, v, base;
    if (state.planeMode === 'pca') {
      ({ u, v } = state.pca);
      base = state.anchor ?? Array.from(state.pca.mean);
      map.axisNames = ['PC1', 'PC2'];
    } else {
      u = unit(state.axisI); v = unit(state.axisJ);
      base = state.anchor ?? new Array(dim).fill(0);
      map.axisNames = [`z${state.axisI}`, `z${state.axisJ}`];
    }
    // The plane passes through the fixed point; coordinates are measured from it.
    $('anchor-status').textContent = state.anchor ? `other coordinates fixed at ${fmt(state.anchor)}`
      : (state.planeMode === 'pca' ? 'other coordinates: mean of the test encodings' : 'other coordinates: 0');
    return { origin: Array.from(base), u: Array.from(u), v: Array.from(v) };
  }
}
