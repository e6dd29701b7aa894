// @ts-check
// The compute side of the page: the model index, model files, one wasm Session on WebGPU or the
// CPU, and the fallback from WebGPU to the CPU when the GPU fails to start or breaks later.

import { errorText, yieldToBrowser } from './dom.js';
import { ticket } from './generation.js';
import { LIMITS, withTimeout } from './limits.js';
import { cpuModule, loadWebgpuModule, wasmUrls } from './wasm.js';
import { WorkerPool } from './workers.js';

/** @typedef {import('../types').Wasm} Wasm */
/** @typedef {import('../types').Session} Session */
/** @typedef {import('../types').ModelEntry} ModelEntry */

export class Engine {
  /**
   * @param {Wasm|null} wasm  the CPU module (set once loaded)
   * @param {(text: string) => void} onNotice  says something to the person using the page
   * @param {string} [job]  the generation job of its opens (a second engine, comparing, has its own)
   */
  constructor(wasm, onNotice, job = 'open') {
    this.wasm = wasm;
    this.job = job;
    this.onNotice = onNotice;
    /** @type {ModelEntry[]} */
    this.models = [];
    /** @type {import('../types').JudgeEntry[]} */
    this.judges = [];
    /** Model files, downloaded or downloading (a download that fails is forgotten): the page's
     * start asks for the first model before it opens it, and the open waits for that download.
     * @type {Map<string, Promise<Uint8Array>>} */
    this.bytes = new Map();
    /** @type {Session|null} */
    this.session = null;
    /** @type {ModelEntry|null} */
    this.entry = null;
    /** @type {string|null} why WebGPU is unusable in this page, once known */
    this.webgpuBroken = null;
    /** @type {string|null} why the page started on the CPU, in a few words (the status line's;
     * its title, the button's title and webgpuBroken say more) */
    this.backendNote = null;
    /** @type {Set<string>} models whose file failed to open: never the default */
    this.broken = new Set();
    /** @type {Set<(engine: Engine) => void>} */
    this.listeners = new Set();
    /** A conditional model's class: what codes are decoded and encoded as (the store's label). */
    this.label = 0;
    /** @type {WorkerPool|null} */
    this.pool = null;
    /** The model file the workers hold (or are opening), and when they are ready.
     * @type {{ file: string, ready: Promise<unknown> }|null} */
    this.poolModel = null;
    /** Test image files, each fetched once (a second engine shares the first one's map).
     * @type {Map<string, Promise<{ n: number, side: number, pixels: Uint8Array }|null>>} */
    this.imageFiles = new Map();
  }

  /** Starts the CPU decode workers; without them the CPU path decodes on the main thread, in
   * chunks. Needs only boot.js' choice of CPU module: the workers start, and fetch their
   * script, while that module still compiles (app.js starts them before the page's engine).
   * `first` (resolving to a model entry, or null) is opened in the workers right behind their
   * start: worker.js handles requests in order, so the open is asked for at once instead of
   * after the workers' answer, which waits for the main thread (making the page's parts when the
   * workers come up: the open came ~30 ms later; BENCHMARKS.md, the first grid).
   * @param {number} [most]  the most workers to start
   * @param {Promise<ModelEntry|null>} [first] */
  async startWorkers(most = 4, first = Promise.resolve(null)) {
    /** @type {WorkerPool|null} */
    let pool = null;
    try {
      const urls = wasmUrls();
      if (!urls || typeof Worker !== 'function') return;
      pool = new WorkerPool(Math.max(1, Math.min(most, navigator.hardwareConcurrency || 2)));
      const module = await withTimeout(cpuModule(), LIMITS.wasm, 'Compiling the workers\' engine');
      const started = pool.all({ op: 'init', glue: urls.glue, module });
      this.pool = pool;
      this.poolModel = null;
      // A failed open is forgotten (poolOpen), and engine.open reports the model's problem.
      first.then((entry) => { if (entry && this.pool === pool) this.poolOpen(entry).catch(() => {}); }, () => {});
      await started;
    } catch (e) {
      console.warn('decode workers unavailable; decoding on the main thread', e);
      pool?.workers.forEach((w) => w.terminate());
      if (this.pool === pool) {
        this.pool = null;
        this.poolModel = null;
      }
    }
  }

