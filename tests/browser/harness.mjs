// The browser suite's harness: the test runner (ATLAS_ONLY filters), screenshots, and the page
// helpers every group of tests shares. `ctx` holds the server, the browsers and the test images
// once run.mjs has started them.

import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { ROOT, openPage, png, nativeDecode } from './lib.mjs';

export const ctx = { server: null, gpu: null, cpu: null, images: null };

export const SHOTS = path.join(ROOT, 'target', 'browser');
fs.mkdirSync(SHOTS, { recursive: true });
const UPLOADS = fs.mkdtempSync('/tmp/atlas-uploads-');
export const results = [];

// ATLAS_ONLY=<regex> runs only the matching tests (while working on one; the suite runs all).
const only = process.env.ATLAS_ONLY ? new RegExp(process.env.ATLAS_ONLY) : null;

// No test waits forever: one that has not finished in this time fails with its name (its page is
// left behind), and the suite goes on. The longest, the soak, takes about 2 minutes here.
const TEST_LIMIT_MS = 10 * 60_000;

/** `promise`, or a failure saying what did not answer within `ms`. */
export function within(ms, promise, what) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms); })])
    .finally(() => clearTimeout(timer));
}

export async function test(name, fn) {
  if (only && !only.test(name)) return;
  const t0 = Date.now();
  try {
    await within(TEST_LIMIT_MS, fn(), 'the test');
    results.push({ name, ok: true });
    console.log(`ok    ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL  ${name}\n      ${String(e && e.stack || e).split('\n').slice(0, 6).join('\n      ')}`);
  }
}

// Screenshots are for people to look at, not assertions: one that times out (the compositor
// busy under software WebGPU) is reported at the end instead of failing the test it is in.
export const missedShots = [];
export const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true, timeout: 60_000 })
  .catch((e) => missedShots.push(`${name}: ${e.message.split('\n')[0]}`));

/** Statistics of the map's tile canvas: is it showing real, varied images? */
export function gridStats(page, id = 'tiles') {
  return page.evaluate((id) => {
    const c = document.getElementById(id);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let sum = 0, sum2 = 0, n = 0;
    for (let i = 0; i < d.length; i += 4) { sum += d[i]; sum2 += d[i] * d[i]; n++; }
    // Compare 16 sample tiles' mean brightness: a real decoder gives different images.
    const means = [];
    for (let k = 0; k < 16; k++) {
      const x0 = Math.floor(((k % 4) + 0.25) * c.width / 4), y0 = Math.floor((Math.floor(k / 4) + 0.25) * c.height / 4);
      const w = Math.floor(c.width / 8);
      const p = c.getContext('2d').getImageData(x0, y0, w, w).data;
      let s = 0; for (let i = 0; i < p.length; i += 4) s += p[i];
      means.push(s / (p.length / 4));
    }
    const mean = sum / n;
    return { mean, std: Math.sqrt(sum2 / n - mean * mean), tileMeans: means, width: c.width, height: c.height };
  }, id);
}

export function assertRealGrid(s) {
  assert.ok(s.mean > 10 && s.mean < 200, `grid brightness ${s.mean.toFixed(1)} looks blank`);
  assert.ok(s.std > 30, `grid pixel spread ${s.std.toFixed(1)} is too flat for decoded garments`);
  const spread = Math.max(...s.tileMeans) - Math.min(...s.tileMeans);
  assert.ok(spread > 20, `sampled regions differ by only ${spread.toFixed(1)} grey levels`);
}

/** Browser decodes of fixed latent points equal the native CLI's within 1/255. */
export async function assertParity(page, label) {
  const { model } = await page.evaluate(() => window.atlas.state);
  const file = `${model}.safetensors`;
  const points = [[0, 0], [1.5, -0.75], [-2.25, 2], [0.3, 0.9], [-1, -1.6], [2.8, 2.8]];
  const native = nativeDecode(file, points);
  // Both the page's own session and the grid's path (the CPU decode workers).
  for (const pooled of [false, true]) {
    const browser = await page.evaluate(([p, pooled]) => window.atlas.decode(p, pooled), [points, pooled]);
    let worst = 0;
    points.forEach((_, k) => native[k].forEach((v, i) => { worst = Math.max(worst, Math.abs(v - browser[k][i])); }));
    assert.ok(worst <= 1, `${label}${pooled ? ' (grid path)' : ''}: browser and native decodes differ by ${worst}/255`);
  }
}

export async function noticeText(page) {
  return page.evaluate(() => (document.getElementById('notice').hidden ? '' : document.getElementById('notice-text').textContent));
}

export async function uploadFile(page, name, bytes) {
  const file = path.join(UPLOADS, name);
  fs.writeFileSync(file, bytes);
  await page.evaluate(() => { window.atlas.lastEncoding = null; document.getElementById('notice').hidden = true; });
  await page.setInputFiles('#upload', file);
}

export async function pageStillWorks(page) {
  const out = await page.evaluate(() => window.atlas.decode([[0.5, -0.5]]));
  assert.equal(out[0].length, 28 * 28);
  assert.ok(Math.max(...out[0]) > 100, 'decode after a bad input returned a blank image');
}

/** The map's top-left 200x200 tile pixels (a grid's fingerprint). */
export function tilePixels(page) {
  return page.evaluate(() => Array.from(document.getElementById('tiles').getContext('2d').getImageData(0, 0, 200, 200).data));
}

/** Test image `i` as an opaque 28x28 RGBA PNG, as a user would upload it. */
export function testImagePng(i) {
  const src = ctx.images.image(i), rgba = Buffer.alloc(28 * 28 * 4);
  for (let k = 0; k < 784; k++) { rgba.fill(src[k], 4 * k, 4 * k + 3); rgba[4 * k + 3] = 255; }
  return png(28, 28, rgba);
}

/** The page's share link, reopened in a new page, restores `key` = `value` in its state, the
 * picker `select` and the grid `grid`. */
export async function assertLinkRestores(page, key, value, select, grid, what) {
  const other = await openPage(ctx.cpu, page.url());
  await other.page.evaluate(() => window.atlas.idle());
  assert.equal((await other.page.evaluate(() => window.atlas.state))[key], value);
  assert.equal(await other.page.inputValue(select), String(value));
  assert.deepEqual(await tilePixels(other.page), grid, `the link restores the ${what}'s grid`);
  await other.page.close();
}
