// The page: wires the model picker, backend switch, map, interpolation, samples, drawing pad,
// uploads and share links together. Numerical work happens in Rust (window.wasmBindings);
// nothing from a link, a file or a manifest is ever inserted as HTML (textContent only).

import { Engine, loadWasm } from './engine.js';
import { installHooks } from './hooks.js';
import { LatentMap, paintGrey } from './map.js';
import { DrawingPad, readImageFile } from './pad.js';
import { downloadPng } from './images.js';
import { MixingGrid } from './mix.js';
import { ClassControls } from './conditional.js';
import { describeModel, buildLegend, HoverCard } from './panels.js';
import { Planes } from './planes.js';
import { fmt } from './format.js';

const $ = (id) => document.getElementById(id);

const state = {
  a: null, b: null, steps: 10, mode: 'linear',
  planeMode: 'pca', axisI: 0, axisJ: 1, anchor: null, pca: null, cluster: 0,
  encoded: null, encodedImage: null, sampleSeed: 1, nextEnd: 'a',
  part: 'all', mixSeed: 1, classA: null, classB: null, everySeed: 1,
};

let wasm, engine, map, pad, manifest, mixGrid, classes, hover, planes;
const metrics = { firstGridMs: null };

function notice(text) {
  // Once the page could not start, that message stays (a late word about WebGPU must not hide it).
  if (document.body.dataset.ready === 'error') return;
  $('notice-text').textContent = text;
  $('notice').hidden = !text;
}


// ---- model and backend ------------------------------------------------------------------

async function openModel(entry, backend) {
  $('backend-status').textContent = `loading ${entry.name}…`;
  const newModel = engine.entry?.name !== entry.name;
  const session = await engine.open(entry, backend);
  if (!session) return false; // overtaken by a newer choice
  $('model').value = entry.name;
  // An encoding or ends from another model have the wrong size for this one.
  if (state.encoded && state.encoded.length !== session.latentDim) { state.encoded = null; $('encoded').hidden = true; }
  if (state.a && state.a.length !== session.latentDim) state.a = null;
  if (state.b && state.b.length !== session.latentDim) state.b = null;
  manifest = session.manifest();
  planes.fill(wasm);
  await classes.fill();
  map.setModel(session, planes.current(), session.side);
  planes.showCluster();
  // A new model opens on the square that holds its prior (a mixture's islands sit further out).
  if (newModel) map.setView(0, 0, session.priorExtent);
  buildLegend(manifest.dataset.class_names, map);
  describeModel(entry, manifest, engine.session.regularisation);
  refreshBackendUi();
  const split = contentDim() != null;
  $('mix-card').hidden = !split;
  const parts = partsOf();
  $('part-row').hidden = !parts;
  if (!parts || !parts.some(([p]) => p === state.part)) state.part = 'all';
  setPartUi(true);
  if (split) await renderMix();
  // Samples already on screen came from the previous model.
  if (!$('samples').hidden) await drawSamples();
  return true;
}

/** The content size of a content/style model, else null. */
function contentDim() {
  return manifest?.architecture?.content_dim ?? null;
}

async function renderMix() {
  if (contentDim() == null) return;
  $('mix').dataset.ready = 'false';
  const own = state.encoded ? { z: state.encoded, image: state.encodedImage } : null;
  await mixGrid.render(state.mixSeed, own);
}

/** What an interpolation can move besides everything: a content/style model's parts, or a
 * conditional model's code and class; null for other models. */
function partsOf() {
  if (contentDim() != null) return [['all', 'everything'], ['content', 'content only'], ['style', 'style only']];
  if (engine.session.conditionClasses) return [['all', 'code and class'], ['code', 'code only'], ['class', 'class only']];
  return null;
}

function setPartUi(rebuild = false) {
  const parts = partsOf() ?? [];
  if (rebuild) {
    $('part-seg').replaceChildren(...parts.map(([p, text]) => {
      const b = document.createElement('button');
      b.type = 'button'; b.id = `part-${p}`; b.textContent = text;
      b.addEventListener('click', guard(async () => { state.part = p; setPartUi(); await updateInterpolation(); }));
      return b;
    }));
  }
  for (const [p] of parts) $(`part-${p}`).setAttribute('aria-pressed', String(state.part === p));
}

function refreshBackendUi() {
  const be = engine.backend;
  $('be-webgpu').setAttribute('aria-pressed', String(be === 'webgpu'));
  $('be-cpu').setAttribute('aria-pressed', String(be === 'cpu'));
  $('be-webgpu').disabled = !navigator.gpu;
  $('be-webgpu').title = engine.webgpuBroken ? `WebGPU unavailable: ${engine.webgpuBroken}` : '';
  $('backend-status').textContent = be === 'webgpu' ? 'running on WebGPU (burn-wgpu)' : 'running on the CPU (burn-flex, wasm)';
  document.body.dataset.backend = be || '';
}

