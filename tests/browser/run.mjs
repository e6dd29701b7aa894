// End-to-end tests of the explorer page in headless Debian Chromium (playwright-core), against
// the trunk build in dist/. Run by scripts/test.sh after the native tests (the native CLI is the
// reference for decodes). Once with WebGPU (SwiftShader when there is no GPU), once without.
// Screenshots of each main state go to target/browser/.

import fs from 'node:fs';
import { serveDist, launch, openPage, png, pngHeaderOnly, testImages, nativeDecode, transferOf } from './lib.mjs';
import assert from 'node:assert/strict';
import { ctx, test, shot, results, missedShots, gridStats, assertRealGrid, assertParity, noticeText, uploadFile, pageStillWorks, tilePixels, testImagePng } from './harness.mjs';
import { modelKindTests } from './model_kinds.mjs';
import { robustnessTests } from './robustness.mjs';
import { labTests } from './lab.mjs';
import { compareTests } from './compare.mjs';

const server = await serveDist();
const images = testImages();
/** A JPEG's [width, height] from its SOF marker. @param {Buffer} b */
function jpegSize(b) {
  for (let i = 2; i + 9 < b.length;) {
    const marker = b[i + 1], len = b.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xc2) return [b.readUInt16BE(i + 7), b.readUInt16BE(i + 5)];
    i += 2 + len;
  }
  throw new Error('no SOF marker');
}
ctx.server = server;
ctx.images = images;
console.log(`serving dist/ at ${server.url}`);

// ---- WebGPU available (SwiftShader here) ----------------------------------------------------
const gpu = await launch({ webgpu: true });
ctx.gpu = gpu;
let main;

await test('a software-only WebGPU adapter loses to the CPU unless asked for; CPU tiles decode in workers', async () => {
  const p = await openPage(gpu, server.url);
  const st = await p.page.evaluate(() => window.atlas.state);
  const software = await p.page.evaluate(async () => (await navigator.gpu.requestAdapter()).info.isFallbackAdapter);
  assert.equal(st.backend, software ? 'cpu' : 'webgpu');
  // Why it starts on the CPU is in the status line (a fact about this browser, not a toast).
  if (software) assert.match(await p.page.textContent('#backend-status'), /running on the CPU · WebGPU here is software-only/);
  assert.equal(await noticeText(p.page), '');
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
  assert.ok(transferOf(main.fetched).files.some((f) => f.file === 'latent-atlas-webgpu_bg.wasm'), 'a WebGPU session without the WebGPU module?');
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
  // The original comes with the test-image file, which the first hover downloads.
  const brightness = () => page.evaluate(() => ['hover-orig', 'hover-recon'].map((id) => {
    const d = document.getElementById(id).getContext('2d').getImageData(0, 0, 28, 28).data;
    let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i]; return s / 784;
  }));
  let bright = await brightness();
  for (let i = 0; i < 50 && !(bright[0] > 5 && bright[1] > 5); i++) { await page.waitForTimeout(200); bright = await brightness(); }
  assert.ok(bright[0] > 5 && bright[1] > 5, `hover images blank: ${bright}`);
  await shot(page, '02-hover');
  await page.mouse.move(5, 5);

  // The scatter: where a class's test points lie, the overlay has that class's colour at 75%
  // opacity or more; its legend button hides them (and only them).
  const scatter = () => page.evaluate(() => {
    const m = window.atlas._map, ctx = m.overlay.getContext('2d'), { xy, labels } = m.points;
    m.flushOverlay(); // the overlay redraws at the next frame; read what it will show
    const out = [];
    for (let i = 0; i < 400; i++) {
      const [sx, sy] = m.toScreen(xy[2 * i], xy[2 * i + 1]);
      const p = ctx.getImageData(Math.round(sx), Math.round(sy), 1, 1).data;
      out.push({ label: labels[i], rgba: Array.from(p) });
    }
    return out;
  });
  const hex = (c) => [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16));
  const palette = (await page.evaluate(() => [...Array(10).keys()].map(window.atlas.classColour))).map(hex);
  const near = (p, c) => p[3] >= 185 && p.slice(0, 3).every((v, k) => Math.abs(v - c[k]) <= 40);
  const before = await scatter();
  const coloured = before.filter((s) => near(s.rgba, palette[s.label])).length;
  assert.ok(coloured >= 300, `only ${coloured} of 400 test points show their class colour on the overlay`);
  await page.click('#legend button >> nth=1');
  const after = await scatter();
  await page.click('#legend button >> nth=1');
  const trousers = after.filter((s) => s.label === 1);
  assert.ok(trousers.length > 10 && trousers.every((s) => !near(s.rgba, palette[1])),
    `hidden class 1 still drawn: ${JSON.stringify(trousers.slice(0, 3))}`);
  assert.ok(after.filter((s) => s.label !== 1 && near(s.rgba, palette[s.label])).length >= 0.9 * before.filter((s) => s.label !== 1 && near(s.rgba, palette[s.label])).length,
    'hiding one class hid others');
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

