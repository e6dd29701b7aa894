// @ts-check
// The page's state, in one place. Panels read `store.state` and ask for changes with
// `store.set(patch)`; whoever subscribed to a changed field reacts (the map replanes, the strip
// redraws, the share link is rewritten). Nothing else writes page state.
//
// Share links: LINK_FIELDS maps each field of a link (src/link's ShareState) to the state it
// reads and restores. Parsing, clamping and writing the link happen in Rust (encodeLink,
// decodeLink), with the limits it exports (linkLimits); nothing of that is retyped here.

/** @typedef {import('../types').LinkState} LinkState */

/**
 * @typedef {object} View  the map's view: plane coordinates of its centre and its zoom
 * @property {number} cx
 * @property {number} cy
 * @property {number} zoom
 */

/**
 * @typedef {object} PageState
 * @property {string|null} model  the open model's name
 * @property {'cpu'|'webgpu'|null} backend
 * @property {number} session  counts model opens: everything drawn from a model redraws on it
 * @property {View} view
 * @property {number} density  grid cells across the view
 * @property {boolean} showScatter
 * @property {boolean} showGrid
 * @property {number[]} hidden  classes whose test points the map hides
 * @property {string} colourMap  the grid's colour map (colormaps.js; 'greys' by default)
 * @property {'pca'|'axes'} planeMode  the plane of a model above 2-D
 * @property {number} axisI
 * @property {number} axisJ
 * @property {number[]|null} anchor  the fixed point the plane passes through (null: default)
 * @property {number} cluster  a categorical model's cluster the map shows
 * @property {number} label  a conditional model's class the map draws and uploads encode as
 * @property {number[]|null} a  interpolation ends (full codes)
 * @property {number[]|null} b
 * @property {number|null} classA  a conditional model's classes at the ends (null: the drawn one)
 * @property {number|null} classB
 * @property {'a'|'b'} nextEnd  which end a plain click sets
 * @property {number} steps
 * @property {'linear'|'spherical'} mode
 * @property {string} part  what the interpolation moves ('all', 'content', 'style', 'code', 'class')
 * @property {number[]|null} encoded  the code of the last drawing or upload
 * @property {Uint8Array|null} encodedImage  its model input, as grey bytes
 * @property {number} mixSeed  the content × style grid's shuffle number
 * @property {number} everySeed  the "every class" table's shuffle number
 * @property {number} sampleSeed
 * @property {'off'|'classes'|'ends'|'sets'} arith  latent arithmetic's direction: none, between
 *   two classes' mean test codes, from A to B, or between two sets of picked points
 * @property {number} arithFrom  its classes
 * @property {number} arithTo
 * @property {number[][]} setFrom  the picked points (full codes) the direction runs from
 * @property {number[][]} setTo  and to
 * @property {[number[], number[]]|null} setMeans  the two sets' means (Rust's centroid), null
 *   until both sets have a point
 * @property {'from'|'to'|null} picking  which set a map click adds to (null: clicks set A/B)
 * @property {number} shift  how far the point moves along it (1: the analogy)
 * @property {number|null} imageA  the test image (by number) end A is the code of, if it is one
 * @property {number|null} imageB
 * @property {{ rgba: Uint8ClampedArray, width: number, height: number }|null} encodedSource
 *   the drawing or upload `encoded` came from (a second model encodes it too)
 * @property {number|null} highlight  the test point hovered on either map (ringed on both)
 * @property {string|null} compare  the second model shown beside the first (null: one map)
 * @property {boolean} compareSync  whether its map follows the first one's view (where both
 *   maps show the same coordinates)
 * @property {View} compareView  its map's own view
 * @property {number} compareSession  counts second-model opens (what is drawn from it redraws)
 */

/** @returns {PageState} */
export function initialState() {
  return {
    model: null, backend: null, session: 0,
    view: { cx: 0, cy: 0, zoom: 1 }, density: 20, showScatter: true, showGrid: true, hidden: [], colourMap: 'greys',
    planeMode: 'pca', axisI: 0, axisJ: 1, anchor: null, cluster: 0, label: 0,
    a: null, b: null, classA: null, classB: null, nextEnd: 'a', steps: 10, mode: 'linear', part: 'all',
    encoded: null, encodedImage: null, mixSeed: 1, everySeed: 1, sampleSeed: 1,
    // Fashion-MNIST's sandal → sneaker; other models get their first classes (models.js).
    arith: 'off', arithFrom: 5, arithTo: 7, shift: 1, setFrom: [], setTo: [], setMeans: null, picking: null,
    imageA: null, imageB: null, encodedSource: null, highlight: null,
    compare: null, compareSync: true, compareView: { cx: 0, cy: 0, zoom: 1 }, compareSession: 0,
  };
}

