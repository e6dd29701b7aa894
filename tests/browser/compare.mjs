// Browser tests of two models side by side (CPU, no WebGPU).

import fs from 'node:fs';
import assert from 'node:assert/strict';
import { openPage } from './lib.mjs';
import { ctx, test, shot, assertRealGrid, gridStats, noticeText, pageStillWorks, uploadFile } from './harness.mjs';

/** The top-left 200x200 pixels of canvas `id` (a grid's fingerprint). */
function topPixels(page, id) {
  return page.evaluate((id) => Array.from(/** @type {HTMLCanvasElement} */ (document.getElementById(id)).getContext('2d').getImageData(0, 0, 200, 200).data), id);
}

/** Where test point `i` is drawn on map `which` (1 or 2), in page pixels, and the overlay
 * pixel on its highlight ring (device pixels, 7 px right of it). */
function pointOnMap(page, which, i) {
  return page.evaluate(({ which, i }) => {
    const m = which === 1 ? window.atlas._map : window.atlas._compareMap;
    const el = /** @type {HTMLCanvasElement} */ (document.getElementById(which === 1 ? 'overlay' : 'overlay2'));
    const r = el.getBoundingClientRect(), dpr = el.width / r.width;
    m.flushOverlay(); // the overlay redraws at the next frame; read what it will show
    const [sx, sy] = m.toScreen(m.points.xy[2 * i], m.points.xy[2 * i + 1]);
    const ring = Array.from(el.getContext('2d').getImageData(Math.round(sx + 7 * (window.devicePixelRatio || 1)), Math.round(sy), 1, 1).data);
    return { x: r.left + sx / dpr, y: r.top + sy / dpr, ring, inside: sx > 30 && sy > 30 && sx < el.width - 30 && sy < el.height - 30 };
  }, { which, i });
}

const near = (x, y, tol, what) => assert.ok(x.length === y.length && x.every((v, d) => Math.abs(v - y[d]) <= tol), `${what}: ${x} vs ${y}`);

