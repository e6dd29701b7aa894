// Browser tests of hostile input and broken parts: share links, a phone's layout, missing or
// damaged served files, hung WebGPU, extreme views, the Content-Security-Policy, and a soak.

import path from 'node:path';
import assert from 'node:assert/strict';
import { openPage, launch } from './lib.mjs';
import { ctx, test, within, shot, SHOTS, assertRealGrid, gridStats, noticeText, uploadFile, testImagePng } from './harness.mjs';

/** A fresh page whose requests matching `pattern` get `status` and `body`; resolves once the
 * page has started or given up, with how long that took. */
async function pageWithBrokenFile(context, pattern, status, body) {
  const page = await context.newPage();
  await page.route(pattern, (route) => route.fulfill({ status, body, contentType: 'application/octet-stream' }));
  const t0 = Date.now();
  await page.goto(ctx.server.url);
  await page.waitForFunction(() => ['true', 'error'].includes(document.body.dataset.ready), null, { timeout: 60_000 });
  return { page, seconds: (Date.now() - t0) / 1000 };
}

export async function robustnessTests() {
  const { cpu, server } = ctx;

  await test('the page runs under a strict Content-Security-Policy with no inline script', async () => {
    const p = await openPage(cpu, server.url);
    const csp = await p.page.evaluate(() => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.content ?? '');
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.doesNotMatch(csp, /unsafe-inline|'unsafe-eval'|\*/);
    assert.equal(await p.page.evaluate(() => document.querySelectorAll('script:not([src])').length), 0, 'an inline script');
    assertRealGrid(await gridStats(p.page));
    assert.deepEqual(p.problems, [], 'the page itself broke its policy');
    // The policy is in force, not just written down: an inline script added now does not run
    // (and is reported as a violation).
    const ran = await p.page.evaluate(async () => {
      const s = document.createElement('script');
      s.textContent = 'window.inlineRan = true;';
      document.head.append(s);
      await new Promise((r) => setTimeout(r, 100));
      return window.inlineRan === true;
    });
    assert.equal(ran, false, 'an inline script ran: the policy is not in force');
    assert.ok(p.problems.some((m) => /CSP: .*inline script/.test(m)), `no violation reported: ${p.problems}`);
    await p.page.close();
  });

  await test('a missing or damaged engine, script, model list or model file gives a message within seconds', async () => {
    const cases = [
      ['the wasm missing', /\.wasm$/, 404, 'gone', /engine .*could not be loaded/],
      ['the wasm damaged', /\.wasm$/, 200, 'not wasm at all', /engine .*could not be loaded/],
      ['a script missing', /js\/app\.js$/, 404, 'gone', /a script did not load/],
      ['a script damaged', /js\/app\.js$/, 200, 'export const = ;', /a script did not load/],
      ['the model list damaged', /pkg\/index\.json$/, 200, '{"models": [', /model list \(pkg\/index\.json\) could not be loaded/],
      ['the model list missing', /pkg\/index\.json$/, 404, 'gone', /model list .*HTTP 404/],
    ];
    for (const [what, pattern, status, body, expect] of cases) {
      const { page, seconds } = await pageWithBrokenFile(cpu, pattern, status, body);
      assert.equal(await page.evaluate(() => document.body.dataset.ready), 'error', what);
      assert.match(await noticeText(page), expect, what);
      assert.ok(seconds < 20, `${what}: the message took ${seconds} s`);
      await page.close();
    }
    // A damaged model file: the page says so and opens the next model.
    const { page } = await pageWithBrokenFile(cpu, /pkg\/fmnist-2d-keras\.safetensors$/, 200, 'not a model file');
    const st = await page.evaluate(() => window.atlas.state);
    assert.equal(await page.evaluate(() => document.body.dataset.ready), 'true');
    assert.ok(st.model && st.model !== 'fmnist-2d-keras', `opened ${st.model}`);
    assert.match(await noticeText(page), new RegExp(`fmnist-2d-keras could not be opened: .*not a Latent Atlas model file.* Showing ${st.model}`));
    assert.equal(await page.inputValue('#model'), st.model);
    assertRealGrid(await gridStats(page));
    await shot(page, '20-damaged-model');
    // Picking the broken model again keeps the open one, and the picker says which is open.
    // The first message is closed first: waiting on it would return before the second attempt
    // has failed (and the picker would still show the broken model's name).
    await page.click('#notice-close');
    assert.equal(await noticeText(page), '');
    await page.selectOption('#model', 'fmnist-2d-keras');
    await page.waitForFunction(() => !document.getElementById('notice').hidden
      && /could not be loaded|not a Latent Atlas/.test(document.getElementById('notice-text').textContent));
    assert.equal(await page.inputValue('#model'), st.model);
    assert.equal((await page.evaluate(() => window.atlas.state)).model, st.model);
    await page.close();
  });

  const gpu = await launch({ webgpu: true });
  await test('a hung WebGPU falls back to the CPU and says so; the WebGPU button tries again', async () => {
    const page = await gpu.newPage();
    // requestAdapter() that never answers, as a wedged driver does; the real one is kept.
    await page.addInitScript(() => {
      window.realRequestAdapter = navigator.gpu.requestAdapter.bind(navigator.gpu);
      navigator.gpu.requestAdapter = () => new Promise(() => {});
    });
    const t0 = Date.now();
    await page.goto(server.url + '?backend=webgpu');
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60_000 });
    assert.ok((Date.now() - t0) / 1000 < 40, 'the fallback took too long');
    assert.equal((await page.evaluate(() => window.atlas.state)).backend, 'cpu');
    assert.match(await noticeText(page), /requestAdapter\(\) did not finish within 10 s.*using the CPU.*tries again/);
    assert.equal(await page.isEnabled('#be-webgpu'), true);
    // The GPU answers again: the button opens WebGPU.
    await page.evaluate(() => { navigator.gpu.requestAdapter = window.realRequestAdapter; });
    await page.click('#be-webgpu');
    await page.waitForFunction(() => window.atlas.state.backend === 'webgpu', null, { timeout: 120_000 });
    // A decode that never returns on WebGPU (a hung device) switches to the CPU, which answers.
    await page.evaluate(() => {
      window.atlas.limits.decodeGpu = 2000;
      window.atlas._map.engine.session.decode = () => new Promise(() => {});
    });
    const out = await within(30_000, page.evaluate(() => window.atlas.decode([[0.5, -0.5]])), 'decode after a hung WebGPU');
    assert.ok(Math.max(...out[0]) > 100, 'the CPU decode is blank');
    assert.equal((await page.evaluate(() => window.atlas.state)).backend, 'cpu');
    assert.match(await noticeText(page), /WebGPU stopped working \(A WebGPU decode did not finish within 2 s\); switched to the CPU/);
    await page.close();
  });

  await test('a WebGPU module that does not load leaves the page on the CPU; the WebGPU button loads it again', async () => {
    const page = await gpu.newPage();
    const broken = /latent-atlas-webgpu_bg\.wasm$/;
    await page.route(broken, (route) => route.fulfill({ status: 404, body: 'gone' }));
    await page.goto(server.url + '?backend=webgpu');
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60_000 });
    assert.equal((await page.evaluate(() => window.atlas.state)).backend, 'cpu');
    assert.match(await noticeText(page), /WebGPU is not available \(the WebGPU module could not be loaded .*\); using the CPU/);
    assertRealGrid(await gridStats(page));
    // The file is back: a failed load is not remembered, the button loads and opens it.
    await page.unroute(broken);
    await page.click('#be-webgpu');
    await page.waitForFunction(() => window.atlas.state.backend === 'webgpu', null, { timeout: 120_000 });
    await page.close();
  });

  await test('extreme views do bounded work, and the pan stops where share links do', async () => {
    const page = await cpu.newPage();
    // A short, wide window: the map (square, at most 80% of the window's height) gets very wide.
    await page.setViewportSize({ width: 1400, height: 220 });
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 120_000 });
    // Widest zoom-out, densest grid, a wide window: more cells than the tile cache holds unless
    // the grid coarsens.
    await page.evaluate(() => { const d = document.getElementById('density'); d.value = d.max; d.dispatchEvent(new Event('input')); });
    await page.evaluate(() => window.atlas.setView(0, 0, 1000));
    await within(180_000, page.evaluate(() => window.atlas.idle()), 'the widest view');
    const { cells, half, uncapped } = await page.evaluate(() => {
      const m = window.atlas._map, c = m.tiles;
      // The density's own cells in this window, without the cap.
      return { cells: m.visibleCells().cells.length, half: m.view.half, uncapped: m.density * m.density * Math.max(c.width, c.height) / Math.min(c.width, c.height) };
    });
    assert.ok(uncapped > 6000, `the view is not extreme: ${uncapped} cells would fit the tile cache`);
    const { zoom } = await page.evaluate(() => window.atlas.linkLimits());
    assert.ok(Math.abs(half - 3 / zoom[0]) < 1e-5, `half-width ${half}: zoomed out past what a link holds`);
    assert.ok(cells <= 4096, `${cells} visible cells`);
    // Finished means finished: every visible tile is cached, and asking again decodes nothing.
    const decoded = await page.evaluate(() => window.atlas._map.stats.decoded);
    await within(10_000, page.evaluate(() => window.atlas.idle()), 'idle again');
    assert.equal(await page.evaluate(() => window.atlas._map.stats.decoded), decoded, 'the view keeps decoding');
    assert.equal(await page.evaluate(() => window.atlas._map.missing().cells.length), 0);
    await shot(page, '21-extreme-view');
    // Panning far away stops at the link's bound, and the link restores that view exactly.
    await page.evaluate(() => window.atlas.setView(1e6, -1e9, 1));
    const view = (await page.evaluate(() => window.atlas.state)).view;
    const { maxCentre } = await page.evaluate(() => window.atlas.linkLimits());
    assert.deepEqual([view.cx, view.cy], [maxCentre, -maxCentre]);
    await page.waitForTimeout(400);
    const other = await openPage(cpu, await page.inputValue('#share-url'));
    assert.deepEqual((await other.page.evaluate(() => window.atlas.state)).view, view);
    assert.doesNotMatch(await noticeText(other.page), /The link/, 'the link of a panned view is refused');
    await other.page.close();
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
    const check = async (frag) => {
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
    };
    // Three pages at a time: a page's start is mostly waiting (fetches, worker start-up).
    for (let i = 0; i < hostile.length; i += 3) await Promise.all(hostile.slice(i, i + 3).map(check));
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

  await test('a soak: thousands of pans, zooms and density changes, model and backend switches and uploads in one visit', async () => {
    const { page, problems } = await openPage(gpu, server.url);
    const models = await page.evaluate(async () => (await (await fetch('pkg/index.json')).json()).models
      .filter((m) => m.content_dim == null).map((m) => m.name));
    // What survives a full collection (launch() exposes window.gc).
    const memory = () => page.evaluate(() => { window.gc(); return { heap: performance.memory.usedJSHeapSize, wasm: window.atlas.wasmMemoryBytes() }; });
    const OPS = 2000, BATCH = 250;
    const t0 = Date.now();
    let warm = null, slowestFrame = 0, switches = 0, uploads = 0;
    const spent = { views: 0, switches: 0, uploads: 0 };
    const timed = async (what, fn) => { const t = Date.now(); await fn(); spent[what] += (Date.now() - t) / 1000; };
    for (let k = 0; k * BATCH < OPS; k++) {
      // A batch of pans, zooms and density changes (4 to 24 a side; the densest, widest views
      // are the test above) as fast as the page takes them (each gives the event loop a turn),
      // while the grid decodes behind them.
      await timed('views', () => within(90_000, page.evaluate(async ([seed, n]) => {
        let x = seed;
        const rand = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
        const turn = () => new Promise((r) => { const c = new MessageChannel(); c.port1.onmessage = r; c.port2.postMessage(0); });
        const density = document.getElementById('density');
        for (let i = 0; i < n; i++) {
          const v = window.atlas.state.view, r = rand();
          if (r < 0.6) window.atlas.setView(v.cx + (rand() - 0.5) * v.half, v.cy + (rand() - 0.5) * v.half, v.half);
          else if (r < 0.9) window.atlas.setView(v.cx * 0.9, v.cy * 0.9, v.half * (0.6 + 0.8 * rand()));
          else { density.value = String(4 + Math.floor(rand() * 21)); density.dispatchEvent(new Event('input')); }
          await turn();
        }
      }, [k + 1, BATCH]), `batch ${k}`));
      // The page answers: the next frame comes while the grid is still decoding.
      slowestFrame = Math.max(slowestFrame, await within(30_000, page.evaluate(() => new Promise((r) => {
        const t = performance.now();
        requestAnimationFrame(() => r(performance.now() - t));
      })), `a frame after batch ${k}`));
      if (k % 3 === 2) {
        const name = models[(k / 3 | 0) % models.length];
        await timed('switches', async () => {
          await page.selectOption('#model', name);
          await page.waitForFunction((n) => window.atlas.state.model === n, name, { timeout: 60_000 });
        });
        switches++;
      }
      if (k === 1) {
        // To WebGPU and back: a session opened on the GPU, used and freed. (Software WebGPU,
        // all CI has, starves the compositor, so the view changes run on the CPU session.)
        for (const to of ['webgpu', 'cpu']) {
          await timed('switches', async () => {
            await within(120_000, page.evaluate((b) => window.atlas.setBackend(b), to), `switch to ${to}`);
            assert.equal((await page.evaluate(() => window.atlas.state)).backend, to);
            await within(60_000, page.evaluate(() => window.atlas.decode([[0.25, -0.5]])), `a decode on ${to}`);
          });
          switches++;
        }
      }
      if (k % 2 === 1) {
        await timed('uploads', async () => {
          await uploadFile(page, `soak-${k}.png`, testImagePng(k));
          await page.waitForFunction(() => window.atlas.lastEncoding !== null, null, { timeout: 60_000 });
        });
        uploads++;
      }
      if (k === 2) warm = await memory();
    }
    // No decode lost: the last view completes, every visible tile is there and real.
    await within(180_000, page.evaluate(() => window.atlas.idle()), 'the last view');
    assert.equal(await page.evaluate(() => window.atlas._map.missing().cells.length), 0);
    await page.evaluate(() => window.atlas.setView(0, 0, 3));
    await within(180_000, page.evaluate(() => window.atlas.idle()), 'the default view');
    assertRealGrid(await gridStats(page));
    const end = await memory();
    const mb = (b) => (b / 1048576).toFixed(1);
    console.log(`      soak: ${OPS} view changes, ${switches} model/backend switches, ${uploads} uploads in ${((Date.now() - t0) / 1000).toFixed(0)} s; `
      + `(view changes ${spent.views.toFixed(0)} s, switches ${spent.switches.toFixed(0)} s, uploads ${spent.uploads.toFixed(0)} s); slowest frame ${slowestFrame.toFixed(0)} ms; JS heap ${mb(warm.heap)} -> ${mb(end.heap)} MB, wasm memory ${mb(warm.wasm)} -> ${mb(end.wasm)} MB`);
    assert.ok(slowestFrame < 2000, `the page stalled: a frame took ${slowestFrame.toFixed(0)} ms`);
    assert.ok(end.heap - warm.heap < 64 * 1048576, `JS heap grew ${mb(end.heap - warm.heap)} MB after warm-up`);
    assert.ok(end.wasm - warm.wasm < 128 * 1048576, `wasm memory grew ${mb(end.wasm - warm.wasm)} MB after warm-up`);
    assert.deepEqual(problems, []);
    await page.close();
  });
  await gpu.close();
}
