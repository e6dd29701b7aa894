// Browser tests of the page as a lab: models opened from disk (CPU, no WebGPU).

import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { ROOT, openPage } from './lib.mjs';
import { ctx, test, shot, assertRealGrid, gridStats, noticeText, pageStillWorks, tilePixels } from './harness.mjs';

const FILES = fs.mkdtempSync('/tmp/atlas-models-');

/** Writes `bytes` as a file named `name` and opens it with "Open model file…". */
async function openModelFile(page, name, bytes) {
  const file = path.join(FILES, name);
  fs.writeFileSync(file, bytes);
  await page.evaluate(() => { document.getElementById('notice').hidden = true; });
  await page.setInputFiles('#model-file', file);
}

export async function labTests() {
  const { cpu, server } = ctx;

  await test('a model file from disk joins the picker with everything a shipped model has, stays in the browser, and links wait for it', async () => {
    const { page, problems } = await openPage(cpu, server.url);
    // A shipped model's file, opened from disk: its grid must equal the shipped one's.
    const shipped = 'fmnist-2d-keras';
    const bytes = fs.readFileSync(path.join(ROOT, 'pkg', `${shipped}.safetensors`));
    await page.selectOption('#model', shipped);
    await page.waitForFunction((n) => window.atlas.state.model === n, shipped);
    await page.evaluate(() => window.atlas.idle());
    const want = await tilePixels(page);

    const sent = [];
    page.on('request', (r) => { if (r.method() !== 'GET' || r.postData()) sent.push(`${r.method()} ${r.url()}`); });
    await openModelFile(page, 'my-vae.safetensors', bytes);
    const local = `local-${shipped}`;
    await page.waitForFunction((n) => window.atlas.state.model === n, local, { timeout: 30_000 });
    await page.evaluate(() => window.atlas.idle());
    assertRealGrid(await gridStats(page));
    assert.deepEqual(await tilePixels(page), want, 'the file from disk decodes as the shipped model does');
    assert.match(await page.textContent(`#model option[value="${local}"]`), /opened from disk/);
    assert.match(await page.textContent('#about'), /latent-atlas train --arch keras/, 'the model card reads the file\'s manifest');
    // The scatter comes from the file's test codes; samples and uploads work as for any model.
    assert.equal((await page.evaluate(() => window.atlas.testLabels())).length, 10_000);
    await page.click('#sample');
    await page.waitForFunction(() => window.atlas.samplesReady() && window.atlas.state.lastSamples?.length === 32);
    await page.evaluate(() => window.atlas.setEnds([-1, 0.5], [1.5, -0.5]));
    await page.waitForTimeout(300); // the link is written 150 ms after the last change
    const link = await page.inputValue('#share-url');
    assert.match(link, new RegExp(`#m=${local}&`), 'the link says the model is local');
    await shot(page, '22-own-model');
    assert.deepEqual(sent, [], 'the model file (or anything else) was sent somewhere');

    // The link in another page: it says which file it needs, and shows once that file is open.
    const other = await openPage(cpu, link);
    assert.match(await noticeText(other.page), /opened from disk; open the same file here/);
    assert.notEqual(await other.page.evaluate(() => window.atlas.state.model), local);
    await openModelFile(other.page, 'my-vae.safetensors', bytes);
    await other.page.waitForFunction(() => window.atlas.stripReady(), null, { timeout: 30_000 });
    const st = await other.page.evaluate(() => window.atlas.state);
    assert.equal(st.model, local);
    assert.deepEqual(st.a, [-1, 0.5]);
    assert.deepEqual(st.b, [1.5, -0.5]);
    assert.deepEqual(other.problems, []);
    await other.page.close();

    // Damaged files are refused with their problem named; the open model stays.
    const cases = [
      ['truncated.safetensors', bytes.subarray(0, bytes.length >> 1), /truncated\.safetensors could not be opened: .+/],
      ['notes.safetensors', Buffer.from('not a model at all'), /notes\.safetensors could not be opened: not a Latent Atlas model file/],
      ['empty.safetensors', Buffer.alloc(0), /empty\.safetensors could not be opened/],
    ];
    for (const [name, data, expect] of cases) {
      await openModelFile(page, name, data);
      await page.waitForFunction(() => !document.getElementById('notice').hidden, null, { timeout: 30_000 });
      assert.match(await noticeText(page), expect, name);
      assert.equal(await page.evaluate(() => window.atlas.state.model), local);
      await pageStillWorks(page);
    }
    assert.equal(await page.locator('#model option').count(), await page.evaluate(async () => (await (await fetch('pkg/index.json')).json()).models.length + 1));
    assert.deepEqual(problems, []);
    await page.close();
  });

  await test('the grid takes a colour map without decoding again, and greys come back exactly', async () => {
    const { page, problems } = await openPage(cpu, server.url);
    await page.evaluate(() => window.atlas.idle());
    const greys = await tilePixels(page);
    const decoded = await page.evaluate(() => window.atlas._map.stats.decoded);
    const spread = (px) => Math.max(...Array.from({ length: px.length / 4 }, (_, i) => Math.abs(px[4 * i] - px[4 * i + 2])));
    assert.equal(spread(greys), 0, 'greys are grey');
    await page.selectOption('#colour-map', 'viridis');
    const viridis = await tilePixels(page);
    assert.ok(spread(viridis) > 100, 'viridis is not coloured');
    // Viridis runs from dark violet (ink 0) to yellow (ink 255): blue over red at the dark end.
    const darkest = greys.findIndex((v, i) => i % 4 === 0 && v === 0);
    assert.ok(darkest >= 0 && viridis[darkest + 2] > viridis[darkest], 'the background is not viridis\'s dark violet');
    await page.selectOption('#colour-map', 'paper');
    const paper = await tilePixels(page);
    assert.ok(paper.every((v, i) => i % 4 === 3 || v === 255 - greys[i]), 'ink on paper is the inverted grey');
    await page.selectOption('#colour-map', 'greys');
    assert.deepEqual(await tilePixels(page), greys);
    assert.equal(await page.evaluate(() => window.atlas._map.stats.decoded), decoded, 'a colour map decoded tiles again');
    // New tiles (a pan) come in the chosen map too.
    await page.selectOption('#colour-map', 'magma');
    await page.evaluate(() => window.atlas.setView(2.5, -1, 3));
    await page.evaluate(() => window.atlas.idle());
    assert.ok(spread(await tilePixels(page)) > 60, 'tiles decoded after the choice are not in magma');
    await shot(page, '23-colour-map');
    assert.deepEqual(problems, []);
    await page.close();
  });

  await test('latent arithmetic between two sets of points picked on the map: clicks add to the set, mean to mean, links carry it', async () => {
    const { page, problems } = await openPage(cpu, server.url);
    await page.selectOption('#model', 'fmnist-16d');
    await page.waitForFunction(() => window.atlas.state.model === 'fmnist-16d');
    const dim = 16;
    const { means, labels } = await page.evaluate(() => ({ means: Array.from(window.atlas.testMeans()), labels: window.atlas.testLabels() }));
    const A = means.slice(0, dim);
    await page.evaluate((a) => window.atlas.store.set({ a }), A);
    await page.selectOption('#arith-mode', 'sets');
    // Choosing the mode starts picking the "from" set.
    assert.equal(await page.getAttribute('#arith-pick-from', 'aria-pressed'), 'true');
    // Three sandals, then three sneakers, clicked where the map draws them.
    const where = (cls) => page.evaluate(({ cls }) => {
      const m = window.atlas._map, el = document.getElementById('overlay'), r = el.getBoundingClientRect(), dpr = el.width / r.width;
      const out = [];
      m.points.labels.forEach((l, i) => {
        if (l !== cls || out.length >= 3) return;
        const [sx, sy] = m.toScreen(m.points.xy[2 * i], m.points.xy[2 * i + 1]);
        if (sx > 40 && sy > 40 && sx < el.width - 40 && sy < el.height - 40 && i % 7 === 0) out.push([r.left + sx / dpr, r.top + sy / dpr]);
      });
      return out;
    }, { cls });
    for (const [x, y] of await where(5)) await page.mouse.click(x, y);
    await page.click('#arith-pick-to');
    for (const [x, y] of await where(7)) await page.mouse.click(x, y);
    const s = await page.evaluate(() => { const { a, b, setFrom, setTo, setMeans } = window.atlas.store.state; return { a, b, setFrom, setTo, setMeans }; });
    assert.deepEqual(s.a, A, 'a click while picking moved A');
    assert.equal(s.b, null, 'a click while picking set B');
    assert.equal(s.setFrom.length, 3);
    assert.equal(s.setTo.length, 3);
    // Each pick is a test code, and the sets' means are their averages.
    const isCode = (z) => labels.some((_, i) => z.every((v, d) => Math.abs(v - means[i * dim + d]) < 1e-6));
    assert.ok([...s.setFrom, ...s.setTo].every(isCode), 'a picked point is not a test code');
    const avg = (set) => set[0].map((_, d) => set.reduce((t, z) => t + z[d], 0) / set.length);
    const [from, to] = [avg(s.setFrom), avg(s.setTo)];
    const near = (x, y, what) => assert.ok(x.every((v, d) => Math.abs(v - y[d]) < 1e-4), `${what}: ${x} vs ${y}`);
    near(s.setMeans[0], from, 'the "from" mean');
    near(s.setMeans[1], to, 'the "to" mean');
    const m = await (await page.waitForFunction(() => window.atlas.arith(), null, { timeout: 30_000 })).jsonValue();
    near(m.moved, A.map((v, d) => v + to[d] - from[d]), 'A + (mean to − mean from)');
    assert.match(await page.textContent('#arith-text'), /“from” \(3 points\) : “to” \(3 points\) :: A : \?/);
    assert.match(await page.textContent('#arith-sets-text'), /“from”: 3 points, “to”: 3 points/);
    await page.mouse.move(5, 5); // no hover card over the picked points
    await shot(page, '25-arithmetic-sets');
    // The link carries the two means and restores the same move.
    await page.waitForTimeout(300);
    const link = await page.inputValue('#share-url');
    assert.match(link, /&d=sets&sf=[^&]+&st=/);
    const other = await openPage(cpu, link);
    const back = await (await other.page.waitForFunction(() => window.atlas.arith(), null, { timeout: 30_000 })).jsonValue();
    assert.deepEqual(back.moved, m.moved, 'the link restores another move');
    assert.equal(await other.page.inputValue('#arith-mode'), 'sets');
    assert.deepEqual(other.problems, []);
    await other.page.close();
    // Done picking: clicks set A and B again.
    await page.click('#arith-pick-to');
    const [[x, y]] = await where(0);
    await page.mouse.click(x, y);
    const after = await page.evaluate(() => { const { a, b, setTo } = window.atlas.store.state; return { a, b, setTo }; });
    assert.equal(after.setTo.length, 3, 'a click after picking still added to the set');
    assert.ok(after.b || JSON.stringify(after.a) !== JSON.stringify(A), 'a click after picking set no end');
    // A hostile set is replaced with a message.
    const hostile = await openPage(cpu, `${server.url}#m=fmnist-16d&d=sets&sf=1,2&st=NaN`);
    assert.match(await noticeText(hostile.page), /picked sets are not two points of 16/);
    assert.equal(await hostile.page.inputValue('#arith-mode'), 'off');
    await hostile.page.close();
    assert.deepEqual(problems, []);
    await page.close();
  });

  await test('latent arithmetic moves A along a class-mean direction of the whole code (the analogy at 1), and links carry it', async () => {
    const { page, problems } = await openPage(cpu, server.url);
    await page.selectOption('#model', 'fmnist-16d');
    await page.waitForFunction(() => window.atlas.state.model === 'fmnist-16d');
    // The class means, computed here from the page's test codes and labels.
    const { means, labels } = await page.evaluate(() => ({ means: Array.from(window.atlas.testMeans()), labels: window.atlas.testLabels() }));
    const dim = 16, mean = (c) => {
      const sum = new Array(dim).fill(0); let n = 0;
      labels.forEach((l, i) => { if (l === c) { n++; for (let d = 0; d < dim; d++) sum[d] += means[i * dim + d]; } });
      return sum.map((v) => v / n);
    };
    const [sandal, sneaker] = [mean(5), mean(7)];
    const A = means.slice(0, dim), B = means.slice(dim, 2 * dim);
    await page.evaluate(([a, b]) => window.atlas.setEnds(a, b), [A, B]);
    await page.selectOption('#arith-mode', 'classes');
    await page.selectOption('#arith-from', '5');
    await page.selectOption('#arith-to', '7');
    const moved = async () => (await page.waitForFunction(() => window.atlas.arith(), null, { timeout: 30_000 })).jsonValue();
    const near = (x, y, what) => assert.ok(x.every((v, d) => Math.abs(v - y[d]) < 1e-4), `${what}: ${x} vs ${y}`);
    let m = await moved();
    near(m.point, A, 'the point is A');
    near(m.moved, A.map((v, d) => v + sneaker[d] - sandal[d]), 'A + (sneaker − sandal)');
    assert.match(await page.textContent('#arith-text'), /^Sandal : Sneaker :: A : \?/);
    // The strip's last frame is the decode of where A lands.
    const [last] = await page.evaluate((z) => window.atlas.decode([z]), m.moved);
    const px = m.side * m.side, frame = m.bytes.slice((m.bytes.length / px - 1) * px);
    assert.ok(frame.every((v, i) => Math.abs(v - last[i]) <= 1), 'the last frame is not the moved point');
    // The slider: half a direction backwards.
    await page.$eval('#arith-shift', (el) => { el.value = '-0.5'; el.dispatchEvent(new Event('input')); });
    await page.waitForFunction(() => window.atlas.arith()?.moved && window.atlas.state.a && document.getElementById('arith-shift-out').textContent === '-0.50');
    m = await moved();
    near(m.moved, A.map((v, d) => v - 0.5 * (sneaker[d] - sandal[d])), 'A − 0.5 (sneaker − sandal)');
    await shot(page, '24-arithmetic');
    // The link holds the direction and the move, and restores the same strip.
    await page.waitForTimeout(300);
    const link = await page.inputValue('#share-url');
    assert.match(link, /&d=5,7&t=-0\.5/);
    const other = await openPage(cpu, link);
    const back = await (await other.page.waitForFunction(() => window.atlas.arith(), null, { timeout: 30_000 })).jsonValue();
    assert.deepEqual(back, m, 'the link restores another move');
    assert.equal(await other.page.inputValue('#arith-mode'), 'classes');
    assert.deepEqual(other.problems, []);
    await other.page.close();
    // From A to B, a whole move lands on B; the moved point can become B.
    await page.selectOption('#arith-mode', 'ends');
    await page.$eval('#arith-shift', (el) => { el.value = '1'; el.dispatchEvent(new Event('input')); });
    await page.waitForFunction(() => /^A : B :: A/.test(document.getElementById('arith-text').textContent) && window.atlas.arith());
    near((await moved()).moved, B, 'A + (B − A)');
    // Without A the point is the map's centre, and it follows the view once the view rests.
    await page.selectOption('#arith-mode', 'classes');
    await page.evaluate(() => window.atlas.store.set({ a: null, b: null }));
    await page.evaluate(() => window.atlas.setView(1, -1, 3));
    await page.waitForFunction(() => /:: the centre : \?/.test(document.getElementById('arith-text').textContent) && window.atlas.arith()
      && Math.abs(window.atlas.arith().point[0] - window.atlas._map.point(1, -1)[0]) < 1e-5);
    near((await moved()).point, await page.evaluate(() => window.atlas._map.point(1, -1)), 'the centre');
    // A hostile direction is replaced with a message.
    const hostile = await openPage(cpu, `${server.url}#m=fmnist-16d&d=5,300&t=9`);
    assert.match(await noticeText(hostile.page), /direction is not two classes.*move along the direction/);
    assert.equal(await hostile.page.inputValue('#arith-mode'), 'off');
    await hostile.page.close();
    assert.deepEqual(problems, []);
    await page.close();
  });
}
