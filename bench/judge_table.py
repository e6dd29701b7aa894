#!/usr/bin/env python3
"""Print the README's sample-quality table: every Fashion-MNIST model in pkg/ judged by the same
classifier (pkg/judge/fashion-mnist.safetensors, from `latent-atlas judge`). Runs
`latent-atlas eval FILE --judge ... --json` on each model file (10,000 prior samples against the
10,000 test images; the judge's measures do not depend on --draws, so one draw keeps it quick).

    python3 bench/judge_table.py [path/to/latent-atlas]
"""
import glob, json, os, subprocess, sys

root = os.path.join(os.path.dirname(__file__), "..")
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "target", "release", "latent-atlas")
judge = os.path.join(root, "pkg", "judge", "fashion-mnist.safetensors")

rows = []
for path in sorted(glob.glob(os.path.join(root, "pkg", "*.json"))):
    if path.endswith("index.json"):
        continue
    m = json.load(open(path))["manifest"]
    if m["dataset"]["name"] != "fashion-mnist":
        continue
    model = path[: -len(".json")] + ".safetensors"
    out = subprocess.run(
        [binary, "eval", model, "--judge", judge, "--json", "--no-plots", "--draws", "1",
         "--out", os.path.join("/tmp", "judge-table-" + m["name"])],
        check=True, capture_output=True, text=True,
    ).stdout
    j = json.loads(out)["judge"]
    a = m["architecture"]
    kind = {"gaussian-vae": "conditional VAE" if a.get("conditional") else "VAE", "aae": "AAE"}[m["kind"]]
    if m["training"].get("binarize"):
        kind += " (binarized)"
    cond = j.get("conditional_accuracy")
    per = j.get("conditional_per_class")
    shares = j["sample_classes"]
    rows.append(
        f"| `{m['name']}` | {kind} | {a['latent_dim']} | **{j['frechet']:.2f}** | {j['recon_accuracy']:.3f} | "
        f"{min(shares):.3f} / {max(shares):.3f} | "
        + (f"{cond:.3f} ({min(per):.3f})" if cond is not None else "—")
        + " |"
    )
print(f"judge test accuracy: {j['judge_test_accuracy']:.4f}; {j['samples']} samples per model")
print()
print("| model | kind | latent | Fréchet distance (judge features) | judge acc. on reconstructions | samples per judged class: least / most | conditional acc. (weakest class) |")
print("| --- | --- | --- | --- | --- | --- | --- |")
print("\n".join(rows))