/** @typedef {keyof PageState} Key */
/** @typedef {(state: PageState, changed: Set<Key>) => unknown} Listener */

export class Store {
  /** @param {PageState} state */
  constructor(state) {
    /** @type {Readonly<PageState>} */
    this.state = state;
    /** @type {Array<{ keys: Set<Key>, fn: Listener }>} */
    this.listeners = [];
  }

  /** Calls `fn` after every change of one of `keys` (in subscription order).
   * @param {Key[]} keys
   * @param {Listener} fn */
  on(keys, fn) {
    this.listeners.push({ keys: new Set(keys), fn });
  }

  /** Writes `patch` and tells the listeners of the fields that changed. Resolves when what they
   * started is done (a strip painted, a grid decoded); rejects with the first failure.
   * @param {Partial<PageState>} patch */
  async set(patch) {
    const changed = this.write(patch);
    if (!changed.size) return;
    const work = [];
    for (const { keys, fn } of this.listeners) {
      if ([...keys].some((k) => changed.has(k))) work.push(Promise.resolve().then(() => fn(this.state, changed)));
    }
    await Promise.all(work);
  }

  /** Writes `patch` without telling anyone: only for state that follows from something a
   * listener is about to redraw anyway (a model opening resets the choices it cannot show).
   * @param {Partial<PageState>} patch
   * @returns {Set<Key>} the fields that changed */
  write(patch) {
    /** @type {Set<Key>} */
    const changed = new Set();
    const next = { ...this.state };
    for (const key of /** @type {Key[]} */ (Object.keys(patch))) {
      if (!same(next[key], patch[key])) { changed.add(key); /** @type {any} */ (next)[key] = patch[key]; }
    }
    this.state = next;
    return changed;
  }
}

/** Value equality for state fields (numbers, strings, flat arrays and small records).
 * @param {unknown} x
 * @param {unknown} y
 * @returns {boolean} */
function same(x, y) {
  if (Object.is(x, y)) return true;
  if (!x || !y || typeof x !== 'object' || typeof y !== 'object') return false;
  if (ArrayBuffer.isView(x) || ArrayBuffer.isView(y)) return false; // images: by identity
  const kx = Object.keys(x), ky = Object.keys(y);
  return kx.length === ky.length && kx.every((k) => same(/** @type {any} */ (x)[k], /** @type {any} */ (y)[k]));
}

/**
 * @typedef {object} LinkField
 * @property {keyof LinkState} field  the ShareState field (src/link)
 * @property {Key[]} keys  the state it is read from
 * @property {(s: PageState) => unknown} read  its value from the page's state
 * @property {(v: any, p: Partial<PageState>, ctx: { parts: string[] }) => void} [restore]
 *   what it restores (model: the page opens it before the rest)
 */

