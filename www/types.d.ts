// Types of what the page gets from its wasm module (src/web: the functions and the Session that
// wasm-bindgen exports) and from pkg/index.json, for `tsc --noEmit` over www/js (no code here).

export interface Plane { origin: number[]; u: number[]; v: number[] }

export interface Manifest {
  name: string;
  kind: string;
  dataset: { name: string; class_names: string[] };
  architecture: {
    latent_dim: number; content_dim?: number | null; conditional?: number | null;
    prior?: { kind: string; classes?: number } | null;
  };
  preprocessing: { fit?: number | null };
  metrics?: Record<string, any>;
  training: { epochs: number; batch_size: number; command: string };
}

/** One model opened on one backend (src/web/session.rs). */
export interface Session {
  readonly backend: 'cpu' | 'webgpu';
  readonly latentDim: number;
  readonly codeDim: number;
  readonly conditionClasses: number;
  readonly side: number;
  readonly priorExtent: number;
  readonly regularisation: string;
  manifest(): Manifest;
  samplePrior(n: number, seed: number): Float32Array;
  clusterPlane(cluster: number): Plane;
  testMeans(): Float32Array;
  testCategories(): Uint8Array;
  /** What each category of a categorical code holds among the test images (label, count). */
  clusterMakeup(): ClusterMakeup[];
  testLabels(): Uint8Array;
  decode(z: Float32Array): Promise<Uint8Array>;
  encode(x: Float32Array, labels?: Uint32Array): Promise<Float32Array>;
  free(): void;
}

export interface ClusterMakeup { size: number; top: [number, number] | null }

export interface JudgeSession { classify(x: Float32Array): Promise<Float32Array> }

/** A share link's fields (src/link's ShareState). */
export interface LinkState {
  model: string; center: [number, number]; zoom: number;
  a: number[] | null; b: number[] | null; steps: number; mode: 'linear' | 'spherical';
  part: string; mix: number; cluster: number; label: number;
  label_a: number | null; label_b: number | null;
  plane: 'pca' | 'axes'; axes: [number, number]; anchor: number[] | null;
  direction: [number, number] | null; along_ends: boolean; set_means: [number[], number[]] | null; shift: number;
  compare: { model: string; sync: boolean; center: [number, number]; zoom: number } | null;
  image_a: number | null; image_b: number | null;
}

export interface KnownModel { name: string; latent_dim: number; clusters: number; conditional: number }

export interface LinkLimits {
  maxCoord: number; maxCentre: number; maxMix: number; steps: [number, number]; zoom: [number, number];
  /** How a link names a model opened from disk: this prefix and the file's model name. */
  localPrefix: string;
  /** How far latent arithmetic moves a point, in whole directions. */
  maxShift: number;
}

/** The wasm-bindgen module (src/web). */
export interface Wasm {
  openSession(bytes: Uint8Array, backend: string): Promise<Session>;
  openJudge(bytes: Uint8Array): JudgeSession;
  decodeLink(fragment: string, models: KnownModel[]): { state: LinkState; problems: string[]; awaits_local: boolean };
  encodeLink(state: LinkState): string;
  linkLimits(): LinkLimits;
  warmKernels(): void;
  pcaPlane(means: Float32Array, dim: number): { mean: Float32Array; u: Float32Array; v: Float32Array; variances: number[] };
  interpolate(a: Float32Array, b: Float32Array, steps: number, spherical: boolean): Float32Array;
  interpolatePart(a: Float32Array, b: Float32Array, steps: number, spherical: boolean, from: number, to: number): Float32Array;
  mixCodes(contents: Float32Array, styles: Float32Array, dim: number, contentDim: number): Float32Array;
  withLabels(z: Float32Array, dim: number, labels: Float32Array, classes: number): Float32Array;
  everyClass(z: Float32Array, dim: number, classes: number): Float32Array;
  classBlend(from: number, to: number, steps: number, classes: number): Float32Array;
  checkUploadHeader(bytes: Uint8Array): Uint32Array;
  prepareImage(rgba: Uint8Array, width: number, height: number, side: number, fit: number): Float32Array;
  testImageFile(dataset: string, index: number): { file: string; position: number };
  wasmMemory(): WebAssembly.Memory;
  classMeans(means: Float32Array, labels: Uint8Array, dim: number): { means: number[]; counts: number[] };
  movePoint(z: Float32Array, from: Float32Array, to: Float32Array, t: number): Float32Array;
  centroid(points: Float32Array, dim: number): Float32Array;
  /** An animated GIF written frame by frame (src/explorer/animation.rs). */
  GifExport: new (side: number, scale: number, delayMs: number, comment: string) => {
    addFrame(grey: Uint8Array): void; finish(): Uint8Array; free(): void;
  };
  default(init: { module_or_path: string | URL | WebAssembly.Module }): Promise<{ memory: WebAssembly.Memory }>;
}

/** An entry of pkg/index.json's model list. */
export interface ModelEntry {
  name: string; file: string; latent_dim: number; kind?: string; conditional?: number;
  clusters?: number; bytes?: number; trained_as?: string;
  /** Opened from a file on this computer (its bytes are in the engine, never uploaded). */
  local?: boolean;
}

export interface JudgeEntry { file: string; dataset: string; class_names: string[] }

declare global {
  /** The CPU engine boot.js chose (the relaxed-SIMD build or the baseline one), its URLs and
   * its compilation, started before the page's other scripts load. */
  var atlasEngine: { name: string, glue: string, bin: string, compiled: Promise<WebAssembly.Module> } | undefined;
  /** The hooks of js/hooks.js (the tests and benchmarks drive the page through them). */
  interface Window { atlas: any }
  /** WebGPU, as far as the page asks for it (the DOM library does not declare it yet). */
  interface Navigator {
    gpu?: { requestAdapter(): Promise<{ info?: { isFallbackAdapter?: boolean } } | null> };
  }
}

/** The page's parts, made once in app.js and handed to each panel's wiring. */
export interface Page {
  wasm: Wasm;
  engine: import('./js/engine.js').Engine;
  store: import('./js/store.js').Store;
  map: import('./js/map.js').LatentMap;
  planes: import('./js/planes.js').Planes;
  classes: import('./js/conditional.js').ClassControls;
  mixGrid: import('./js/mix.js').MixingGrid;
  hover: import('./js/panels.js').HoverCard;
  pad: import('./js/pad.js').DrawingPad;
  compare: import('./js/compare.js').Comparison;
}
