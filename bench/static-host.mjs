// Serves a built site (dist/, or ATLAS_DIST) the way a static host does: each file compressed
// once (brotli when the browser accepts it, else gzip; .gz files and images as they are),
// content types, long-lived caching for trunk's hashed files. For measuring what a visitor
// downloads (Lighthouse, bench/browser.mjs), not for development (`trunk serve` rebuilds).
//   node bench/static-host.mjs [port]      (default 8090, 127.0.0.1)

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DIST } from '../tests/browser/lib.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png',
  '.gz': 'application/gzip', '.safetensors': 'application/octet-stream',
};
// Already compressed (or not worth it): sent as they are.
const RAW = new Set(['.gz', '.png']);
const cache = new Map();

function compressed(file, encoding) {
  const key = `${file}\0${encoding}`;
  if (!cache.has(key)) {
    const body = fs.readFileSync(file);
    cache.set(key, encoding === 'br'
      ? zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } })
      : encoding === 'gzip' ? zlib.gzipSync(body, { level: 9 }) : body);
  }
  return cache.get(key);
}

export function staticHost(port = 0) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    let file = path.normalize(path.join(DIST, decodeURIComponent(url.pathname)));
    if (!file.startsWith(DIST)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!fs.existsSync(file)) { res.writeHead(404).end('not found'); return; }
    const ext = path.extname(file);
    const accepts = String(req.headers['accept-encoding'] ?? '');
    const encoding = RAW.has(ext) ? null : /\bbr\b/.test(accepts) ? 'br' : /\bgzip\b/.test(accepts) ? 'gzip' : null;
    const body = compressed(file, encoding);
    // trunk's hashed names (name-<hash>.ext) never change content: cache them for a year.
    const hashed = /-[0-9a-f]{16}(_bg)?\.(js|wasm|css)$/.test(file);
    res.writeHead(200, {
      'content-type': TYPES[ext] ?? 'application/octet-stream',
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...(encoding ? { 'content-encoding': encoding, vary: 'accept-encoding' } : {}),
      'content-length': body.length,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => {
    resolve({ url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() });
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { url } = await staticHost(Number(process.argv[2] ?? 8090));
  console.log(`serving ${DIST} compressed at ${url}`);
}
