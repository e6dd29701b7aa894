// @ts-check
// The map's plane for codes above 2-D (PCA of the test encodings, or two latent axes, through a
// fixed point) and a categorical model's cluster picker. The planes themselves come from Rust
// (pcaPlane, clusterPlane); this file keeps the pickers in step with the store.

import { $, $select, options } from './dom.js';
import { fmt } from './format.js';

/** @typedef {import('./store.js').PageState} PageState */

export class Planes {
  /** @param {import('./store.js').Store} store @param {import('./engine.js').Engine} engine */
  constructor(store, engine) {
    this.store = store;
    this.engine = engine;
    /** The test encodings' PCA of the open model (above 2-D). @type {{ mean: Float32Array, u: Float32Array, v: Float32Array }|null} */
    this.pca = null;
    /** A categorical model's categories: their test images, and the class most of them are.
     * @type {import('../types').ClusterMakeup[]} */
    this.makeup = [];
  }

  /** After a model opens: its PCA plane and the pickers. Returns what the store must drop for
   * this model (a cluster or axes it does not have).
   * @param {import('../types').Wasm} wasm
   * @returns {Partial<PageState>} */
  fill(wasm) {
    const session = this.engine.session, dim = session.latentDim, k = this.clusterCount();
    this.pca = dim > 2 ? wasm.pcaPlane(session.testMeans(), dim) : null;
    $('plane-controls').hidden = dim <= 2 || k > 0;
    $('cluster-controls').hidden = !k;
    const s = this.store.state;
    const patch = { cluster: k && s.cluster < k ? s.cluster : 0, axisI: Math.min(s.axisI, dim - 1), axisJ: Math.min(s.axisJ, dim - 1) };
    $select('axis-i').replaceChildren(...options(Array.from({ length: dim }, (_, j) => [String(j), `z${j}`])));
    $select('axis-j').replaceChildren(...options(Array.from({ length: dim }, (_, j) => [String(j), `z${j}`])));
    this.makeup = k ? session.clusterMakeup() : [];
    const names = session.manifest().dataset.class_names;
    $select('cluster').replaceChildren(...options(this.makeup.map((m, c) => {
      const top = mostly(m, names);
      return [String(c), `cluster ${c + 1}: ${top ? `mostly ${top.name} (${top.percent}%)` : 'no test images'}`];
    })));
    return patch;
  }

  /** The pickers show the store's plane choice. */
  showChoice() {
    const s = this.store.state;
    $select('plane-mode').value = s.planeMode;
    $select('axis-i').value = String(s.axisI);
    $select('axis-j').value = String(s.axisJ);
    $select('axis-i').disabled = $select('axis-j').disabled = s.planeMode !== 'axes';
    if (this.clusterCount()) $select('cluster').value = String(s.cluster);
  }

  /** The number of categories of a model with a categorical code, else 0. */
  clusterCount() { return clusterCount(this.engine.session); }

  /** Which test points the map shows: a categorical model's chosen cluster, else all (null).
   * @returns {Uint8Array|null} */
  shown() {
    const members = clusterMembers(this.engine.session, this.store.state.cluster);
    if (members) {
      // A cluster this model lacks (the store not yet told) counts none and names no class.
      const m = this.makeup[this.store.state.cluster], names = this.engine.session.manifest().dataset.class_names;
      const top = m && mostly(m, names);
      $('cluster-status').textContent = `${members.reduce((a, b) => a + b, 0)} of ${members.length} test images fall in this cluster${top ? `, ${top.percent}% of them ${top.name}` : ''}; the grid varies their style`;
    }
    return members;
  }

  /** The plane the map shows now, with its axis names.
   * @returns {import('./map.js').MapPlane} */
  current() {
    const s = this.store.state;
    if (this.engine.session.latentDim > 2 && !this.clusterCount()) {
      $('anchor-status').textContent = s.anchor ? `other coordinates fixed at ${fmt(s.anchor)}`
        : (s.planeMode === 'pca' ? 'other coordinates: mean of the test encodings' : 'other coordinates: 0');
    }
    return planeOf(this.engine.session, this.pca, s);
  }
}

/** The class most of a cluster's test images are and its share in percent; null when empty.
 * @param {import('../types').ClusterMakeup} m @param {string[]} names */
function mostly(m, names) {
  return m.top && { name: names[m.top[0]], percent: Math.round((100 * m.top[1]) / m.size) };
}

/** The number of categories of `session`'s categorical code, else 0.
 * @param {import('../types').Session} session */
export function clusterCount(session) {
  const prior = session?.manifest()?.architecture?.prior;
  return prior?.kind === 'categorical' ? prior.classes : 0;
}

/** A categorical model's test points in `cluster` (1 or 0 each), else null (all).
 * @param {import('../types').Session} session @param {number} cluster
 * @returns {Uint8Array|null} */
export function clusterMembers(session, cluster) {
  if (!clusterCount(session)) return null;
  return session.testCategories().map((c) => (c === cluster ? 1 : 0));
}

/** The plane `session`'s map shows for a plane choice: a categorical model's cluster style
 * plane, a 2-D model's own axes, else the PCA plane `pca` (of its test encodings) or two latent
 * axes, through the fixed point (default: the test mean for PCA, else 0).
 * @param {import('../types').Session} session
 * @param {{ mean: Float32Array, u: Float32Array, v: Float32Array }|null} pca
 * @param {Pick<PageState, 'planeMode'|'axisI'|'axisJ'|'anchor'|'cluster'>} s
 * @returns {import('./map.js').MapPlane} */
export function planeOf(session, pca, s) {
  const dim = session.latentDim;
  if (clusterCount(session)) return { ...session.clusterPlane(s.cluster), axisNames: ['style 1', 'style 2'] };
  if (dim === 2) return { origin: [0, 0], u: [1, 0], v: [0, 1], axisNames: ['z0', 'z1'] };
  /** @param {number} k */
  const unit = (k) => Array.from({ length: dim }, (_, d) => (d === k ? 1 : 0));
  const usePca = s.planeMode === 'pca';
  // The plane passes through the fixed point; coordinates are measured from it.
  const base = s.anchor ?? (usePca ? Array.from(pca.mean) : new Array(dim).fill(0));
  return usePca
    ? { origin: base, u: Array.from(pca.u), v: Array.from(pca.v), axisNames: ['PC1', 'PC2'] }
    : { origin: base, u: unit(s.axisI), v: unit(s.axisJ), axisNames: [`z${s.axisI}`, `z${s.axisJ}`] };
}