  /** Grid batches: on the CPU, spread over the workers (when they hold the current model).
   * @param {Float32Array} z
   * @returns {Promise<Uint8Array>} */
  async decodeMany(z) {
    if (this.pool?.broken) this.dropPool();
    if (this.pool && this.session.backend === 'cpu') {
      const entry = this.entry;
      await this.poolOpen(entry);
      if (this.entry === entry) {
        const side = this.session.side;
        try {
          return await this.pool.decode(this.codes(z), this.session.codeDim, side * side);
        } catch (e) {
          if (!this.pool?.broken) throw e;
          this.dropPool();
        }
      }
    }
    return this.decode(z);
  }

  /** Opens `entry` in the decode workers, once per model file (later callers wait for the
   * first); `open` asks as soon as the file is here, so the workers parse it while the main
   * thread does, not after. A failed open is forgotten, so the next call tries again.
   * @param {ModelEntry} entry */
  poolOpen(entry) {
    const pool = this.pool;
    if (!pool) return Promise.resolve();
    if (this.poolModel?.file !== entry.file) {
      const ready = this.modelBytes(entry).then((bytes) => pool.all({ op: 'open', bytes }));
      ready.catch(() => { if (this.poolModel?.ready === ready) this.poolModel = null; });
      this.poolModel = { file: entry.file, ready };
    }
    return this.poolModel.ready;
  }

  /** An animated GIF of `count` frames (`side * side` grey bytes each, in `frames`), written in
   * a decode worker (on the main thread, a frame at a time, without workers); `onProgress`
   * hears the fraction done.
   * @param {Uint8Array} frames @param {number} count @param {number} side
   * @param {{ scale: number, delayMs: number, comment: string }} opts
   * @param {(fraction: number) => void} onProgress
   * @returns {Promise<Uint8Array>} */
  async encodeGif(frames, count, side, opts, onProgress) {
    if (this.pool && !this.pool.broken) {
      try {
        return await this.pool.call(this.pool.workers[0], { op: 'gif', frames: frames.slice(), count, side, ...opts }, onProgress);
      } catch (e) {
        if (!this.pool?.broken) throw e;
        this.dropPool();
      }
    }
    const gif = new this.wasm.GifExport(side, opts.scale, opts.delayMs, opts.comment);
    try {
      for (let k = 0; k < count; k++) {
        gif.addFrame(frames.subarray(k * side * side, (k + 1) * side * side));
        onProgress((k + 1) / count);
        await yieldToBrowser();
      }
      return gif.finish();
    } finally {
      gif.free();
    }
  }

  /** A worker failed or stopped answering: decode on the main thread from now on, and say so. */
  dropPool() {
    this.onNotice(`Decoding on the main thread: ${this.pool.broken}.`);
    this.pool = null;
  }

  get workers() { return this.pool ? this.pool.workers.length : 0; }

  async loadIndex() {
    const index = await withTimeout((async () => {
      const res = await fetch('pkg/index.json');
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return res.json();
    })(), LIMITS.index, 'Loading it').catch((e) => {
      throw new Error(`The model list (pkg/index.json) could not be loaded: ${errorText(e)}.`);
    });
    if (!index || !Array.isArray(index.models) || index.models.length === 0) {
      throw new Error('The model list (pkg/index.json) names no models.');
    }
    this.judges = index.judges ?? [];
    this.models = index.models.filter((m) => typeof m.name === 'string' && typeof m.file === 'string'
      && Number.isInteger(m.latent_dim) && /^[\w.-]+$/.test(m.file));
    return this.models;
  }

