// @ts-check
// The page's wasm modules: the CPU one (chosen and fetched by boot.js, compiled once for the
// page and its decode workers) and the WebGPU one (loaded when a WebGPU session first opens).

import { errorText } from './dom.js';
import { LIMITS, withTimeout } from './limits.js';

/** @typedef {import('../types').Wasm} Wasm */

/** The CPU engine's URLs: of the build boot.js chose (with or without relaxed SIMD). */
export function wasmUrls() {
  const e = globalThis.atlasEngine;
  return e ? { glue: e.glue, bin: e.bin } : null;
}

/** The CPU module, compiling from boot.js' download: the page's engine and its decode workers
 * all instantiate this one compile (rejects where boot.js could not start it).
 * @returns {Promise<WebAssembly.Module>} */
export function cpuModule() {
  const e = globalThis.atlasEngine;
  return e ? e.compiled : Promise.reject(new Error('this browser has no WebAssembly, or js/boot.js did not run'));
}

/** Loads and initialises the wasm-bindgen module; rejects with a message a person can act on
 * when a file is missing, damaged or too slow.
 * @returns {Promise<Wasm>} */
export async function loadWasm() {
  const engine = globalThis.atlasEngine;
  if (!engine) throw new Error('The page could not start its engine: this browser has no WebAssembly, or js/boot.js did not run.');
  const start = (async () => {
    // Compiled once, from boot.js' download: the decode workers get this module too
    // (startWorkers), instead of each compiling the 2.8 MB binary again while the first grid
    // waits for them.
    const [bindings, module] = await Promise.all([
      import(engine.glue).then((b) => /** @type {Wasm} */ (b)),
      cpuModule(),
    ]);
    const exports = await bindings.default({ module_or_path: module });
    return /** @type {Wasm} */ ({ ...bindings, wasmMemory: () => exports.memory });
  })();
  try {
    return await withTimeout(start, LIMITS.wasm, 'Loading the engine');
  } catch (e) {
    throw new Error(`The page's engine (${engine.bin.split('/').pop()}) could not be loaded: ${errorText(e)}. Reload the page; if it persists, the server is not serving the built files.`);
  }
}

/** The WebGPU module (wasm/webgpu: burn-wgpu and its kernel compiler, some three times the CPU
 * module's size) is fetched only when a WebGPU session is opened: trunk builds it beside the
 * page as a worker-type link, under fixed names at the site's root. */
const WEBGPU_MODULE = { glue: '../latent-atlas-webgpu.js', bin: '../latent-atlas-webgpu_bg.wasm' };

/** @type {Promise<Wasm>|null} */
let webgpuModule = null;

/** Loads the WebGPU module once (a failed load is retried on the next call). */
export function loadWebgpuModule() {
  webgpuModule ??= withTimeout((async () => {
    const bindings = /** @type {Wasm} */ (await import(new URL(WEBGPU_MODULE.glue, import.meta.url).href));
    await bindings.default({ module_or_path: new URL(WEBGPU_MODULE.bin, import.meta.url).href });
    return bindings;
  })(), LIMITS.wasm, 'Loading the WebGPU module').catch((e) => {
    webgpuModule = null;
    throw new Error(`the WebGPU module could not be loaded (${errorText(e)})`);
  });
  return webgpuModule;
}
