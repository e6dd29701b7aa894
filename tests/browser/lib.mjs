// Shared pieces of the browser tests and the browser benchmark: a static server for dist/,
// Debian's Chromium through playwright-core, PNG writing, native reference decodes.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
// ATLAS_DIST: another build of the page (the benchmark compares builds side by side).
export const DIST = path.resolve(process.env.ATLAS_DIST ?? path.join(ROOT, 'dist'));

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json',
  '.png': 'image/png', '.gz': 'application/gzip', '.safetensors': 'application/octet-stream',
};

/** Serves dist/ on 127.0.0.1 (a free port); resolves to { url, close }. */
export function serveDist() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    let file = path.normalize(path.join(DIST, decodeURIComponent(url.pathname)));
    if (!file.startsWith(DIST)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    fs.readFile(file, (err, body) => {
      if (err) { res.writeHead(404).end('not found'); return; }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() });
  }));
}

/** Headless Debian Chromium; `webgpu` adds --enable-unsafe-webgpu (SwiftShader when no GPU). */
export async function launch({ webgpu, viewport = { width: 1280, height: 900 } }) {
  const dir = fs.mkdtempSync('/tmp/atlas-chromium-');
  const args = [
    '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
    // window.gc(): the soak measures the heap that survives a collection, not garbage.
    '--js-flags=--expose-gc',
  ];
  if (webgpu) args.push('--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader');
  else args.push('--disable-gpu', '--disable-features=WebGPU');
  const browser = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true, args, viewport, acceptDownloads: true,
  });
  return browser;
}

/** Opens `url`, waits for the first full grid; collects page errors and dialogs, and the URLs
 * the page (and its workers) requested until then (`fetched`). */
export async function openPage(context, url, { timeout = 120_000 } = {}) {
  const page = await context.newPage();
  const problems = [];
  const fetched = [];
  const record = (r) => fetched.push(r.url());
  page.on('request', record);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => { problems.push(`dialog opened: ${d.message()}`); d.dismiss(); });
  page.on('console', (m) => {
    if (process.env.ATLAS_VERBOSE) console.log(`  [console] ${m.text()}`);
    // Anything the page's Content-Security-Policy blocks is a problem in every test.
    if (/Content Security Policy/.test(m.text())) problems.push(`CSP: ${m.text().slice(0, 200)}`);
  });
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.ready === 'error', null, { timeout });
  page.off('request', record);
  return { page, problems, fetched };
}

/** The dist/ files behind `urls` (same-origin requests), each once, with their raw and gzip -9
 * sizes: what a static host serving compressed files would send. */
export function transferOf(urls) {
  const files = new Map();
  for (const u of urls) {
    const { pathname } = new URL(u);
    const file = path.join(DIST, decodeURIComponent(pathname === '/' ? '/index.html' : pathname));
    if (file.startsWith(DIST) && fs.existsSync(file) && fs.statSync(file).isFile() && !files.has(file)) {
      files.set(file, { file: path.relative(DIST, file), bytes: fs.statSync(file).size, gzip: gzipSize(file) });
    }
  }
  const list = [...files.values()];
  return { files: list, gzip: list.reduce((s, f) => s + f.gzip, 0) };
}

// ---- PNG writing (tests build their uploads from dataset images) ---------------------------

const CRC = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
/** RGBA (or grey with channels=1) rows -> PNG bytes. */
export function png(width, height, pixels, channels = 4) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = channels === 4 ? 6 : 0;
  const raw = Buffer.alloc((width * channels + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * channels + 1)] = 0;
    pixels.copy ? pixels.copy(raw, y * (width * channels + 1) + 1, y * width * channels, (y + 1) * width * channels)
      : raw.set(pixels.subarray(y * width * channels, (y + 1) * width * channels), y * (width * channels + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A PNG that claims `width x height` but holds one row of data (a decompression-bomb shape). */
export function pngHeaderOnly(width, height) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(Buffer.alloc(width + 1))), chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A dataset's test images from the same files the page reads (pkg/DATASET-test-images/, the
 * parts in order). */
export function testImages(dataset = 'fashion-mnist') {
  const dir = path.join(ROOT, 'pkg', `${dataset}-test-images`);
  const parts = fs.readdirSync(dir).filter((f) => /^\d+\.idx\.gz$/.test(f)).sort()
    .map((f) => zlib.gunzipSync(fs.readFileSync(path.join(dir, f))));
  const [h, w] = [parts[0].readUInt32BE(8), parts[0].readUInt32BE(12)];
  const pixels = Buffer.concat(parts.map((raw) => raw.subarray(16)));
  return { n: pixels.length / (h * w), side: w, image: (i) => pixels.subarray(i * h * w, (i + 1) * h * w) };
}

/** The native CLI's decode of `points` with a model file: one byte array per point. */
export function nativeDecode(modelFile, points) {
  const bin = path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'release', 'latent-atlas');
  const args = ['decode', path.join(ROOT, 'pkg', modelFile)];
  for (const p of points) args.push('--z', p.join(','));
  return JSON.parse(execFileSync(bin, args, { encoding: 'utf8' })).images;
}

export function gzipSize(file) {
  return zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;
}