async function switchBackend(backend) {
  if (engine.backend === backend) return;
  await openModel(engine.entry, backend);
  // Remembered only when it worked: a failed WebGPU start does not pin later visits to the CPU.
  if (engine.backend === backend) localStorage.setItem('atlas-backend', backend);
  await updateInterpolation();
}

/** The drawn class changed: the map, strip and samples follow. */
async function classChanged() {
  replane();
  scheduleShare();
  await updateInterpolation();
  if (!$('samples').hidden) await drawSamples();
}

function replane() {
  map.setPlane(planes.current());
  updateMarks();
}

// ---- interpolation ------------------------------------------------------------------------

function setEnd(which, z) {
  // Share links hold coordinates within ±MAX_COORD; farther points are pulled back to that box.
  const lim = wasm.linkLimits().maxCoord;
  if (z && Array.from(z).some((v) => Math.abs(v) > lim)) notice(`Interpolation ends are kept within ±${lim} so that share links can hold them.`);
  state[which] = z ? Array.from(z, (v) => Math.max(-lim, Math.min(lim, v))) : null;
  classes.endSet(which);
  state.nextEnd = which === 'a' ? 'b' : 'a';
  updateInterpolation();
  if (which === 'a') classes.renderTable().catch((e) => notice(e.message || String(e)));
}

function updateMarks() {
  const marks = [];
  if (state.encoded) marks.push({ z: state.encoded, label: '✎', color: '#7ee0a0' });
  if (state.a) marks.push({ z: state.a, label: 'A', color: '#ff6b6b' });
  if (state.b) marks.push({ z: state.b, label: 'B', color: '#6bb6ff' });
  map.marks = marks;
  map.drawOverlay();
}

let stripToken = 0;
async function updateInterpolation() {
  $('a-text').textContent = fmt(state.a) + (state.a ? classes.endText('a') : '');
  $('b-text').textContent = fmt(state.b) + (state.b ? classes.endText('b') : '');
  updateMarks();
  scheduleShare();
  const strip = $('strip');
  const token = ++stripToken;
  strip.dataset.ready = 'false'; // until this strip's last frame is painted
  if (!state.a || !state.b) {
    map.path = []; map.drawOverlay();
    strip.hidden = true;
    return;
  }
  strip.hidden = false;
  const steps = state.steps, dim = state.a.length, side = engine.session.side;
  const [ea, eb, slerp] = [new Float32Array(state.a), new Float32Array(state.b), state.mode === 'spherical'];
  const cd = contentDim();
  const flat = cd != null && state.part !== 'all'
    ? wasm.interpolatePart(ea, eb, steps, slerp, state.part === 'content' ? 0 : cd, state.part === 'content' ? cd : dim)
    : wasm.interpolate(ea, state.part === 'class' ? ea : eb, steps, slerp);
  // A conditional model's frames move the class too (a blend of one-hots), unless 'code only'.
  const labels = classes.interpolationLabels(steps);
  map.path = Array.from({ length: steps }, (_, k) => Array.from(flat.subarray(k * dim, (k + 1) * dim)));
  map.drawOverlay();
  const bytes = await engine.decode(flat, labels);
  if (token !== stripToken) return;
  strip.width = side * steps; strip.height = side;
  const ctx = strip.getContext('2d');
  ctx.fillStyle = '#000'; ctx.fillRect(0, 0, strip.width, strip.height);
  // Frames appear left to right while the map's marker walks the path.
  for (let k = 0; k < steps; k++) {
    if (token !== stripToken) return;
    paintGrey(ctx, bytes, side, k * side * side, k * side, 0);
    map.cursorFrame = k; map.drawOverlay();
    await new Promise((r) => setTimeout(r, 35));
  }
  if (token !== stripToken) return; // a newer strip started during the last frame's pause
  map.cursorFrame = null; map.drawOverlay();
  strip.dataset.ready = 'true';
}

// ---- share links --------------------------------------------------------------------------

function shareState() {
  return {
    model: engine.entry.name,
    center: [map.view.cx, map.view.cy],
    zoom: map.zoom,
    a: state.a, b: state.b,
    steps: state.steps, mode: state.mode,
    part: state.part, mix: state.mixSeed, cluster: state.cluster, label: engine.label,
    label_a: state.a ? state.classA : null, label_b: state.b ? state.classB : null,
  };
}

