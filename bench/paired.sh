#!/usr/bin/env bash
# Paired throughput comparison with the Keras/TensorFlow reference on this machine:
# A B A B ... rounds of `latent-atlas bench` and keras_vae.py (2 epochs on 12,800 images, the
# second epoch timed), then medians and their ratio. Usage: bench/paired.sh [ROUNDS] [KERAS_PY]
# Needs a Python with keras + tensorflow-cpu:
#   python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras tensorflow-cpu scikit-learn scipy matplotlib
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
keras_py=${2:-bench/keras_vae.py}
python=${PYTHON:-/tmp/kvenv/bin/python}
out=${OUT:-target/bench}
mkdir -p "$out"
cargo build --release --features ndarray --bin latent-atlas
bin=target/release/latent-atlas
: > "$out/rounds.jsonl"
for r in $(seq 1 "$rounds"); do
  echo "round $r: latent-atlas"
  $bin bench --arch keras --latent-dim 2 --train-batch 128 --decode-batch 256 --seconds 30 | tee -a "$out/rounds.jsonl"
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
ours = [r for r in rows if "train_images_per_s" in r]
ker = [r for r in rows if "keras_train_images_per_s" in r]
med = lambda xs: statistics.median(xs)
t_ours, t_k = med([r["train_images_per_s"] for r in ours]), med([r["keras_train_images_per_s"] for r in ker])
d_ours, d_k = med([r["decode_images_per_s"] for r in ours]), med([r["keras_decode_images_per_s"] for r in ker])
print(f"rounds: {len(ours)}")
print(f"training images/s (batch 128): latent-atlas {t_ours:.0f}  keras {t_k:.0f}  ratio {t_ours / t_k:.2f}")
print(f"decoder images/s (batch 256): latent-atlas {d_ours:.0f}  keras {d_k:.0f}  ratio {d_ours / d_k:.2f}")
print(f"per-round training ratios: {[round(a['train_images_per_s'] / b['keras_train_images_per_s'], 2) for a, b in zip(ours, ker)]}")
PY
