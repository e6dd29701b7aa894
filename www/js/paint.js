// @ts-check
// Decoded images onto canvases: one image (paintGrey) or a chunk of the map's tiles in one
// canvas (greyAtlas), in greys or through a colour table (colormaps.js).

import { ctx2d } from './dom.js';

/** One 32-bit RGBA pixel per grey level, through colour table `lut` (null: greys); written
 * through a Uint32Array view of an ImageData, whose little-endian words are ABGR.
 * @param {Uint8Array|null} lut */
function pixelWords(lut) {
  const words = new Uint32Array(256);
  for (let v = 0; v < 256; v++) {
    const [r, g, b] = lut ? [lut[3 * v], lut[3 * v + 1], lut[3 * v + 2]] : [v, v, v];
    words[v] = (0xff << 24 | b << 16 | g << 8 | r) >>> 0;
  }
  return words;
}

/** Paints one side x side grey image (from `bytes` at `offset`) at (x, y).
 * @param {CanvasRenderingContext2D} ctx
 * @param {ArrayLike<number>} bytes
 * @param {number} side
 * @param {number} offset
 * @param {number} x
 * @param {number} y
 * @param {Uint8Array|null} [lut]  a colour table (colormaps.js); null: greys */
export function paintGrey(ctx, bytes, side, offset, x, y, lut = null) {
  const img = ctx.createImageData(side, side), px = new Uint32Array(img.data.buffer), words = pixelWords(lut);
  for (let i = 0; i < side * side; i++) px[i] = words[bytes[offset + i]];
  ctx.putImageData(img, x, y);
}

/** `n` side x side grey images (from `bytes`) painted into one canvas, `cols` to a row, with
 * one putImageData; returns the canvas and each image's top-left corner. A grid chunk of ~200
 * tiles used to cost a canvas, an ImageData and a putImageData per tile (~20 ms of the main
 * thread on these machines, ~80 ms on a phone).
 * @param {Uint8Array} bytes @param {number} n @param {number} side @param {Uint8Array|null} lut
 * @returns {{ canvas: HTMLCanvasElement, corners: Array<[number, number]> }} */
export function greyAtlas(bytes, n, side, lut) {
  const cols = Math.max(1, Math.ceil(Math.sqrt(n))), rows = Math.max(1, Math.ceil(n / cols));
  const canvas = document.createElement('canvas');
  canvas.width = cols * side; canvas.height = rows * side;
  const ctx = ctx2d(canvas), img = ctx.createImageData(canvas.width, canvas.height);
  const colour = pixelWords(lut), px = new Uint32Array(img.data.buffer), W = canvas.width;
  /** @type {Array<[number, number]>} */
  const corners = [];
  for (let k = 0; k < n; k++) {
    const x = (k % cols) * side, y = Math.floor(k / cols) * side;
    corners.push([x, y]);
    for (let r = 0, src = k * side * side; r < side; r++) {
      for (let c = 0, o = (y + r) * W + x; c < side; c++) px[o++] = colour[bytes[src++]];
    }
  }
  ctx.putImageData(img, 0, 0);
  return { canvas, corners };
}
