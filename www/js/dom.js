// @ts-check
// Typed element lookups and the page's notice. Everything from a link, a file or a manifest
// reaches the page as textContent, never as HTML.

/** The element with this id (a missing one is a bug in index.html, said plainly).
 * @param {string} id
 * @returns {HTMLElement} */
export function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`The page has no element #${id}.`);
  return el;
}

/** @param {string} id */
export const $input = (id) => /** @type {HTMLInputElement} */ ($(id));
/** @param {string} id */
export const $select = (id) => /** @type {HTMLSelectElement} */ ($(id));
/** @param {string} id */
export const $canvas = (id) => /** @type {HTMLCanvasElement} */ ($(id));
/** @param {string} id */
export const $button = (id) => /** @type {HTMLButtonElement} */ ($(id));

/** The 2-D context of a canvas.
 * @param {HTMLCanvasElement} canvas */
export function ctx2d(canvas) {
  return /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
}

/** Shows `text` in the page's notice ('' hides it). Once the page could not start, that message
 * stays (a late word about WebGPU must not hide it).
 * @param {string} text */
export function notice(text) {
  if (document.body.dataset.ready === 'error') return;
  $('notice-text').textContent = text;
  $('notice').hidden = !text;
}

/** An error's message, or the thrown value as text.
 * @param {unknown} e */
export function errorText(e) {
  return e instanceof Error ? e.message : (e && typeof e === 'object' && 'message' in e ? String(e.message) : String(e));
}

/** Wraps an event handler: a failure is logged and shown in the notice, never lost.
 * @template {unknown[]} A
 * @param {(...args: A) => unknown} fn
 * @returns {(...args: A) => Promise<void>} */
export function guard(fn) {
  return (...args) => Promise.resolve().then(() => fn(...args)).then(() => {}, (e) => {
    console.error(e);
    notice(errorText(e));
  });
}

/** `<option>`s for a select: [value, text] pairs.
 * @param {Array<[string, string]>} items */
export function options(items) {
  return items.map(([value, text]) => {
    const o = document.createElement('option');
    o.value = value; o.textContent = text;
    return o;
  });
}

/** Lets the browser paint and handle input between chunks of heavy work.
 * @returns {Promise<void>} */
export function yieldToBrowser() {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(0);
  });
}
