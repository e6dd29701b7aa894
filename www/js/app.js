// @ts-check
// The page's start: loads the engine and the model list, makes the page's parts (one store,
// the map, the panels) and wires them, opens the first model and applies the link it came
// with. Each card's wiring lives in its own module; numerical work happens in Rust.

import { addPick, wireArithmetic } from './arithmetic.js';
import { wireControls } from './controls.js';
import { $, $canvas, guard, notice, errorText, yieldToBrowser } from './dom.js';
import { wireEncoder } from './encoder.js';
import { Engine } from './engine.js';
import { loadWasm } from './wasm.js';
import { installHooks } from './hooks.js';
import { LatentMap } from './map.js';
import { MixingGrid } from './mix.js';
import { askedBackend, fillModelPicker, openFirst, switchBackend, wireModels } from './models.js';
import { wireOwnModels } from './own.js';
import { DrawingPad } from './pad.js';
import { HoverCard } from './panels.js';
import { Planes } from './planes.js';
import { Comparison } from './compare.js';
import { ClassControls } from './conditional.js';
import { drawSamples, wireSamples } from './samples.js';
import { applyLink, wireShare } from './share.js';
import { initialState, Store } from './store.js';
import { setEnd, wireStrip } from './strip.js';

/** @typedef {import('../types').Page} Page */

const metrics = { firstGridMs: /** @type {number|null} */ (null) };
const store = new Store(initialState());
/** @type {Page|null} */
let page = null;

/** Makes the page's parts once the engine is loaded.
 * @param {Engine} engine @param {import('../types').Wasm} wasm
 * @returns {Page} */
function makeParts(engine, wasm) {
  const map = new LatentMap(engine, $canvas('tiles'), $canvas('overlay'), {
    // While latent arithmetic picks a set, clicks add to it; otherwise they set A, then B.
    onClick: guard((xy, point, shift) => {
      const z = point ? point.z : map.point(xy[0], xy[1]);
      return store.state.arith === 'sets' && store.state.picking ? addPick(made, z) : setEnd(made, shift ? 'b' : store.state.nextEnd, z, point ? point.index : null);
    }),
    onKeyEnd: guard((key, xy) => setEnd(made, key, map.point(xy[0], xy[1]))),
    // A hovered test point is ringed on both maps of a comparison.
    onHover: (p, x, y) => { hover.show(p, x, y).catch(() => {}); store.set({ highlight: p ? p.index : null }); },
    onView: (view) => { store.set({ view }); },
    onError: (e) => notice(errorText(e)),
    limits: wasm.linkLimits(),
  });
  const hover = new HoverCard(engine);
  /** @type {Page} */
  const made = /** @type {any} */ ({
    wasm, engine, store, map, hover,
    planes: new Planes(store, engine),
    classes: new ClassControls(engine, wasm, store),
    mixGrid: new MixingGrid(engine, wasm, $canvas('mix'), $('mix-status')),
    pad: new DrawingPad($canvas('pad')),
  });
  made.compare = new Comparison(made);
  return made;
}

/** @param {Page} p */
function wire(p) {
  // First: a conditional model's class reaches the engine before anything decodes with it.
  store.on(['label'], (s) => p.engine.setLabel(s.label));
  wireModels(p);
  wireControls(p);
  wireStrip(p);
  wireArithmetic(p);
  wireSamples(p);
  wireEncoder(p);
  wireShare(p);
  wireOwnModels(p);
  p.compare.wire();
  $('notice-close').addEventListener('click', () => notice(''));
}

async function main() {
  // Read before anything draws: opening the first model moves the view, which rewrites the hash.
  const link = location.hash;
  // Asking for a WebGPU adapter needs neither the engine nor a model: it runs beside the
  // downloads, so a "no WebGPU" message shows while the first grid is still coming.
  const engine = new Engine(null, notice);
  const backend = engine.chooseBackend(askedBackend());
  // Neither the model list nor the decode workers need the page's own engine: they start
  // while it compiles and instantiates (a failure reaches `await started` below). The first
  // model is known once the list is here: its file downloads, and on the CPU the workers open
  // it, while the page's own engine instantiates and its parts are made (before, both waited
  // for those: ~30 ms in a trace, though on two busy cores the first grid came no sooner;
  // BENCHMARKS.md). openFirst waits for the same download and the same open; their failures
  // are its to report.
  const index = engine.loadIndex();
  const firstModel = () => engine.models.find((m) => link.includes(`m=${m.name}&`)) ?? engine.defaultModel();
  index.then(() => engine.modelBytes(firstModel())).catch(() => {});
  const onCpu = Promise.all([index, backend]).then(([, be]) => (be === 'cpu' ? firstModel() : null));
  const started = Promise.all([index, engine.startWorkers(4, onCpu)]);
  started.catch(() => {});
  const wasm = await loadWasm();
  engine.wasm = wasm;
  // While the workers start and the model list downloads, the main thread is idle: it gets the
  // decoding kernels optimised (see warmKernels in Rust) before the first grid needs them.
  wasm.warmKernels();
  // Making and wiring the page's parts is a task of its own, not one long one with the
  // instantiation and the warm-up.
  await yieldToBrowser();
  page = makeParts(engine, wasm);
  wire(page);
  const [models] = await started;
  page.classes.judge.setIndex(engine.judges);
  fillModelPicker(models);
  await openFirst(page, firstModel(), await backend);
  await applyLink(page, link);
  await page.map.idle();
  metrics.firstGridMs = performance.now();
  await drawSamples(page);
  document.body.dataset.ready = 'true';
}

installHooks({
  store, metrics,
  get page() { return page; },
  switchBackend: (/** @type {'cpu'|'webgpu'} */ b) => switchBackend(page, b),
});

main().catch((e) => {
  console.error(e);
  notice(`The explorer could not start: ${errorText(e)}`);
  document.body.dataset.ready = 'error';
});
