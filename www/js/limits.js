// @ts-check
// How long each step of the page may take before it gives up on it and says so, and the
// helper that enforces it (shared by the engine and its decode workers).

/** How long each step may take before the page gives up on it and says so (ms). Tests shorten
 * them through `window.atlas.limits`. */
export const LIMITS = {
  wasm: 60_000, // download and compile the engine (the CPU module; the WebGPU module likewise)
  index: 20_000, // pkg/index.json
  model: 120_000, // one model file (up to 8 MB)
  adapter: 10_000, // navigator.gpu.requestAdapter()
  openGpu: 60_000, // a WebGPU session: device, weights, first kernels
  decodeGpu: 30_000, // one WebGPU decode or encode
  worker: 30_000, // one CPU worker call
};

/** `promise`, or a rejection saying what did not finish within `ms` (the work itself goes on;
 * its result is dropped). */
export function withTimeout(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
