// End-to-end tests of the explorer page in headless Debian Chromium (playwright-core), against
// the trunk build in dist/. Run by scripts/test.sh after the native tests (the native CLI is the
// reference for decodes). Once with WebGPU (SwiftShader when there is no GPU), once without.
// Screenshots of each main state go to target/browser/.

import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { ROOT, serveDist, launch, openPage, png, testImages, nativeDecode } from './lib.mjs';

const SHOTS = path.join(ROOT, 'target', 'browser');
fs.mkdirSync(SHOTS, { recursive: true });
const UPLOADS = fs.mkdtempSync('/tmp/atlas-uploads-');
const results = [];

// ATLAS_ONLY=<regex> runs only the matching tests (while working on one; the suite runs all).
const only = process.env.ATLAS_ONLY ? new RegExp(process.env.ATLAS_ONLY) : null;

async function test(name, fn) {
  if (only && !only.test(name)) return;
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok    ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL  ${name}\n      ${String(e && e.stack || e).split('\n').slice(0, 6).join('\n      ')}`);
  }
}

// Screenshots are for people to look at, not assertions: one that times out (the compositor
// busy under software WebGPU) is reported at the end instead of failing the test it is in.
const missedShots = [];
const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true, timeout: 60_000 })
  .catch((e) => missedShots.push(`${name}: ${e.message.split('\n')[0]}`));

/** Statistics of the map's tile canvas: is it showing real, varied images? */
function gridStats(page) {
  return page.evaluate(() => {
    const c = document.getElementById('tiles');
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
  });
}

function assertRealGrid(s) {
  assert.ok(s.mean > 10 && s.mean < 200, `grid brightness ${s.mean.toFixed(1)} looks blank`);
  assert.ok(s.std > 30, `grid pixel spread ${s.std.toFixed(1)} is too flat for decoded garments`);
  const spread = Math.max(...s.tileMeans) - Math.min(...s.tileMeans);
  assert.ok(spread > 20, `sampled regions differ by only ${spread.toFixed(1)} grey levels`);
}

/** Browser decodes of fixed latent points equal the native CLI's within 1/255. */
async function assertParity(page, label) {
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

async function noticeText(page) {
  return page.evaluate(() => (document.getElementById('notice').hidden ? '' : document.getElementById('notice-text').textContent));
}

async function uploadFile(page, name, bytes) {
  const file = path.join(UPLOADS, name);
  fs.writeFileSync(file, bytes);
  await page.evaluate(() => { window.atlas.lastEncoding = null; document.getElementById('notice').hidden = true; });
  await page.setInputFiles('#upload', file);
}

async function pageStillWorks(page) {
  const out = await page.evaluate(() => window.atlas.decode([[0.5, -0.5]]));
  assert.equal(out[0].length, 28 * 28);
  assert.ok(Math.max(...out[0]) > 100, 'decode after a bad input returned a blank image');
}

/** The map's top-left 200x200 tile pixels (a grid's fingerprint). */
function tilePixels(page) {
  return page.evaluate(() => Array.from(document.getElementById('tiles').getContext('2d').getImageData(0, 0, 200, 200).data));
}

/** Test image `i` as an opaque 28x28 RGBA PNG, as a user would upload it. */
function testImagePng(i) {
  const src = images.image(i), rgba = Buffer.alloc(28 * 28 * 4);
  for (let k = 0; k < 784; k++) { rgba.fill(src[k], 4 * k, 4 * k + 3); rgba[4 * k + 3] = 255; }
  return png(28, 28, rgba);
}

/** The page's share link, reopened in a new page, restores `key` = `value` in its state, the
 * picker `select` and the grid `grid`. */
async function assertLinkRestores(page, key, value, select, grid, what) {
  const other = await openPage(cpu, page.url());
  await other.page.evaluate(() => window.atlas.idle());
  assert.equal((await other.page.evaluate(() => window.atlas.state))[key], value);
  assert.equal(await other.page.inputValue(select), String(value));
  assert.deepEqual(await tilePixels(other.page), grid, `the link restores the ${what}'s grid`);
  await other.page.close();
}

const server = await serveDist();
const images = testImages();
console.log(`serving dist/ at ${server.url}`);

// ---- WebGPU available (SwiftShader here) ----------------------------------------------------
const gpu = await launch({ webgpu: true });
let main;

await test('a software-only WebGPU adapter loses to the CPU unless asked for; CPU tiles decode in workers', async () => {
  const p = await openPage(gpu, server.url);
  const st = await p.page.evaluate(() => window.atlas.state);
  const software = await p.page.evaluate(async () => (await navigator.gpu.requestAdapter()).info.isFallbackAdapter);
  assert.equal(st.backend, software ? 'cpu' : 'webgpu');
  if (software) assert.match(await noticeText(p.page), /software renderer/);
  assert.ok(await p.page.evaluate(() => window.atlas.workers()) >= 1, 'no decode workers');
  assertRealGrid(await gridStats(p.page));
  assert.deepEqual(p.problems, []);
  await p.page.close();
});

await test('page loads on WebGPU and the grid shows real, varied images', async () => {
  main = await openPage(gpu, `${server.url}?backend=webgpu`);
  const st = await main.page.evaluate(() => window.atlas.state);
  assert.equal(await main.page.evaluate(() => document.body.dataset.ready), 'true', await noticeText(main.page));
  assert.equal(st.backend, 'webgpu', `backend is ${st.backend}: ${st.webgpuBroken}`);
  assertRealGrid(await gridStats(main.page));
  await shot(main.page, '01-webgpu-grid');
});

await test('WebGPU decodes equal native decodes within 1/255', async () => {
  await assertParity(main.page, 'webgpu');
});

