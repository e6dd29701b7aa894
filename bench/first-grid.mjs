// Paired first-grid timing of two or more builds of the page (node bench/first-grid.mjs DIST_A
// DIST_B ...): each round opens every build in turn, in a fresh headless Chromium, five first
// visits each (CPU path, 1280x1100 as bench/browser.mjs), and keeps the median of the five;
// ROUNDS rounds (default 8) alternate the builds, A B A B, so a machine that speeds up or slows
// down meanwhile (this one drifts by up to 2x) affects both alike. Prints each round and the
// medians; compare pair by pair, not single runs.

import { launch, openPage } from '../tests/browser/lib.mjs';

const dists = process.argv.slice(2);
if (dists.length < 2) throw new Error('usage: node bench/first-grid.mjs DIST_A DIST_B [...]');
const median = (xs) => { const s = xs.slice().sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const rounds = Number(process.env.ROUNDS ?? 8);
const results = dists.map(() => []);
for (let r = 0; r < rounds; r++) {
  for (const [k, dist] of dists.entries()) {
    // lib.mjs reads ATLAS_DIST when it loads: a fresh instance serves this build.
    process.env.ATLAS_DIST = dist;
    const { serveDist } = await import(`../tests/browser/lib.mjs?round=${r}&build=${k}`);
    const server = await serveDist();
    const ctx = await launch({ webgpu: false, viewport: { width: 1280, height: 1100 } });
    const times = [];
    for (let v = 0; v < 5; v++) {
      const { page } = await openPage(ctx, `${server.url}?backend=cpu`);
      times.push(await page.evaluate(() => window.atlas.metrics.firstGridMs));
      await page.close();
    }
    await ctx.close();
    server.close();
    results[k].push(median(times));
  }
  console.log(`round ${r + 1}: ${results.map((x) => Math.round(x.at(-1))).join(' / ')} ms`);
}
console.log(`medians: ${results.map((x) => Math.round(median(x))).join(' / ')} ms (${dists.join(' / ')})`);
process.exit(0);