  /** The model a first visit opens: the smallest 2-D model, so the first grid comes quickly.
   * @returns {ModelEntry} */
  defaultModel() {
    // The smallest 2-D VAE: the study's own kind of model, and the least to download. Never a
    // model from disk: the default is what every visitor (and every unusable link) gets.
    const usable = this.models.filter((m) => !this.broken.has(m.name) && !m.local);
    const vae = usable.filter((m) => (m.kind ?? 'gaussian-vae') === 'gaussian-vae');
    const twoD = (vae.length ? vae : usable).filter((m) => m.latent_dim === 2);
    const pool = twoD.length ? twoD : usable;
    return pool.slice().sort((a, b) => (a.bytes ?? Infinity) - (b.bytes ?? Infinity))[0];
  }

  /** Adds a model file from the visitor's disk to the models of this visit. The file is checked
   * by opening it (Rust validates it exactly as the native tools do: a bad file is refused with
   * its problem named); it is named `local-` + the model name its manifest records.
   * @param {Uint8Array} bytes
   * @param {string} prefix  wasm linkLimits().localPrefix
   * @returns {Promise<ModelEntry>} */
  async addLocal(bytes, prefix) {
    const session = await this.wasm.openSession(bytes, 'cpu');
    try {
      const m = session.manifest(), prior = m.architecture.prior;
      /** @type {ModelEntry} */
      const entry = {
        name: `${prefix}${m.name}`, file: `${prefix}${m.name}`, latent_dim: session.latentDim, kind: m.kind,
        conditional: session.conditionClasses, clusters: prior?.kind === 'categorical' ? prior.classes : 0,
        bytes: bytes.length, trained_as: session.regularisation, local: true,
      };
      // The same model opened again replaces the earlier file.
      this.models = [...this.models.filter((e) => e.name !== entry.name), entry];
      this.bytes.set(entry.file, Promise.resolve(bytes));
      this.broken.delete(entry.name);
      if (this.poolModel?.file === entry.file) this.poolModel = null;
      return entry;
    } finally {
      session.free();
    }
  }

  /** The model file's bytes, downloaded once (callers meanwhile share the download).
   * @param {ModelEntry} entry
   * @returns {Promise<Uint8Array>} */
  modelBytes(entry) {
    let bytes = this.bytes.get(entry.file);
    if (!bytes) {
      bytes = withTimeout((async () => {
        const res = await fetch(`pkg/${entry.file}`);
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return new Uint8Array(await res.arrayBuffer());
      })(), LIMITS.model, 'The download').catch((e) => {
        if (this.bytes.get(entry.file) === bytes) this.bytes.delete(entry.file);
        throw new Error(`The model file ${entry.file} could not be loaded: ${errorText(e)}.`);
      });
      this.bytes.set(entry.file, bytes);
    }
    return bytes;
  }

  /** The backend to start on. `asked` ('webgpu' | 'cpu' | null) is an explicit choice (URL or
   * the user's last click); without one, a software-only WebGPU adapter (SwiftShader) loses to
   * the CPU path, which is some forty times faster on the same processor. Why the page starts
   * on the CPU goes to `backendNote`, which the status line shows. A browser without WebGPU is a
   * fact about it, not an event: no notice (a toast on every visit; painted late, it was also
   * the page's largest contentful paint). A notice when WebGPU was asked for, or when asking for
   * an adapter failed (threw, or hung like a wedged driver).
   * @param {'cpu'|'webgpu'|null} asked
   * @returns {Promise<'cpu'|'webgpu'>} */
  async chooseBackend(asked) {
    if (asked === 'cpu') return 'cpu';
    /** @param {string} note @param {boolean} failed */
    const onCpu = (note, failed) => {
      this.backendNote = note;
      if (failed || asked === 'webgpu') this.onNotice(`WebGPU is not available (${this.webgpuBroken}); using the CPU. The WebGPU button tries again.`);
      return /** @type {'cpu'} */ ('cpu');
    };
    if (!navigator.gpu) {
      this.webgpuBroken = 'this browser offers no WebGPU';
      return onCpu('no WebGPU in this browser', false);
    }
    let adapter = null, failed = false;
    try {
      adapter = await withTimeout(navigator.gpu.requestAdapter(), LIMITS.adapter, 'requestAdapter()');
      if (!adapter) this.webgpuBroken = 'the browser offers no WebGPU adapter';
    } catch (e) {
      this.webgpuBroken = errorText(e);
      failed = true;
    }
    if (!adapter) return onCpu(failed ? 'WebGPU failed to start' : 'no WebGPU adapter here', failed);
    if (asked !== 'webgpu' && /** @type {any} */ (adapter.info)?.isFallbackAdapter) {
      return onCpu('WebGPU here is software-only, slower', false);
    }
    return 'webgpu';
  }

