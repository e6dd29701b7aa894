#!/usr/bin/env bash
# The README's first command. Until the explorer page lands, it takes a fresh machine to the
# shipped models evaluated: installs what is missing, builds the CLI, evaluates every model file
# in pkg/ on the Fashion-MNIST test set, and writes the metrics and plots under runs/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
# Same feature set as scripts/test.sh, so the two commands share one build.
cargo build --release --features ndarray --bin latent-atlas
for model in pkg/*.safetensors; do
  name=$(basename "$model" .safetensors)
  echo "== $model"
  target/release/latent-atlas eval "$model" --out "runs/eval-$name"
done
echo "Open the PNGs in runs/eval-*/ (latent_scatter, latent_grid, interpolation, samples, reconstructions)."