export async function compareTests() {
  const { cpu, server } = ctx;

  await test('two models side by side: views move together, a hovered test point is ringed on both, the same ends and upload in both, links restore it', async () => {
    const { page, problems } = await openPage(cpu, server.url);
    const [one, two] = ['fmnist-2d-keras', 'fmnist-2d'];
    await page.selectOption('#model', one);
    await page.waitForFunction((n) => window.atlas.state.model === n, one);
    await page.selectOption('#compare-model', two);
    await page.waitForFunction((n) => window.atlas.compare().model === n, two, { timeout: 30_000 });
    await page.evaluate(() => Promise.all([window.atlas.idle(), window.atlas.compareIdle()]));
    let c = await page.evaluate(() => window.atlas.compare());
    assert.ok(c.shown && c.synced, 'two 2-D models: the second map is shown and moves with the first');
    const [box1, box2] = await Promise.all(['#map-wrap', '#map-wrap2'].map((s) => page.locator(s).boundingBox()));
    assert.ok(box2.x >= box1.x + box1.width - 1 && Math.abs(box2.y - box1.y) < 2 && Math.abs(box2.width - box1.width) < 2, 'the maps are not side by side');
    assertRealGrid(await gridStats(page, 'tiles2'));
    assert.notDeepEqual(await topPixels(page, 'tiles2'), await topPixels(page, 'tiles'), 'the second map draws the first model');
    assert.equal(await page.textContent('#map2-caption'), two);

    // Moving either map moves both (the first map by its hook, the second by a real drag).
    await page.evaluate(() => window.atlas.setView(1, -0.5, 1.5));
    c = await page.evaluate(() => window.atlas.compare());
    assert.deepEqual(c.view, await page.evaluate(() => window.atlas._map.view), 'the second map did not follow a pan');
    const b2 = await page.locator('#overlay2').boundingBox();
    await page.mouse.move(b2.x + 100, b2.y + 100);
    await page.mouse.down(); await page.mouse.move(b2.x + 160, b2.y + 130, { steps: 5 }); await page.mouse.up();
    const [v1, v2] = await page.evaluate(() => [window.atlas._map.view, window.atlas.compare().view]);
    assert.ok(v1.cx < 1 && v1.cy > -0.5, `a drag on the second map did not pan the first: ${JSON.stringify(v1)}`);
    assert.deepEqual(v2, v1);
    await page.evaluate(() => window.atlas.setView(0, 0, 3));
    await page.evaluate(() => Promise.all([window.atlas.idle(), window.atlas.compareIdle()]));

    // Hovering a test point on the first map rings the same test image on the second.
    /** A test point of class `cls` in view on both maps, with no other within 3 px on the first (the hover picks it). */
    const visible = async (cls) => {
      const i = await page.evaluate((cls) => {
        const [m1, m2] = [window.atlas._map, window.atlas._compareMap], dpr = window.devicePixelRatio || 1;
        const inside = (m, i) => { const [x, y] = m.toScreen(m.points.xy[2 * i], m.points.xy[2 * i + 1]); return x > 30 && y > 30 && x < m.overlay.width - 30 && y < m.overlay.height - 30; };
        const { labels, xy } = m1.points;
        for (let i = 0; i < labels.length; i++) {
          if (labels[i] !== cls || !inside(m1, i) || !inside(m2, i)) continue;
          const [x, y] = m1.toScreen(xy[2 * i], xy[2 * i + 1]);
          let alone = true;
          for (let j = 0; j < labels.length && alone; j++) {
            const [u, v] = m1.toScreen(xy[2 * j], xy[2 * j + 1]);
            if (j !== i && (u - x) ** 2 + (v - y) ** 2 < (3 * dpr) ** 2) alone = false;
          }
          if (alone) return i;
        }
        return -1;
      }, cls);
      assert.ok(i >= 0, `no lone test point of class ${cls} in view on both maps`);
      return i;
    };
    const trouser = await visible(1);
    const p = await pointOnMap(page, 1, trouser);
    await page.mouse.move(p.x, p.y);
    await page.waitForFunction(() => window.atlas.store.state.highlight !== null);
    const lit = await page.evaluate(() => window.atlas.store.state.highlight);
    assert.equal(lit, trouser);
    assert.equal((await page.evaluate(() => window.atlas.compare())).highlight, lit);
    const ring = (await pointOnMap(page, 2, lit)).ring;
    assert.ok(ring[3] === 255 && ring.slice(0, 3).every((v) => v > 200), `no white ring around test image ${lit} on the second map: ${ring}`);
    await shot(page, '27-compare-hover');

    // Picking two test images: the second strip runs between the second model's own codes of them.
    await page.mouse.click(p.x, p.y);
    const boot = await visible(9);
    const q = await pointOnMap(page, 1, boot);
    await page.mouse.click(q.x, q.y);
    const st = await page.evaluate(() => { const { a, b, imageA, imageB } = window.atlas.store.state; return { a, b, imageA, imageB }; });
    assert.ok(st.imageA !== null && st.imageB !== null && st.imageA !== st.imageB, `picks are not test images: ${JSON.stringify(st)}`);
    await page.waitForFunction(() => window.atlas.compare().strip && window.atlas.stripReady(), null, { timeout: 30_000 });
    c = await page.evaluate(() => window.atlas.compare());
    assert.equal(c.strip.steps, 10);
    assert.match(await page.textContent('#strip2-label'), new RegExp(`${two}: from its own code of test image #${st.imageA} to that of test image #${st.imageB}`));

    // The same upload (a photo-like JPEG of a test trouser) is encoded by both models.
    const photo = 'photo-4648-trouser.jpg';
    await uploadFile(page, photo, fs.readFileSync(new URL(`./fixtures/${photo}`, import.meta.url)));
    await page.waitForFunction(() => window.atlas.lastEncoding !== null && window.atlas.compare().encoded !== null, null, { timeout: 30_000 });
    const encoded2 = (await page.evaluate(() => window.atlas.compare())).encoded;
    await page.mouse.move(5, 5);
    await shot(page, '28-compare');

    // Each map its own view; the link restores the comparison, its view and the second strip.
    await page.click('#compare-sync');
    const before = (await page.evaluate(() => window.atlas.compare())).view;
    await page.evaluate(() => window.atlas.setView(-2, 2, 2));
    c = await page.evaluate(() => window.atlas.compare());
    assert.ok(!c.synced);
    assert.deepEqual(c.view, before, 'the second map moved though it has its own view');
    await page.evaluate(() => window.atlas.compareIdle());
    await page.waitForTimeout(300); // the link is written 150 ms after the last change
    const link = await page.inputValue('#share-url');
    assert.match(link, new RegExp(`&vs=${two}&vsync=0&vc=[^&]+&vz=[^&]+&ia=${st.imageA}&ib=${st.imageB}`));
    const other = await openPage(cpu, link);
    await other.page.waitForFunction(() => window.atlas.compare().strip, null, { timeout: 30_000 });
    await other.page.evaluate(() => window.atlas.compareIdle());
    const back = await other.page.evaluate(() => window.atlas.compare());
    assert.equal(back.model, two);
    assert.ok(!back.synced, 'the link lost the maps\' own views');
    assert.deepEqual(back.view, c.view);
    assert.deepEqual(back.strip.ends, c.strip.ends);
    assert.deepEqual(await topPixels(other.page, 'tiles2'), await topPixels(page, 'tiles2'), 'the link restores another second map');
    assert.deepEqual(other.problems, []);
    await other.page.close();

    // "Grid PNG" exports both maps side by side, each at twice its device pixels, 16 px apart;
    // "Reset view" resets the second map too while it has its own view.
    const dl = page.waitForEvent('download');
    await page.click('#export-grid');
    const file = await dl;
    assert.match(file.suggestedFilename(), new RegExp(`^${one}-vs-${two}-maps-[0-9a-f]{8}\\.png$`));
    const png = fs.readFileSync(await file.path());
    const [w1, h1, w2] = await page.evaluate(() => ['tiles', 'tiles2'].flatMap((id) => {
      const c = /** @type {HTMLCanvasElement} */ (document.getElementById(id)); return id === 'tiles' ? [c.width, c.height] : [c.width];
    }));
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [2 * w1 + 16 + 2 * w2, 2 * h1]);
    const o2 = await page.locator('#overlay2').boundingBox();
    await page.mouse.move(o2.x + 100, o2.y + 100);
    await page.mouse.down(); await page.mouse.move(o2.x + 180, o2.y + 150, { steps: 5 }); await page.mouse.up();
    const moved = (await page.evaluate(() => window.atlas.compare())).view;
    assert.ok(moved.cx !== 0 && moved.cy !== 0, `the drag did not move the second map: ${JSON.stringify(moved)}`);
    await page.click('#reset-view');
    const [first, reset] = await page.evaluate(() => [window.atlas._map.view, window.atlas.compare().view]);
    assert.deepEqual(reset, { cx: 0, cy: 0, half: first.half }, 'the second map was not reset to its prior\'s square');

    // Against the second model opened on its own: its test codes are the strip's ends, the
    // strip's first frame is its decode of A, and it encodes the same upload to the same code.
    const strip = c.strip;
    await page.selectOption('#compare-model', '');
    await page.waitForFunction(() => !window.atlas.compare().shown);
    await page.selectOption('#model', two);
    await page.waitForFunction((n) => window.atlas.state.model === n, two);
    const means = await page.evaluate(() => Array.from(window.atlas.testMeans()));
    near(strip.ends[0], means.slice(2 * st.imageA, 2 * st.imageA + 2), 0, 'end A is not the second model\'s code of its test image');
    near(strip.ends[1], means.slice(2 * st.imageB, 2 * st.imageB + 2), 0, 'end B is not the second model\'s code of its test image');
    const [frame] = await page.evaluate((z) => window.atlas.decode([z]), strip.ends[0]);
    near(strip.bytes.slice(0, 784), frame, 1, 'the second strip\'s first frame');
    await uploadFile(page, photo, fs.readFileSync(new URL(`./fixtures/${photo}`, import.meta.url)));
    await page.waitForFunction(() => window.atlas.lastEncoding !== null, null, { timeout: 30_000 });
    near(encoded2, await page.evaluate(() => window.atlas.lastEncoding), 1e-6, 'the second model\'s code of the upload');

    // A model with another code size: no common coordinates, so each map keeps its own view.
    await page.selectOption('#compare-model', 'fmnist-16d');
    await page.waitForFunction(() => window.atlas.compare().model === 'fmnist-16d', null, { timeout: 30_000 });
    c = await page.evaluate(() => window.atlas.compare());
    assert.ok(!c.synced && !c.sameSpace);
    assert.ok(await page.isDisabled('#compare-sync'));
    assert.match(await page.textContent('#compare-status'), /different coordinates/);
    assert.deepEqual(problems, []);
    await page.close();

    // A hostile comparison in a link: a message, one map, and the page keeps working.
    const bad = await openPage(cpu, `${server.url}#m=fmnist-2d&vs=%3Cimg%20src%3Dx%3E&vz=NaN`);
    assert.match(await noticeText(bad.page), /compares with a model this page does not have/);
    assert.equal((await bad.page.evaluate(() => window.atlas.compare())).shown, false);
    await pageStillWorks(bad.page);
    await bad.page.close();
  });
}
