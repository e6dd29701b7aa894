// trunk's post-build hook (Trunk.toml): the page's modules become one file. www/js/app.js and
// the thirty-odd modules it imports are written, bundled and minified, over js/app.js in
// trunk's staging directory, and the modules themselves are dropped from it; js/boot.js (it
// must load on its own, see its header) and js/worker.js (each decode worker loads it) stay
// as they are. Why: with one request per module, a first visit on two cores had its modules
// arrive 100-200 ms after the page itself (34 script requests over six connections, each file
// a round trip through the browser's network service and the server), and boot.js, which
// starts the engine's download, ran only after all of them (BENCHMARKS.md, "one script").
// A sourcemap beside it (never fetched unless the browser's developer tools ask) carries the
// modules' own text.
//
// Run by hand: TRUNK_STAGING_DIR=dist node scripts/bundle-page.mjs (on a built dist/).

import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) throw new Error('bundle-page: TRUNK_STAGING_DIR is not set (trunk sets it for its hooks)');
const js = path.join(staging, 'js');
const KEEP = new Set(['boot.js', 'worker.js', 'app.js', 'app.js.map']);

const entry = path.join(js, 'app.js');
if (!fs.existsSync(entry)) throw new Error(`bundle-page: ${entry} is missing (index.html copies www/js there)`);
const result = await build({
  entryPoints: [entry],
  bundle: true,
  format: 'esm',
  // Chromium 114+, Firefox and Safari 16.4+: every syntax the page uses runs as written.
  target: 'es2022',
  minify: true,
  sourcemap: 'linked',
  outfile: entry,
  allowOverwrite: true,
  logLevel: 'warning',
  metafile: true,
});
// The modules now inside app.js; anything else in js/ the page would still fetch is an error
// here rather than a missing file in the browser.
const inside = new Set(Object.keys(result.metafile.inputs).map((f) => path.basename(f)));
for (const f of fs.readdirSync(js)) {
  if (KEEP.has(f)) continue;
  if (!inside.has(f)) throw new Error(`bundle-page: js/${f} is neither bundled into app.js nor loaded on its own (boot.js, worker.js)`);
  fs.rmSync(path.join(js, f));
}
console.log(`bundle-page: js/app.js holds ${inside.size} modules, ${(fs.statSync(entry).size / 1e3).toFixed(0)} kB`);
