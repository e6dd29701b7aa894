// @ts-check
// Two models side by side ("Compare with"): a second engine (its own session and decode
// workers; the same wasm module, model list and downloaded files) and a second map of the same
// test set. Where both maps show the same coordinates (two 2-D models, or the same two latent
// axes of models of one code size) they move together. A test point hovered on either map is
// ringed on both. The interpolation's ends, where they are test images, become the second
// model's own codes of those images (else the first model's image at the end, encoded by the
// second), decoded into a second strip; a drawing or upload is encoded by both models.

import { addPick } from './arithmetic.js';
import { colourTable } from './colormaps.js';
import { $, $canvas, $input, $select, ctx2d, errorText, guard, notice } from './dom.js';
import { Engine } from './engine.js';
import { ticket } from './generation.js';
import { LatentMap } from './map.js';
import { paintGrey } from './paint.js';
import { clusterCount, clusterMembers, planeOf } from './planes.js';
import { endMarks, setEnd } from './strip.js';

/** @typedef {import('../types').Page} Page */
/** @typedef {import('./store.js').PageState} PageState */

export class Comparison {
  /** @param {Page} page */
  constructor(page) {
    this.page = page;
    const engine = new Engine(page.wasm, notice, 'open-compare');
    // Downloads are shared: a model or test-image file the first map fetched is not fetched again.
    engine.bytes = page.engine.bytes;
    engine.imageFiles = page.engine.imageFiles;
    this.engine = engine;
    this.map = new LatentMap(engine, $canvas('tiles2'), $canvas('overlay2'), {
      job: 'tiles-compare',
      onClick: guard((_, point, shift) => this.click(point, shift)),
      onHover: (p, x, y) => {
        page.hover.show(p, x, y, engine).catch(() => {});
        page.store.set({ highlight: p && this.sameData() ? p.index : null });
      },
      onView: (view) => { page.store.set(this.synced() ? { view } : { compareView: view }); },
      onError: (e) => notice(errorText(e)),
      limits: page.wasm.linkLimits(),
    });
    /** The second model's PCA plane (above 2-D). @type {{ mean: Float32Array, u: Float32Array, v: Float32Array }|null} */
    this.pca = null;
    /** @type {Promise<void>|null} its decode workers, started with the first comparison */
    this.workers = null;
    /** The ends as the second model's codes, and its code of the drawing or upload.
     * @type {{ a: number[]|null, b: number[]|null }} */
    this.ends = { a: null, b: null };
    /** @type {number[]|null} */
    this.encoded = null;
    /** The second strip once painted (what the tests compare). @type {{ ends: number[][], steps: number, side: number, bytes: Uint8Array }|null} */
    this.last = null;
    /** A model picked in the page (not restored from a link) opens on its prior's square. */
    this.fitOnOpen = false;
  }

  /** Whether both models have the same test set (the same test image has a place on both maps). */
  sameData() {
    const [one, two] = [this.page.engine.session, this.engine.session];
    return !!(one && two && this.engine.entry && one.manifest().dataset.name === two.manifest().dataset.name);
  }

  /** Whether both maps show the same coordinates: two 2-D models, or two codes of one size seen
   * on the same two latent axes (each model's PCA plane has its own axes; a categorical code's
   * map is its clusters' style plane). */
  sameSpace() {
    const [one, two] = [this.page.engine.session, this.engine.session];
    if (!one || !two || one.latentDim !== two.latentDim || clusterCount(one) || clusterCount(two)) return false;
    return one.latentDim === 2 || this.page.store.state.planeMode === 'axes';
  }

  /** Whether the second map follows the first one's view now. */
  synced() { return this.page.store.state.compareSync && this.sameSpace(); }

  /** The plane the second map shows for the page's plane choice: the same choice where the codes
   * have the same size, else its own PCA plane through its test mean.
   * @returns {import('./map.js').MapPlane} */
  plane() {
    const session = this.engine.session, choice = this.choice();
    if (this.page.engine.session.latentDim !== session.latentDim) { choice.planeMode = 'pca'; choice.anchor = null; }
    return planeOf(session, this.pca, choice);
  }

  /** The page's plane choice, with a cluster the second model has.
   * @returns {Pick<PageState, 'planeMode'|'axisI'|'axisJ'|'anchor'|'cluster'>} */
  choice() {
    const s = this.page.store.state, k = clusterCount(this.engine.session);
    return { planeMode: s.planeMode, axisI: s.axisI, axisJ: s.axisJ, anchor: s.anchor, cluster: s.cluster < k ? s.cluster : 0 };
  }