await test('switching to the CPU keeps the grid and CPU decodes equal native ones', async () => {
  await main.page.click('#be-cpu');
  await main.page.waitForFunction(() => window.atlas.state.backend === 'cpu');
  await main.page.evaluate(() => window.atlas.idle());
  assertRealGrid(await gridStats(main.page));
  await assertParity(main.page, 'cpu');
  await main.page.click('#be-webgpu');
  await main.page.waitForFunction(() => window.atlas.state.backend === 'webgpu');
});

await test('pan and zoom decode new tiles; hover shows the original and its reconstruction', async () => {
  const { page } = main;
  const box = await page.locator('#overlay').boundingBox();
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy); await page.mouse.down(); await page.mouse.move(cx - 150, cy + 60, { steps: 5 }); await page.mouse.up();
  const view = await page.evaluate(() => window.atlas.state.view);
  assert.ok(view.cx > 0.5 && view.cy > 0.1, `drag did not pan: ${JSON.stringify(view)}`);
  await page.mouse.wheel(0, -300);
  await page.waitForFunction((h) => window.atlas.state.view.half < h, view.half);
  await page.evaluate(() => window.atlas.idle());
  assertRealGrid(await gridStats(page));
  await page.click('#reset-view');
  await page.evaluate(() => window.atlas.idle());
  // Hover the screen position of test point 0.
  const pos = await page.evaluate(() => {
    const m = window.atlas._map, [x, y] = m.points.xy.subarray(0, 2);
    const [sx, sy] = m.toScreen(x, y), r = m.overlay.getBoundingClientRect(), k = r.width / m.overlay.width;
    return [r.left + sx * k, r.top + sy * k];
  });
  await page.mouse.move(pos[0], pos[1]);
  await page.waitForFunction(() => !document.getElementById('hover').hidden);
  await page.waitForTimeout(400);
  const bright = await page.evaluate(() => ['hover-orig', 'hover-recon'].map((id) => {
    const d = document.getElementById(id).getContext('2d').getImageData(0, 0, 28, 28).data;
    let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i]; return s / 784;
  }));
  assert.ok(bright[0] > 5 && bright[1] > 5, `hover images blank: ${bright}`);
  await shot(page, '02-hover');
  await page.mouse.move(5, 5);
});

await test('uploading a test-set image encodes close to its native encoding', async () => {
  const { page } = main;
  for (const i of [0, 1, 2, 3, 4]) {
    // 4x upscaled, dark ink on a light background (as a photo or scan would be): the page
    // must invert, crop and scale it back to the training format.
    const src = images.image(i), W = 112, rgba = Buffer.alloc(W * W * 4);
    for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) {
      const v = 255 - src[(y >> 2) * 28 + (x >> 2)], o = (y * W + x) * 4;
      rgba[o] = rgba[o + 1] = rgba[o + 2] = v; rgba[o + 3] = 255;
    }
    await uploadFile(page, `test-${i}.png`, png(W, W, rgba));
    await page.waitForFunction(() => window.atlas.lastEncoding !== null, null, { timeout: 30_000 });
    const { rank, dist } = await page.evaluate((idx) => {
      const z = window.atlas.lastEncoding, m = window.atlas.testMeans(), d = z.length;
      const dists = [];
      for (let j = 0; j < m.length / d; j++) { let s = 0; for (let k = 0; k < d; k++) s += (m[j * d + k] - z[k]) ** 2; dists.push(s); }
      const own = dists[idx];
      return { rank: dists.filter((x) => x < own).length, dist: Math.sqrt(own) };
    }, i);
    // Its own native encoding is among the 1% of test encodings nearest to the upload's.
    assert.ok(rank < 100, `test image ${i}: native encoding is only the ${rank}th nearest (distance ${dist.toFixed(3)})`);
  }
  await shot(page, '03-upload');
});

await test('the drawing pad draws with mouse and pen, undoes, clears and encodes', async () => {
  const { page } = main;
  await page.click('#pad-clear');
  await page.click('#pad-encode');
  assert.match(await noticeText(page), /Draw something/);
  const box = await page.locator('#pad').boundingBox();
  const at = (fx, fy) => [box.x + fx * box.width, box.y + fy * box.height];
  // A mouse stroke: a long-sleeved top's outline.
  await page.mouse.move(...at(0.3, 0.2)); await page.mouse.down();
  for (const [fx, fy] of [[0.7, 0.2], [0.85, 0.6], [0.7, 0.6], [0.7, 0.85], [0.3, 0.85], [0.3, 0.6], [0.15, 0.6], [0.3, 0.2]]) {
    await page.mouse.move(...at(fx, fy), { steps: 6 });
  }
  await page.mouse.up();
  // A pen stroke with pressure, through real pointer events.
  await page.evaluate(({ x0, y0, w }) => {
    const pad = document.getElementById('pad');
    const ev = (type, fx, fy) => pad.dispatchEvent(new PointerEvent(type, { pointerId: 7, pointerType: 'pen', pressure: 0.9, bubbles: true, clientX: x0 + fx * w, clientY: y0 + fy * w }));
    ev('pointerdown', 0.5, 0.3); for (let k = 1; k <= 10; k++) ev('pointermove', 0.5, 0.3 + k * 0.05); ev('pointerup', 0.5, 0.8);
  }, { x0: box.x, y0: box.y, w: box.width });
  const strokes = () => page.evaluate(() => window.atlas._pad.strokes.length);
  assert.equal(await strokes(), 2);
  await page.click('#pad-undo');
  assert.equal(await strokes(), 1);
  await page.evaluate(() => { window.atlas.lastEncoding = null; });
  await page.click('#pad-encode');
  await page.waitForFunction(() => window.atlas.lastEncoding !== null);
  const ink = await page.evaluate(() => {
    const d = document.getElementById('enc-input').getContext('2d').getImageData(0, 0, 28, 28).data;
    let n = 0; for (let i = 0; i < d.length; i += 4) n += d[i] > 128; return n;
  });
  assert.ok(ink > 40, `the prepared 28x28 drawing has only ${ink} ink pixels`);
  await page.click('#enc-as-a');
  await shot(page, '04-drawing');
});

