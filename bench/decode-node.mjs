// One thread's decoding speed of the page's CPU module, in node, for paired A/B runs of builds:
//   node --experimental-wasm-relaxed-simd bench/decode-node.mjs DIST_A DIST_B [DIST_C…]
// Each `dist/` (from `trunk build`) gets its own instance of its `latent-atlas-cpu` module and a
// session of the same model (MODEL, default pkg/fmnist-2d.safetensors); then, ROUNDS times, each
// in turn decodes a batch of N codes REPS times (median per round). Prints images/s per round and
// the last build's ratio to the first per round. (node 20 needs the flag for relaxed SIMD.)

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const model = fs.readFileSync(process.env.MODEL ?? path.join(ROOT, 'pkg/fmnist-2d.safetensors'));
const dists = process.argv.slice(2);
if (!dists.length) throw new Error('usage: decode-node.mjs DIST_A [DIST_B …]');
const N = Number(process.env.N ?? 110), REPS = Number(process.env.REPS ?? 15), ROUNDS = Number(process.env.ROUNDS ?? 5);
const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];

const sessions = [];
for (const d of dists) {
  // The query makes each build's glue a module of its own (its own wasm instance).
  const glue = await import(`${pathToFileURL(path.resolve(d, 'latent-atlas-cpu.js')).href}?${sessions.length}`);
  glue.initSync({ module: fs.readFileSync(path.resolve(d, 'latent-atlas-cpu_bg.wasm')) });
  sessions.push(await glue.openSession(model, 'cpu'));
}
// A 2-D model's codes; a wider model reads the same values as more coordinates.
const dim = sessions[0].codeDim ?? 2;
const z = new Float32Array(N * dim).map((_, i) => Math.sin(i * 0.37) * 2);
// Warm-up: V8 optimises the kernels after they have run a while.
for (const s of sessions) for (let i = 0; i < 5; i++) await s.decode(z);
const rates = dists.map(() => []);
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < dists.length; k++) {
    const times = [];
    for (let i = 0; i < REPS; i++) {
      const t = performance.now();
      await sessions[k].decode(z);
      times.push(performance.now() - t);
    }
    rates[k].push(N / (median(times) / 1000));
  }
}
dists.forEach((d, k) => console.log(`${d}: ${rates[k].map((v) => v.toFixed(0)).join(' ')} images/s, median ${median(rates[k]).toFixed(0)}`));
const ratios = rates[0].map((a, r) => rates[dists.length - 1][r] / a);
console.log(`ratio last/first per round: ${ratios.map((v) => v.toFixed(3)).join(' ')}, median ${median(ratios).toFixed(3)}`);
