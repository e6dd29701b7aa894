// @ts-check
// Decoded images onto canvases: one image (paintGrey) or a chunk of the map's tiles in one
// canvas (greyAtlas), in greys or through a colour table (colormaps.js).

import { ctx2d } from './dom.js';

/** Paints one side x side grey image (from `bytes` at `offset`) at (x, y).
 * @param {CanvasRenderingContext2D} ctx
 * @param {ArrayLike<number>} bytes
 * @param {number} side
 * @param {number} offset
 * @param {number} x
 * @param {number} y
 * @param {Uint8Array|null} [lut]  a colour table (colormaps.js); null: greys */
export function paintGrey(ctx, bytes, side, offset, x, y, lut = null) {
  const img = ctx.createImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const v = bytes[offset + i];
    if (lut) {
      img.data[4 * i] = lut[3 * v]; img.data[4 * i + 1] = lut[3 * v + 1]; img.data[4 * i + 2] = lut[3 * v + 2];
    } else {
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
    }
    img.data[4 * i + 3] = 255;
  }
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
  // One 32-bit pixel per grey level (RGBA in memory order: little-endian words are ABGR).
  const colour = new Uint32Array(256);
  for (let v = 0; v < 256; v++) {
    const [r, g, b] = lut ? [lut[3 * v], lut[3 * v + 1], lut[3 * v + 2]] : [v, v, v];
    colour[v] = (0xff << 24 | b << 16 | g << 8 | r) >>> 0;
  }
  const px = new Uint32Array(img.data.buffer), W = canvas.width;
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