/** @type {LinkField[]} */
export const LINK_FIELDS = [
  { field: 'model', keys: ['model'], read: (s) => s.model },
  { field: 'center', keys: ['view'], read: (s) => [s.view.cx, s.view.cy], restore: (v, p) => { p.view = { ...p.view, cx: v[0], cy: v[1] }; } },
  { field: 'zoom', keys: ['view'], read: (s) => s.view.zoom, restore: (v, p) => { p.view = { ...p.view, zoom: v }; } },
  { field: 'a', keys: ['a'], read: (s) => s.a, restore: (v, p) => { p.a = v; } },
  { field: 'b', keys: ['b'], read: (s) => s.b, restore: (v, p) => { p.b = v; } },
  { field: 'steps', keys: ['steps'], read: (s) => s.steps, restore: (v, p) => { p.steps = v; } },
  { field: 'mode', keys: ['mode'], read: (s) => s.mode, restore: (v, p) => { p.mode = v; } },
  // The link's part is one the model has (Rust checks the name, the page what the model offers).
  { field: 'part', keys: ['part'], read: (s) => s.part, restore: (v, p, ctx) => { p.part = ctx.parts.includes(v) ? v : 'all'; } },
  { field: 'mix', keys: ['mixSeed'], read: (s) => s.mixSeed, restore: (v, p) => { p.mixSeed = v; } },
  { field: 'cluster', keys: ['cluster'], read: (s) => s.cluster, restore: (v, p) => { p.cluster = v; } },
  { field: 'label', keys: ['label'], read: (s) => s.label, restore: (v, p) => { p.label = v; } },
  { field: 'label_a', keys: ['a', 'classA'], read: (s) => (s.a ? s.classA : null), restore: (v, p) => { p.classA = v; } },
  { field: 'label_b', keys: ['b', 'classB'], read: (s) => (s.b ? s.classB : null), restore: (v, p) => { p.classB = v; } },
  { field: 'plane', keys: ['planeMode'], read: (s) => s.planeMode, restore: (v, p) => { p.planeMode = v; } },
  { field: 'axes', keys: ['axisI', 'axisJ'], read: (s) => [s.axisI, s.axisJ], restore: (v, p) => { p.axisI = v[0]; p.axisJ = v[1]; } },
  { field: 'anchor', keys: ['anchor'], read: (s) => s.anchor, restore: (v, p) => { p.anchor = v; } },
  // A link without a direction turns latent arithmetic off; `d=ab` (after this row) sets A → B.
  {
    field: 'direction', keys: ['arith', 'arithFrom', 'arithTo'],
    read: (s) => (s.arith === 'classes' ? [s.arithFrom, s.arithTo] : null),
    restore: (v, p) => { p.arith = v ? 'classes' : 'off'; if (v) { p.arithFrom = v[0]; p.arithTo = v[1]; } },
  },
  { field: 'along_ends', keys: ['arith'], read: (s) => s.arith === 'ends', restore: (v, p) => { if (v) p.arith = 'ends'; } },
  // A link carries each picked set as its mean (the direction is exact; the picks are not kept).
  {
    field: 'set_means', keys: ['arith', 'setMeans'],
    read: (s) => (s.arith === 'sets' ? s.setMeans : null),
    restore: (v, p) => { if (v) { p.arith = 'sets'; p.setFrom = [v[0]]; p.setTo = [v[1]]; p.setMeans = v; } },
  },
  { field: 'shift', keys: ['shift'], read: (s) => s.shift, restore: (v, p) => { p.shift = v; } },
  // A second model beside the first, with its map's own view (used where the maps move apart).
  {
    field: 'compare', keys: ['compare', 'compareSync', 'compareView'],
    read: (s) => (s.compare ? { model: s.compare, sync: s.compareSync, center: [s.compareView.cx, s.compareView.cy], zoom: s.compareView.zoom } : null),
    restore: (v, p) => {
      p.compare = v ? v.model : null;
      if (v) { p.compareSync = v.sync; p.compareView = { cx: v.center[0], cy: v.center[1], zoom: v.zoom }; }
    },
  },
  { field: 'image_a', keys: ['a', 'imageA'], read: (s) => (s.a ? s.imageA : null), restore: (v, p) => { p.imageA = v; } },
  { field: 'image_b', keys: ['b', 'imageB'], read: (s) => (s.b ? s.imageB : null), restore: (v, p) => { p.imageB = v; } },
];

/** Every state field a share link reads. */
export const LINK_KEYS = [...new Set(LINK_FIELDS.flatMap((f) => f.keys))];

/** The link state for the page's state (what encodeLink writes).
 * @param {PageState} s
 * @returns {LinkState} */
export function toLink(s) {
  return /** @type {LinkState} */ (/** @type {unknown} */ (Object.fromEntries(LINK_FIELDS.map((f) => [f.field, f.read(s)]))));
}

/** The page state a decoded link restores (its model aside).
 * @param {LinkState} link
 * @param {{ parts: string[] }} ctx  what the link's model offers
 * @returns {Partial<PageState>} */
export function fromLink(link, ctx) {
  /** @type {Partial<PageState>} */
  const patch = {};
  for (const f of LINK_FIELDS) f.restore?.(link[f.field], patch, ctx);
  return patch;
}
