// @ts-check
// The model picker and the backend switch: opening a model (or the same model on another
// backend) sets every part up for it, then tells the store, whose listeners redraw what was
// drawn from the previous model.

import { $, $button, $select, errorText, guard, notice, options, yieldToBrowser } from './dom.js';
import { buildLegend, describeModel } from './panels.js';

/** @typedef {import('../types').Page} Page */
/** @typedef {import('../types').ModelEntry} ModelEntry */

/** The content size of the open content/style model, else null. @param {Page} page */
export function contentDim(page) {
  return page.engine.session?.manifest()?.architecture?.content_dim ?? null;
}

/** What an interpolation can move besides everything: a content/style model's parts, or a
 * conditional model's code and class; null for other models.
 * @param {Page} page
 * @returns {Array<[string, string]>|null} */
export function partsOf(page) {
  if (contentDim(page) != null) return [['all', 'everything'], ['content', 'content only'], ['style', 'style only']];
  if (page.engine.session?.conditionClasses) return [['all', 'code and class'], ['code', 'code only'], ['class', 'class only']];
  return null;
}

/** Opens `entry` on `backend` and shows it; false when a newer choice overtook it. `also`:
 * state that changes with the model (a new model clears the interpolation ends).
 * @param {Page} page @param {ModelEntry} entry @param {string} backend
 * @param {Partial<import('./store.js').PageState>} [also] */
export async function openModel(page, entry, backend, also = {}) {
  const { engine, store, map, planes, classes, wasm } = page;
  $('backend-status').textContent = `loading ${entry.name}…`;
  const newModel = engine.entry?.name !== entry.name;
  const session = await engine.open(entry, backend);
  if (!session) return false;
  $select('model').value = entry.name;
  const s = store.state, dim = session.latentDim;
  // Codes from another model have the wrong size for this one; choices it lacks fall back.
  /** @param {number[]|null} z */
  const fits = (z) => (z && z.length === dim ? z : null);
  const parts = partsOf(page);
  store.write({
    encoded: fits(s.encoded), a: fits(s.a), b: fits(s.b), anchor: newModel ? null : fits(s.anchor),
    // Another model's code of a test image is not this model's code of it.
    ...(newModel ? { imageA: null, imageB: null, highlight: null } : {}),
    part: parts?.some(([p]) => p === s.part) ? s.part : 'all',
    // Picked sets are codes of the model they were picked on.
    ...(newModel ? { setFrom: [], setTo: [], setMeans: null, picking: null } : {}),
    ...planes.fill(wasm), ...classes.fill(), ...also,
  });
  engine.setLabel(store.state.label);
  planes.showChoice();
  classes.showPicked();
  map.setModel(session, planes.current(), session.side);
  map.showOnly(planes.shown());
  // A new model opens on the square that holds its prior (a mixture's islands sit further out).
  if (newModel) map.fit(session.priorExtent);
  // The grid's first requests are with the decoders: the rest of the set-up is a task of its
  // own (in one with the above it was a first visit's longest). A newer open that finished
  // meanwhile owns the page.
  await yieldToBrowser();
  if (engine.session !== session) return false;
  const manifest = session.manifest();
  buildLegend(manifest.dataset.class_names, store);
  describeModel(entry, manifest, session.regularisation);
  $('mix-card').hidden = contentDim(page) == null;
  $('part-row').hidden = !parts;
  // Everything drawn from the previous model redraws (the strip, mixing grid, samples, link).
  await store.set({ model: entry.name, session: s.session + 1 });
  return true;
}

/** Opens `first`, or when its file is missing or damaged the default among the models not yet
 * tried, and says which failed and why.
 * @param {Page} page @param {ModelEntry} first @param {string} backend */
export async function openFirst(page, first, backend) {
  const { engine } = page, failed = [];
  for (let entry = first; entry; entry = engine.defaultModel()) {
    try {
      $select('model').value = entry.name;
      await openModel(page, entry, backend);
      if (failed.length) notice(`${failed.join(' ')} Showing ${entry.name}.`);
      return;
    } catch (e) {
      engine.broken.add(entry.name);
      failed.push(`${entry.name} could not be opened: ${errorText(e)}.`);
    }
  }
  throw new Error(`No model could be opened. ${failed.join(' ')}`);
}

