// Browser tests of the model kinds beyond the plain VAE: content/style mixing, adversarial
// priors and clusters, conditional classes, every class and the judge (CPU, no WebGPU).

import assert from 'node:assert/strict';
import { openPage, nativeDecode, png } from './lib.mjs';
import { ctx, test, shot, assertRealGrid, gridStats, noticeText, uploadFile, tilePixels, testImagePng, assertLinkRestores } from './harness.mjs';

export async function modelKindTests() {
  const { cpu, server, images } = ctx;
  await test('a content/style model mixes content and style, re-draws a drawing in other hands and shares part interpolations', async () => {
    const { page, problems } = await openPage(cpu, server.url);
    const entry = await page.evaluate(async () => (await (await fetch('pkg/index.json')).json()).models.find((m) => m.content_dim != null));
    assert.ok(entry, 'pkg/index.json lists a content/style model');
    await page.selectOption('#model', entry.name);
    await page.waitForFunction((n) => window.atlas.state.model === n && window.atlas.mix() !== null, entry.name);
    const mix = await page.evaluate(() => window.atlas.mix());
    const means = await page.evaluate(() => Array.from(window.atlas.testMeans()));
    const { dim, contentDim: cd, rows, cols, z, bytes, side } = mix;
    assert.equal(cd, entry.content_dim);
    assert.equal(rows.length * cols.length * dim, z.length);
    assert.equal(new Set(rows.concat(cols)).size, rows.length + cols.length, 'the grid shows distinct drawings');
    // Cell (r, c) = content of row r's drawing + style of column c's drawing, exactly.
    rows.forEach((ri, r) => cols.forEach((ci, c) => {
      for (let j = 0; j < dim; j++) {
        const want = j < cd ? means[ri * dim + j] : means[ci * dim + j];
        assert.equal(z[(r * cols.length + c) * dim + j], want, `cell ${r},${c} coordinate ${j}`);
      }
    }));
    // The page's pixels are the native decoder's (a diagonal of cells).
    const cells = rows.map((_, k) => z.slice((k * cols.length + k) * dim, (k * cols.length + k + 1) * dim));
    const native = nativeDecode(entry.file, cells);
    cells.forEach((_, k) => {
      const off = (k * cols.length + k) * side * side;
      native[k].forEach((v, i) => assert.ok(Math.abs(v - bytes[off + i]) <= 1, `mixed cell ${k} differs from native at ${i}`));
    });
    assert.ok(bytes.filter((v) => v > 128).length > 0.02 * bytes.length, 'the mixed cells are blank');
    // The page's encoder (the model's whole encoder, in wasm) gives the native evaluation's codes
    // of test drawings (stored in the model file): the path a person's drawing takes.
    for (const i of rows.slice(0, 3)) {
      const img = Array.from(await page.evaluate((k) => window.atlas.testImage(k).then((t) => Array.from(t.pixels)), i), (v) => v / 255);
      const code = await page.evaluate((x) => window.atlas.encode([x]), img);
      const want = means.slice(i * dim, (i + 1) * dim);
      const worst = Math.max(...code.map((v, j) => Math.abs(v - want[j])));
      assert.ok(code.length === dim && worst < 2e-3, `test drawing ${i}: the page's code differs from native by ${worst}`);
    }
    // Every group the model has is on the map in its own colour (Omniglot: 20 alphabets; the
    // scatter once drew labels 0-9 only), and the legend's swatches are as many and all differ.
    const groups = await page.evaluate(() => {
      const m = window.atlas._map, ctx = m.overlay.getContext('2d'), { xy, labels } = m.points;
      m.flushOverlay(); // the overlay redraws at the next frame; read what it will show
      const W = m.overlay.width, H = m.overlay.height, px = ctx.getImageData(0, 0, W, H).data;
      const seen = {};
      for (let i = 0; i < labels.length; i++) {
        const [sx, sy] = m.toScreen(xy[2 * i], xy[2 * i + 1]).map(Math.round);
        if (sx < 0 || sy < 0 || sx >= W || sy >= H) continue;
        const o = 4 * (sy * W + sx);
        (seen[labels[i]] ??= []).push(Array.from(px.slice(o, o + 4)));
      }
      const swatches = Array.from(document.querySelectorAll('#legend .swatch'), (e) => getComputedStyle(e).backgroundColor);
      return { seen, swatches };
    });
    const colours = await page.evaluate((n) => [...Array(n).keys()].map(window.atlas.classColour), groups.swatches.length);
    const rgb = (c) => [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16));
    assert.ok(groups.swatches.length >= 20, `${groups.swatches.length} legend entries`);
    assert.equal(new Set(groups.swatches).size, groups.swatches.length, `legend colours repeat: ${groups.swatches}`);
    for (let c = 0; c < groups.swatches.length; c++) {
      const pts = groups.seen[c] ?? [];
      const own = pts.filter((p) => p[3] >= 185 && p.slice(0, 3).every((v, k) => Math.abs(v - rgb(colours[c])[k]) <= 40)).length;
      assert.ok(pts.length >= 20 && own >= 0.5 * pts.length, `group ${c}: ${own} of ${pts.length} visible points in its colour`);
    }
    await page.locator('#mix-card').scrollIntoViewIfNeeded();
    await shot(page, '12-content-style');

    // A drawing joins as the first row (its character in other hands) and column (its hand).
    await page.click('#pad-clear');
    const box = await page.locator('#pad').boundingBox();
    const at = (fx, fy) => [box.x + fx * box.width, box.y + fy * box.height];
    for (const stroke of [[[0.25, 0.25], [0.75, 0.25]], [[0.5, 0.25], [0.5, 0.8], [0.35, 0.7]]]) {
      await page.mouse.move(...at(...stroke[0])); await page.mouse.down();
      for (const p of stroke.slice(1)) await page.mouse.move(...at(...p), { steps: 8 });
      await page.mouse.up();
    }
    await page.evaluate(() => { window.atlas.lastEncoding = null; });
    await page.click('#pad-encode');
    await page.waitForFunction(() => window.atlas.lastEncoding !== null && window.atlas.mix() && window.atlas.mix().rows[0] === null);
    const own = await page.evaluate(() => ({ z: window.atlas.lastEncoding, mix: window.atlas.mix() }));
    const C = own.mix.cols.length;
    for (let c = 1; c < C; c++) for (let j = 0; j < cd; j++) assert.equal(own.mix.z[c * dim + j], Math.fround(own.z[j]), 'first row keeps the drawing\'s content');
    for (let r = 1; r < own.mix.rows.length; r++) for (let j = cd; j < dim; j++) assert.equal(own.mix.z[r * C * dim + j], Math.fround(own.z[j]), 'first column takes the drawing\'s style');
    await shot(page, '13-content-style-drawing');

    // Content-only interpolation: style stays A's, content walks to B's; shared with the mix.
    const [ia, ib] = [rows[0], rows[1]];
    const A = means.slice(ia * dim, (ia + 1) * dim), B = means.slice(ib * dim, (ib + 1) * dim);
    await page.evaluate(([a, b]) => window.atlas.setEnds(a, b), [A, B]);
    await page.click('#part-content');
    await page.click('#mix-shuffle');
    await page.waitForFunction(() => window.atlas.stripReady() && window.atlas.state.part === 'content' && window.atlas.mix() && window.atlas.state.mixSeed === 2);
    const path = await page.evaluate(() => window.atlas.state.path);
    const last = path[path.length - 1];
    for (const p of path) for (let j = cd; j < dim; j++) assert.ok(Math.abs(p[j] - A[j]) < 1e-6, 'style moved in a content-only path');
    for (let j = 0; j < cd; j++) assert.ok(Math.abs(last[j] - B[j]) < 1e-5, 'content did not reach B');
    await page.waitForTimeout(300);
    const url = await page.inputValue('#share-url');
    assert.match(url, /&p=content/); assert.match(url, /&x=2/);
    const strip = await page.evaluate(() => Array.from(document.getElementById('strip').getContext('2d').getImageData(0, 0, 28 * 10, 28).data));
    const mix2 = await page.evaluate(() => window.atlas.mix());
    const other = await openPage(cpu, url);
    await other.page.waitForFunction(() => window.atlas.stripReady() && window.atlas.mix() !== null);
    assert.deepEqual(await other.page.evaluate(() => [window.atlas.state.part, window.atlas.state.mixSeed]), ['content', 2]);
    // The same drawings (the user's own drawing, first row and column here, is not in links).
    const reopened = await other.page.evaluate(() => window.atlas.mix());
    assert.deepEqual([reopened.rows.slice(0, -1), reopened.cols.slice(0, -1)], [mix2.rows.slice(1), mix2.cols.slice(1)]);
    assert.deepEqual(await other.page.evaluate(() => Array.from(document.getElementById('strip').getContext('2d').getImageData(0, 0, 28 * 10, 28).data)), strip, 'shared strip differs');
    assert.deepEqual(other.problems, []);
    await other.page.close();
    // A hostile part or mix number is reported and replaced.
    const bad = await openPage(cpu, `${server.url}#m=${entry.name}&p=<i>x</i>&x=-3`);
    assert.match(await noticeText(bad.page), /interpolation part/);
    assert.deepEqual(await bad.page.evaluate(() => [window.atlas.state.part, window.atlas.state.mixSeed]), ['all', 1]);
    await bad.page.close();
    assert.deepEqual(problems, []);
    await page.close();
  });

  await test('adversarial models sample their own prior; a categorical code gets a cluster picker that links restore', async () => {
    const { page, problems } = await openPage(cpu, server.url);
    const index = await page.evaluate(async () => (await (await fetch('pkg/index.json')).json()).models);
    const mixture = index.find((m) => m.kind === 'aae' && !m.clusters);
    const clustered = index.find((m) => m.kind === 'aae' && m.clusters > 0);
    assert.ok(mixture && clustered, 'pkg/index.json lists a mixture-prior and a categorical adversarial model');
    const option = await page.evaluate((name) => document.querySelector(`#model option[value="${name}"]`).textContent, mixture.name);
    assert.match(option, /adversarial/, 'the picker says how the model was trained');

    // Mixture prior: the map opens on the prior's extent, and samples come from its components.
    await page.selectOption('#model', mixture.name);
    await page.waitForFunction((n) => window.atlas.state.model === n, mixture.name);
    await page.evaluate(() => window.atlas.idle());
    assertRealGrid(await gridStats(page));
    const half = (await page.evaluate(() => window.atlas.state.view)).half;
    assert.ok(half > 4, `the view (half-width ${half}) takes in the mixture's islands`);
    await page.fill('#sample-n', '16');
    await page.click('#sample');
    await page.waitForFunction(() => window.atlas.samplesReady() && window.atlas.state.lastSamples?.length === 32);
    const z = await page.evaluate(() => window.atlas.state.lastSamples);
    const radii = Array.from({ length: 16 }, (_, k) => Math.hypot(z[2 * k], z[2 * k + 1]));
    const meanRadius = radii.reduce((a, b) => a + b, 0) / 16;
    // The mixture's means sit 4 from the origin; N(0, I) samples would average 1.25.
    assert.ok(meanRadius > 3 && meanRadius < 5, `samples' mean distance from 0 is ${meanRadius.toFixed(2)}`);
    const shown = await page.evaluate(() => {
      const c = document.getElementById('samples');
      return Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data).filter((_, i) => i % 4 === 0);
    });
    const native = nativeDecode(mixture.file, [[z[0], z[1]]])[0];
    assert.ok(shown.every((v, i) => Math.abs(v - native[i]) <= 1), 'the first sample is the native decode of its code');
    const mixtureAbout = await page.textContent('#about');
    assert.match(mixtureAbout, /adversarial autoencoder: codes matched to mixture of 10 Gaussians/);
    assert.doesNotMatch(mixtureAbout, /category acc/, 'a model without categories has no category accuracy');
    await shot(page, '14-aae-mixture');

    // Categorical code: one style plane per cluster, only that cluster's test images, in links.
    await page.selectOption('#model', clustered.name);
    await page.waitForFunction((n) => window.atlas.state.model === n, clustered.name);
    await page.evaluate(() => window.atlas.idle());
    assert.equal(await page.isVisible('#cluster-controls'), true);
    assert.equal(await page.isVisible('#plane-controls'), false);
    // Each cluster is named by the test class most of its images are: counted here from the
    // stored test codes (argmax of the category part) and labels, not by the page's code.
    const FASHION = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
    const counts = await page.evaluate((k) => {
      const means = window.atlas.testMeans(), labels = window.atlas.testLabels(), d = means.length / labels.length;
      const table = Array.from({ length: k }, () => new Array(10).fill(0));
      labels.forEach((label, i) => {
        let c = 0;
        for (let j = 1; j < k; j++) if (means[i * d + j] >= means[i * d + c]) c = j;
        table[c][label] += 1;
      });
      return table;
    }, clustered.clusters);
    const named = counts.map((row, c) => {
      const size = row.reduce((a, b) => a + b, 0), top = row.indexOf(Math.max(...row));
      return size ? `cluster ${c + 1}: mostly ${FASHION[top]} (${Math.round((100 * row[top]) / size)}%)` : `cluster ${c + 1}: no test images`;
    });
    assert.deepEqual(await page.$$eval('#cluster option', (os) => os.map((o) => o.textContent)), named);
    assert.ok(new Set(named.map((n) => n.split(': ')[1].split(' (')[0])).size > 3, `clusters named by several classes: ${named}`);
    // The card gives the categories' own accuracy, as the model's sidecar file records it.
    const metrics = await page.evaluate(async (n) => (await (await fetch(`pkg/${n}.json`)).json()).manifest.metrics, clustered.name);
    assert.ok(metrics.cluster_acc > 0.1, JSON.stringify(metrics));
    assert.match(await page.textContent('#about'), new RegExp(`category acc\\.${metrics.cluster_acc.toFixed(3)} matched one-to-one, ${metrics.cluster_majority_acc.toFixed(3)} by majority`));
    const tiles = () => tilePixels(page);
    const first = await tiles();
    await page.selectOption('#cluster', '3');
    await page.evaluate(() => window.atlas.idle());
    const third = await tiles();
    assert.notDeepEqual(third, first, 'another cluster draws another grid');
    const origin = await page.evaluate(() => window.atlas._map.plane.origin);
    assert.deepEqual(origin.slice(0, clustered.clusters), Array.from({ length: clustered.clusters }, (_, c) => (c === 3 ? 1 : 0)));
    const status = await page.textContent('#cluster-status');
    const [inCluster, total] = status.match(/\d+/g).map(Number);
    assert.ok(inCluster > 0 && inCluster < total, status);
    assert.equal(inCluster, counts[3].reduce((a, b) => a + b, 0), status);
    const [, name, percent] = named[3].match(/mostly (.+) \((\d+)%\)/);
    assert.ok(status.includes(`, ${percent}% of them ${name};`), status);
    await page.click('#sample');
    await page.waitForFunction(() => window.atlas.samplesReady() && window.atlas.state.lastSamples?.length > 0);
    const s = await page.evaluate(() => window.atlas.state.lastSamples);
    const k = clustered.clusters, d = clustered.latent_dim;
    for (let r = 0; r < s.length / d; r++) {
      const hot = s.slice(r * d, r * d + k);
      assert.equal(hot.filter((v) => v === 1).length, 1, `sample ${r} has a one-hot category`);
      assert.equal(hot.filter((v) => v === 0).length, k - 1);
    }
    await shot(page, '15-aae-clusters');
    await page.waitForFunction(() => location.hash.includes('k=3'));
    await assertLinkRestores(page, 'cluster', 3, '#cluster', third, 'cluster');
    assert.deepEqual(problems, []);
    await page.close();
  });

  await test('a conditional model draws the class picked: grid, samples, encodings and share links follow it', async () => {
    const { page, problems } = await openPage(cpu, server.url);
    const index = await page.evaluate(async () => (await (await fetch('pkg/index.json')).json()).models);
    const cvae = index.find((m) => m.conditional > 0);
    assert.ok(cvae, 'pkg/index.json lists a conditional model');
    await page.selectOption('#model', cvae.name);
    await page.waitForFunction((n) => window.atlas.state.model === n, cvae.name);
    await page.evaluate(() => window.atlas.idle());
    assert.equal(await page.isVisible('#class-controls'), true);
    const names = await page.$$eval('#class-pick option', (os) => os.map((o) => o.textContent));
    assert.equal(names.length, cvae.conditional);
    const tiles = () => tilePixels(page);
    const first = await tiles();
    await page.selectOption('#class-pick', '7');
    await page.evaluate(() => window.atlas.idle());
    assert.equal((await page.evaluate(() => window.atlas.state)).label, 7);
    const seventh = await tiles();
    assert.notDeepEqual(seventh, first, 'another class draws another grid');
    // Samples: the first one is the native decode of its code with class 7's one-hot.
    await page.click('#sample');
    await page.waitForFunction(() => window.atlas.samplesReady() && window.atlas.state.lastSamples?.length > 0);
    const z = await page.evaluate(() => window.atlas.state.lastSamples);
    const d = cvae.latent_dim;
    const code = [...z.slice(0, d), ...Array.from({ length: cvae.conditional }, (_, c) => (c === 7 ? 1 : 0))];
    const shown = await page.evaluate(() => {
      const c = document.getElementById('samples');
      return Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data).filter((_, i) => i % 4 === 0);
    });
    const native = nativeDecode(cvae.file, [code])[0];
    assert.ok(shown.every((v, i) => Math.abs(v - native[i]) <= 1), 'the first sample is the native decode of its code as class 7');
    const asZero = nativeDecode(cvae.file, [[...z.slice(0, d), 1, ...Array(cvae.conditional - 1).fill(0)]])[0];
    assert.ok(shown.some((v, i) => Math.abs(v - asZero[i]) > 8), 'and not the decode as class 0');
    await shot(page, '17-cvae-class');
    // Encodings: test image 0 uploaded as its own class lands by its stored encoding (which was
    // encoded with the true label); as another class it lands elsewhere.
    const label = (await page.evaluate(() => window.atlas.testLabels()))[0];
    const encodeAs = async (c) => {
      await page.selectOption('#class-pick', String(c));
      await page.evaluate(() => { window.atlas.lastEncoding = null; });
      await uploadFile(page, `cvae-${c}.png`, testImagePng(0));
      await page.waitForFunction(() => window.atlas.lastEncoding !== null, null, { timeout: 30_000 });
      return page.evaluate(() => {
        const z = window.atlas.lastEncoding, m = window.atlas.testMeans();
        return Math.hypot(...Array.from(z, (v, k) => v - m[k]));
      });
    };
    const own = await encodeAs(label), other = await encodeAs((label + 3) % 10);
    assert.ok(own < 0.05 && other > 5 * own, `distance to the stored encoding: ${own.toFixed(4)} as its class, ${other.toFixed(4)} as another`);
    // A share link carries the class: reopened, it draws the same grid.
    await page.selectOption('#class-pick', '4');
    await page.evaluate(() => window.atlas.idle());
    const fourth = await tiles();
    await page.waitForFunction(() => location.hash.includes('y=4'));
    await assertLinkRestores(page, 'label', 4, '#class-pick', fourth, 'class');
    assert.deepEqual(problems, []);
    await page.close();
  });

  await test('a conditional model: one code as every class, interpolation that moves the class, the judge guessing an upload', async () => {
    const { page, problems } = await openPage(cpu, server.url);
    const index = await page.evaluate(async () => (await (await fetch('pkg/index.json')).json()).models);
    const cvae = index.filter((m) => m.conditional > 0).sort((a, b) => a.latent_dim - b.latent_dim)[0];
    const k = cvae.conditional, d = cvae.latent_dim;
    const hot = (c) => Array.from({ length: k }, (_, j) => (j === c ? 1 : 0));
    const near = (a, b) => a.every((v, i) => Math.abs(v - b[i]) <= 1);
    await page.selectOption('#model', cvae.name);
    await page.waitForFunction((n) => window.atlas.state.model === n, cvae.name);
    await page.evaluate(() => window.atlas.idle());
    assert.equal(await page.isVisible('#every-card'), true);
    // Row A of the table is A's code decoded under each class: the native decode, column by column.
    const A = Array.from({ length: d }, (_, j) => [0.4, -0.7][j % 2]), B = Array.from({ length: d }, (_, j) => [-0.9, 0.5][j % 2]);
    await page.evaluate(([a, b]) => window.atlas.setEnds(a, b, 1, 7), [A, B]);
    await page.waitForFunction(() => window.atlas.everyClass()?.marks[0] === 'A');
    const table = await page.evaluate(() => window.atlas.everyClass());
    assert.equal(table.classes, k);
    assert.deepEqual(table.marks, ['A', '·', '·', '·'], 'A, then random codes');
    // What the canvas shows, cell by cell (row r, column c).
    const shown = await page.evaluate(() => {
      const c = document.getElementById('every');
      return { w: c.width, h: c.height, px: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).filter((_, i) => i % 4 === 0) };
    });
    assert.deepEqual([shown.w, shown.h], [28 * k, 28 * table.marks.length]);
    const cell = (r, c) => Array.from({ length: 784 }, (_, i) => shown.px[(r * 28 + Math.floor(i / 28)) * shown.w + c * 28 + (i % 28)]);
    const native = nativeDecode(cvae.file, Array.from({ length: k }, (_, c) => [...A, ...hot(c)]));
    for (let c = 0; c < k; c++) {
      assert.ok(cell(0, c).every((v, i) => Math.abs(v - native[c][i]) <= 1), `column ${c} is A decoded as class ${c}`);
    }
    // Every two columns of a row show different garments.
    let closest = Infinity;
    for (let r = 0; r < table.marks.length; r++) {
      for (let c = 0; c < k; c++) {
        for (let e = c + 1; e < k; e++) {
          const a = cell(r, c), b = cell(r, e);
          closest = Math.min(closest, a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / 784);
        }
      }
    }
    assert.ok(closest > 3, `two columns of one row differ by only ${closest.toFixed(2)} grey levels on average`);
    // A class header draws the map as that class.
    await page.click('#every-head button[data-c="5"]');
    await page.waitForFunction(() => window.atlas.state.label === 5);
    assert.equal(await page.inputValue('#class-pick'), '5');
    assert.equal(await page.getAttribute('#every-head button[data-c="5"]', 'aria-pressed'), 'true');
    // Hovering a test image of another class shows its reconstruction with its own class.
    await page.evaluate(() => window.atlas.idle());
    const testLabels = await page.evaluate(() => window.atlas.testLabels());
    let hovered = null;
    for (let i = 0; i < 40 && hovered === null; i++) {
      if (testLabels[i] === 5) continue;
      const pos = await page.evaluate((i) => {
        const m = window.atlas._map, [x, y] = m.points.xy.subarray(2 * i, 2 * i + 2);
        const [sx, sy] = m.toScreen(x, y), r = m.overlay.getBoundingClientRect(), q = r.width / m.overlay.width;
        return [r.left + sx * q, r.top + sy * q];
      }, i);
      await page.mouse.move(pos[0], pos[1]);
      await page.waitForTimeout(400);
      const text = await page.evaluate(() => (document.getElementById('hover').hidden ? '' : document.getElementById('hover-label').textContent));
      const idx = Number((text.match(/^#(\d+)/) || [])[1]);
      if (Number.isInteger(idx) && testLabels[idx] !== 5) hovered = idx;
    }
    assert.ok(hovered !== null, 'no test point of another class could be hovered');
    const means = await page.evaluate(([i, d]) => Array.from(window.atlas.testMeans().slice(i * d, (i + 1) * d)), [hovered, d]);
    const [ownRecon] = nativeDecode(cvae.file, [[...means, ...hot(testLabels[hovered])]]);
    const hoverRecon = await page.evaluate(() => Array.from(document.getElementById('hover-recon').getContext('2d').getImageData(0, 0, 28, 28).data).filter((_, i) => i % 4 === 0));
    assert.ok(near(hoverRecon, ownRecon), `hover of #${hovered} decodes its code with its own class`);
    await page.mouse.move(5, 5);
    // Interpolation from A as class 1 to B as class 7: the ends are those decodes; 'class only'
    // keeps A's code and blends the one-hots (3 steps: the middle frame is half and half).
    const frames = async () => {
      await page.waitForFunction(() => window.atlas.stripReady());
      return page.evaluate(() => {
        const c = document.getElementById('strip');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const n = c.width / 28, out = [];
        for (let f = 0; f < n; f++) {
          const img = [];
          for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) img.push(d[4 * (y * c.width + f * 28 + x)]);
          out.push(img);
        }
        return out;
      });
    };
    await page.fill('#steps', '3');
    await page.dispatchEvent('#steps', 'change');
    await page.waitForFunction(() => window.atlas.state.steps === 3);
    let f = await frames();
    const [a1, b7, aMid, a7] = nativeDecode(cvae.file, [[...A, ...hot(1)], [...B, ...hot(7)],
      [...A, ...hot(1).map((v, j) => 0.5 * v + 0.5 * hot(7)[j])], [...A, ...hot(7)]]);
    assert.ok(near(f[0], a1) && near(f[2], b7), 'code and class: from A as class 1 to B as class 7');
    await page.click('#part-class');
    await page.waitForFunction(() => window.atlas.state.part === 'class');
    f = await frames();
    assert.ok(near(f[0], a1) && near(f[1], aMid) && near(f[2], a7), 'class only: A\'s code, the class blended from 1 to 7');
    await page.click('#part-code');
    await page.waitForFunction(() => window.atlas.state.part === 'code');
    f = await frames();
    const [b1] = nativeDecode(cvae.file, [[...B, ...hot(1)]]);
    assert.ok(near(f[2], b1), 'code only: B\'s code, still A\'s class');
    // The link restores the ends' classes and what moves.
    await page.click('#part-class');
    await page.waitForFunction(() => location.hash.includes('p=class') && location.hash.includes('yb=7'));
    const again = await openPage(cpu, page.url());
    const st = await again.page.evaluate(() => window.atlas.state);
    assert.deepEqual([st.classA, st.classB, st.part, st.label], [1, 7, 'class', 5]);
    await again.page.close();
    await shot(page, '18-cvae-every-class');
    // The judge's guess: a test image of a trouser, encoded with the judge, switches the class to
    // trouser and joins the table as its first row.
    const labels = await page.evaluate(() => window.atlas.testLabels());
    const trouser = labels.indexOf(1);
    await page.selectOption('#enc-class', 'judge');
    await uploadFile(page, 'judged.png', testImagePng(trouser));
    await page.waitForFunction(() => window.atlas.lastEncoding !== null, null, { timeout: 60_000 });
    assert.equal((await page.evaluate(() => window.atlas.state)).label, 1, 'the judge calls the trouser a trouser');
    assert.match(await page.textContent('#judge-text'), /Trouser/);
    await page.waitForFunction(() => window.atlas.everyClass()?.marks[0] === '✎');
    // Without the judge's guess, the upload is encoded as the picked class.
    await page.selectOption('#enc-class', 'picked');
    await page.selectOption('#class-pick', '4');
    await uploadFile(page, 'picked.png', testImagePng(trouser));
    await page.waitForFunction(() => window.atlas.lastEncoding !== null, null, { timeout: 60_000 });
    assert.equal((await page.evaluate(() => window.atlas.state)).label, 4);
    assert.equal(await page.isVisible('#judge-text'), false);
    await shot(page, '19-cvae-judged-upload');
    assert.deepEqual(problems, []);
    await page.close();
  });

}