  /** Open `entry` on `backend` ('webgpu' | 'cpu'); WebGPU failures fall back to the CPU.
   * Resolves to the session, or null when a newer open overtook this one.
   * @param {ModelEntry} entry
   * @param {string} backend
   * @returns {Promise<Session|null>} */
  async open(entry, backend) {
    // A newer open overtakes this one (a model picked while WebGPU was still starting): the
    // result of the older one is dropped, so the page shows what was asked for last.
    const { current } = ticket(this.job);
    const bytes = await this.modelBytes(entry);
    let session = null;
    if (backend === 'webgpu') {
      if (!navigator.gpu) {
        this.webgpuBroken = 'this browser offers no WebGPU';
      } else {
        try {
          const gpu = await loadWebgpuModule();
          // A session that opens after its time is up is freed, not leaked.
          const opening = gpu.openSession(bytes, 'webgpu');
          try {
            session = await withTimeout(opening, LIMITS.openGpu, 'Starting WebGPU');
          } catch (e) {
            opening.then((late) => late.free(), () => {});
            throw e;
          }
        } catch (e) {
          const why = errorText(e);
          this.webgpuBroken = /no adapters|AdapterUnavailable/.test(why) ? 'the browser offers no WebGPU adapter' : why;
        }
      }
      if (!session) this.onNotice(`WebGPU is not available (${this.webgpuBroken}); using the CPU. The WebGPU button tries again.`);
    }
    if (!session) {
      // The workers open it first (their errors reach the grid's decodes, not this open): they
      // decode the first grid, and with the main thread parsing the same file beside them, three
      // parses on two cores, the grid waited for the slowest (BENCHMARKS.md, the first visit's
      // timeline). The worker calls have their own time limit, so this cannot hang.
      await this.poolOpen(entry).catch(() => {});
      try {
        session = await this.wasm.openSession(bytes, 'cpu');
      } catch (e) {
        // A damaged download is not kept: choosing the model again fetches it again.
        this.bytes.delete(entry.file);
        this.broken.add(entry.name);
        throw e;
      }
    }
    // Opening parsed and validated the file in one go on the main thread; what the page does
    // with the session (project the test codes, redraw every panel) starts a new task, so the
    // two do not add up to one long one.
    await yieldToBrowser();
    if (!current()) {
      session.free();
      return null;
    }
    if (this.session) this.session.free();
    this.session = session;
    this.entry = entry;
    if (this.label >= session.conditionClasses) this.label = 0;
    this.emit();
    return session;
  }

  get backend() { return this.session ? this.session.backend : null; }

  /** @param {(engine: Engine) => void} fn */
  onChange(fn) { this.listeners.add(fn); }
  emit() { for (const fn of this.listeners) fn(this); }

  /** A conditional model's class: codes are decoded with it, images encoded with it.
   * @param {number} c */
  setLabel(c) {
    const k = this.session ? this.session.conditionClasses : 0;
    this.label = Number.isInteger(c) && c >= 0 && c < k ? c : 0;
  }

  /** A conditional model's label vector for class `c`. @param {number} c */
  oneHot(c) {
    return Float32Array.from({ length: this.session.conditionClasses }, (_, j) => (j === c ? 1 : 0));
  }