/** The open model on `backend`. @param {Page} page @param {'cpu'|'webgpu'} backend */
export async function switchBackend(page, backend) {
  const { engine } = page;
  if (engine.backend === backend) return;
  await openModel(page, engine.entry, backend);
  // Remembered only when it worked: a failed WebGPU start does not pin later visits to the CPU.
  if (engine.backend === backend) localStorage.setItem('atlas-backend', backend);
}

/** An explicit backend choice: `?backend=` in the URL, else the user's last switch.
 * @returns {'cpu'|'webgpu'|null} */
export function askedBackend() {
  const want = new URLSearchParams(location.search).get('backend') || localStorage.getItem('atlas-backend');
  return want === 'cpu' || want === 'webgpu' ? want : null;
}

/** The picker's entries: pkg/index.json's, then those opened from disk.
 * @param {ModelEntry[]} models */
export function fillModelPicker(models) {
  /** @type {Array<[string, string]>} */
  const entries = models.map((m) => [m.name,
    `${m.name} (${m.latent_dim}-d${m.kind === 'aae' ? ', adversarial' : ''}${m.conditional ? ', conditional' : ''}${m.local ? ', opened from disk' : ''})`]);
  // The same list for the second model of a comparison, after "nothing" (one map).
  for (const [id, first] of /** @type {Array<[string, Array<[string, string]>]>} */ ([['model', []], ['compare-model', [['', 'nothing (one map)']]]])) {
    const picker = $select(id), shown = picker.value;
    picker.replaceChildren(...options([...first, ...entries]));
    if (shown) picker.value = shown;
    models.forEach((m, i) => { if (m.trained_as) /** @type {HTMLOptionElement} */ (picker.options[i + first.length]).title = m.trained_as; });
  }
}

/** @param {Page} page */
export function wireModels(page) {
  const { engine, store } = page;
  // The backend is whatever the engine runs on (it falls back to the CPU by itself); the status
  // line says so again after every open (it said "loading" meanwhile).
  engine.onChange(() => { store.set({ backend: engine.backend }); });
  store.on(['backend', 'session'], (s) => {
    const be = s.backend;
    $button('be-webgpu').setAttribute('aria-pressed', String(be === 'webgpu'));
    $button('be-cpu').setAttribute('aria-pressed', String(be === 'cpu'));
    $button('be-webgpu').disabled = !navigator.gpu;
    $button('be-webgpu').title = engine.webgpuBroken ? `WebGPU unavailable: ${engine.webgpuBroken}` : '';
    // One short line (the header must not grow after the first paint; CSS cuts what does not
    // fit); the title says more.
    const note = be === 'cpu' ? engine.backendNote : null;
    $('backend-status').textContent = be === 'webgpu' ? 'running on WebGPU (burn-wgpu)'
      : note ? `running on the CPU · ${note}` : 'running on the CPU (burn-flex, wasm)';
    $('backend-status').title = be === 'webgpu' ? 'burn-wgpu' : `burn-flex, wasm${note && engine.webgpuBroken ? `; WebGPU: ${engine.webgpuBroken}` : ''}`;
    document.body.dataset.backend = be || '';
  });
  $select('model').addEventListener('change', guard(async () => {
    const entry = engine.models.find((m) => m.name === $select('model').value);
    try {
      // Opens on the new model's prior extent, without the last model's ends or drawing.
      await openModel(page, entry, engine.backend, { a: null, b: null, encoded: null });
    } catch (e) {
      $select('model').value = engine.entry.name; // the open model stays, and the picker says so
      throw e;
    }
  }));
  $('be-webgpu').addEventListener('click', guard(() => switchBackend(page, 'webgpu')));
  $('be-cpu').addEventListener('click', guard(() => switchBackend(page, 'cpu')));
}
