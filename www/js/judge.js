// @ts-check
// The judge on the page: the small classifier the project trains to evaluate its models
// (`latent-atlas judge`), here guessing what an upload shows so a conditional model can encode
// it without being told. Its file is fetched the first time a guess is asked for.

/** The judges index.json lists, checked: a file under judge/, a dataset and class names. */
function usable(j) {
  return j && typeof j.file === 'string' && /^judge\/[\w.-]+$/.test(j.file)
    && typeof j.dataset === 'string' && Array.isArray(j.class_names);
}

export class JudgeGuess {
  constructor(wasm) {
    this.wasm = wasm;
    this.entries = [];
    this.sessions = new Map();
  }

  setIndex(judges) { this.entries = Array.isArray(judges) ? judges.filter(usable) : []; }

  /** The judge for a dataset with these class names, if one ships. */
  entryFor(dataset, classNames) {
    return this.entries.find((j) => j.dataset === dataset
      && j.class_names.length === classNames.length && j.class_names.every((n, i) => n === classNames[i]));
  }

  async session(entry) {
    if (!this.sessions.has(entry.file)) {
      this.sessions.set(entry.file, (async () => {
        const res = await fetch(`pkg/${entry.file}`);
        if (!res.ok) throw new Error(`The judge file could not be loaded: HTTP ${res.status}.`);
        return this.wasm.openJudge(new Uint8Array(await res.arrayBuffer()));
      })());
      // A failed load may be retried by the next guess.
      this.sessions.get(entry.file).catch(() => this.sessions.delete(entry.file));
    }
    return this.sessions.get(entry.file);
  }

  /** The judge's class for one image `x` (side*side values in [0, 1]): { label, p }. */
  async guess(dataset, classNames, x) {
    const entry = this.entryFor(dataset, classNames);
    if (!entry) throw new Error('No judge for this model\'s classes ships with the page.');
    const probs = await (await this.session(entry)).classify(x);
    let label = 0;
    for (let c = 1; c < probs.length; c++) if (probs[c] > probs[label]) label = c;
    return { label, p: probs[label] };
  }
}
