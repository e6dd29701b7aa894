// @ts-check
// The map's controls (density, layers, view, plane, cluster and class pickers) and the side
// cards drawn from the model's codes (content × style, every class): each control asks the
// store for a change; the listeners here keep the map and the cards in step with the store.

import { colourTable, COLOUR_MAPS } from './colormaps.js';
import { $, $canvas, $input, $select, guard, notice, options } from './dom.js';
import { downloadPanels, downloadPng } from './images.js';
import { contentDim } from './models.js';
import { showLegend } from './panels.js';
import { exportName } from './share.js';

/** @typedef {import('../types').Page} Page */

/** @param {Page} page */
export function wireControls(page) {
  const { store, map, planes, classes, engine, mixGrid, wasm } = page;
  const maxMix = wasm.linkLimits().maxMix;
  /** The next shuffle number (1 … maxMix, as links hold it). @param {number} n */
  const next = (n) => (n % maxMix) + 1;

  // The map follows the store; its own pans and zooms come back through onView.
  store.on(['density', 'showScatter', 'showGrid', 'hidden'], (s) => {
    map.setLayers(s);
    $('density-out').textContent = String(s.density);
    showLegend(s.hidden);
  });
  store.on(['view'], (s) => map.showView(s.view));
  store.on(['highlight'], (s) => map.setHighlight(s.highlight));
  store.on(['colourMap'], (s) => {
    $select('colour-map').value = s.colourMap;
    map.setColourMap(colourTable(s.colourMap));
  });
  // The plane (and, for a conditional model, the decoded class) changed: new tiles.
  store.on(['planeMode', 'axisI', 'axisJ', 'anchor', 'cluster', 'label'], () => {
    planes.showChoice();
    classes.showPicked();
    map.setPlane(planes.current());
    map.showOnly(planes.shown());
  });
  store.on(['mixSeed', 'encoded', 'session'], (s) => {
    if (contentDim(page) == null) return undefined;
    $canvas('mix').dataset.ready = 'false';
    return mixGrid.render(s.mixSeed, s.encoded ? { z: s.encoded, image: s.encodedImage } : null);
  });
  store.on(['everySeed', 'encoded', 'a', 'session'], () => classes.renderTable());

  $input('density').addEventListener('input', () => store.set({ density: Number($input('density').value) }));
  $input('show-scatter').addEventListener('change', () => store.set({ showScatter: $input('show-scatter').checked }));
  $input('show-grid').addEventListener('change', () => store.set({ showGrid: $input('show-grid').checked }));
  $select('colour-map').replaceChildren(...options(/** @type {Array<[string, string]>} */ (COLOUR_MAPS)));
  $select('colour-map').addEventListener('change', () => store.set({ colourMap: $select('colour-map').value }));
  $('reset-view').addEventListener('click', () => {
    map.fit(engine.session.priorExtent);
    // A compared map with a view of its own is reset too.
    const other = page.compare;
    if (store.state.compare && other.engine.session && !other.synced()) other.map.fit(other.engine.session.priorExtent);
  });
  // The map as shown (tiles and overlay), at twice its device pixels; both maps of a comparison
  // side by side.
  $('export-grid').addEventListener('click', () => {
    const other = page.compare;
    map.flushOverlay();
    other.map.flushOverlay();
    if (!store.state.compare || !other.engine.entry) {
      downloadPng([map.tiles, map.overlay], exportName(page, 'map', 'png'), 2);
      return;
    }
    downloadPanels([[map.tiles, map.overlay], [other.map.tiles, other.map.overlay]], exportName(page, `vs-${other.engine.entry.name}-maps`, 'png'), 2, 16);
  });

  $select('plane-mode').addEventListener('change', () => store.set({ planeMode: $select('plane-mode').value === 'axes' ? 'axes' : 'pca' }));
  $select('axis-i').addEventListener('change', () => store.set({ axisI: Number($select('axis-i').value) }));
  $select('axis-j').addEventListener('change', () => store.set({ axisJ: Number($select('axis-j').value) }));
  $('anchor-reset').addEventListener('click', () => store.set({ anchor: null }));
  $('anchor-a').addEventListener('click', () => {
    if (!store.state.a) { notice('Set A first (click a test point or the map).'); return; }
    store.set({ anchor: store.state.a.slice() });
  });
  $select('cluster').addEventListener('change', guard(() => store.set({ cluster: Number($select('cluster').value) })));
  $select('class-pick').addEventListener('change', guard(() => store.set({ label: Number($select('class-pick').value) })));

  $('mix-shuffle').addEventListener('click', guard(() => store.set({ mixSeed: next(store.state.mixSeed) })));
  $('mix-export').addEventListener('click', () => downloadPng([$canvas('mix')], exportName(page, 'content-style', 'png'), 4));
  $('every-shuffle').addEventListener('click', guard(() => store.set({ everySeed: next(store.state.everySeed) })));
  $('every-export').addEventListener('click', () => downloadPng([$canvas('every')], exportName(page, 'every-class', 'png'), 4));
}
