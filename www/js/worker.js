// @ts-check
// A decode worker: its own instance of the page's wasm module with a CPU (burn-flex) session of
// the current model. The page splits grid batches across a few of these, so the CPU path uses
// every core and the main thread never blocks on decoding.

/** This worker's scope (the DOM library types `self` as a window).
 * @type {{ postMessage(msg: unknown, transfer?: Transferable[]): void, onmessage: ((e: MessageEvent) => void)|null }} */
const scope = /** @type {any} */ (self);

/** @type {import('../types').Wasm|null} */
let glue = null;
/** @type {import('../types').Session|null} */
let session = null;

/** @param {{ op: string, id: number, glue?: string, module?: WebAssembly.Module, bytes?: Uint8Array, z?: Float32Array,
 *   frames?: Uint8Array, count?: number, side?: number, scale?: number, delayMs?: number, comment?: string }} msg */
async function handle(msg) {
  switch (msg.op) {
    case 'init':
      glue = await import(msg.glue);
      // A compiled WebAssembly.Module from the page: instantiating it needs no download or compile.
      await glue.default({ module_or_path: msg.module });
      return null;
    case 'open':
      if (session) session.free();
      session = null;
      session = await glue.openSession(msg.bytes, 'cpu');
      return null;
    case 'decode':
      return session.decode(msg.z);
    case 'gif': {
      // Frame by frame, saying how far it got after each (the page shows it).
      const gif = new glue.GifExport(msg.side, msg.scale, msg.delayMs, msg.comment);
      const n = msg.side * msg.side;
      try {
        for (let k = 0; k < msg.count; k++) {
          gif.addFrame(msg.frames.subarray(k * n, (k + 1) * n));
          scope.postMessage({ id: msg.id, progress: (k + 1) / msg.count });
        }
        return gif.finish();
      } finally {
        gif.free();
      }
    }
    default:
      throw new Error('unknown request');
  }
}

/** @param {any} data */
async function answer(data) {
  try {
    const out = await handle(data);
    scope.postMessage({ id: data.id, ok: true, out }, out ? [out.buffer] : []);
  } catch (e) {
    scope.postMessage({ id: data.id, ok: false, error: e && e.message ? e.message : String(e) });
  }
}

// One request after another, in the order they came: the page asks for the first model's open
// right behind 'init', before this worker has answered it (js/engine.js, startWorkers).
let queue = Promise.resolve();
scope.onmessage = ({ data }) => { queue = queue.then(() => answer(data)); };
