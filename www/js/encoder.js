// @ts-check
// The "encode a drawing" card: the drawing pad and uploads go through Rust's preprocessing
// (prepareImage) to the model; the input it made and its reconstruction are shown, and the code
// joins the store (a marker on the map, a row of the mixing grid and the class table).

import { $, $canvas, $input, ctx2d, errorText, guard, notice } from './dom.js';
import { fmt } from './format.js';
import { paintGrey } from './paint.js';
import { readImageFile } from './pad.js';
import { setEnd } from './strip.js';

/** @typedef {import('../types').Page} Page */

/** Draws an upload as it is (64 pixels high, its own aspect) beside the input made of it.
 * @param {{ rgba: Uint8ClampedArray, width: number, height: number }} image */
function showUpload({ rgba, width, height }) {
  const full = document.createElement('canvas');
  full.width = width; full.height = height;
  ctx2d(full).putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  const thumb = $canvas('enc-upload'), h = 128, w = Math.max(1, Math.min(192, Math.round((h * width) / height)));
  thumb.width = w; thumb.height = h;
  const c = ctx2d(thumb);
  c.imageSmoothingQuality = 'high';
  c.drawImage(full, 0, 0, w, h);
  $('enc-upload-fig').hidden = false;
}

/** Encodes an image (RGBA pixels of any size) with the open model; an upload (not a drawing)
 * is shown as it is beside the input made of it.
 * @param {Page} page @param {{ rgba: Uint8ClampedArray, width: number, height: number }} image
 * @param {boolean} upload */
async function encodePixels(page, { rgba, width, height }, upload) {
  const { engine, wasm, classes, store } = page;
  const side = engine.session.side;
  let x;
  try {
    // Omniglot's characters fill part of their frame (the model file says how much).
    const fit = engine.session.manifest().preprocessing.fit ?? side;
    x = wasm.prepareImage(new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength), width, height, side, fit);
  } catch (e) {
    notice(errorText(e));
    return;
  }
  if (upload) showUpload({ rgba, width, height }); else $('enc-upload-fig').hidden = true;
  // A conditional model encodes with the picked class, or the judge's guess.
  const label = await classes.labelFor(x);
  const z = Array.from(await engine.encode(x, label));
  const input = new Uint8Array(x.length);
  x.forEach((v, i) => { input[i] = Math.round(Math.min(1, Math.max(0, v)) * 255); });
  paintGrey(ctx2d($canvas('enc-input')), input, side, 0, 0, 0);
  const recon = await engine.decode(new Float32Array(z));
  paintGrey(ctx2d($canvas('enc-recon')), recon, side, 0, 0, 0);
  $('enc-text').textContent = `z = ${fmt(z)}`;
  await store.set({ encoded: z, encodedImage: input, encodedSource: { rgba, width, height } });
  window.atlas.lastEncoding = z;
}

/** Encodes an image file (an upload, or one dropped on the page); a bad file gets a message.
 * @param {Page} page @param {File} file */
export async function encodeFile(page, file) {
  let pixels;
  try { pixels = await readImageFile(file, (bytes) => page.wasm.checkUploadHeader(bytes)); } catch (e) { notice(errorText(e)); return; }
  await encodePixels(page, pixels, true);
}

/** @param {Page} page */
export function wireEncoder(page) {
  const { pad, store } = page;
  store.on(['encoded', 'session'], (s) => { $('encoded').hidden = !s.encoded; });
  $('pad-undo').addEventListener('click', () => pad.undo());
  $('pad-clear').addEventListener('click', () => pad.clear());
  $('pad-encode').addEventListener('click', guard(async () => {
    if (pad.isEmpty()) { notice('Draw something first.'); return; }
    await encodePixels(page, pad.rgba(), false);
  }));
  $('upload-button').addEventListener('click', () => $input('upload').click());
  $('upload').addEventListener('change', guard(async () => {
    const file = $input('upload').files[0];
    $input('upload').value = '';
    if (file) await encodeFile(page, file);
  }));
  $('enc-as-a').addEventListener('click', guard(() => store.state.encoded && setEnd(page, 'a', store.state.encoded)));
  $('enc-as-b').addEventListener('click', guard(() => store.state.encoded && setEnd(page, 'b', store.state.encoded)));
}