let shareTimer = 0;
function scheduleShare() {
  clearTimeout(shareTimer);
  shareTimer = setTimeout(() => {
    const frag = wasm.encodeLink(shareState());
    history.replaceState(null, '', `#${frag}`);
    $('share-url').value = location.href;
  }, 150);
}

function knownModels() {
  // The first entry is what an unusable link falls back to: the default model.
  const def = engine.defaultModel();
  return [def, ...engine.models.filter((m) => m !== def)]
    .map((m) => ({ name: m.name, latent_dim: m.latent_dim, clusters: m.clusters ?? 0, conditional: m.conditional ?? 0 }));
}

async function applyLink(fragment) {
  const { state: s, problems } = wasm.decodeLink(fragment, knownModels());
  if (problems.length) notice(problems.join(' '));
  let entry = engine.models.find((m) => m.name === s.model) ?? engine.defaultModel();
  if (engine.broken.has(entry.name)) {
    notice(`The link's model ${entry.name} could not be opened; showing ${engine.entry.name}.`);
    entry = engine.entry;
  }
  if (!engine.entry || engine.entry.name !== entry.name) {
    $('model').value = entry.name;
    await openModel(entry, engine.backend);
  }
  state.a = s.a; state.b = s.b; state.steps = s.steps; state.mode = s.mode;
  state.part = (partsOf() ?? []).some(([p]) => p === s.part) ? s.part : 'all';
  state.classA = s.label_a; state.classB = s.label_b;
  if (planes.clusterCount() && state.cluster !== s.cluster) {
    state.cluster = s.cluster;
    $('cluster').value = String(s.cluster);
    replane(); planes.showCluster();
  }
  if (engine.session.conditionClasses && engine.label !== s.label) {
    engine.setLabel(s.label);
    $('class-pick').value = String(engine.label);
    classes.table.showPicked(engine.label);
    replane();
  }
  const remix = state.mixSeed !== s.mix;
  state.mixSeed = s.mix;
  $('steps').value = String(s.steps);
  setModeUi();
  setPartUi();
  if (remix) await renderMix();
  map.setView(s.center[0], s.center[1], 3 / s.zoom);
  await updateInterpolation();
  await classes.renderTable();
}

function setModeUi() {
  $('mode-lerp').setAttribute('aria-pressed', String(state.mode === 'linear'));
  $('mode-slerp').setAttribute('aria-pressed', String(state.mode === 'spherical'));
}

// ---- samples ------------------------------------------------------------------------------

async function drawSamples() {
  const n = Math.max(1, Math.min(64, Number($('sample-n').value) || 16));
  $('sample-n').value = String(n);
  const side = engine.session.side;
  // Drawn from the model's own prior (N(0, I), a mixture, categories + style) in Rust.
  const z = engine.session.samplePrior(n, state.sampleSeed++);
  state.lastSamples = z;
  // On the CPU, in the decode workers: the main thread stays free while the page starts.
  const bytes = await engine.decodeMany(z);
  const cols = Math.min(n, 8), rows = Math.ceil(n / cols);
  const c = $('samples');
  c.hidden = false;
  c.width = cols * side; c.height = rows * side;
  const ctx = c.getContext('2d');
  ctx.fillStyle = '#000'; ctx.fillRect(0, 0, c.width, c.height);
  for (let k = 0; k < n; k++) paintGrey(ctx, bytes, side, k * side * side, (k % cols) * side, Math.floor(k / cols) * side);
}

// ---- encoding drawings and uploads ---------------------------------------------------------

async function encodePixels({ rgba, width, height }) {
  const side = engine.session.side;
  let x;
  try {
    // Omniglot's characters fill part of their frame (the model file says how much).
    const fit = manifest.preprocessing.fit ?? side;
    x = wasm.prepareImage(new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength), width, height, side, fit);
  } catch (e) {
    notice(e.message || String(e));
    return;
  }
  // A conditional model encodes with the picked class, or the judge's guess.
  const label = await classes.labelFor(x);
  const z = Array.from(await engine.encode(x, label));
  state.encoded = z;
  const input = new Uint8Array(x.length);
  x.forEach((v, i) => { input[i] = Math.round(Math.min(1, Math.max(0, v)) * 255); });
  paintGrey($('enc-input').getContext('2d'), input, side, 0, 0, 0);
  const recon = await engine.decode(new Float32Array(z));
  paintGrey($('enc-recon').getContext('2d'), recon, side, 0, 0, 0);
  $('enc-text').textContent = `z = ${fmt(z)}`;
  $('encoded').hidden = false;
  state.encodedImage = input;
  updateMarks();
  await renderMix();
  await classes.renderTable();
  window.atlas.lastEncoding = z;
}

