// @ts-check
// Thin read-only panels: the model's card ("about"), the class legend under the map, and the
// hover card of a test point. Nothing here computes; the numbers come from the model file.

import { $, $canvas, ctx2d } from './dom.js';
import { ticket } from './generation.js';
import { classColour } from './map.js';
import { paintGrey } from './paint.js';

/** The "about this model" card from the model file's manifest and metrics.
 * @param {import('../types').ModelEntry} entry
 * @param {import('../types').Manifest} manifest
 * @param {string} regularisation */
export function describeModel(entry, manifest, regularisation) {
  const m = manifest.metrics || {};
  const judge = m.judge || {};
  const cd = manifest.architecture.content_dim ?? null;
  /** @param {number|null|undefined} v @param {number} [d] */
  const num = (v, d = 3) => (v != null ? v.toFixed(d) : '—');
  const rows = [
    ['model', entry.name], ['dataset', manifest.dataset.name],
    ['trained as', regularisation],
    ['latent dims', cd != null ? `${manifest.architecture.latent_dim} (content ${cd}, style ${manifest.architecture.latent_dim - cd})` : String(manifest.architecture.latent_dim)],
    ['test NELBO', m.nelbo != null ? `${m.nelbo.toFixed(1)} nats${manifest.architecture.conditional ? ' (of x given its class)' : ''}` : '—'],
    ...(cd != null ? [
      ['one-shot error', m.oneshot_error != null ? `${(100 * m.oneshot_error).toFixed(1)}% (20-way, unseen alphabets)` : '—'],
      ['clustering acc.', `content ${num(m.content_cluster_acc)}, style ${num(m.style_cluster_acc)} (chance ${num(m.chance_cluster_acc)})`],
    ] : [['k-means acc.', num(m.kmeans_acc)]]),
    ...(m.cluster_acc != null ? [['category acc.', `${num(m.cluster_acc)} matched one-to-one, ${num(m.cluster_majority_acc)} by majority (learnt without labels)`]] : []),
    ...(judge.frechet != null ? [['Fréchet dist.', `${judge.frechet.toFixed(1)} (judge features, ${judge.samples} samples)`]] : []),
    ...(judge.conditional_accuracy != null ? [['conditional acc.', `${num(judge.conditional_accuracy)} (weakest class ${num(Math.min(...judge.conditional_per_class))})`]] : []),
    ['trained', `${manifest.training.epochs} epochs, batch ${manifest.training.batch_size}`],
    ['command', manifest.training.command],
  ];
  const dl = document.createElement('dl');
  for (const [k, v] of rows) {
    const dt = document.createElement('dt'); dt.textContent = k;
    const dd = document.createElement('dd'); dd.textContent = v;
    dl.append(dt, dd);
  }
  $('about').replaceChildren(dl);
}

/** The class legend: a button per class asks the store to show or hide its test points.
 * @param {string[]} classNames
 * @param {import('./store.js').Store} store */
export function buildLegend(classNames, store) {
  const items = classNames.map((name, c) => {
    const li = document.createElement('li');
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.dataset.c = String(c);
    const sw = document.createElement('span'); sw.className = 'swatch'; sw.style.background = classColour(c);
    const label = document.createElement('span'); label.textContent = name;
    btn.append(sw, label);
    btn.addEventListener('click', () => {
      const { hidden } = store.state;
      store.set({ hidden: hidden.includes(c) ? hidden.filter((h) => h !== c) : [...hidden, c] });
    });
    li.append(btn);
    return li;
  });
  $('legend').replaceChildren(...items);
  showLegend(store.state.hidden);
}

/** The legend's buttons say which classes are shown. @param {number[]} hidden */
export function showLegend(hidden) {
  for (const btn of $('legend').querySelectorAll('button')) {
    btn.setAttribute('aria-pressed', String(!hidden.includes(Number(btn.dataset.c))));
  }
}

/** The card beside a hovered test point: the image and its reconstruction. */
export class HoverCard {
  /** @param {import('./engine.js').Engine} engine */
  constructor(engine) { this.engine = engine; }

  /** Shows `point` near the pointer; `engine` is the model whose map it is on (the
   * reconstruction is that model's).
   * @param {import('./map.js').TestPoint|null} point @param {number} [clientX] @param {number} [clientY]
   * @param {import('./engine.js').Engine} [engine] */
  async show(point, clientX, clientY, engine = this.engine) {
    const box = $('hover');
    const { current } = ticket('hover');
    if (!point) { box.hidden = true; return; }
    const manifest = engine.session.manifest();
    const wrap = $('maps').getBoundingClientRect();
    box.hidden = false;
    box.style.left = `${Math.min(wrap.width - 170, Math.max(0, clientX - wrap.left + 14))}px`;
    box.style.top = `${Math.min(wrap.height - 100, Math.max(0, clientY - wrap.top + 14))}px`;
    $('hover-label').textContent = `#${point.index}: ${manifest.dataset.class_names[point.label] ?? point.label}`;
    const side = engine.session.side;
    // A conditional model's test codes were encoded with their own class: decoded with it too.
    const labels = engine.session.conditionClasses ? engine.oneHot(point.label) : undefined;
    // The original's file downloads on its first hover: the reconstruction is painted as soon
    // as it is decoded, the original when its file is in.
    const original = engine.testImage(manifest.dataset.name, point.index);
    const ctx = ctx2d($canvas('hover-orig'));
    const recon = await engine.decode(new Float32Array(point.z), labels);
    if (!current()) return;
    paintGrey(ctx2d($canvas('hover-recon')), recon, side, 0, 0, 0);
    ctx.fillStyle = '#333'; ctx.fillRect(0, 0, side, side);
    const image = await original;
    if (!current()) return;
    if (image && image.side === side) paintGrey(ctx, image.pixels, side, 0, 0, 0);
  }
}
