// @ts-check
// The page's two wasm modules: the CPU one (loaded at start, compiled once for the page and its
// decode workers) and the WebGPU one (loaded when a WebGPU session first opens).

import { errorText } from './dom.js';
import { LIMITS, withTimeout } from './limits.js';

/** @typedef {import('../types').Wasm} Wasm */

/** The engine's URLs: trunk's preload links name the hashed glue module and wasm binary (the
 * page starts the engine itself, so no inline script is needed and a strict CSP holds). */
export function wasmUrls() {
  const glue = /** @type {HTMLLinkElement|null} */ (document.querySelector('link[rel=modulepreload][href*="latent-atlas-cpu-"][href$=".js"]'));
  const bin = /** @type {HTMLLinkElement|null} */ (document.querySelector('link[rel=preload][href$=".wasm"]'));
  return glue && bin ? { glue: glue.href, bin: bin.href } : null;
}

/** The CPU module, compiled (set by loadWasm). @type {WebAssembly.Module|null} */
let cpuModule = null;

/** The CPU module as loadWasm compiled it (null before): the decode workers instantiate it. */
export function compiledCpuModule() {
  return cpuModule;
}

/** Loads and initialises the wasm-bindgen module; rejects with a message a person can act on
 * when a file is missing, damaged or too slow.
 * @returns {Promise<Wasm>} */
export async function loadWasm() {
  const urls = wasmUrls();
  if (!urls) throw new Error('The page is missing its engine (no wasm preload links in index.html); rebuild it with trunk build.');
  const start = (async () => {
    // Compiled once, here: the decode workers get this module too (startWorkers), instead of
    // each compiling the 2.8 MB binary again while the first grid waits for them.
    const [bindings, module] = await Promise.all([
      import(urls.glue).then((b) => /** @type {Wasm} */ (b)),
      WebAssembly.compileStreaming(fetch(urls.bin)),
    ]);
    cpuModule = module;
    const exports = await bindings.default({ module_or_path: module });
    return /** @type {Wasm} */ ({ ...bindings, wasmMemory: () => exports.memory });
  })();
  try {
    return await withTimeout(start, LIMITS.wasm, 'Loading the engine');
  } catch (e) {
    throw new Error(`The page's engine (${urls.bin.split('/').pop()}) could not be loaded: ${errorText(e)}. Reload the page; if it persists, the server is not serving the built files.`);
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
