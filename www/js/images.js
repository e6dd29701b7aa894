// @ts-check
// Small image utilities of the page: PNG downloads of canvases, and downloads of files made
// elsewhere (the interpolation GIF).

/** Downloads `layers` (canvases of one size, drawn in order) as a PNG, scaled by `scale` with
 * hard pixel edges.
 * @param {HTMLCanvasElement[]} layers @param {string} name @param {number} [scale] */
export function downloadPng(layers, name, scale = 1) {
  const c = document.createElement('canvas');
  c.width = layers[0].width * scale; c.height = layers[0].height * scale;
  const ctx = /** @type {CanvasRenderingContext2D} */ (c.getContext('2d'));
  ctx.imageSmoothingEnabled = false;
  for (const layer of layers) ctx.drawImage(layer, 0, 0, c.width, c.height);
  c.toBlob((blob) => download(blob, name), 'image/png');
}

/** Downloads panels side by side (each its `layers`, as downloadPng draws them), `gap` pixels
 * apart on white, scaled by `scale`: a comparison's two maps in one picture.
 * @param {HTMLCanvasElement[][]} panels @param {string} name @param {number} scale @param {number} gap */
export function downloadPanels(panels, name, scale, gap) {
  const c = document.createElement('canvas');
  c.width = panels.reduce((w, p) => w + p[0].width * scale, 0) + gap * (panels.length - 1);
  c.height = Math.max(...panels.map((p) => p[0].height * scale));
  const ctx = /** @type {CanvasRenderingContext2D} */ (c.getContext('2d'));
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.imageSmoothingEnabled = false;
  let x = 0;
  for (const layers of panels) {
    const [w, h] = [layers[0].width * scale, layers[0].height * scale];
    for (const layer of layers) ctx.drawImage(layer, x, 0, w, h);
    x += w + gap;
  }
  c.toBlob((blob) => download(blob, name), 'image/png');
}

/** Offers `blob` as a download named `name`. @param {Blob} blob @param {string} name */
export function download(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