  /** Opens model `name` beside the first (null: one map again).
   * @param {string|null} name */
  async open(name) {
    const { page } = this, { store } = page;
    if (!name) { this.show(); return; }
    const entry = page.engine.models.find((m) => m.name === name);
    if (!entry) {
      notice(`There is no model ${name} to compare with.`);
      await store.set({ compare: null });
      return;
    }
    $('compare-status').textContent = `loading ${entry.name}…`;
    this.workers ??= this.engine.startWorkers(2);
    let session;
    try {
      await this.workers;
      session = await this.engine.open(entry, page.engine.backend ?? 'cpu');
    } catch (e) {
      notice(`${entry.name} could not be opened to compare: ${errorText(e)}`);
      await store.set({ compare: null });
      return;
    }
    if (!session || store.state.compare !== name) return; // a newer choice overtook this one
    this.engine.setLabel(store.state.label);
    this.pca = session.latentDim > 2 ? page.wasm.pcaPlane(session.testMeans(), session.latentDim) : null;
    this.map.setModel(session, this.plane(), session.side);
    this.map.showOnly(clusterMembers(session, this.choice().cluster));
    this.map.setLayers(store.state);
    this.map.setColourMap(colourTable(store.state.colourMap));
    this.show();
    if (this.fitOnOpen && !this.synced()) this.map.fit(session.priorExtent); else this.showView();
    this.fitOnOpen = false;
    await store.set({ compareSession: store.state.compareSession + 1 });
  }

  /** The second map and strip shown or hidden, the captions and the sync control. */
  show() {
    const s = this.page.store.state, on = !!(s.compare && this.engine.session);
    $('maps').classList.toggle('two', on);
    $('map-wrap2').hidden = !on;
    $('map-caption').hidden = !on;
    $('strip-label').hidden = !on || $('strip').hidden;
    $select('compare-model').value = s.compare ?? '';
    $input('compare-sync').checked = s.compareSync;
    $input('compare-sync').disabled = !on || !this.sameSpace();
    $('compare-sync-field').hidden = !on;
    if (!on) { $('compare-status').textContent = ''; $('strip2-box').hidden = true; return; }
    const [one, two] = [this.page.engine.entry.name, this.engine.entry.name];
    $('map-caption').textContent = one;
    $('map2-caption').textContent = two;
    $('strip-label').textContent = one;
    $('compare-status').textContent = !this.sameSpace()
      ? 'each map has its own view: they show different coordinates (another code size, each model\'s own PCA plane or a categorical code)'
      : (this.synced() ? 'the maps move together' : 'each map has its own view');
    if (!this.sameData()) $('compare-status').textContent += '; the models know different test sets';
  }

  /** The second map's view: the first map's while they move together, else its own. */
  showView() {
    if (!this.engine.session || !this.page.store.state.compare) return;
    const s = this.page.store.state;
    this.map.showView(this.synced() ? s.view : s.compareView);
  }

  /** The page's plane choice (or class) changed: the second map's plane follows. */
  replane() {
    if (!this.engine.session || !this.page.store.state.compare) return;
    this.engine.setLabel(this.page.store.state.label);
    this.map.setPlane(this.plane());
    this.map.showOnly(clusterMembers(this.engine.session, this.choice().cluster));
    this.show();
    this.showView();
  }

  /** A click on the second map: a test point is picked as on the first map (the ends are codes
   * of the first model: its code of the same image).
   * @param {import('./map.js').TestPoint|null} point @param {boolean} shift */
  click(point, shift) {
    const { page } = this, s = page.store.state;
    const z = point && this.sameData() ? page.map.testCode(point.index) : null;
    if (!point || !z) {
      notice('On the second map, pick a test image (a point of the scatter); any place on the first map can be an end.');
      return undefined;
    }
    if (s.arith === 'sets' && s.picking) return addPick(page, z);
    return setEnd(page, shift ? 'b' : s.nextEnd, z, point.index);
  }

  /** End `z` as the second model's code: its own code of the test image `image` when the end is
   * one, else the first model's image at `z` encoded by the second (null: the models' images
   * differ in size).
   * @param {number[]} z @param {number|null} image @param {number|null} label  a conditional first model's class there
   * @returns {Promise<number[]|null>} */
  async endCode(z, image, label) {
    const one = this.page.engine;
    if (image != null && this.sameData()) {
      const own = this.map.testCode(image);
      if (own) return own;
    }
    if (one.session.side !== this.engine.session.side) return null;
    const labels = one.session.conditionClasses && label != null ? one.oneHot(label) : undefined;
    const grey = await one.decode(new Float32Array(z), labels);
    return Array.from(await this.engine.encode(Float32Array.from(grey, (v) => v / 255)));
  }

