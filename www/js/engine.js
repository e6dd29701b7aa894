// The compute side of the page: the model index, model files, one wasm Session on WebGPU or the
// CPU, and the fallback from WebGPU to the CPU when the GPU fails to start or breaks later.

/** Resolves with the wasm-bindgen module once trunk's loader has initialised it. */
export function wasmReady() {
  if (window.wasmBindings) return Promise.resolve(window.wasmBindings);
  return new Promise((resolve) => {
    addEventListener('TrunkApplicationStarted', () => resolve(window.wasmBindings), { once: true });
  });
}

/** Lets the browser paint and handle input between chunks of heavy work. */
export function yieldToBrowser() {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(0);
  });
}

function errorText(e) {
  return (e && e.message) ? e.message : String(e);
}

/** Decode workers for the CPU path (one per core, at most four); see worker.js. */
class WorkerPool {
  constructor(size) {
    this.workers = Array.from({ length: size }, () => new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }));
    this.pending = new Map();
    this.nextId = 1;
    for (const w of this.workers) {
      w.onmessage = ({ data }) => {
        const p = this.pending.get(data.id);
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

  call(worker, msg) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      worker.postMessage({ ...msg, id });
    });
  }

  all(msg) { return Promise.all(this.workers.map((w) => this.call(w, msg))); }

  /** Splits `z` (rows of `dim`) across the workers; resolves to the concatenated images. */
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

export class Engine {
  constructor(wasm, onNotice) {
    this.wasm = wasm;
    this.onNotice = onNotice;
    this.models = [];
    this.bytes = new Map();
    this.session = null;
    this.entry = null;
    this.webgpuBroken = null; // why WebGPU is unusable in this page, once known
    this.listeners = new Set();
    this.label = 0; // a conditional model's class: what codes are decoded and encoded as
  }

