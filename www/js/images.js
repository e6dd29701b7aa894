// Small image utilities of the page: seeded prior samples and PNG downloads of canvases.

/** n standard-normal values; the same seed gives the same values on every machine
 * (mulberry32 + Box-Muller). */
export function gaussians(n, seed) {
  let t = seed >>> 0;
  const u = () => { t += 0x6D2B79F5; let r = Math.imul(t ^ (t >>> 15), 1 | t); r ^= r + Math.imul(r ^ (r >>> 7), 61 | r); return ((r ^ (r >>> 14)) >>> 0) / 4294967296; };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u())), th = 2 * Math.PI * u();
    out[i] = r * Math.cos(th);
    if (i + 1 < n) out[i + 1] = r * Math.sin(th);
  }
  return out;
}

/** Downloads `layers` (canvases of one size, drawn in order) as a PNG, scaled by `scale` with
 * hard pixel edges. */
export function downloadPng(layers, name, scale = 1) {
  const c = document.createElement('canvas');
  c.width = layers[0].width * scale; c.height = layers[0].height * scale;
  const ctx = c.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  for (const layer of layers) ctx.drawImage(layer, 0, 0, c.width, c.height);
  c.toBlob((blob) => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }, 'image/png');
}