  /** What the decoder reads for latent rows `z`: a conditional model's label appended (in Rust,
   * `withLabels`); other models' rows as they are. `labels` (optional): one label vector per row,
   * else the current class for all.
   * @param {Float32Array} z
   * @param {Float32Array} [labels]
   * @returns {Float32Array} */
  codes(z, labels) {
    const s = this.session;
    const k = s.conditionClasses;
    if (!k) return z;
    const own = labels ?? this.oneHot(this.label);
    return this.wasm.withLabels(z, s.latentDim, own, k);
  }

  /** Decode latent rows (flat Float32Array) to side*side grey bytes each; `labels` as in codes.
   * @param {Float32Array} z
   * @param {Float32Array} [labels]
   * @returns {Promise<Uint8Array>} */
  decode(z, labels) { return this.withFallback((s) => s.decode(this.codes(z, labels))); }

  /** Decode rows that already carry their labels (rows of `codeDim`, e.g. from everyClass).
   * @param {Float32Array} codes
   * @returns {Promise<Uint8Array>} */
  decodeCodes(codes) { return this.withFallback((s) => s.decode(codes)); }

  /** Encode side*side images (flat, in [0, 1]) to their latent means (a conditional model's
   * with class `label`, else the current class).
   * @param {Float32Array} x
   * @param {number} [label]
   * @returns {Promise<Float32Array>} */
  encode(x, label = this.label) {
    return this.withFallback((s) => {
      const n = x.length / (s.side * s.side);
      return s.encode(x, s.conditionClasses ? new Uint32Array(n).fill(label) : undefined);
    });
  }

  /** Runs `op` on the session; a WebGPU failure (device lost, out of memory) switches to the CPU
   * and retries once there.
   * @template T
   * @param {(s: Session) => Promise<T>} op
   * @returns {Promise<T>} */
  async withFallback(op) {
    const s = this.session;
    try {
      // A WebGPU call that never answers (a hung device) counts as a failure; CPU calls run
      // in wasm on this thread and always end.
      return await (s.backend === 'webgpu' ? withTimeout(op(s), LIMITS.decodeGpu, 'A WebGPU decode') : op(s));
    } catch (e) {
      if (s.backend !== 'webgpu') throw e;
      await this.gpuFailed(e);
      return op(this.session);
    }
  }

  /** @param {unknown} e */
  async gpuFailed(e) {
    if (this.session && this.session.backend === 'webgpu') {
      this.webgpuBroken = errorText(e).split('\n')[0];
      this.onNotice(`WebGPU stopped working (${this.webgpuBroken}); switched to the CPU. The WebGPU button tries again.`);
      await this.open(this.entry, 'cpu');
    }
  }

  /** Test image `index` of `dataset` as { side, pixels } (side*side grey bytes), or null when
   * it cannot be had. Test images come in files of a few hundred (Rust names the file); each is
   * downloaded once, when one of its images is first shown.
   * @param {string} dataset
   * @param {number} index
   * @returns {Promise<{ side: number, pixels: Uint8Array }|null>} */
  async testImage(dataset, index) {
    const { file, position } = this.wasm.testImageFile(dataset, index);
    if (!/^[\w.-]+\/\d+\.idx\.gz$/.test(file)) return null;
    if (!this.imageFiles.has(file)) {
      this.imageFiles.set(file, (async () => {
        const res = await fetch(`pkg/${file}`);
        if (!res.ok) return null;
        const raw = await new Response(res.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer();
        const view = new DataView(raw);
        if (raw.byteLength < 16 || view.getUint32(0) !== 0x803) return null;
        const [n, h, w] = [view.getUint32(4), view.getUint32(8), view.getUint32(12)];
        if (h !== w || raw.byteLength !== 16 + n * h * w) return null;
        return { n, side: w, pixels: new Uint8Array(raw, 16) };
      })().catch(() => null));
    }
    const part = await this.imageFiles.get(file);
    if (!part || position >= part.n) return null;
    const plane = part.side * part.side;
    return { side: part.side, pixels: part.pixels.subarray(position * plane, (position + 1) * plane) };
  }
}
