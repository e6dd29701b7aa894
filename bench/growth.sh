#!/usr/bin/env bash
# How training cost grows (issue: "BENCHMARKS.md shows how cost grows"): one epoch of the seed's
# network (`--arch keras`, 2-D, Fashion-MNIST) per setting, run one after another on a quiet
# machine; epoch seconds and images/s from the run's metrics.jsonl (the training loop's own
# timing of the epoch, without the held-out score), peak memory (max RSS) from /usr/bin/time.
#   bench/growth.sh            (builds the CLI with the test suite's flags first)
# Prints two Markdown tables: against batch size (all 60,000 images) and against dataset size
# (batch 128). Single runs: a trend, not a paired comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
SUITE=(--release --features ndarray,wgpu --config 'profile.release.package.burn-ndarray.opt-level=0'
  --config profile.release.debug=false)
cargo build --quiet "${SUITE[@]}" --bin latent-atlas
bin=target/release/latent-atlas
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# One epoch; prints "images_per_s seconds max_rss_MB".
epoch() {
  local batch=$1 limit=$2 dir
  dir=$(mktemp -u -p "$out" run.XXXXXX) # a fresh folder per run: train refuses to overwrite one
  /usr/bin/time -f '%M' -o "$dir.rss" "$bin" train --arch keras --latent-dim 2 --epochs 1 \
    --batch-size "$batch" --train-limit "$limit" --test-limit 1000 --seed 1 --out "$dir" >/dev/null 2>&1
  node -e '
    const fs = require("fs");
    const rec = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse).filter((r) => r.images_per_s)[0];
    const rss = Number(fs.readFileSync(process.argv[2], "utf8").trim().split("\n").pop()) / 1024;
    console.log(`${rec.images_per_s.toFixed(0)} ${rec.seconds.toFixed(1)} ${rss.toFixed(0)}`);
  ' "$dir/metrics.jsonl" "$dir.rss"
}

echo "| batch size | images/s | epoch (60,000 images), s | peak memory, MB |"
echo "| --- | --- | --- | --- |"
for b in 32 64 128 256 512; do
  read -r ips secs rss < <(epoch "$b" 60000)
  echo "| $b | $ips | $secs | $rss |"
done
echo
echo "| training images | images/s | epoch, s | peak memory, MB |"
echo "| --- | --- | --- | --- |"
for n in 7500 15000 30000 60000; do
  read -r ips secs rss < <(epoch 128 "$n")
  echo "| $n | $ips | $secs | $rss |"
done