let shareUrl, stripPixels, gridPixels;
await test('interpolation from map clicks animates the strip and draws the path', async () => {
  const { page } = main;
  await page.click('#reset-view');
  await page.evaluate(() => window.scrollTo(0, 0));
  const box = await page.locator('#overlay').boundingBox();
  await page.evaluate(() => { window.atlas._state.nextEnd = 'a'; });
  await page.mouse.click(box.x + box.width * 0.25, box.y + box.height * 0.3);
  await page.mouse.click(box.x + box.width * 0.8, box.y + box.height * 0.7);
  await page.fill('#steps', '8'); await page.press('#steps', 'Enter');
  await page.click('#mode-slerp');
  await page.waitForFunction(() => window.atlas.stripReady() && window.atlas.state.steps === 8 && window.atlas.state.mode === 'spherical')
    .catch(async (e) => { throw new Error(`${e.message}\n${JSON.stringify(await page.evaluate(() => ({ ...window.atlas.state, notice: document.getElementById('notice-text').textContent, ready: document.getElementById('strip').dataset.ready })))}`); });
  const st = await page.evaluate(() => window.atlas.state);
  assert.ok(st.a && st.b && st.a[0] < 0 && st.b[0] > 0, `ends not set from clicks: ${JSON.stringify(st)}`);
  await page.evaluate(() => window.atlas.idle());
  await page.waitForTimeout(300); // the link is written 150 ms after the last change
  shareUrl = await page.inputValue('#share-url');
  assert.match(shareUrl, /#m=.*&a=.*&b=.*&n=8&i=slerp/);
  stripPixels = await page.evaluate(() => Array.from(document.getElementById('strip').getContext('2d').getImageData(0, 0, 28 * 8, 28).data));
  gridPixels = await page.evaluate(() => Array.from(document.getElementById('tiles').getContext('2d').getImageData(0, 0, 600, 600).data));
  assert.ok(stripPixels.some((v, i) => i % 4 === 0 && v > 128), 'strip is blank');
  await shot(page, '05-interpolation');
});

await test('a share link reopened in a new page reproduces identical pixels', async () => {
  const other = await openPage(gpu, shareUrl);
  await other.page.waitForFunction(() => window.atlas.stripReady());
  await other.page.evaluate(() => window.atlas.idle());
  const strip = await other.page.evaluate(() => Array.from(document.getElementById('strip').getContext('2d').getImageData(0, 0, 28 * 8, 28).data));
  const grid = await other.page.evaluate(() => Array.from(document.getElementById('tiles').getContext('2d').getImageData(0, 0, 600, 600).data));
  assert.deepEqual(strip, stripPixels, 'interpolation strip differs');
  assert.ok(grid.every((v, i) => v === gridPixels[i]), 'grid differs');
  assert.deepEqual(other.problems, []);
  await other.page.close();
});

await test('bad uploads give a message and the page keeps working', async () => {
  const { page } = main;
  const W = 8000, H = 6000;
  const cases = [
    ['empty.png', Buffer.alloc(0), /empty/],
    ['notes.png', Buffer.from('this is not an image at all'), /could not be read/],
    ['huge.png', png(W, H, Buffer.alloc(W * H), 1), /megapixels/],
    ['transparent.png', png(64, 64, Buffer.alloc(64 * 64 * 4)), /No drawing/],
    ['truncated.png', png(64, 64, Buffer.alloc(64 * 64 * 4, 200)).subarray(0, 60), /could not be read/],
  ];
  for (const [name, bytes, expect] of cases) {
    await uploadFile(page, name, bytes);
    await page.waitForFunction(() => !document.getElementById('notice').hidden, null, { timeout: 30_000 });
    assert.match(await noticeText(page), expect, name);
    await pageStillWorks(page);
  }
  await shot(page, '07-bad-upload');
  assert.deepEqual(main.problems, []);
});

await test('samples from the prior and PNG exports', async () => {
  const { page } = main;
  await page.fill('#sample-n', '24');
  await page.click('#sample');
  await page.waitForFunction(() => document.getElementById('samples').width === 8 * 28);
  const dl = page.waitForEvent('download');
  await page.click('#export-strip');
  const file = await (await dl).path();
  const head = fs.readFileSync(file).subarray(0, 8);
  assert.equal(head.toString('hex'), '89504e470d0a1a0a');
  const dl2 = page.waitForEvent('download');
  await page.click('#export-grid');
  assert.ok(fs.statSync(await (await dl2).path()).size > 10_000);
  await shot(page, '08-samples');
});

async function assertParity16(page) {
  const points = [Array.from({ length: 16 }, (_, k) => Math.sin(k)), Array.from({ length: 16 }, (_, k) => -0.1 * k)];
  const native = nativeDecode('fmnist-16d.safetensors', points);
  const browser = await page.evaluate((p) => window.atlas.decode(p), points);
  const worst = Math.max(...points.flatMap((_, k) => native[k].map((v, i) => Math.abs(v - browser[k][i]))));
  assert.ok(worst <= 1, `16-d decodes differ by ${worst}/255`);
}

await test('a lost WebGPU device switches the page to the CPU by itself', async () => {
  // Record the GPUDevice burn-wgpu gets, then destroy it: what a driver reset or a lost GPU does.
  await gpu.addInitScript(() => {
    const request = GPUAdapter.prototype.requestDevice;
    GPUAdapter.prototype.requestDevice = async function (...args) {
      const device = await request.apply(this, args);
      (window.__atlasDevices ??= []).push(device);
      return device;
    };
  });
  const p = await openPage(gpu, `${server.url}?backend=webgpu`);
  assert.equal(await p.page.evaluate(() => window.atlas.state.backend), 'webgpu');
  await p.page.evaluate(() => window.__atlasDevices.forEach((d) => d.destroy()));
  const out = await p.page.evaluate(() => window.atlas.decode([[0.5, -0.5]]));
  assert.ok(Math.max(...out[0]) > 100, 'decode after the loss returned a blank image');
  assert.equal(await p.page.evaluate(() => window.atlas.state.backend), 'cpu');
  assert.match(await noticeText(p.page), /WebGPU stopped working .*switched to the CPU/);
  await p.page.evaluate(() => window.atlas.setView(1, 1, 2));
  await p.page.evaluate(() => window.atlas.idle());
  assertRealGrid(await gridStats(p.page));
  assert.deepEqual(p.problems, []);
  await p.page.close();
});

await gpu.close();

// ---- WebGPU unavailable ---------------------------------------------------------------------
const cpu = await launch({ webgpu: false });
await test('without WebGPU the page says so, runs on the CPU and matches native decodes', async () => {
  const p = await openPage(cpu, server.url);
  const st = await p.page.evaluate(() => window.atlas.state);
  assert.equal(st.backend, 'cpu');
  assert.match(await noticeText(p.page), /WebGPU is not available/);
  assertRealGrid(await gridStats(p.page));
  await assertParity(p.page, 'cpu (no WebGPU)');
  await shot(p.page, '11-no-webgpu');
  assert.deepEqual(p.problems, []);
});
await test('a 16-d model maps its PCA plane and a chosen pair of dimensions', async () => {
  const { page } = await openPage(cpu, server.url);
  await page.selectOption('#model', 'fmnist-16d');
  await page.waitForFunction(() => window.atlas.state.model === 'fmnist-16d');
  await page.evaluate(() => window.atlas.idle());
  assertRealGrid(await gridStats(page));
  await page.selectOption('#plane-mode', 'axes');
  await page.selectOption('#axis-i', '3');
  await page.selectOption('#axis-j', '7');
  await page.evaluate(() => window.atlas.idle());
  assertRealGrid(await gridStats(page));
  await shot(page, '09-16d');
  await assertParity16(page);
  await page.close();
});

await test('a content/style model mixes content and style, re-draws a drawing in other hands and shares part interpolations', async () => {
  const { page, problems } = await openPage(cpu, server.url);
  const entry = await page.evaluate(async () => (await (await fetch('pkg/index.json')).json()).models.find((m) => m.content_dim != null));
  assert.ok(entry, 'pkg/index.json lists a content/style model');
  await page.selectOption('#model', entry.name);
  await page.waitForFunction((n) => window.atlas.state.model === n && window.atlas.mix() !== null, entry.name);
  const mix = await page.evaluate(() => window.atlas.mix());
  const means = await page.evaluate(() => Array.from(window.atlas.testMeans()));
  const { dim, contentDim: cd, rows, cols, z, bytes, side } = mix;
  assert.equal(cd, entry.content_dim);
  assert.equal(rows.length * cols.length * dim, z.length);
  assert.equal(new Set(rows.concat(cols)).size, rows.length + cols.length, 'the grid shows distinct drawings');
  // Cell (r, c) = content of row r's drawing + style of column c's drawing, exactly.
  rows.forEach((ri, r) => cols.forEach((ci, c) => {
    for (let j = 0; j < dim; j++) {
      const want = j < cd ? means[ri * dim + j] : means[ci * dim + j];
      assert.equal(z[(r * cols.length + c) * dim + j], want, `cell ${r},${c} coordinate ${j}`);
    }
  }));
  // The page's pixels are the native decoder's (a diagonal of cells).
  const cells = rows.map((_, k) => z.slice((k * cols.length + k) * dim, (k * cols.length + k + 1) * dim));
  const native = nativeDecode(entry.file, cells);
  cells.forEach((_, k) => {
    const off = (k * cols.length + k) * side * side;
    native[k].forEach((v, i) => assert.ok(Math.abs(v - bytes[off + i]) <= 1, `mixed cell ${k} differs from native at ${i}`));
  });
  assert.ok(bytes.filter((v) => v > 128).length > 0.02 * bytes.length, 'the mixed cells are blank');
  await page.locator('#mix-card').scrollIntoViewIfNeeded();
  await shot(page, '12-content-style');

  // A drawing joins as the first row (its character in other hands) and column (its hand).
  await page.click('#pad-clear');
  const box = await page.locator('#pad').boundingBox();
  const at = (fx, fy) => [box.x + fx * box.width, box.y + fy * box.height];
  for (const stroke of [[[0.25, 0.25], [0.75, 0.25]], [[0.5, 0.25], [0.5, 0.8], [0.35, 0.7]]]) {
    await page.mouse.move(...at(...stroke[0])); await page.mouse.down();
    for (const p of stroke.slice(1)) await page.mouse.move(...at(...p), { steps: 8 });
    await page.mouse.up();
  }
  await page.evaluate(() => { window.atlas.lastEncoding = null; });
  await page.click('#pad-encode');
  await page.waitForFunction(() => window.atlas.lastEncoding !== null && window.atlas.mix() && window.atlas.mix().rows[0] === null);
  const own = await page.evaluate(() => ({ z: window.atlas.lastEncoding, mix: window.atlas.mix() }));
  const C = own.mix.cols.length;
  for (let c = 1; c < C; c++) for (let j = 0; j < cd; j++) assert.equal(own.mix.z[c * dim + j], Math.fround(own.z[j]), 'first row keeps the drawing\'s content');
  for (let r = 1; r < own.mix.rows.length; r++) for (let j = cd; j < dim; j++) assert.equal(own.mix.z[r * C * dim + j], Math.fround(own.z[j]), 'first column takes the drawing\'s style');
  await shot(page, '13-content-style-drawing');

  // Content-only interpolation: style stays A's, content walks to B's; shared with the mix.
  const [ia, ib] = [rows[0], rows[1]];
  const A = means.slice(ia * dim, (ia + 1) * dim), B = means.slice(ib * dim, (ib + 1) * dim);
  await page.evaluate(([a, b]) => window.atlas.setEnds(a, b), [A, B]);
  await page.click('#part-content');
  await page.click('#mix-shuffle');
  await page.waitForFunction(() => window.atlas.stripReady() && window.atlas.state.part === 'content' && window.atlas.mix() && window.atlas.state.mixSeed === 2);
  const path = await page.evaluate(() => window.atlas.state.path);
  const last = path[path.length - 1];
  for (const p of path) for (let j = cd; j < dim; j++) assert.ok(Math.abs(p[j] - A[j]) < 1e-6, 'style moved in a content-only path');
  for (let j = 0; j < cd; j++) assert.ok(Math.abs(last[j] - B[j]) < 1e-5, 'content did not reach B');
  await page.waitForTimeout(300);
  const url = await page.inputValue('#share-url');
  assert.match(url, /&p=content/); assert.match(url, /&x=2/);
  const strip = await page.evaluate(() => Array.from(document.getElementById('strip').getContext('2d').getImageData(0, 0, 28 * 10, 28).data));
  const mix2 = await page.evaluate(() => window.atlas.mix());
  const other = await openPage(cpu, url);
  await other.page.waitForFunction(() => window.atlas.stripReady() && window.atlas.mix() !== null);
  assert.deepEqual(await other.page.evaluate(() => [window.atlas.state.part, window.atlas.state.mixSeed]), ['content', 2]);
  // The same drawings (the user's own drawing, first row and column here, is not in links).
  const reopened = await other.page.evaluate(() => window.atlas.mix());
  assert.deepEqual([reopened.rows.slice(0, -1), reopened.cols.slice(0, -1)], [mix2.rows.slice(1), mix2.cols.slice(1)]);
  assert.deepEqual(await other.page.evaluate(() => Array.from(document.getElementById('strip').getContext('2d').getImageData(0, 0, 28 * 10, 28).data)), strip, 'shared strip differs');
  assert.deepEqual(other.problems, []);
  await other.page.close();
  // A hostile part or mix number is reported and replaced.
  const bad = await openPage(cpu, `${server.url}#m=${entry.name}&p=<i>x</i>&x=-3`);
  assert.match(await noticeText(bad.page), /interpolation part/);
  assert.deepEqual(await bad.page.evaluate(() => [window.atlas.state.part, window.atlas.state.mixSeed]), ['all', 1]);
  await bad.page.close();
  assert.deepEqual(problems, []);
  await page.close();
});

await test('adversarial models sample their own prior; a categorical code gets a cluster picker that links restore', async () => {
  const { page, problems } = await openPage(cpu, server.url);
  const index = await page.evaluate(async () => (await (await fetch('pkg/index.json')).json()).models);
  const mixture = index.find((m) => m.kind === 'aae' && !m.clusters);
  const clustered = index.find((m) => m.kind === 'aae' && m.clusters > 0);
  assert.ok(mixture && clustered, 'pkg/index.json lists a mixture-prior and a categorical adversarial model');
  const option = await page.evaluate((name) => document.querySelector(`#model option[value="${name}"]`).textContent, mixture.name);
  assert.match(option, /adversarial/, 'the picker says how the model was trained');

  // Mixture prior: the map opens on the prior's extent, and samples come from its components.
  await page.selectOption('#model', mixture.name);
  await page.waitForFunction((n) => window.atlas.state.model === n, mixture.name);
  await page.evaluate(() => window.atlas.idle());
  assertRealGrid(await gridStats(page));
  const half = (await page.evaluate(() => window.atlas.state.view)).half;
  assert.ok(half > 4, `the view (half-width ${half}) takes in the mixture's islands`);
  await page.fill('#sample-n', '16');
  await page.click('#sample');
  await page.waitForFunction(() => window.atlas.state.lastSamples?.length === 32);
  const z = await page.evaluate(() => window.atlas.state.lastSamples);
  const radii = Array.from({ length: 16 }, (_, k) => Math.hypot(z[2 * k], z[2 * k + 1]));
  const meanRadius = radii.reduce((a, b) => a + b, 0) / 16;
  // The mixture's means sit 4 from the origin; N(0, I) samples would average 1.25.
  assert.ok(meanRadius > 3 && meanRadius < 5, `samples' mean distance from 0 is ${meanRadius.toFixed(2)}`);
  const shown = await page.evaluate(() => {
    const c = document.getElementById('samples');
    return Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data).filter((_, i) => i % 4 === 0);
  });
  const native = nativeDecode(mixture.file, [[z[0], z[1]]])[0];
  assert.ok(shown.every((v, i) => Math.abs(v - native[i]) <= 1), 'the first sample is the native decode of its code');
  assert.match(await page.textContent('#about'), /adversarial autoencoder: codes matched to mixture of 10 Gaussians/);
  await shot(page, '14-aae-mixture');

  // Categorical code: one style plane per cluster, only that cluster's test images, in links.
  await page.selectOption('#model', clustered.name);
  await page.waitForFunction((n) => window.atlas.state.model === n, clustered.name);
  await page.evaluate(() => window.atlas.idle());
  assert.equal(await page.isVisible('#cluster-controls'), true);
  assert.equal(await page.isVisible('#plane-controls'), false);
  const tiles = () => tilePixels(page);
  const first = await tiles();
  await page.selectOption('#cluster', '3');
  await page.evaluate(() => window.atlas.idle());
  const third = await tiles();
  assert.notDeepEqual(third, first, 'another cluster draws another grid');
  const origin = await page.evaluate(() => window.atlas._map.plane.origin);
  assert.deepEqual(origin.slice(0, clustered.clusters), Array.from({ length: clustered.clusters }, (_, c) => (c === 3 ? 1 : 0)));
  const status = await page.textContent('#cluster-status');
  const [inCluster, total] = status.match(/\d+/g).map(Number);
  assert.ok(inCluster > 0 && inCluster < total, status);
  await page.click('#sample');
  await page.waitForFunction(() => window.atlas.state.lastSamples?.length > 0);
  const s = await page.evaluate(() => window.atlas.state.lastSamples);
  const k = clustered.clusters, d = clustered.latent_dim;
  for (let r = 0; r < s.length / d; r++) {
    const hot = s.slice(r * d, r * d + k);
    assert.equal(hot.filter((v) => v === 1).length, 1, `sample ${r} has a one-hot category`);
    assert.equal(hot.filter((v) => v === 0).length, k - 1);
  }
  await shot(page, '15-aae-clusters');
  await page.waitForFunction(() => location.hash.includes('k=3'));
  await assertLinkRestores(page, 'cluster', 3, '#cluster', third, 'cluster');
  assert.deepEqual(problems, []);
  await page.close();
});