// ---- export -------------------------------------------------------------------------------

function exportGrid() {
  downloadPng([map.tiles, map.overlay], `${engine.entry.name}-grid.png`);
}

function exportStrip() {
  if ($('strip').hidden) { notice('Set both interpolation ends first.'); return; }
  downloadPng([$('strip')], `${engine.entry.name}-interpolation.png`, 4);
}

// ---- wiring -------------------------------------------------------------------------------

/** An explicit backend choice: `?backend=` in the URL, else the user's last switch. */
function askedBackend() {
  const want = new URLSearchParams(location.search).get('backend') || localStorage.getItem('atlas-backend');
  return want === 'cpu' || want === 'webgpu' ? want : null;
}

function guard(fn) {
  return (...args) => Promise.resolve().then(() => fn(...args)).catch((e) => {
    console.error(e);
    notice(e && e.message ? e.message : String(e));
  });
}

function wire() {
  $('notice-close').addEventListener('click', () => notice(''));
  $('model').addEventListener('change', guard(async () => {
    const entry = engine.models.find((m) => m.name === $('model').value);
    try {
      await openModel(entry, engine.backend); // opens on the new model's prior extent
    } catch (e) {
      $('model').value = engine.entry.name; // the open model stays, and the picker says so
      throw e;
    }
    state.a = state.b = state.encoded = null;
    await updateInterpolation();
  }));
  $('be-webgpu').addEventListener('click', guard(() => switchBackend('webgpu')));
  $('be-cpu').addEventListener('click', guard(() => switchBackend('cpu')));
  $('density').addEventListener('input', () => {
    map.density = Number($('density').value);
    $('density-out').textContent = String(map.density);
    map.render();
  });
  $('show-scatter').addEventListener('change', () => { map.showScatter = $('show-scatter').checked; map.drawOverlay(); });
  $('show-grid').addEventListener('change', () => { map.showGrid = $('show-grid').checked; map.render(); });
  $('reset-view').addEventListener('click', () => map.setView(0, 0, engine.session.priorExtent));
  $('export-grid').addEventListener('click', exportGrid);
  $('export-strip').addEventListener('click', exportStrip);
  $('class-pick').addEventListener('change', guard(() => classes.pick(Number($('class-pick').value))));
  $('every-shuffle').addEventListener('click', guard(async () => {
    state.everySeed = (state.everySeed % 1000000) + 1;
    await classes.renderTable();
  }));
  $('every-export').addEventListener('click', () => downloadPng([$('every')], `${engine.entry.name}-every-class.png`, 4));
  $('cluster').addEventListener('change', () => {
    state.cluster = Number($('cluster').value);
    replane(); planes.showCluster(); scheduleShare();
  });
  $('plane-mode').addEventListener('change', () => { state.planeMode = $('plane-mode').value; planes.fillAxisPickers(); replane(); });
  $('axis-i').addEventListener('change', () => { state.axisI = Number($('axis-i').value); replane(); });
  $('axis-j').addEventListener('change', () => { state.axisJ = Number($('axis-j').value); replane(); });
  $('anchor-reset').addEventListener('click', () => { state.anchor = null; replane(); });
  $('anchor-a').addEventListener('click', () => {
    if (!state.a) { notice('Set A first (click a test point or the map).'); return; }
    state.anchor = state.a.slice(); replane();
  });
  $('steps').addEventListener('change', guard(async () => {
    state.steps = Math.max(2, Math.min(64, Math.round(Number($('steps').value)) || 10));
    $('steps').value = String(state.steps);
    await updateInterpolation();
  }));
  $('mode-lerp').addEventListener('click', guard(async () => { state.mode = 'linear'; setModeUi(); await updateInterpolation(); }));
  $('mode-slerp').addEventListener('click', guard(async () => { state.mode = 'spherical'; setModeUi(); await updateInterpolation(); }));
  $('mix-shuffle').addEventListener('click', guard(async () => {
    state.mixSeed = (state.mixSeed % 1000000) + 1;
    scheduleShare();
    await renderMix();
  }));
  $('mix-export').addEventListener('click', () => downloadPng([$('mix')], `${engine.entry.name}-content-style.png`, 4));
  $('swap-ab').addEventListener('click', guard(async () => { [state.a, state.b] = [state.b, state.a]; await updateInterpolation(); }));
  $('copy-link').addEventListener('click', guard(async () => {
    const frag = wasm.encodeLink(shareState());
    history.replaceState(null, '', `#${frag}`);
    $('share-url').value = location.href;
    try { await navigator.clipboard.writeText(location.href); $('copy-link').textContent = 'Copied ✓'; }
    catch { $('share-url').select(); $('copy-link').textContent = 'Select and copy'; }
    setTimeout(() => { $('copy-link').textContent = 'Copy share link'; }, 1500);
  }));
  $('sample').addEventListener('click', guard(drawSamples));
  $('pad-undo').addEventListener('click', () => pad.undo());
  $('pad-clear').addEventListener('click', () => pad.clear());
  $('pad-encode').addEventListener('click', guard(async () => {
    if (pad.isEmpty()) { notice('Draw something first.'); return; }
    await encodePixels(pad.rgba());
  }));
  $('upload-button').addEventListener('click', () => $('upload').click());
  $('upload').addEventListener('change', guard(async () => {
    const file = $('upload').files[0];
    $('upload').value = '';
    if (!file) return;
    let pixels;
    try { pixels = await readImageFile(file, (bytes) => wasm.checkUploadHeader(bytes)); } catch (e) { notice(e.message); return; }
    await encodePixels(pixels);
  }));
  $('enc-as-a').addEventListener('click', () => state.encoded && setEnd('a', state.encoded));
  $('enc-as-b').addEventListener('click', () => state.encoded && setEnd('b', state.encoded));
  addEventListener('hashchange', guard(() => applyLink(location.hash)));
}

