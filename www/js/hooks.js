// window.atlas: hooks for the browser tests and the benchmark. They drive the same code paths as
// the UI; `app` gives the page's parts by getters (they exist only once the page has started).

import { LIMITS } from './limits.js';

const $ = (id) => document.getElementById(id);

export function installHooks(app) {
  const { state, metrics } = app;
  window.atlas = {
    metrics,
    get state() {
      const { engine, map } = app;
      return { model: engine?.entry?.name, backend: engine?.backend, view: map && { ...map.view }, a: state.a, b: state.b, steps: state.steps, mode: state.mode, part: state.part, mixSeed: state.mixSeed, path: map?.path, webgpuBroken: engine?.webgpuBroken, cluster: state.cluster, label: engine?.label, classA: state.classA, classB: state.classB, lastSamples: state.lastSamples && Array.from(state.lastSamples) };
    },
    decode: async (points, pooled = false) => {
      const { engine } = app;
      const side = engine.session.side, z = new Float32Array(points.flat());
      const bytes = await (pooled ? engine.decodeMany(z) : engine.decode(z));
      return points.map((_, k) => Array.from(bytes.subarray(k * side * side, (k + 1) * side * side)));
    },
    idle: () => app.map.idle(),
    limits: LIMITS,
    linkLimits: () => app.wasm.linkLimits(),
    /** The wasm instance's memory (it only grows; the soak test watches it). */
    wasmMemoryBytes: () => app.wasm.wasmMemory().buffer.byteLength,
    setBackend: (b) => app.switchBackend(b),
    setView: (cx, cy, half) => app.map.setView(cx, cy, half),
    clearTiles: () => app.map.clearTiles(),
    lastEncoding: null,
    testMeans: () => app.engine.session.testMeans(),
    testLabels: () => Array.from(app.engine.session.testLabels()),
    /** Test image `i` of the current model's dataset, as the hover card loads it. */
    testImage: (i) => app.engine.testImage(app.engine.session.manifest().dataset.name, i),
    get _map() { return app.map; },
    get _pad() { return app.pad; },
    get _state() { return state; },
    stripReady: () => $('strip').dataset.ready === 'true',
    mix: () => ($('mix').dataset.ready === 'true' ? app.mixGrid.last : null),
    everyClass: () => ($('every').dataset.ready === 'true' && !$('every-card').hidden ? app.classes.table.last : null),
    pickClass: (c) => app.classes.pick(c),
    /** Sets both ends (a conditional model's ends as classes `ya`, `yb`, else the drawn class). */
    setEnds: async (a, b, ya, yb) => {
      state.a = a; state.b = b;
      app.classes.endSet('a'); app.classes.endSet('b');
      if (ya != null) state.classA = ya;
      if (yb != null) state.classB = yb;
      await app.updateInterpolation();
      await app.classes.renderTable();
    },
    workers: () => app.engine.workers,
    /** Times `reps` decodes of n prior samples: on the page's session, or (`pooled`) the way the
     * grid decodes them (spread over the CPU workers when there are any). */
    benchDecode: async (n, reps, pooled = false) => {
      const { engine } = app;
      const times = [];
      const z = engine.session.samplePrior(n, 7);
      const run = () => (pooled ? engine.decodeMany(z) : engine.decode(z));
      await run();
      for (let r = 0; r < reps; r++) { const t = performance.now(); await run(); times.push(performance.now() - t); }
      return times;
    },
  };
}
