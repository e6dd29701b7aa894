// @ts-check
// Starts the page. app.js and every module it imports load through this dynamic import, so a
// missing or damaged script (or the engine failing in app.js) ends in a message on the page,
// never in a "starting…" that stays forever. No imports here: this file must load on its own.

const LOAD_LIMIT_MS = 30_000;

function fail(why) {
  if (document.body.dataset.ready === 'true') return;
  document.getElementById('notice-text').textContent = `The page could not start: ${why}. Reload the page; if this persists, the server is not serving the built files.`;
  document.getElementById('notice').hidden = false;
  document.getElementById('backend-status').textContent = 'not started';
  document.body.dataset.ready = 'error';
}

const timer = setTimeout(() => fail(`its scripts did not load within ${LOAD_LIMIT_MS / 1000} s`), LOAD_LIMIT_MS);
import('./app.js')
  .then(() => clearTimeout(timer))
  .catch((e) => { clearTimeout(timer); fail(`a script did not load (${e && e.message ? e.message : e})`); });
