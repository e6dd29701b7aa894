// @ts-check
// The CPU path's decode workers (worker.js): one wasm instance each, a grid batch split across
// them, and a pool that reports itself broken when a worker fails or stops answering.

import { LIMITS, withTimeout } from './limits.js';

/** Decode workers for the CPU path (one per core, at most four); see worker.js. */
export class WorkerPool {
  /** @param {number} size */
  constructor(size) {
    this.workers = Array.from({ length: size }, () => new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }));
    /** @type {Map<number, { resolve: (out: any) => void, reject: (e: Error) => void, worker: Worker, onProgress?: (f: number) => void }>} */
    this.pending = new Map();
    this.nextId = 1;
    /** @type {string|undefined} why the pool cannot be used, once it cannot */
    this.broken = undefined;
    for (const w of this.workers) {
      w.onmessage = ({ data }) => {
        const p = this.pending.get(data.id);
        if (!p) return; // an answer that came after its time limit
        if (data.progress != null) { p.onProgress?.(data.progress); return; }
        this.pending.delete(data.id);
        if (data.ok) p.resolve(data.out); else p.reject(new Error(data.error));
      };
      // A worker that fails to load or crashes fails its calls instead of leaving them hanging.
      w.onerror = (e) => {
        this.broken = `a decode worker failed (${e.message || 'no details'})`;
        for (const [id, p] of this.pending) if (p.worker === w) { this.pending.delete(id); p.reject(new Error(this.broken)); }
      };
    }
  }

  /** One request to `worker`; `onProgress(fraction)` hears the worker's progress reports.
   * @param {Worker} worker @param {{ op: string } & Record<string, unknown>} msg @param {(f: number) => void} [onProgress]
   * @returns {Promise<any>} */
  call(worker, msg, onProgress) {
    const id = this.nextId++;
    const call = new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker, onProgress });
      worker.postMessage({ ...msg, id });
    });
    return withTimeout(call, LIMITS.worker, `A decode worker's ${msg.op}`).catch((e) => {
      // A worker that does not answer is as good as broken: the page decodes without the pool.
      this.pending.delete(id);
      this.broken ??= e.message;
      throw e;
    });
  }

  /** @param {{ op: string } & Record<string, unknown>} msg */
  all(msg) { return Promise.all(this.workers.map((w) => this.call(w, msg))); }

  /** Splits `z` (rows of `dim`) across the workers; resolves to the concatenated images.
   * @param {Float32Array} z @param {number} dim @param {number} imageBytes */
  async decode(z, dim, imageBytes) {
    const n = z.length / dim;
    const per = Math.ceil(n / Math.min(this.workers.length, n));
    const k = Math.ceil(n / per); // every worker that gets a part gets a non-empty one
    const parts = await Promise.all(Array.from({ length: k }, (_, i) => this.call(this.workers[i], {
      op: 'decode', z: z.slice(i * per * dim, Math.min(n, (i + 1) * per) * dim),
    })));
    const out = new Uint8Array(n * imageBytes);
    parts.forEach((p, i) => out.set(p, i * per * imageBytes));
    return out;
  }
}