await test('a conditional model draws the class picked: grid, samples, encodings and share links follow it', async () => {
  const { page, problems } = await openPage(cpu, server.url);
  const index = await page.evaluate(async () => (await (await fetch('pkg/index.json')).json()).models);
  const cvae = index.find((m) => m.conditional > 0);
  assert.ok(cvae, 'pkg/index.json lists a conditional model');
  await page.selectOption('#model', cvae.name);
  await page.waitForFunction((n) => window.atlas.state.model === n, cvae.name);
  await page.evaluate(() => window.atlas.idle());
  assert.equal(await page.isVisible('#class-controls'), true);
  const names = await page.$$eval('#class-pick option', (os) => os.map((o) => o.textContent));
  assert.equal(names.length, cvae.conditional);
  const tiles = () => tilePixels(page);
  const first = await tiles();
  await page.selectOption('#class-pick', '7');
  await page.evaluate(() => window.atlas.idle());
  assert.equal((await page.evaluate(() => window.atlas.state)).label, 7);
  const seventh = await tiles();
  assert.notDeepEqual(seventh, first, 'another class draws another grid');
  // Samples: the first one is the native decode of its code with class 7's one-hot.
  await page.click('#sample');
  await page.waitForFunction(() => window.atlas.state.lastSamples?.length > 0);
  const z = await page.evaluate(() => window.atlas.state.lastSamples);
  const d = cvae.latent_dim;
  const code = [...z.slice(0, d), ...Array.from({ length: cvae.conditional }, (_, c) => (c === 7 ? 1 : 0))];
  const shown = await page.evaluate(() => {
    const c = document.getElementById('samples');
    return Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data).filter((_, i) => i % 4 === 0);
  });
  const native = nativeDecode(cvae.file, [code])[0];
  assert.ok(shown.every((v, i) => Math.abs(v - native[i]) <= 1), 'the first sample is the native decode of its code as class 7');
  const asZero = nativeDecode(cvae.file, [[...z.slice(0, d), 1, ...Array(cvae.conditional - 1).fill(0)]])[0];
  assert.ok(shown.some((v, i) => Math.abs(v - asZero[i]) > 8), 'and not the decode as class 0');
  await shot(page, '17-cvae-class');
  // Encodings: test image 0 uploaded as its own class lands by its stored encoding (which was
  // encoded with the true label); as another class it lands elsewhere.
  const label = (await page.evaluate(() => window.atlas.testLabels()))[0];
  const encodeAs = async (c) => {
    await page.selectOption('#class-pick', String(c));
    await page.evaluate(() => { window.atlas.lastEncoding = null; });
    await uploadFile(page, `cvae-${c}.png`, testImagePng(0));
    await page.waitForFunction(() => window.atlas.lastEncoding !== null, null, { timeout: 30_000 });
    return page.evaluate(() => {
      const z = window.atlas.lastEncoding, m = window.atlas.testMeans();
      return Math.hypot(...Array.from(z, (v, k) => v - m[k]));
    });
  };
  const own = await encodeAs(label), other = await encodeAs((label + 3) % 10);
  assert.ok(own < 0.05 && other > 5 * own, `distance to the stored encoding: ${own.toFixed(4)} as its class, ${other.toFixed(4)} as another`);
  // A share link carries the class: reopened, it draws the same grid.
  await page.selectOption('#class-pick', '4');
  await page.evaluate(() => window.atlas.idle());
  const fourth = await tiles();
  await page.waitForFunction(() => location.hash.includes('y=4'));
  await assertLinkRestores(page, 'label', 4, '#class-pick', fourth, 'class');
  assert.deepEqual(problems, []);
  await page.close();
});

