// @ts-check
// Starts the page. app.js and every module it imports load through this dynamic import, so a
// missing or damaged script (or the engine failing in app.js) ends in a message on the page,
// never in a "starting…" that stays forever. No imports here: this file must load on its own.

const LOAD_LIMIT_MS = 30_000;

function fail(why) {
  if (document.body.dataset.ready === 'true') return;
  document.getElementById('notice-text').textContent = `The page could not start: ${why}. Reload the page; if this persists, the server is not serving the built files.`;
  document.getElementById('notice').hidden = false;
  document.getElementById('backend-status').textContent = 'not started';
  document.body.dataset.ready = 'error';
}

/** The smallest module that uses relaxed SIMD (f32x4.relaxed_madd of three zero vectors):
 * `WebAssembly.validate` accepts it only where relaxed SIMD compiles. */
function relaxedSimdProbe() {
  const zeros = [0xfd, 0x0c, ...new Array(16).fill(0)]; // v128.const 0
  const body = [0x00, ...zeros, ...zeros, ...zeros, 0xfd, 0x85, 0x02, 0x0b]; // relaxed_madd; end
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // wasm, version 1
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // one type: () -> v128
    0x03, 0x02, 0x01, 0x00, // one function of that type
    0x0a, body.length + 2, 0x01, body.length, ...body]);
}

// The CPU engine comes in two builds of the same library: on relaxed SIMD's fused multiply-add
// (latent-atlas-cpu, ~20% faster decoding; Chromium 114 and later) and on SIMD128 alone
// (latent-atlas-cpu-baseline: browsers without relaxed SIMD, such as Safari, where a module
// using it does not compile at all). Chosen here, before the page's other scripts load, so the
// one the browser can run downloads and compiles meanwhile; js/wasm.js takes it from
// globalThis.atlasEngine.
try {
  const name = WebAssembly.validate(relaxedSimdProbe()) ? 'latent-atlas-cpu' : 'latent-atlas-cpu-baseline';
  const bin = new URL(`../${name}_bg.wasm`, import.meta.url).href;
  const compiled = WebAssembly.compileStreaming(fetch(bin));
  compiled.catch(() => {}); // reported by js/wasm.js, which awaits it
  globalThis.atlasEngine = { name, glue: new URL(`../${name}.js`, import.meta.url).href, bin, compiled };
} catch (e) {
  // No WebAssembly at all: js/wasm.js says the engine is missing.
}

const timer = setTimeout(() => fail(`its scripts did not load within ${LOAD_LIMIT_MS / 1000} s`), LOAD_LIMIT_MS);
import('./app.js')
  .then(() => clearTimeout(timer))
  .catch((e) => { clearTimeout(timer); fail(`a script did not load (${e && e.message ? e.message : e})`); });
