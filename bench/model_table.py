#!/usr/bin/env python3
"""Print the README's table of shipped models from pkg/*.json (the sidecars `latent-atlas export`
writes), next to the Keras reference measured with the same data, epochs and batch size."""
import glob, json, os

REFERENCE = {2: (265.6, 258.4, 6.4, 0.553), 16: (254.8, 243.9, 8.7, 0.521)}


def manifests(kind):
    """The manifests of pkg/'s models of one kind, by file name."""
    for path in sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "pkg", "*.json"))):
        if not path.endswith("index.json"):
            m = json.load(open(path))["manifest"]
            if m["kind"] == kind:
                yield m


rows = []
# The content-style model has its own table (README, "Omniglot").
for m in manifests("gaussian-vae"):
    if m["architecture"].get("conditional") or m["training"].get("binarize"):
        continue  # other measures (log p(x|y); binarized data): README, "Conditional VAE"
    x, d = m["metrics"], m["architecture"]["latent_dim"]
    ref = REFERENCE.get(d)
    rows.append(
        f"| `pkg/{m['name']}.safetensors` | {d} | **{x['nelbo']:.1f}** ({ref[0] if ref else '-'}) | "
        f"{x['recon_bce']:.1f} ({ref[1] if ref else '-'}) | {x['kl']:.1f} ({ref[2] if ref else '-'}) | "
        f"{-x['iwae_ll']:.1f} | {x['active_units']}/{d} | {x['kmeans_acc']:.3f} ({ref[3] if ref else '-'}) | {x['nmi']:.3f} |"
    )
print("| model file | latent | test NELBO | recon BCE (z = mean) | KL | IWAE NLL (k=16) | active units | k-means acc | NMI |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
print("\n".join(rows))

# Adversarial autoencoders: no ELBO (deterministic codes); reconstruction, prior match, clusters.
aae = []
for m in manifests("aae"):
    x, p = m["metrics"], m["architecture"]["prior"]
    prior = {"gaussian": "N(0, I)", "mixture": f"mixture of {p.get('components')}", "categorical": f"{p.get('classes')} categories + style"}[p["kind"]]
    cat = (f"{x['cluster_acc']:.3f} / {x['cluster_majority_acc']:.3f}" if x.get("cluster_acc") is not None else "—")
    aae.append(
        f"| `pkg/{m['name']}.safetensors` | {m['architecture']['latent_dim']} | {prior} | {x['recon_bce']:.1f} | "
        f"{x['mmd_prior']:.4f} ({x['mmd_noise']:.5f}) | {x['kmeans_acc']:.3f} | {x['nmi']:.3f} | {cat} |"
    )
if aae:
    print()
    print("| model file | latent | prior | recon BCE | MMD² to prior (noise) | k-means acc | NMI | category acc (Hungarian / majority) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(aae))
