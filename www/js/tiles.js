// @ts-check
// The map's decoding pass (map.js schedules it): the view's missing tiles, nearest-to-centre
// first, decoded in chunks — by the decode workers, the GPU, or the main thread yielding
// between chunks — and painted as each chunk arrives, into the map's tile cache.

import { ctx2d, yieldToBrowser } from './dom.js';
import { greyAtlas } from './paint.js';

/** @typedef {import('./map.js').LatentMap} LatentMap */

/** A tile's name in the cache: the view's grid key and the cell.
 * @param {string} key @param {{ i: number, j: number }} c */
export function tileKey(key, c) { return `${key}:${c.i}:${c.j}`; }

/** Paints the cached tiles of `cells` (cells of `step`, cache key prefix `key`).
 * @param {LatentMap} map @param {CanvasRenderingContext2D} ctx @param {number} step @param {string} key
 * @param {{ i: number, j: number }[]} cells */
export function paintCells(map, ctx, step, key, cells) {
  const size = Math.min(map.tiles.width, map.tiles.height) / (2 * map.view.half) * step;
  for (const c of cells) {
    const tile = map.cache.get(tileKey(key, c));
    if (!tile) continue;
    const [sx, sy] = map.toScreen(c.i * step, c.j * step);
    // Whole device pixels so neighbouring tiles meet without seams.
    const x0 = Math.round(sx - size / 2), y0 = Math.round(sy - size / 2);
    ctx.drawImage(tile.canvas, tile.x, tile.y, map.side, map.side, x0, y0, Math.round(sx + size / 2) - x0, Math.round(sy + size / 2) - y0);
  }
}

/** Paints a decoded chunk over the view: the rest of the grid is already on the canvas, so
 * only its tiles change (repainting the whole view per chunk redrew the backdrop and every
 * tile two or three times per pan, main-thread time the decode workers wanted on 2 cores).
 * A chunk of another cell size than the view's (a zoom came between) is left to the full
 * repaint that zoom made.
 * @param {LatentMap} map @param {{ i: number, j: number }[]} chunk @param {string} key */
function paintChunk(map, chunk, key) {
  const now = map.visibleCells();
  if (now.key !== key || !map.showGrid) return;
  const ctx = ctx2d(map.tiles);
  ctx.imageSmoothingEnabled = false;
  paintCells(map, ctx, now.step, now.key, chunk);
}

/** One pass: decodes and paints every missing tile of the view (a view that changes meanwhile
 * is followed: each chunk is asked for the view as it is then). Resolves when none is missing.
 * @param {LatentMap} map */
export async function decodeMissing(map) {
  const t0 = performance.now();
  let decodedAny = false;
  // With decode workers (or a GPU) the next chunk is asked for before this one is painted, so
  // the decoders never wait for the main thread's painting and yielding; decoding on the main
  // thread itself, a chunk is painted before the next one starts.
  const overlap = map.engine.backend === 'webgpu' || Boolean(map.engine.workers);
  /** @type {Set<string>} tiles of chunks asked for and not yet painted */
  const inFlight = new Set();
  const ask = () => {
    const { step, key, cells } = map.missing();
    const todo = cells.filter((c) => !inFlight.has(tileKey(key, c)));
    if (!todo.length || !map.showGrid) return null;
    // The GPU wants big batches (one fixed shape, compiled once). On the CPU, workers share
    // each chunk, and a view's tiles come in chunks of even size, up to 112 per worker: a
    // 21 x 21 view in two (one painted while the other decodes), not 192 + 192 + 57 (a redraw
    // 99 instead of 103 ms, paired); without workers the main thread yields every few dozen
    // images to stay fluid.
    const workers = map.engine.workers;
    const most = map.engine.backend === 'webgpu' ? 256 : (workers ? 112 * workers : 48);
    const size = map.engine.backend === 'cpu' && workers ? Math.ceil(todo.length / Math.ceil(todo.length / most)) : most;
    const chunk = todo.slice(0, size);
    const z = new Float32Array(chunk.length * map.dim);
    chunk.forEach((c, k) => z.set(map.point(c.i * step, c.j * step), k * map.dim));
    const keys = chunk.map((c) => tileKey(key, c));
    keys.forEach((k) => inFlight.add(k));
    const { current } = map.generation;
    const decoded = map.engine.decodeMany(z).then((bytes) => ({ bytes, chunk, key, keys, current }));
    decoded.catch(() => {}); // awaited below; not an unhandled rejection while a chunk paints
    return decoded;
  };
  // Chunks asked for and not yet painted, oldest first. Two with decode workers: each worker
  // then has its part of the next chunk queued when it finishes one, instead of idling while
  // the main thread hears back and asks again (~5 ms per chunk, and the faster worker waited
  // for the slower). One on a GPU, and on the main thread (see `overlap`).
  const depth = map.engine.workers && map.engine.backend === 'cpu' ? 2 : 1;
  /** @type {ReturnType<typeof ask>[]} */
  const queue = [];
  const fill = () => {
    while (queue.length < depth) {
      const asked = ask();
      if (!asked) return;
      queue.push(asked);
    }
  };
  // Ends: a view has at most map.js' MAX_VISIBLE cells (cellSize), fewer than the cache holds, so
  // decoding them never evicts the last of them.
  fill();
  while (queue.length) {
    const { bytes, chunk, key, keys, current } = await queue.shift();
    if (overlap) fill();
    keys.forEach((k) => inFlight.delete(k));
    if (current()) {
      const px = map.side * map.side;
      // The chunk's tiles share one canvas; each cache entry names its square in it.
      const { canvas, corners } = greyAtlas(bytes, chunk.length, map.side, map.lut);
      keys.forEach((k, i) => {
        const [x, y] = corners[i];
        map.cache.set(k, { grey: bytes.subarray(i * px, (i + 1) * px), canvas, x, y });
      });
      map.stats.decoded += chunk.length;
      decodedAny = true;
      map.evict();
      paintChunk(map, chunk, key);
    }
    await yieldToBrowser();
    fill();
  }
  if (decodedAny) map.stats.lastRedrawMs = performance.now() - t0;
  map.snapshot();
}
