// @ts-check
// window.atlas: hooks for the browser tests and the benchmark. They drive the same code paths as
// the UI (mostly by asking the store for changes); `app.page` holds the page's parts once the
// page has started.

import { $ } from './dom.js';
import { LIMITS } from './limits.js';
import { lastMove } from './arithmetic.js';
import { classColour } from './map.js';
import { lastSamples } from './samples.js';
import { fromLink, LINK_FIELDS, toLink } from './store.js';

/**
 * @param {{ store: import('./store.js').Store, metrics: object, page: import('../types').Page|null,
 *   switchBackend: (b: 'cpu'|'webgpu') => Promise<void> }} app
 */
export function installHooks(app) {
  const { store, metrics } = app;
  window.atlas = {
    metrics,
    store,
    get state() {
      const p = app.page, s = store.state;
      return {
        model: p?.engine?.entry?.name, backend: p?.engine?.backend, view: p && { ...p.map.view },
        a: s.a, b: s.b, steps: s.steps, mode: s.mode, part: s.part, mixSeed: s.mixSeed,
        path: p?.map.path, webgpuBroken: p?.engine?.webgpuBroken, cluster: s.cluster, label: s.label,
        classA: s.classA, classB: s.classB, lastSamples: lastSamples && Array.from(lastSamples),
      };
    },
    /** @param {number[][]} points @param {boolean} [pooled] */
    decode: async (points, pooled = false) => {
      const { engine } = app.page;
      const side = engine.session.side, z = new Float32Array(points.flat());
      const bytes = await (pooled ? engine.decodeMany(z) : engine.decode(z));
      return points.map((_, k) => Array.from(bytes.subarray(k * side * side, (k + 1) * side * side)));
    },
    idle: () => app.page.map.idle(),
    limits: LIMITS,
    // The page's own functions (its modules are bundled into one script: a test cannot import them).
    classColour,
    link: { LINK_FIELDS, toLink, fromLink },
    linkLimits: () => app.page.wasm.linkLimits(),
    /** The wasm instance's memory (it only grows; the soak test watches it). */
    wasmMemoryBytes: () => app.page.wasm.wasmMemory().buffer.byteLength,
    setBackend: app.switchBackend,
    /** @param {number} cx @param {number} cy @param {number} half */
    setView: (cx, cy, half) => app.page.map.setView(cx, cy, half),
    clearTiles: () => app.page.map.clearTiles(),
    lastEncoding: null,
    testMeans: () => app.page.engine.session.testMeans(),
    /** The open model's code means of images given as side*side values in [0, 1].
     * @param {number[][]} images */
    encode: async (images) => Array.from(await app.page.engine.encode(new Float32Array(images.flat()))),
    testLabels: () => Array.from(app.page.engine.session.testLabels()),
    /** Test image `i` of the current model's dataset, as the hover card loads it. @param {number} i */
    testImage: (i) => app.page.engine.testImage(app.page.engine.session.manifest().dataset.name, i),
    get _map() { return app.page.map; },
    get _compareMap() { return app.page.compare.map; },
    get _pad() { return app.page.pad; },
    get _wasm() { return app.page.wasm; },
    stripReady: () => $('strip').dataset.ready === 'true',
    /** The comparison's second model, view, ends, drawing code and strip (once painted). */
    compare: () => app.page.compare.report(),
    compareIdle: () => app.page.compare.map.idle(),
    /** Latent arithmetic's point, where it lands and the strip's frames, once drawn. */
    arith: () => ($('arith-strip').dataset.ready === 'true' ? lastMove : null),
    /** The samples on screen are those of `state.lastSamples` (none is being drawn). */
    samplesReady: () => $('samples').dataset.ready === 'true',
    mix: () => ($('mix').dataset.ready === 'true' ? app.page.mixGrid.last : null),
    everyClass: () => ($('every').dataset.ready === 'true' && !$('every-card').hidden ? app.page.classes.table.last : null),
    /** @param {number} c */
    pickClass: (c) => store.set({ label: c }),
    /** Sets both ends (a conditional model's ends as classes `ya`, `yb`, else the drawn class).
     * @param {number[]} a @param {number[]} b @param {number} [ya] @param {number} [yb] */
    setEnds: (a, b, ya, yb) => {
      const drawn = app.page.classes.count ? store.state.label : null;
      return store.set({ a, b, classA: ya ?? drawn, classB: yb ?? drawn, imageA: null, imageB: null });
    },
    workers: () => app.page.engine.workers,
    /** Times `reps` decodes of n prior samples: on the page's session, or (`pooled`) the way the
     * grid decodes them (spread over the CPU workers when there are any).
     * @param {number} n @param {number} reps @param {boolean} [pooled] */
    benchDecode: async (n, reps, pooled = false) => {
      const { engine } = app.page;
      const times = [];
      const z = engine.session.samplePrior(n, 7);
      const run = () => (pooled ? engine.decodeMany(z) : engine.decode(z));
      await run();
      for (let r = 0; r < reps; r++) { const t = performance.now(); await run(); times.push(performance.now() - t); }
      return times;
    },
  };
}