  /** Starts the CPU decode workers; without them the CPU path decodes on the main thread, in
   * chunks. Needs the wasm module's URLs, which trunk's preload links name. */
  async startWorkers() {
    try {
      const glue = document.querySelector('link[rel=modulepreload][href$=".js"]');
      const bin = document.querySelector('link[rel=preload][href$=".wasm"]');
      if (!glue || !bin || typeof Worker !== 'function') return;
      const module = await WebAssembly.compileStreaming(fetch(bin.href));
      const size = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 2));
      const pool = new WorkerPool(size);
      const init = pool.all({ op: 'init', glue: new URL(glue.href, location.href).href, module });
      await Promise.race([init, new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 20_000))]);
      this.pool = pool;
      this.poolModel = null;
    } catch (e) {
      console.warn('decode workers unavailable; decoding on the main thread', e);
      this.pool = null;
    }
  }

  /** Grid batches: on the CPU, spread over the workers (when they hold the current model). */
  async decodeMany(z) {
    if (this.pool && this.pool.broken) {
      this.onNotice(`Decoding on the main thread: ${this.pool.broken}.`);
      this.pool = null;
    }
    if (this.pool && this.session.backend === 'cpu') {
      const entry = this.entry;
      if (this.poolModel !== entry.file) {
        await this.pool.all({ op: 'open', bytes: await this.modelBytes(entry) });
        this.poolModel = entry.file;
      }
      if (this.entry === entry) {
        const side = this.session.side;
        return this.pool.decode(this.codes(z), this.session.codeDim, side * side);
      }
    }
    return this.decode(z);
  }

  get workers() { return this.pool ? this.pool.workers.length : 0; }

  async loadIndex() {
    const res = await fetch('pkg/index.json');
    if (!res.ok) throw new Error(`The model list (pkg/index.json) could not be loaded: HTTP ${res.status}.`);
    const index = await res.json();
    if (!index || !Array.isArray(index.models) || index.models.length === 0) {
      throw new Error('The model list (pkg/index.json) names no models.');
    }
    this.judges = index.judges ?? [];
    this.models = index.models.filter((m) => typeof m.name === 'string' && typeof m.file === 'string'
      && Number.isInteger(m.latent_dim) && /^[\w.-]+$/.test(m.file));
    return this.models;
  }

  /** The model a first visit opens: the smallest 2-D model, so the first grid comes quickly. */
  defaultModel() {
    // The smallest 2-D VAE: the study's own kind of model, and the least to download.
    const vae = this.models.filter((m) => (m.kind ?? 'gaussian-vae') === 'gaussian-vae');
    const twoD = (vae.length ? vae : this.models).filter((m) => m.latent_dim === 2);
    const pool = twoD.length ? twoD : this.models;
    return pool.slice().sort((a, b) => (a.bytes ?? Infinity) - (b.bytes ?? Infinity))[0];
  }

  async modelBytes(entry) {
    if (!this.bytes.has(entry.file)) {
      const res = await fetch(`pkg/${entry.file}`);
      if (!res.ok) throw new Error(`The model file ${entry.file} could not be loaded: HTTP ${res.status}.`);
      this.bytes.set(entry.file, new Uint8Array(await res.arrayBuffer()));
    }
    return this.bytes.get(entry.file);
  }

  /** The backend to start on. `asked` ('webgpu' | 'cpu' | null) is an explicit choice (URL or
   * the user's last click); without one, a software-only WebGPU adapter (SwiftShader) loses to
   * the CPU path, which is some forty times faster on the same processor. */
  async chooseBackend(asked) {
    if (asked === 'cpu') return 'cpu';
    if (!navigator.gpu) {
      this.webgpuBroken = 'this browser offers no WebGPU';
      this.onNotice(`WebGPU is not available (${this.webgpuBroken}); using the CPU.`);
      return 'cpu';
    }
    let adapter = null;
    try { adapter = await navigator.gpu.requestAdapter(); } catch { adapter = null; }
    if (!adapter) {
      this.webgpuBroken = 'the browser offers no WebGPU adapter';
      this.onNotice(`WebGPU is not available (${this.webgpuBroken}); using the CPU.`);
      return 'cpu';
    }
    if (asked !== 'webgpu' && adapter.info && adapter.info.isFallbackAdapter) {
      this.onNotice('The only WebGPU adapter here is a software renderer, slower than the CPU path; using the CPU. The WebGPU button switches anyway.');
      return 'cpu';
    }
    return 'webgpu';
  }

  /** Open `entry` on `backend` ('webgpu' | 'cpu'); WebGPU failures fall back to the CPU. */
  async open(entry, backend) {
    // A newer open overtakes this one (a model picked while WebGPU was still starting): the
    // result of the older one is dropped, so the page shows what was asked for last.
    const ticket = this.opens = (this.opens ?? 0) + 1;
    const bytes = await this.modelBytes(entry);
    let session = null;
    if (backend === 'webgpu') {
      if (!navigator.gpu) {
        this.webgpuBroken = 'this browser offers no WebGPU';
      } else {
        try {
          session = await this.wasm.openSession(bytes, 'webgpu');
        } catch (e) {
          const why = errorText(e);
          this.webgpuBroken = /no adapters|AdapterUnavailable/.test(why) ? 'the browser offers no WebGPU adapter' : why;
        }
      }
      if (!session) this.onNotice(`WebGPU is not available (${this.webgpuBroken}); using the CPU.`);
    }
    if (!session) session = await this.wasm.openSession(bytes, 'cpu');
    if (ticket !== this.opens) {
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

  onChange(fn) { this.listeners.add(fn); }
  emit() { for (const fn of this.listeners) fn(this); }

  /** A conditional model's class: codes are decoded with it, images encoded with it. */
  setLabel(c) {
    const k = this.session ? this.session.conditionClasses : 0;
    this.label = Number.isInteger(c) && c >= 0 && c < k ? c : 0;
  }

  /** A conditional model's label vector for class `c`. */
  oneHot(c) {
    return Float32Array.from({ length: this.session.conditionClasses }, (_, j) => (j === c ? 1 : 0));
  }

  /** What the decoder reads for latent rows `z`: a conditional model's label appended (in Rust,
   * `withLabels`); other models' rows as they are. `labels` (optional): one label vector per row,
   * else the current class for all. */
  codes(z, labels) {
    const s = this.session;
    const k = s.conditionClasses;
    if (!k) return z;
    const own = labels ?? this.oneHot(this.label);
    return this.wasm.withLabels(z, s.latentDim, own, k);
  }

  /** Decode latent rows (flat Float32Array) to side*side grey bytes each; `labels` as in codes. */
  decode(z, labels) { return this.withFallback((s) => s.decode(this.codes(z, labels))); }

  /** Decode rows that already carry their labels (rows of `codeDim`, e.g. from everyClass). */
  decodeCodes(codes) { return this.withFallback((s) => s.decode(codes)); }

  /** Encode side*side images (flat, in [0, 1]) to their latent means (a conditional model's
   * with class `label`, else the current class). */
  encode(x, label = this.label) {
    return this.withFallback((s) => {
      const n = x.length / (s.side * s.side);
      return s.encode(x, s.conditionClasses ? new Uint32Array(n).fill(label) : undefined);
    });
  }

  /** Runs `op` on the session; a WebGPU failure (device lost, out of memory) switches to the CPU
   * and retries once there. */
  async withFallback(op) {
    const s = this.session;
    try {
      return await op(s);
    } catch (e) {
      if (s.backend !== 'webgpu') throw e;
      await this.gpuFailed(e);
      return op(this.session);
    }
  }

  async gpuFailed(e) {
    if (this.session && this.session.backend === 'webgpu') {
      this.webgpuBroken = errorText(e).split('\n')[0];
      this.onNotice(`WebGPU stopped working (${this.webgpuBroken}); switched to the CPU.`);
      await this.open(this.entry, 'cpu');
    }
  }

  /** The dataset's test images (lazy; shared by every model of the dataset), or null. */
  async testImages(dataset) {
    this.images ??= new Map();
    if (!this.images.has(dataset)) {
      this.images.set(dataset, (async () => {
        const res = await fetch(`pkg/${dataset}-test-images.idx.gz`);
        if (!res.ok) return null;
        const raw = await new Response(res.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer();
        const view = new DataView(raw);
        if (view.getUint32(0) !== 0x803) return null;
        const [n, h, w] = [view.getUint32(4), view.getUint32(8), view.getUint32(12)];
        if (raw.byteLength !== 16 + n * h * w) return null;
        return { n, side: w, pixels: new Uint8Array(raw, 16) };
      })().catch(() => null));
    }
    return this.images.get(dataset);
  }
}
