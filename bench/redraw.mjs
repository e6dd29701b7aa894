// The map's full redraw alone, many times (`node bench/redraw.mjs` after `trunk build`; ATLAS_DIST
// for another build, N for the number of pans): the CPU path, a whole-view pan with the tile cache
// emptied first (every tile new), alternating direction, as bench/browser.mjs measures it but 25
// times instead of 7, for paired A B A B comparisons of small changes. Prints median, quartile
// and minimum in ms.

import { serveDist, launch, openPage } from '../tests/browser/lib.mjs';

const N = Number(process.env.N ?? 25);
const server = await serveDist();
const ctx = await launch({ webgpu: false, viewport: { width: 1280, height: 1100 } });
try {
  const { page } = await openPage(ctx, `${server.url}?backend=cpu`);
  const times = [];
  for (let r = 0; r < N; r++) {
    times.push(await page.evaluate(async (r) => {
      const v = window.atlas.state.view;
      await window.atlas.idle();
      window.atlas._map.cache.clear();
      const t = performance.now();
      window.atlas.setView(v.cx + (r % 2 ? -2 : 2) * v.half, v.cy, v.half);
      await window.atlas.idle();
      return performance.now() - t;
    }, r));
  }
  times.sort((a, b) => a - b);
  const f = (x) => x.toFixed(1);
  console.log(`full redraw, ${N} pans: median ${f(times[N >> 1])} ms, lower quartile ${f(times[N >> 2])}, min ${f(times[0])}`);
} finally {
  await ctx.close();
  server.close();
}
