#!/usr/bin/env bash
# Paired throughput comparison with the Keras/TensorFlow reference on this machine:
# A B C A B C ... rounds of `latent-atlas bench` on the crate's own convolution kernels (A), on
# burn's layers (`--conv burn`, the path before them: B) and keras_vae.py (2 epochs on 12,800
# images, the second epoch timed: C), then medians and ratios. Usage:
# bench/paired.sh [ROUNDS] [KERAS_PY]
# Needs a Python with keras + tensorflow-cpu:
#   python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras tensorflow-cpu scikit-learn scipy matplotlib
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
keras_py=${2:-bench/keras_vae.py}
python=${PYTHON:-/tmp/kvenv/bin/python}
out=${OUT:-target/bench}
mkdir -p "$out"
# The test suite's build flags (scripts/test.sh), so this reuses its release build.
cargo build --release --features ndarray,wgpu --config 'profile.release.package.burn-ndarray.opt-level=0' \
  --config profile.release.debug=false --bin latent-atlas
bin=target/release/latent-atlas
: > "$out/rounds.jsonl"
for r in $(seq 1 "$rounds"); do
  for conv in own burn; do
    echo "round $r: latent-atlas --conv $conv"
    $bin bench --arch keras --latent-dim 2 --train-batch 128 --decode-batch 256 --seconds 30 --conv $conv \
      | sed "s/^{/{\"conv\":\"$conv\",/" | tee -a "$out/rounds.jsonl"
  done
  echo "round $r: keras"
  KERAS_BACKEND=tensorflow "$python" "$keras_py" --latent-dim 2 --epochs 2 --train-limit 12800 --elbo-samples 1 \
    --out "$out/keras-$r" > "$out/keras-$r.log" 2>&1
  "$python" - "$out/keras-$r/results.json" <<'PY' | tee -a "$out/rounds.jsonl"
import json, sys
r = json.load(open(sys.argv[1]))
print(json.dumps({"keras_train_images_per_s": r["train_throughput"]["steady_img_per_s"],
                  "keras_decode_images_per_s": r["inference"]["decoder_compiled_b256_img_per_s"]}))
PY
done
"$python" - "$out/rounds.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ker = [r for r in rows if "keras_train_images_per_s" in r]
med = lambda xs: statistics.median(xs)
t_k = med([r["keras_train_images_per_s"] for r in ker])
d_k = med([r["keras_decode_images_per_s"] for r in ker])
print(f"rounds: {len(ker)}; keras: training {t_k:.0f} images/s (batch 128), decoder {d_k:.0f} (batch 256)")
for conv in ["own", "burn"]:
    ours = [r for r in rows if r.get("conv") == conv]
    t, d = med([r["train_images_per_s"] for r in ours]), med([r["decode_images_per_s"] for r in ours])
    per_round = ", ".join(f"{o['train_images_per_s'] / k['keras_train_images_per_s']:.2f}" for o, k in zip(ours, ker))
    print(f"--conv {conv}: training {t:.0f} images/s, ratio {t / t_k:.2f} (rounds: {per_round}); "
          f"decoder {d:.0f}, ratio {d / d_k:.2f}")
PY