await test('a conditional model: one code as every class, interpolation that moves the class, the judge guessing an upload', async () => {
  const { page, problems } = await openPage(cpu, server.url);
  const index = await page.evaluate(async () => (await (await fetch('pkg/index.json')).json()).models);
  const cvae = index.filter((m) => m.conditional > 0).sort((a, b) => a.latent_dim - b.latent_dim)[0];
  const k = cvae.conditional, d = cvae.latent_dim;
  const hot = (c) => Array.from({ length: k }, (_, j) => (j === c ? 1 : 0));
  const near = (a, b) => a.every((v, i) => Math.abs(v - b[i]) <= 1);
  await page.selectOption('#model', cvae.name);
  await page.waitForFunction((n) => window.atlas.state.model === n, cvae.name);
  await page.evaluate(() => window.atlas.idle());
  assert.equal(await page.isVisible('#every-card'), true);
  // Row A of the table is A's code decoded under each class: the native decode, column by column.
  const A = Array.from({ length: d }, (_, j) => [0.4, -0.7][j % 2]), B = Array.from({ length: d }, (_, j) => [-0.9, 0.5][j % 2]);
  await page.evaluate(([a, b]) => window.atlas.setEnds(a, b, 1, 7), [A, B]);
  await page.waitForFunction(() => window.atlas.everyClass()?.marks[0] === 'A');
  const table = await page.evaluate(() => window.atlas.everyClass());
  assert.equal(table.classes, k);
  assert.deepEqual(table.marks, ['A', '·', '·', '·'], 'A, then random codes');
  // What the canvas shows, cell by cell (row r, column c).
  const shown = await page.evaluate(() => {
    const c = document.getElementById('every');
    return { w: c.width, h: c.height, px: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).filter((_, i) => i % 4 === 0) };
  });
  assert.deepEqual([shown.w, shown.h], [28 * k, 28 * table.marks.length]);
  const cell = (r, c) => Array.from({ length: 784 }, (_, i) => shown.px[(r * 28 + Math.floor(i / 28)) * shown.w + c * 28 + (i % 28)]);
  const native = nativeDecode(cvae.file, Array.from({ length: k }, (_, c) => [...A, ...hot(c)]));
  for (let c = 0; c < k; c++) {
    assert.ok(cell(0, c).every((v, i) => Math.abs(v - native[c][i]) <= 1), `column ${c} is A decoded as class ${c}`);
  }
  // Every two columns of a row show different garments.
  let closest = Infinity;
  for (let r = 0; r < table.marks.length; r++) {
    for (let c = 0; c < k; c++) {
      for (let e = c + 1; e < k; e++) {
        const a = cell(r, c), b = cell(r, e);
        closest = Math.min(closest, a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / 784);
      }
    }
  }
  assert.ok(closest > 3, `two columns of one row differ by only ${closest.toFixed(2)} grey levels on average`);
  // A class header draws the map as that class.
  await page.click('#every-head button[data-c="5"]');
  await page.waitForFunction(() => window.atlas.state.label === 5);
  assert.equal(await page.inputValue('#class-pick'), '5');
  assert.equal(await page.getAttribute('#every-head button[data-c="5"]', 'aria-pressed'), 'true');
  // Hovering a test image of another class shows its reconstruction with its own class.
  await page.evaluate(() => window.atlas.idle());
  const testLabels = await page.evaluate(() => window.atlas.testLabels());
  let hovered = null;
  for (let i = 0; i < 40 && hovered === null; i++) {
    if (testLabels[i] === 5) continue;
    const pos = await page.evaluate((i) => {
      const m = window.atlas._map, [x, y] = m.points.xy.subarray(2 * i, 2 * i + 2);
      const [sx, sy] = m.toScreen(x, y), r = m.overlay.getBoundingClientRect(), q = r.width / m.overlay.width;
      return [r.left + sx * q, r.top + sy * q];
    }, i);
    await page.mouse.move(pos[0], pos[1]);
    await page.waitForTimeout(400);
    const text = await page.evaluate(() => (document.getElementById('hover').hidden ? '' : document.getElementById('hover-label').textContent));
    const idx = Number((text.match(/^#(\d+)/) || [])[1]);
    if (Number.isInteger(idx) && testLabels[idx] !== 5) hovered = idx;
  }
  assert.ok(hovered !== null, 'no test point of another class could be hovered');
  const means = await page.evaluate(([i, d]) => Array.from(window.atlas.testMeans().slice(i * d, (i + 1) * d)), [hovered, d]);
  const [ownRecon] = nativeDecode(cvae.file, [[...means, ...hot(testLabels[hovered])]]);
  const hoverRecon = await page.evaluate(() => Array.from(document.getElementById('hover-recon').getContext('2d').getImageData(0, 0, 28, 28).data).filter((_, i) => i % 4 === 0));
  assert.ok(near(hoverRecon, ownRecon), `hover of #${hovered} decodes its code with its own class`);
  await page.mouse.move(5, 5);
  // Interpolation from A as class 1 to B as class 7: the ends are those decodes; 'class only'
  // keeps A's code and blends the one-hots (3 steps: the middle frame is half and half).
  const frames = async () => {
    await page.waitForFunction(() => window.atlas.stripReady());
    return page.evaluate(() => {
      const c = document.getElementById('strip');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const n = c.width / 28, out = [];
      for (let f = 0; f < n; f++) {
        const img = [];
        for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) img.push(d[4 * (y * c.width + f * 28 + x)]);
        out.push(img);
      }
      return out;
    });
  };
  await page.fill('#steps', '3');
  await page.dispatchEvent('#steps', 'change');
  await page.waitForFunction(() => window.atlas.state.steps === 3);
  let f = await frames();
  const [a1, b7, aMid, a7] = nativeDecode(cvae.file, [[...A, ...hot(1)], [...B, ...hot(7)],
    [...A, ...hot(1).map((v, j) => 0.5 * v + 0.5 * hot(7)[j])], [...A, ...hot(7)]]);
  assert.ok(near(f[0], a1) && near(f[2], b7), 'code and class: from A as class 1 to B as class 7');
  await page.click('#part-class');
  await page.waitForFunction(() => window.atlas.state.part === 'class');
  f = await frames();
  assert.ok(near(f[0], a1) && near(f[1], aMid) && near(f[2], a7), 'class only: A\'s code, the class blended from 1 to 7');
  await page.click('#part-code');
  await page.waitForFunction(() => window.atlas.state.part === 'code');
  f = await frames();
  const [b1] = nativeDecode(cvae.file, [[...B, ...hot(1)]]);
  assert.ok(near(f[2], b1), 'code only: B\'s code, still A\'s class');
  // The link restores the ends' classes and what moves.
  await page.click('#part-class');
  await page.waitForFunction(() => location.hash.includes('p=class') && location.hash.includes('yb=7'));
  const again = await openPage(cpu, page.url());
  const st = await again.page.evaluate(() => window.atlas.state);
  assert.deepEqual([st.classA, st.classB, st.part, st.label], [1, 7, 'class', 5]);
  await again.page.close();
  await shot(page, '18-cvae-every-class');
  // The judge's guess: a test image of a trouser, encoded with the judge, switches the class to
  // trouser and joins the table as its first row.
  const labels = await page.evaluate(() => window.atlas.testLabels());
  const trouser = labels.indexOf(1);
  await page.selectOption('#enc-class', 'judge');
  await uploadFile(page, 'judged.png', testImagePng(trouser));
  await page.waitForFunction(() => window.atlas.lastEncoding !== null, null, { timeout: 60_000 });
  assert.equal((await page.evaluate(() => window.atlas.state)).label, 1, 'the judge calls the trouser a trouser');
  assert.match(await page.textContent('#judge-text'), /Trouser/);
  await page.waitForFunction(() => window.atlas.everyClass()?.marks[0] === '✎');
  // Without the judge's guess, the upload is encoded as the picked class.
  await page.selectOption('#enc-class', 'picked');
  await page.selectOption('#class-pick', '4');
  await uploadFile(page, 'picked.png', testImagePng(trouser));
  await page.waitForFunction(() => window.atlas.lastEncoding !== null, null, { timeout: 60_000 });
  assert.equal((await page.evaluate(() => window.atlas.state)).label, 4);
  assert.equal(await page.isVisible('#judge-text'), false);
  await shot(page, '19-cvae-judged-upload');
  assert.deepEqual(problems, []);
  await page.close();
});

await test('hostile share links show a message, fall back to defaults and inject nothing', async () => {
  // Every link here has something the page must replace; none names a usable centre or zoom, so
  // each must open on the default view (centre 0, 0; zoom 1: half-width 3) with 10 steps.
  const hostile = [
    '#m=fmnist-2d&c=NaN,NaN&z=1e308&n=10&i=lerp',
    '#m=does-not-exist&c=0,0&z=1',
    '#c=1e308,-1e308&z=-5&a=1,2,3&n=99999999&i=<b>',
    '#m=<img src=x onerror=alert(1)>&a=<script>alert(2)</script>',
    `#a=${'9,'.repeat(3000)}`,
    '#m=%3Csvg%20onload%3Dalert(3)%3E&n=-4&i=javascript:alert(4)',
    '#m=fmnist-2d&a=Infinity,0',
    '#m=fmnist-2d&b=-Infinity,1',
    '#m=fmnist-2d&a=0,0&a=NaN,1',
    '#m=fmnist-2d&c=1e308,0',
    '#m=fmnist-2d&z=0',
    '#m=fmnist-2d&z=-0',
    '#m=fmnist-2d&n=0',
    '#m=fmnist-2d&n=1e3',
    '#m=fmnist-2d&n=18446744073709551617',
    '#m=fmnist-2d&i=SLERP',
    '#m=fmnist-2d&p=class',
    '#m=fmnist-2d&x=-1',
    '#m=fmnist-2d&k=1',
    '#m=fmnist-2d&y=2',
    '#m=fmnist-cvae-2d&y=10',
    '#m=fmnist-cvae-2d&ya=-1',
    '#m=fmnist-cvae-2d&yb=1e9',
    '#m=fmnist-aae-clusters&k=99',
    '#m=fmnist%2D2d',
    '#m=fmnist\u20102d',
    '#m=fmnist-2d&a=1,2,3',
    '#m=fmnist-16d&a=1,2',
    `#m=fmnist-2d&q=${'x'.repeat(10000)}`,
    '#m=fmnist-2d&unknown=1',
    '#m=fmnist-2d&a=1,2&zz=<svg onload=alert(5)>',
    '#m=fmnist-2d&c=0x10,0',
  ];
  for (const frag of hostile) {
    const p = await openPage(cpu, server.url + frag);
    const text = await noticeText(p.page);
    // The link's own message, not the WebGPU notice that a CPU-only browser also shows.
    assert.match(text, /The link/, `no message about the link for ${frag.slice(0, 40)}: ${text}`);
    const injected = await p.page.evaluate(() => document.querySelectorAll('img, svg, iframe, object, embed, script:not([src]):not([type=module])').length);
    const st = await p.page.evaluate(() => window.atlas.state);
    assert.equal(injected, 0, 'markup from the link reached the DOM');
    assert.deepEqual([st.view.cx, st.view.cy, st.view.half], [0, 0, 3], `${frag.slice(0, 40)}: view ${JSON.stringify(st.view)}`);
    assert.equal(st.steps, 10, `${frag.slice(0, 40)}: steps`);
    assertRealGrid(await gridStats(p.page));
    assert.deepEqual(p.problems, [], `${frag.slice(0, 40)}: ${p.problems}`);
    if (frag.includes('onerror')) await shot(p.page, '06-hostile-link');
    await p.page.close();
  }
});

await test('a phone-sized viewport lays the page out in one column', async () => {
  const p = await cpu.newPage();
  await p.setViewportSize({ width: 390, height: 844 });
  await p.goto(server.url);
  await p.waitForFunction(() => document.body.dataset.ready === 'true');
  const widths = await p.evaluate(() => [document.querySelector('.map-panel').getBoundingClientRect().width, document.documentElement.scrollWidth]);
  assert.ok(widths[1] <= 390, `page scrolls sideways (${widths[1]} px)`);
  // One column: the side cards sit below the map, and the map takes the width.
  const [map, side] = await p.evaluate(() => ['.map-panel', '.side'].map((q) => {
    const r = document.querySelector(q).getBoundingClientRect(); return { top: r.top, bottom: r.bottom, width: r.width };
  }));
  assert.ok(side.top >= map.bottom, `side cards beside the map, not below it: ${JSON.stringify({ map, side })}`);
  assert.ok(map.width > 0.85 * 390, `the map is ${map.width} px wide on a 390 px screen`);
  await p.screenshot({ path: path.join(SHOTS, '10-phone.png'), fullPage: true });
  await p.close();
});

await cpu.close();
server.close();

if (missedShots.length) console.log(`screenshots not taken:\n  ${missedShots.join('\n  ')}`);
const failed = results.filter((r) => !r.ok);
console.log(`\nbrowser tests: ${results.length - failed.length} passed, ${failed.length} failed; screenshots in target/browser/`);
process.exit(failed.length ? 1 : 0);