  /** The same interpolation decoded by the second model, under the first strip. */
  async updateStrip() {
    const s = this.page.store.state, canvas = $canvas('strip2');
    const { current } = ticket('strip-compare');
    canvas.dataset.ready = 'false';
    this.last = null;
    const on = !!(s.compare && this.engine.session);
    $('strip2-box').hidden = !(on && s.a && s.b);
    $('strip-label').hidden = !on || !(s.a && s.b);
    if (!on || !s.a || !s.b) { this.ends = { a: null, b: null }; this.map.setPath([]); this.mark(); return; }
    const name = this.engine.entry.name;
    const [a, b] = await Promise.all([this.endCode(s.a, s.imageA, s.classA), this.endCode(s.b, s.imageB, s.classB)]);
    if (!current()) return;
    this.ends = { a, b };
    this.mark();
    if (!a || !b) {
      $('strip2-label').textContent = `${name}: its images are another size; the ends cannot be carried over`;
      canvas.hidden = true;
      this.map.setPath([]);
      return;
    }
    const from = (/** @type {number|null} */ i) => (i == null || !this.sameData() ? 'the first model\'s image there' : `test image #${i}`);
    $('strip2-label').textContent = `${name}: from its own code of ${from(s.imageA)} to that of ${from(s.imageB)}`;
    canvas.hidden = false;
    const { wasm } = this.page, steps = s.steps, dim = a.length, side = this.engine.session.side;
    const flat = wasm.interpolate(new Float32Array(a), new Float32Array(b), steps, s.mode === 'spherical');
    this.map.setPath(Array.from({ length: steps }, (_, k) => Array.from(flat.subarray(k * dim, (k + 1) * dim))));
    const bytes = await this.engine.decode(flat);
    if (!current()) return;
    canvas.width = side * steps; canvas.height = side;
    const ctx = ctx2d(canvas);
    for (let k = 0; k < steps; k++) paintGrey(ctx, bytes, side, k * side * side, k * side, 0);
    this.last = { ends: [a, b], steps, side, bytes };
    canvas.dataset.ready = 'true';
  }

  /** The drawing or upload, encoded by the second model too (with its own preprocessing: its
   * image size and how much of the frame its characters fill). */
  async encodeSource() {
    const s = this.page.store.state, session = this.engine.session;
    const { current } = ticket('encode-compare');
    if (!s.compare || !session || !s.encoded || !s.encodedSource) { this.encoded = null; this.mark(); return; }
    const { rgba, width, height } = s.encodedSource;
    const fit = session.manifest().preprocessing.fit ?? session.side;
    const x = this.page.wasm.prepareImage(new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength), width, height, session.side, fit);
    const z = Array.from(await this.engine.encode(x));
    if (!current()) return;
    this.encoded = z;
    this.mark();
  }

  /** The second map's markers: the drawing (✎) and the ends, as its own codes. */
  mark() { this.map.setMarks(endMarks(this.encoded, this.ends.a, this.ends.b)); }

  /** What the tests read: the second model, its view, ends, drawing code and strip. */
  report() {
    const s = this.page.store.state;
    return {
      model: s.compare && this.engine.entry ? this.engine.entry.name : null, synced: this.synced(), sameSpace: this.sameSpace(),
      view: { ...this.map.view }, ends: this.ends, encoded: this.encoded, highlight: this.map.highlight,
      strip: this.last && { ends: this.last.ends, steps: this.last.steps, side: this.last.side, bytes: Array.from(this.last.bytes) },
      shown: !$('map-wrap2').hidden,
    };
  }

  wire() {
    const { store } = this.page;
    store.on(['compare'], (s) => this.open(s.compare));
    // The first model, its plane or class changed: the second map's plane, sync and captions follow.
    store.on(['session', 'planeMode', 'axisI', 'axisJ', 'anchor', 'cluster', 'label'], () => this.replane());
    store.on(['view'], () => this.showView());
    store.on(['compareSync', 'compareView'], () => { this.show(); this.showView(); });
    store.on(['density', 'showScatter', 'showGrid', 'hidden'], (s) => this.map.setLayers(s));
    store.on(['colourMap'], (s) => this.map.setColourMap(colourTable(s.colourMap)));
    store.on(['highlight'], (s) => this.map.setHighlight(this.sameData() ? s.highlight : null));
    store.on(['a', 'b', 'imageA', 'imageB', 'steps', 'mode', 'classA', 'classB', 'label', 'session', 'compareSession'], () => this.updateStrip());
    store.on(['encoded', 'encodedSource', 'label', 'compareSession'], () => this.encodeSource());
    // The second model runs where the first does (after a fallback to the CPU, too).
    store.on(['backend'], (s) => {
      if (s.compare && this.engine.entry && s.backend && this.engine.backend !== s.backend) return this.open(s.compare);
      return undefined;
    });
    $select('compare-model').addEventListener('change', guard(() => {
      this.fitOnOpen = true;
      return store.set({ compare: $select('compare-model').value || null });
    }));
    $input('compare-sync').addEventListener('change', () => store.set({ compareSync: $input('compare-sync').checked }));
  }
}