await test('a photo-like JPEG upload is prepared like the test image it was made from', async () => {
  // Made by `latent-atlas uploads pkg/fmnist-2d-keras.safetensors --write-photos 20` (eval::photos:
  // dark garment on tinted paper, uneven light, off-centre, soft focus, grain, JPEG); the name
  // holds the test index. The full measure (10,000 photos) is tests/shipped/uploads.rs and the README.
  // With one background level for the frame (before the background surface) these four came
  // out 0.19-0.33 from their test image (mean absolute difference per pixel, in [0, 1]).
  const { page } = main;
  const dir = new URL('./fixtures/', import.meta.url);
  for (const name of fs.readdirSync(dir).filter((n) => n.startsWith('photo-'))) {
    const index = Number(name.split('-')[1]);
    await uploadFile(page, name, fs.readFileSync(new URL(name, dir)));
    await page.waitForFunction(() => window.atlas.lastEncoding !== null, null, { timeout: 30_000 });
    const input = await page.evaluate(() => Array.from(window.atlas.store.state.encodedImage));
    const src = images.image(index);
    const mad = input.reduce((s, v, i) => s + Math.abs(v - src[i]), 0) / 255 / input.length;
    assert.ok(mad < 0.1, `${name}: the prepared input is ${mad.toFixed(3)} from test image ${index}`);
    // The upload is shown as it is (light paper, its own aspect) next to the input made of it.
    const shown = await page.evaluate(() => {
      const c = /** @type {HTMLCanvasElement} */ (document.getElementById('enc-upload'));
      const corner = c.getContext('2d').getImageData(1, 1, 1, 1).data;
      return { hidden: document.getElementById('enc-upload-fig').hidden, aspect: c.width / c.height, corner: Array.from(corner) };
    });
    const [w, h] = jpegSize(fs.readFileSync(new URL(name, dir)));
    assert.equal(shown.hidden, false, `${name}: the upload is not shown`);
    assert.ok(Math.abs(shown.aspect - w / h) < 0.03, `${name}: shown at aspect ${shown.aspect}, the photo is ${w}x${h}`);
    assert.ok(shown.corner.slice(0, 3).every((v) => v > 140), `${name}: the shown corner is ${shown.corner}`);
  }
  await shot(page, '03-photo-upload');
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
  // The last upload's picture goes away: the pad shows what was encoded.
  assert.equal(await page.evaluate(() => document.getElementById('enc-upload-fig').hidden), true);
  await page.click('#enc-as-a');
  await shot(page, '04-drawing');
});

