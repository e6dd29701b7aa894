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
}
