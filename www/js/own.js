// @ts-check
// Models from the visitor's disk: "Open model file…" or a file dropped on the page. The file is
// validated in Rust as natively, joins the picker for this visit (named local-<its model name>)
// and never leaves the browser; a link that was waiting for it applies once it is open. Images
// dropped on the page are encoded like uploads.

import { $, $input, errorText, guard } from './dom.js';
import { encodeFile } from './encoder.js';
import { fillModelPicker, openModel } from './models.js';
import { applyWaitingLink } from './share.js';

/** @typedef {import('../types').Page} Page */

/** Larger files are refused before they are read (the shipped models are under 10 MB). */
const MAX_MODEL_BYTES = 256 * 1024 * 1024;

/** @param {Page} page @param {File} file */
export async function openLocalModel(page, file) {
  const { engine, wasm } = page;
  if (file.size > MAX_MODEL_BYTES) {
    throw new Error(`${file.name} is ${(file.size / 1048576).toFixed(0)} MB; model files up to ${MAX_MODEL_BYTES / 1048576} MB can be opened.`);
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  let entry;
  try {
    entry = await engine.addLocal(bytes, wasm.linkLimits().localPrefix);
  } catch (e) {
    throw new Error(`${file.name} could not be opened: ${errorText(e)}.`);
  }
  fillModelPicker(engine.models);
  await openModel(page, entry, engine.backend, { a: null, b: null, encoded: null });
  await applyWaitingLink(page);
}

/** A dropped file: a model file opens, an image is encoded. @param {Page} page @param {File} file */
function dropped(page, file) {
  return /\.safetensors$/i.test(file.name) || !/^image\//.test(file.type) ? openLocalModel(page, file) : encodeFile(page, file);
}

/** @param {Page} page */
export function wireOwnModels(page) {
  $('open-model').addEventListener('click', () => $input('model-file').click());
  $('model-file').addEventListener('change', guard(async () => {
    const file = $input('model-file').files[0];
    $input('model-file').value = '';
    if (file) await openLocalModel(page, file);
  }));
  addEventListener('dragover', (e) => {
    if (e.dataTransfer?.types.includes('Files')) { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; }
  });
  const open = guard((/** @type {File} */ file) => dropped(page, file));
  addEventListener('drop', (e) => {
    const file = e.dataTransfer?.files[0];
    if (!file) return;
    e.preventDefault(); // the browser would navigate to the file
    open(file);
  });
}