/** Opens `first`, or when its file is missing or damaged the default among the models not yet
 * tried, and says which failed and why. */
async function openFirst(first, backend) {
  const failed = [];
  for (let entry = first; entry; entry = engine.defaultModel()) {
    try {
      $('model').value = entry.name;
      await openModel(entry, backend);
      if (failed.length) notice(`${failed.join(' ')} Showing ${entry.name}.`);
      return;
    } catch (e) {
      engine.broken.add(entry.name);
      failed.push(`${entry.name} could not be opened: ${e.message || e}.`);
    }
  }
  throw new Error(`No model could be opened. ${failed.join(' ')}`);
}

async function main() {
  // Read before anything draws: opening the first model moves the view, which rewrites the hash.
  const link = location.hash;
  // Asking for a WebGPU adapter needs neither the engine nor a model: it runs beside the
  // downloads, so a "no WebGPU" message shows while the first grid is still coming.
  engine = new Engine(null, notice);
  const backend = engine.chooseBackend(askedBackend());
  wasm = await loadWasm();
  engine.wasm = wasm;
  engine.onChange(refreshBackendUi);
  hover = new HoverCard(engine);
  map = new LatentMap(engine, $('tiles'), $('overlay'), {
    onClick: guard(async (xy, point, shift) => {
      const z = point ? point.z : map.point(xy[0], xy[1]);
      setEnd(shift ? 'b' : state.nextEnd, z);
    }),
    onKeyEnd: (key, xy) => setEnd(key, map.point(xy[0], xy[1])),
    onHover: (p, x, y) => hover.show(p, x, y).catch(() => {}),
    onView: scheduleShare,
    onError: (e) => notice(e.message || String(e)),
    limits: wasm.linkLimits(),
  });
  pad = new DrawingPad($('pad'));
  mixGrid = new MixingGrid(engine, wasm, $('mix'), $('mix-status'));
  classes = new ClassControls(engine, wasm, state, classChanged);
  planes = new Planes(state, engine, map);
  wire();
  const [models] = await Promise.all([engine.loadIndex(), engine.startWorkers()]);
  classes.judge.setIndex(engine.judges);
  $('model').replaceChildren(...models.map((m) => {
    const o = document.createElement('option');
    o.value = m.name; o.textContent = `${m.name} (${m.latent_dim}-d${m.kind === 'aae' ? ', adversarial' : ''}${m.conditional ? ', conditional' : ''})`;
    if (m.trained_as) o.title = m.trained_as;
    return o;
  }));
  const first = engine.models.find((m) => link.includes(`m=${m.name}&`)) ?? engine.defaultModel();
  await openFirst(first, await backend);
  await applyLink(link);
  await map.idle();
  metrics.firstGridMs = performance.now();
  await drawSamples();
  document.body.dataset.ready = 'true';
}

installHooks({
  state, metrics, switchBackend, updateInterpolation,
  get engine() { return engine; }, get map() { return map; }, get wasm() { return wasm; },
  get pad() { return pad; }, get mixGrid() { return mixGrid; }, get classes() { return classes; },
});

main().catch((e) => {
  console.error(e);
  notice(`The explorer could not start: ${e && e.message ? e.message : e}`);
  document.body.dataset.ready = 'error';
});
