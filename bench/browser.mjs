// Browser benchmark of the explorer page (run `node bench/browser.mjs` after `trunk build`):
// per backend, decode images/s, navigation -> first full grid, a full 20x20 grid redraw after a
// pan (every tile new) and after a quarter-view pan (cache reuse); and what the browser fetches
// (gzip -9 sizes of the files it requested): until the first grid without WebGPU, and for a
// visit that also hovers test points (their original images). Medians of repeated runs; writes
// target/bench/browser.json and prints a Markdown table for BENCHMARKS.md.

import fs from 'node:fs';
import path from 'node:path';
import { ROOT, serveDist, launch, openPage, transferOf } from '../tests/browser/lib.mjs';

const REPS_ALL = Number(process.env.REPS ?? 7);
const median = (xs) => { const s = xs.slice().sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const server = await serveDist();
const out = { when: new Date().toISOString(), reps: REPS_ALL, backends: {} };

// BACKENDS=cpu skips SwiftShader's minutes-long runs (for paired A/B runs of two builds).
for (const backend of (process.env.BACKENDS ?? 'cpu,webgpu').split(',')) {
  // Tall enough that the map is square: density 20 then shows 21 x 21 tiles (20 whole).
  const ctx = await launch({ webgpu: backend === 'webgpu', viewport: { width: 1280, height: 1100 } });
  // SwiftShader decodes ~50 images/s: fewer repetitions keep its run within minutes.
  const REPS = backend === 'webgpu' ? Math.min(3, REPS_ALL) : REPS_ALL;
  const url = `${server.url}?backend=${backend}`;
  const firstGrid = [];
  for (let r = 0; r < Math.min(5, REPS); r++) {
    const { page } = await openPage(ctx, url);
    firstGrid.push(await page.evaluate(() => window.atlas.metrics.firstGridMs));
    const got = await page.evaluate(() => window.atlas.state.backend);
    if (got !== backend) throw new Error(`asked for ${backend}, page runs ${got}`);
    await page.close();
  }
  const { page } = await openPage(ctx, url);
  const decode = {};
  for (const n of [1, 32, 400]) {
    const times = await page.evaluate(([n, reps]) => window.atlas.benchDecode(n, reps), [n, REPS]);
    decode[n] = { median_ms: median(times), images_per_s: n / (median(times) / 1000) };
  }
  // The grid's path: on the CPU, the batch is split over the decode workers.
  const pooled = await page.evaluate(([reps]) => window.atlas.benchDecode(400, reps, true), [REPS]);
  decode.grid400 = { median_ms: median(pooled), images_per_s: 400 / (median(pooled) / 1000) };
  const workers = await page.evaluate(() => window.atlas.workers());
  // Pans: a whole view width (all tiles new: the tile cache is emptied first) and a quarter
  // (about a quarter of the tiles new). Each series starts from the first view, and whole-view
  // pans alternate direction, so the view never runs into the pan limit.
  const home = await page.evaluate(() => ({ ...window.atlas.state.view }));
  const pan = async (fraction) => {
    await page.evaluate(async (h) => { window.atlas.setView(h.cx, h.cy, h.half); await window.atlas.idle(); }, home);
    const times = [];
    for (let r = 0; r < REPS; r++) {
      times.push(await page.evaluate(async ([f, fresh]) => {
        const v = window.atlas.state.view;
        await window.atlas.idle();
        if (fresh) window.atlas._map.cache.clear();
        const t = performance.now();
        window.atlas.setView(v.cx + 2 * v.half * f, v.cy, v.half);
        await window.atlas.idle();
        return performance.now() - t;
      }, [fraction === 1 && r % 2 ? -1 : fraction, fraction === 1]));
    }
    return median(times);
  };
  // How a full redraw grows with grid density (CPU only: SwiftShader would take minutes).
  const byDensity = {};
  if (backend === 'cpu') {
    for (const d of [10, 20, 30, 40]) {
      await page.evaluate((v) => { const el = document.getElementById('density'); el.value = String(v); el.dispatchEvent(new Event('input')); }, d);
      await page.evaluate(() => window.atlas.idle());
      byDensity[d] = { tiles: await page.evaluate(() => window.atlas._map.visibleCells().cells.length), full_redraw_ms: await pan(1) };
    }
    await page.evaluate(() => { const el = document.getElementById('density'); el.value = '20'; el.dispatchEvent(new Event('input')); });
    await page.evaluate(() => window.atlas.idle());
  }
  out.backends[backend] = {
    redraw_by_density: byDensity,
    first_grid_ms: median(firstGrid),
    decode,
    workers,
    tiles_in_view: await page.evaluate(() => window.atlas._map.visibleCells().cells.length),
    full_redraw_after_pan_ms: await pan(1),
    quarter_pan_redraw_ms: await pan(0.25),
    user_agent: await page.evaluate(() => navigator.userAgent),
  };
  await ctx.close();
}
server.close();

// Transfer: what a first visit without WebGPU fetches until the first grid, and until it has
// also hovered five test points spread over the test set (each shows its original image).
{
  const server2 = await serveDist();
  const ctx = await launch({ webgpu: false });
  const { page, fetched } = await openPage(ctx, server2.url);
  const all = [];
  page.on('request', (r) => all.push(r.url()));
  out.first_paint = transferOf(fetched);
  // What a hover of these test points fetches (the page's own loader of original images).
  // (Builds before the test images came in parts have no such hook: no visit is measured.)
  for (const i of [0, 2500, 5000, 7500, 9999]) await page.evaluate((k) => window.atlas.testImage?.(k), i);
  out.visit = transferOf(fetched.concat(all));
  out.default_model = await page.evaluate(() => window.atlas.state.model);
  await ctx.close();
  server2.close();
}

fs.mkdirSync(path.join(ROOT, 'target', 'bench'), { recursive: true });
fs.writeFileSync(path.join(ROOT, 'target', 'bench', 'browser.json'), JSON.stringify(out, null, 2));

const f = (x) => (x == null ? "–" : x.toFixed(1));
console.log('| measure | CPU (burn-flex, wasm) | WebGPU (burn-wgpu) | target |');
console.log('| --- | --- | --- | --- |');
const c = out.backends.cpu, g = out.backends.webgpu ?? { decode: { 1: {}, 32: {}, 400: {}, grid400: {} } };
console.log(`| decode workers (CPU path) | ${c.workers} | – | |`);
for (const n of [1, 32, 400]) console.log(`| decode, batch ${n}: images/s (median ms) | ${f(c.decode[n].images_per_s)} (${f(c.decode[n].median_ms)}) | ${f(g.decode[n].images_per_s)} (${f(g.decode[n].median_ms)}) | |`);
console.log(`| grid path, 400 images: images/s (median ms) | ${f(c.decode.grid400.images_per_s)} (${f(c.decode.grid400.median_ms)}) | ${f(g.decode.grid400.images_per_s)} (${f(g.decode.grid400.median_ms)}) | |`);
console.log(`| tiles in view (density 20, square map) | ${c.tiles_in_view} | ${g.tiles_in_view} | |`);
console.log(`| navigation → first full grid, ms | ${f(c.first_grid_ms)} | ${f(g.first_grid_ms)} | ≤ 1500 |`);
console.log(`| full grid redraw after a one-view pan (every tile new), ms | ${f(c.full_redraw_after_pan_ms)} | ${f(g.full_redraw_after_pan_ms)} | ≤ 250 CPU, ≤ 16 GPU |`);
console.log(`| quarter-view pan (≈100 new tiles), ms | ${f(c.quarter_pan_redraw_ms)} | ${f(g.quarter_pan_redraw_ms)} | |`);
console.log('\n| density | tiles in view | full redraw after a one-view pan, ms (CPU) |');
console.log('| --- | --- | --- |');
for (const [d, v] of Object.entries(c.redraw_by_density)) console.log(`| ${d} | ${v.tiles} | ${f(v.full_redraw_ms)} |`);
const kb = (x) => `${(x / 1e3).toFixed(0)} kB`;
for (const [what, t] of [['first paint (no WebGPU)', out.first_paint], ['visit with five hovers', out.visit]]) {
  console.log(`\n${what}: ${(t.gzip / 1e6).toFixed(2)} MB gzipped, default model ${out.default_model}`);
  for (const f of t.files) console.log(`  ${f.file}: ${kb(f.bytes)} raw, ${kb(f.gzip)} gzip`);
}
