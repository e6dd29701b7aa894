// @ts-check
// Share links: the page's state in the URL fragment, rewritten shortly after it changes, and
// restored from a link (on arrival and on hashchange). Which state a link holds is store.js's
// LINK_FIELDS; reading and writing the fragment (with every check) is Rust's decodeLink and
// encodeLink.

import { $, $input, guard, notice } from './dom.js';
import { openModel, partsOf } from './models.js';
import { fromLink, LINK_KEYS, toLink } from './store.js';

/** @typedef {import('../types').Page} Page */

/** Writes the link for the page's state into the address bar and the share field.
 * @param {Page} page */
function writeLink(page) {
  const frag = page.wasm.encodeLink(toLink(page.store.state));
  history.replaceState(null, '', `#${frag}`);
  $input('share-url').value = location.href;
}

/** A file name for an export of the page's state: the model, what it shows, and a short tag of
 * the share link that reproduces it (the same link, the same tag).
 * @param {Page} page @param {string} what @param {string} ext */
export function exportName(page, what, ext) {
  const frag = page.wasm.encodeLink(toLink(page.store.state));
  // FNV-1a, 32 bits: a tag for a file name, not a checksum.
  let h = 0x811c9dc5;
  for (let i = 0; i < frag.length; i++) h = Math.imul(h ^ frag.charCodeAt(i), 0x01000193) >>> 0;
  return `${page.engine.entry.name}-${what}-${h.toString(16).padStart(8, '0')}.${ext}`;
}

/** The models a link may name; the first is what an unusable link falls back to (the default).
 * @param {Page} page
 * @returns {import('../types').KnownModel[]} */
function knownModels(page) {
  const { engine } = page, def = engine.defaultModel();
  return [def, ...engine.models.filter((m) => m !== def)]
    .map((m) => ({ name: m.name, latent_dim: m.latent_dim, clusters: m.clusters ?? 0, conditional: m.conditional ?? 0 }));
}

/** A link that names a model from disk this page has not opened: applied once it is. */
let waiting = /** @type {string|null} */ (null);

/** Shows what link `fragment` holds; what in it is unusable is replaced and said.
 * @param {Page} page @param {string} fragment */
export async function applyLink(page, fragment) {
  const { engine, wasm, store } = page;
  const { state: link, problems, awaits_local: awaitsLocal } = wasm.decodeLink(fragment, knownModels(page));
  waiting = awaitsLocal ? fragment : null;
  if (problems.length) notice(problems.join(' '));
  let entry = engine.models.find((m) => m.name === link.model) ?? engine.defaultModel();
  if (engine.broken.has(entry.name)) {
    notice(`The link's model ${entry.name} could not be opened; showing ${engine.entry.name}.`);
    entry = engine.entry;
  }
  if (!engine.entry || engine.entry.name !== entry.name) await openModel(page, entry, engine.backend);
  await store.set(fromLink(link, { parts: (partsOf(page) ?? []).map(([p]) => p) }));
}

/** After a model file from disk opened: the link that was waiting for it, if any, now shows.
 * @param {Page} page */
export async function applyWaitingLink(page) {
  if (waiting) await applyLink(page, waiting);
}

/** @param {Page} page */
export function wireShare(page) {
  let timer = 0;
  page.store.on([...LINK_KEYS, 'session'], () => {
    clearTimeout(timer);
    timer = setTimeout(() => writeLink(page), 150);
  });
  $('copy-link').addEventListener('click', guard(async () => {
    writeLink(page);
    const button = $('copy-link');
    try { await navigator.clipboard.writeText(location.href); button.textContent = 'Copied ✓'; } catch {
      $input('share-url').select(); button.textContent = 'Select and copy';
    }
    setTimeout(() => { button.textContent = 'Copy share link'; }, 1500);
  }));
  addEventListener('hashchange', guard(() => applyLink(page, location.hash)));
}
