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
  }

  async loadIndex() {
    const res = await fetch('pkg/index.json');
    if (!res.ok) throw new Error(`The model list (pkg/index.json) could not be loaded: HTTP ${res.status}.`);
    const index = await res.json();
    if (!index || !Array.isArray(index.models) || index.models.length === 0) {
      throw new Error('The model list (pkg/index.json) names no models.');
    }
    this.models = index.models.filter((m) => typeof m.name === 'string' && typeof m.file === 'string'
      && Number.isInteger(m.latent_dim) && /^[\w.-]+$/.test(m.file));
    return this.models;
  }

  /** The model a first visit opens: the smallest 2-D model, so the first grid comes quickly. */
  defaultModel() {
    const twoD = this.models.filter((m) => m.latent_dim === 2);
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

  webgpuAvailable() {
    return !!navigator.gpu && !this.webgpuBroken;
  }

  /** Open `entry` on `backend` ('webgpu' | 'cpu'); WebGPU failures fall back to the CPU. */
  async open(entry, backend) {
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
    if (this.session) this.session.free();
    this.session = session;
    this.entry = entry;
    this.emit();
    return session;
  }

  get backend() { return this.session ? this.session.backend : null; }

  onChange(fn) { this.listeners.add(fn); }
  emit() { for (const fn of this.listeners) fn(this); }

  /** Decode latent rows (flat Float32Array) to side*side grey bytes each. A WebGPU failure
   * (device lost, out of memory) switches to the CPU and retries once there. */
  async decode(z) {
    const s = this.session;
    try {
      return await s.decode(z);
    } catch (e) {
      if (s.backend !== 'webgpu') throw e;
      await this.gpuFailed(e);
      return this.session.decode(z);
    }
  }

  async encode(x) {
    const s = this.session;
    try {
      return await s.encode(x);
    } catch (e) {
      if (s.backend !== 'webgpu') throw e;
      await this.gpuFailed(e);
      return this.session.encode(x);
    }
  }

  async gpuFailed(e) {
    if (this.session && this.session.backend === 'webgpu') {
      this.webgpuBroken = errorText(e);
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
