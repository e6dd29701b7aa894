// A first visit's timeline (node bench/timeline.mjs; ATLAS_DIST=DIR for another build, N visits,
// default 4): per visit, the navigation's milestones (response end, DOM interactive, DOM content
// loaded, load end), every request's start and response end, the page's performance marks (add
// `performance.mark(...)` calls to a copy of a build to time its steps) and the first full grid,
// all in ms after navigation, one JSON line per visit.

import { launch, openPage, serveDist } from '../tests/browser/lib.mjs';

const server = await serveDist();
const ctx = await launch({ webgpu: false, viewport: { width: 1280, height: 1100 } });
for (let r = 0; r < Number(process.env.N ?? 4); r++) {
  const { page } = await openPage(ctx, `${server.url}?backend=cpu`);
  const visit = await page.evaluate(() => {
    const ms = (t) => Math.round(t * 10) / 10;
    const nav = /** @type {PerformanceNavigationTiming} */ (performance.getEntriesByType('navigation')[0]);
    return {
      firstGrid: ms(window.atlas.metrics.firstGridMs),
      navigation: { responseEnd: ms(nav.responseEnd), interactive: ms(nav.domInteractive), contentLoaded: ms(nav.domContentLoadedEventEnd), loaded: ms(nav.loadEventEnd) },
      requests: performance.getEntriesByType('resource').map((e) => [e.name.replace(/^.*\//, ''), ms(e.startTime), ms(/** @type {PerformanceResourceTiming} */ (e).responseEnd)]),
      marks: performance.getEntriesByType('mark').map((e) => [e.name, ms(e.startTime)]),
      paints: performance.getEntriesByType('paint').map((e) => [e.name, ms(e.startTime)]),
    };
  });
  console.log(JSON.stringify(visit));
  await page.close();
}
await ctx.close();
server.close();
process.exit(0);