let shareUrl, stripPixels, gridPixels;
await test('interpolation from map clicks animates the strip and draws the path', async () => {
  const { page } = main;
  await page.click('#reset-view');
  await page.evaluate(() => window.scrollTo(0, 0));
  const box = await page.locator('#overlay').boundingBox();
  await page.evaluate(() => { window.atlas.store.set({ nextEnd: 'a' }); });
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

await test('one store: the link table has a row for every share-link field, and a link restores the state it came from', async () => {
  const r = await main.page.evaluate(async () => {
    // The page's own functions (its modules are bundled: they cannot be imported from here).
    const { LINK_FIELDS, toLink, fromLink } = window.atlas.link;
    const { atlas } = window, wasm = atlas._wasm, s = atlas.store.state;
    const known = [{ name: s.model, latent_dim: s.a.length, clusters: 0, conditional: 0 }];
    const decoded = wasm.decodeLink(wasm.encodeLink(toLink(s)), known);
    const back = { ...s, ...fromLink(decoded.state, { parts: ['all'] }) };
    return {
      fields: Object.keys(wasm.decodeLink('', known).state).sort(),
      table: LINK_FIELDS.map((f) => f.field).sort(),
      problems: decoded.problems,
      differ: LINK_FIELDS.filter((f) => JSON.stringify(f.read(back)) !== JSON.stringify(f.read(s))).map((f) => f.field),
      state: { a: s.a, steps: s.steps, mode: s.mode, view: s.view },
    };
  });
  assert.deepEqual(r.table, r.fields, 'a share-link field without a row in store.js LINK_FIELDS (or a row for no field)');
  assert.deepEqual(r.problems, []);
  assert.ok(r.state.a && r.state.steps === 8 && r.state.mode === 'spherical', `not the interpolation set above: ${JSON.stringify(r.state)}`);
  assert.deepEqual(r.differ, [], 'fields the link does not restore as they were');
});

await test('bad uploads give a message and the page keeps working', async () => {
  const { page } = main;
  const W = 8000, H = 6000;
  const cases = [
    ['empty.png', Buffer.alloc(0), /empty/],
    ['notes.png', Buffer.from('this is not an image at all'), /could not be read/],
    ['huge.png', png(W, H, Buffer.alloc(W * H), 1), /8000x6000; images up to 40 megapixels/],
    // A few hundred bytes whose header claims 60000 x 60000 (3.6 gigapixels): refused from the
    // header, before any decode.
    ['bomb.png', pngHeaderOnly(60000, 60000), /60000x60000; images up to 40 megapixels/],
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

/** What an animated GIF holds: its size, frames (with their delays) and comment blocks. */
function gifInfo(buf) {
  assert.equal(buf.subarray(0, 6).toString('latin1'), 'GIF89a');
  const table = (flags) => ((flags & 0x80) ? 3 * (1 << ((flags & 7) + 1)) : 0);
  const out = { width: buf.readUInt16LE(6), height: buf.readUInt16LE(8), frames: 0, delays: [], comments: [] };
  let p = 13 + table(buf[10]);
  const blocks = () => { let s = ''; while (buf[p] !== 0) { s += buf.subarray(p + 1, p + 1 + buf[p]).toString('latin1'); p += buf[p] + 1; } p++; return s; };
  for (;;) {
    const b = buf[p++];
    if (b === 0x3b) return out;
    if (b === 0x21) {
      const label = buf[p++], data = blocks();
      if (label === 0xfe) out.comments.push(data);
      if (label === 0xf9) out.delays.push(data.charCodeAt(1) | (data.charCodeAt(2) << 8));
    } else if (b === 0x2c) {
      out.frames++;
      p += 9 + table(buf[p + 8]) + 1; // descriptor, local palette, LZW code size
      blocks();
    } else throw new Error(`not a GIF block: 0x${b.toString(16)} at ${p - 1}`);
  }
}

await test('samples from the prior; PNG and GIF exports named after the model and the link', async () => {
  const { page } = main;
  await page.fill('#sample-n', '24');
  await page.click('#sample');
  await page.waitForFunction(() => document.getElementById('samples').width === 8 * 28);
  const model = await page.evaluate(() => window.atlas.state.model);
  const named = (what, ext) => new RegExp(`^${model}-${what}-[0-9a-f]{8}\\.${ext}$`);
  const dl = page.waitForEvent('download');
  await page.click('#export-strip');
  const strip = await dl;
  assert.match(strip.suggestedFilename(), named('interpolation', 'png'));
  const head = fs.readFileSync(await strip.path()).subarray(0, 8);
  assert.equal(head.toString('hex'), '89504e470d0a1a0a');
  // The map at twice its device pixels.
  const dl2 = page.waitForEvent('download');
  await page.click('#export-grid');
  const map = await dl2;
  assert.match(map.suggestedFilename(), named('map', 'png'));
  const mapPng = fs.readFileSync(await map.path());
  const tiles = await page.evaluate(() => [document.getElementById('tiles').width, document.getElementById('tiles').height]);
  assert.deepEqual([mapPng.readUInt32BE(16), mapPng.readUInt32BE(20)], tiles.map((v) => 2 * v));
  // The strip as an animated GIF: its frames at 280 pixels, the link in the file, progress shown.
  const dl3 = page.waitForEvent('download');
  await page.click('#export-gif');
  const gif = await dl3;
  assert.match(gif.suggestedFilename(), named('interpolation', 'gif'));
  assert.equal(gif.suggestedFilename().slice(-12, -4), strip.suggestedFilename().slice(-12, -4), 'the same link, the same tag');
  const info = gifInfo(fs.readFileSync(await gif.path()));
  const st = await page.evaluate(() => window.atlas.state);
  assert.deepEqual([info.width, info.height, info.frames], [280, 280, st.steps]);
  assert.ok(info.delays.every((d) => d === 12), `frame delays ${info.delays}`);
  assert.equal(info.comments.length, 1);
  assert.equal(info.comments[0], await page.evaluate(() => location.href), 'the GIF holds the link that makes it');
  assert.match(await page.textContent('#gif-status'), /^saved .+\.gif$/);
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
ctx.cpu = cpu;
await test('without WebGPU the page says so, runs on the CPU and matches native decodes', async () => {
  const p = await openPage(cpu, server.url);
  const st = await p.page.evaluate(() => window.atlas.state);
  assert.equal(st.backend, 'cpu');
  assert.match(await p.page.textContent('#backend-status'), /running on the CPU · no WebGPU adapter here/);
  assert.equal(await noticeText(p.page), '');
  assertRealGrid(await gridStats(p.page));
  await assertParity(p.page, 'cpu (no WebGPU)');
  await shot(p.page, '11-no-webgpu');
  assert.deepEqual(p.problems, []);
  // The first paint fetched the CPU module only: the WebGPU module (burn-wgpu) is not needed.
  const { files, gzip } = transferOf(p.fetched);
  const list = files.map((f) => `${f.file} ${(f.gzip / 1e3).toFixed(0)} kB`).join(', ');
  // Chromium runs relaxed SIMD: the faster of the two CPU builds, and only that one.
  assert.ok(files.some((f) => f.file === 'latent-atlas-cpu_bg.wasm'), `the relaxed-SIMD CPU module was not fetched: ${list}`);
  assert.ok(!files.some((f) => /baseline/.test(f.file)), `the first paint fetched the baseline CPU module too: ${list}`);
  assert.ok(!files.some((f) => /webgpu/.test(f.file)), `the first paint without WebGPU fetched the WebGPU module: ${list}`);
  // Compiled once for the page and its decode workers (this server forbids caching, so a second
  // compile would be a second download).
  const wasmGets = p.fetched.filter((u) => /latent-atlas-cpu[^/]*_bg\.wasm$/.test(u));
  assert.equal(wasmGets.length, 1, `the CPU module was requested ${wasmGets.length} times`);
  // The page's modules arrive bundled into one script (scripts/bundle-page.mjs, trunk's hook),
  // which index.html preloads: besides it, boot.js and the decode workers' script, no module.
  const scripts = [...new Set(p.fetched.map((u) => new URL(u).pathname).filter((h) => h.startsWith('/js/')))].sort();
  assert.deepEqual(scripts, ['/js/app.js', '/js/boot.js', '/js/worker.js'], 'the first paint fetched other scripts than the bundle, boot.js and worker.js');
  const preloaded = await p.page.evaluate(() => [...document.querySelectorAll('link[rel=modulepreload]')].map((l) => new URL(/** @type {HTMLLinkElement} */ (l).href).pathname));
  assert.deepEqual(preloaded, ['/js/app.js']);
  assert.ok(!files.some((f) => /test-images/.test(f.file)), `the first paint fetched the hover images: ${list}`);
  console.log(`  first paint without WebGPU: ${(gzip / 1e6).toFixed(2)} MB gzipped (${list})`);
  assert.ok(gzip <= 1.5e6, `the first paint fetched ${(gzip / 1e6).toFixed(2)} MB gzipped (budget 1.5 MB): ${list}`);
});
// Safari has no relaxed SIMD, and a module that uses it does not compile there at all: boot.js
// asks WebAssembly.validate, made to refuse here, and the page must run the SIMD128-only build.
await test('without relaxed SIMD the page runs the baseline CPU module and decodes as natively', async () => {
  const plain = await launch({ webgpu: false });
  try {
    await plain.addInitScript(() => { WebAssembly.validate = () => false; });
    const p = await openPage(plain, server.url);
    assert.equal(await p.page.evaluate(() => globalThis.atlasEngine?.name), 'latent-atlas-cpu-baseline');
    assertRealGrid(await gridStats(p.page));
    await assertParity(p.page, 'cpu (baseline module)');
    const wasm = p.fetched.filter((u) => /\.wasm$/.test(u)).map((u) => new URL(u).pathname);
    assert.deepEqual(wasm, ['/latent-atlas-cpu-baseline_bg.wasm'], `modules fetched: ${wasm.join(', ')}`);
    assert.deepEqual(p.problems, []);
  } finally {
    await plain.close();
  }
});
await test('a 16-d model maps its PCA plane and a chosen pair of dimensions', async () => {
  const { page } = await openPage(cpu, server.url);
  await page.selectOption('#model', 'fmnist-16d');
  await page.waitForFunction(() => window.atlas.state.model === 'fmnist-16d');
  await page.evaluate(() => window.atlas.idle());
  assert.match(await page.textContent('#backend-status'), /^running on the CPU/, 'the status line after opening a model');
  assertRealGrid(await gridStats(page));
  await page.selectOption('#plane-mode', 'axes');
  await page.selectOption('#axis-i', '3');
  await page.selectOption('#axis-j', '7');
  await page.evaluate(() => window.atlas.idle());
  assertRealGrid(await gridStats(page));
  await shot(page, '09-16d');
  await assertParity16(page);
  // The plane is part of the link: axes, and a fixed point set from A.
  await page.evaluate(() => window.atlas.setEnds(Array.from({ length: 16 }, (_, k) => (k % 3) - 1), Array(16).fill(0.5)));
  await page.click('#anchor-a');
  await page.evaluate(() => window.atlas.idle());
  await page.waitForTimeout(300); // the link is written 150 ms after the last change
  const link = await page.inputValue('#share-url');
  assert.match(link, /&pl=axes&ax=3,7&f=-1,0,1,-1,/);
  const plane = () => window.atlas._map.plane;
  const want = await page.evaluate(plane);
  const grid = await tilePixels(page);
  const other = await openPage(cpu, link);
  await other.page.evaluate(() => window.atlas.idle());
  assert.deepEqual(await other.page.evaluate(plane), want, 'the link did not restore the plane');
  assert.equal(await other.page.inputValue('#plane-mode'), 'axes');
  assert.deepEqual([await other.page.inputValue('#axis-i'), await other.page.inputValue('#axis-j')], ['3', '7']);
  assert.match(await other.page.textContent('#anchor-status'), /fixed at \(-1\.00, 0\.00, 1\.00, -1\.00/);
  assert.ok((await tilePixels(other.page)).every((v, i) => v === grid[i]), 'the linked grid differs');
  assert.deepEqual(other.problems, []);
  await other.page.close();
  await page.close();
});

await modelKindTests();
await labTests();
await compareTests();
await robustnessTests();

await cpu.close();
server.close();

if (missedShots.length) console.log(`screenshots not taken:\n  ${missedShots.join('\n  ')}`);
const failed = results.filter((r) => !r.ok);
console.log(`\nbrowser tests: ${results.length - failed.length} passed, ${failed.length} failed; screenshots in target/browser/`);
process.exit(failed.length ? 1 : 0);
