//! Evaluation of a content/style model on Omniglot's evaluation alphabets (never seen in
//! training): one-shot classification, clustering of content and of style, divergences of each
//! part's aggregate posterior from the prior, the swap test, likelihood, and the figures.

pub mod plots;

use crate::data::ImageSet;
use crate::data::omniglot::{Omniglot, OneShotRun, SIDE, downsample};
use crate::eval::cluster::{kmeans, matched_accuracy, nmi};
use crate::eval::metrics::{Encodings, encode_and_score, mean};
use crate::eval::oneshot;
use crate::model::Vae;
use crate::objective::{MmdKernel, mmd2_unbiased_host};
use crate::rng::Rng;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// Stable keys of `latent-atlas eval --json` for a content/style model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitMetrics {
    /// 20-way one-shot error over the official 20 runs, nearest neighbour on content means.
    pub oneshot_error: f64,
    /// k-means on content means per evaluation alphabet (k = its characters), Hungarian-matched
    /// accuracy against characters, averaged over alphabets; NMI likewise.
    pub content_cluster_acc: f64,
    pub content_nmi: f64,
    /// The same on style means: near `chance_cluster_acc` when style ignores the character.
    pub style_cluster_acc: f64,
    pub style_nmi: f64,
    /// Matched accuracy of a uniformly random assignment to k clusters, same alphabets.
    pub chance_cluster_acc: f64,
    /// KL(N(m, S) || N(0, I)) for the Gaussian with the aggregate posterior's mean and
    /// covariance (per part): how far the whole code distribution is from the prior.
    pub kl_content: f64,
    pub kl_style: f64,
    /// Mean per-drawing KL(q(z|x) || N(0, I)) per part: the ELBO's KL term (the seed's "KL").
    pub kl_content_elbo: f64,
    pub kl_style_elbo: f64,
    /// Unbiased MMD² (IMQ, bandwidth 2·dim) between one posterior sample per drawing (up to
    /// 2,000) and as many prior draws; `mmd_noise` is the same estimate between two prior samples.
    pub mmd_content: f64,
    pub mmd_style: f64,
    pub mmd_noise: f64,
    /// Negative ELBO per drawing (recon with sampled z + both KLs), nats; reconstruction BCE at
    /// the posterior mean; importance-weighted log-likelihood bound.
    pub nelbo: f64,
    pub recon_bce: f64,
    pub iwae_ll: f64,
    pub draws: usize,
    /// Swap test on pairs of different characters of one alphabet: decode (content of a, style
    /// of b), re-encode, classify by the nearest character prototype in content space.
    /// `swap_content_acc`: share classified as a; `swap_style_acc`: share classified as b.
    pub swap_content_acc: f64,
    pub swap_style_acc: f64,
    /// The same classifier on plain reconstructions (content and style of a): its ceiling.
    pub recon_content_acc: f64,
    pub content_dim: usize,
    pub style_dim: usize,
    pub test_examples: usize,
    pub alphabets: usize,
    pub seed: u64,
}

pub struct SplitEval {
    pub metrics: SplitMetrics,
    pub enc: Encodings,
    pub images: ImageSet,
}

/// The evaluation split as an image set labelled by alphabet (what model files store).
pub fn image_set(data: &Omniglot) -> ImageSet {
    ImageSet {
        side: SIDE,
        pixels: data.pixels.clone(),
        labels: data.alphabet.iter().map(|&a| a as u8).collect(),
    }
}

/// Posterior means of float images (`n * side²` in [0, 1]).
pub fn encode_means(model: &Vae, pixels: &[f32], device: &Device) -> Vec<f32> {
    let per = SIDE * SIDE;
    let mut out = Vec::with_capacity(pixels.len() / per * model.encoder.latent_dim());
    for chunk in pixels.chunks(500 * per) {
        let n = chunk.len() / per;
        let x = Tensor::<4>::from_data(TensorData::new(chunk.to_vec(), [n, 1, SIDE, SIDE]), device);
        out.extend(
            model
                .encoder
                .forward(x)
                .mean
                .into_data()
                .try_into_vec::<f32>()
                .expect("f32"),
        );
    }
    out
}

fn decode_floats(model: &Vae, z: &[f32], dim: usize, device: &Device) -> Vec<f32> {
    let mut out = Vec::new();
    for chunk in z.chunks(500 * dim) {
        let t = Tensor::<2>::from_data(
            TensorData::new(chunk.to_vec(), [chunk.len() / dim, dim]),
            device,
        );
        out.extend(
            model
                .decoder
                .forward(t)
                .into_data()
                .try_into_vec::<f32>()
                .expect("f32"),
        );
    }
    out
}

/// Rows `[from, to)` of each `dim`-wide row: one part of the codes.
pub fn columns(rows: &[f32], dim: usize, from: usize, to: usize) -> Vec<f32> {
    rows.chunks_exact(dim)
        .flat_map(|r| r[from..to].iter().copied())
        .collect()
}

fn sq_dist(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (*x as f64 - *y as f64).powi(2))
        .sum()
}

/// KL(N(m, S) || N(0, I)) = (tr S + |m|² - d - ln det S) / 2, for the aggregate posterior's
/// moments: m the mean of the means, S = Cov(means) + mean posterior variance (diagonal).
pub fn aggregate_kl(means: &[f32], log_vars: &[f32], dim: usize) -> f64 {
    let n = (means.len() / dim) as f64;
    let m: Vec<f64> = (0..dim)
        .map(|j| {
            means
                .iter()
                .skip(j)
                .step_by(dim)
                .map(|&v| v as f64)
                .sum::<f64>()
                / n
        })
        .collect();
    let mut s = vec![0.0f64; dim * dim];
    for row in means.chunks_exact(dim) {
        for a in 0..dim {
            for b in 0..dim {
                s[a * dim + b] += (row[a] as f64 - m[a]) * (row[b] as f64 - m[b]) / n;
            }
        }
    }
    for j in 0..dim {
        s[j * dim + j] += log_vars
            .iter()
            .skip(j)
            .step_by(dim)
            .map(|&v| (v as f64).exp())
            .sum::<f64>()
            / n;
    }
    let trace: f64 = (0..dim).map(|j| s[j * dim + j]).sum();
    let mm: f64 = m.iter().map(|v| v * v).sum();
    0.5 * (trace + mm - dim as f64 - log_det(&s, dim))
}

/// ln det of a symmetric positive definite matrix by Cholesky.
fn log_det(a: &[f64], n: usize) -> f64 {
    let mut l = vec![0.0f64; n * n];
    let mut total = 0.0;
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = a[i * n + j] - (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum::<f64>();
            if i == j {
                let d = s.max(1e-300).sqrt();
                l[i * n + i] = d;
                total += 2.0 * d.ln();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    total
}

/// Indices of each alphabet's drawings, and each drawing's character index within its alphabet.
fn by_alphabet(data: &Omniglot) -> Vec<(Vec<usize>, Vec<usize>)> {
    (0..data.alphabets.len())
        .map(|a| {
            let idx: Vec<usize> = (0..data.len())
                .filter(|&i| data.alphabet[i] as usize == a)
                .collect();
            let mut chars: Vec<u16> = idx.iter().map(|&i| data.character[i]).collect();
            chars.sort_unstable();
            chars.dedup();
            let local = idx
                .iter()
                .map(|&i| chars.binary_search(&data.character[i]).expect("present"))
                .collect();
            (idx, local)
        })
        .filter(|(idx, _)| !idx.is_empty())
        .collect()
}

/// Average over alphabets of (matched accuracy, NMI) of k-means on `codes` (`dim` wide).
fn cluster_by_alphabet(
    groups: &[(Vec<usize>, Vec<usize>)],
    codes: &[f32],
    dim: usize,
    restarts: usize,
    seed: u64,
) -> (f64, f64) {
    let scores: Vec<(f64, f64)> = groups
        .iter()
        .map(|(idx, labels)| {
            let k = labels.iter().max().map_or(1, |m| m + 1);
            let sub: Vec<f32> = idx
                .iter()
                .flat_map(|&i| codes[i * dim..(i + 1) * dim].iter().copied())
                .collect();
            let clusters = kmeans(&sub, dim, k, restarts, seed);
            (matched_accuracy(&clusters, labels), nmi(&clusters, labels))
        })
        .collect();
    (
        mean(&scores.iter().map(|s| s.0).collect::<Vec<_>>()),
        mean(&scores.iter().map(|s| s.1).collect::<Vec<_>>()),
    )
}

/// Content-space nearest-prototype classifier: each character's prototype is the mean content
/// code of its drawings. Returns the predicted character (within `chars`) of each query.
pub fn nearest_prototype(prototypes: &[Vec<f32>], queries: &[f32], dim: usize) -> Vec<usize> {
    queries
        .chunks_exact(dim)
        .map(|q| {
            (0..prototypes.len())
                .min_by(|&a, &b| sq_dist(q, &prototypes[a]).total_cmp(&sq_dist(q, &prototypes[b])))
                .expect("at least one prototype")
        })
        .collect()
}

/// One-shot 20-way error: every run drawing reduced like the dataset, encoded, compared by
/// squared Euclidean distance between content means.
pub fn oneshot_error(model: &Vae, runs: &[OneShotRun], content_dim: usize, device: &Device) -> f64 {
    let dim = model.encoder.latent_dim();
    let codes: Vec<(Vec<f32>, Vec<f32>)> = runs
        .iter()
        .map(|run| {
            let enc = |set: &[Vec<bool>]| {
                let px: Vec<f32> = set
                    .iter()
                    .flat_map(|ink| downsample(ink))
                    .map(|p| p as f32 / 255.0)
                    .collect();
                columns(&encode_means(model, &px, device), dim, 0, content_dim)
            };
            (enc(&run.training), enc(&run.test))
        })
        .collect();
    let c = content_dim;
    oneshot::error_rate(runs, |r, i, j| {
        sq_dist(
            &codes[r].1[i * c..(i + 1) * c],
            &codes[r].0[j * c..(j + 1) * c],
        )
    })
}

/// The swap test (see `SplitMetrics`): (share recognised as content donor, as style donor,
/// reconstructions recognised as themselves).
pub fn swap_test(
    model: &Vae,
    data: &Omniglot,
    means: &[f32],
    content_dim: usize,
    pairs_per_alphabet: usize,
    seed: u64,
    device: &Device,
) -> (f64, f64, f64) {
    let dim = model.encoder.latent_dim();
    let content = columns(means, dim, 0, content_dim);
    let mut rng = Rng::derive(seed, 0x5a9, 0);
    let (mut as_content, mut as_style, mut as_self, mut total) = (0usize, 0usize, 0usize, 0usize);
    for (idx, local) in by_alphabet(data) {
        let k = local.iter().max().map_or(0, |m| m + 1);
        if k < 2 {
            continue;
        }
        let mut prototypes = vec![vec![0.0f32; content_dim]; k];
        let mut counts = vec![0usize; k];
        for (&i, &c) in idx.iter().zip(&local) {
            counts[c] += 1;
            for (p, v) in prototypes[c]
                .iter_mut()
                .zip(&content[i * content_dim..(i + 1) * content_dim])
            {
                *p += v;
            }
        }
        for (p, n) in prototypes.iter_mut().zip(&counts) {
            p.iter_mut().for_each(|v| *v /= *n as f32);
        }
        let mut swapped = Vec::new();
        let mut plain = Vec::new();
        let mut truth = Vec::new();
        while truth.len() < pairs_per_alphabet {
            let (a, b) = (rng.below(idx.len()), rng.below(idx.len()));
            if local[a] == local[b] {
                continue;
            }
            let (za, zb) = (
                &means[idx[a] * dim..(idx[a] + 1) * dim],
                &means[idx[b] * dim..(idx[b] + 1) * dim],
            );
            swapped.extend_from_slice(&za[..content_dim]);
            swapped.extend_from_slice(&zb[content_dim..]);
            plain.extend_from_slice(za);
            truth.push((local[a], local[b]));
        }
        let classify = |z: &[f32]| {
            let px = decode_floats(model, z, dim, device);
            let codes = columns(&encode_means(model, &px, device), dim, 0, content_dim);
            nearest_prototype(&prototypes, &codes, content_dim)
        };
        for ((s, p), (ca, cb)) in classify(&swapped)
            .into_iter()
            .zip(classify(&plain))
            .zip(truth)
        {
            as_content += usize::from(s == ca);
            as_style += usize::from(s == cb);
            as_self += usize::from(p == ca);
            total += 1;
        }
    }
    let t = total.max(1) as f64;
    (
        as_content as f64 / t,
        as_style as f64 / t,
        as_self as f64 / t,
    )
}

pub struct SplitOptions {
    pub draws: usize,
    pub seed: u64,
    pub kmeans_restarts: usize,
    pub swap_pairs_per_alphabet: usize,
}

impl Default for SplitOptions {
    fn default() -> Self {
        Self {
            draws: 16,
            seed: 0,
            kmeans_restarts: 10,
            swap_pairs_per_alphabet: 50,
        }
    }
}

pub fn evaluate(
    model: &Vae,
    content_dim: usize,
    data: &Omniglot,
    runs: &[OneShotRun],
    device: &Device,
    opts: &SplitOptions,
) -> SplitEval {
    let dim = model.encoder.latent_dim();
    let style_dim = dim - content_dim;
    let images = image_set(data);
    let mut rng = Rng::derive(opts.seed, 0xe7a1, 0);
    let enc = encode_and_score(model, &images, device, &mut rng, opts.draws, 500);
    let groups = by_alphabet(data);
    let part = |v: &[f32], content: bool| {
        if content {
            columns(v, dim, 0, content_dim)
        } else {
            columns(v, dim, content_dim, dim)
        }
    };
    let (cm, sm) = (part(&enc.means, true), part(&enc.means, false));
    let (cv, sv) = (part(&enc.log_vars, true), part(&enc.log_vars, false));
    let (content_cluster_acc, content_nmi) =
        cluster_by_alphabet(&groups, &cm, content_dim, opts.kmeans_restarts, opts.seed);
    let (style_cluster_acc, style_nmi) =
        cluster_by_alphabet(&groups, &sm, style_dim, opts.kmeans_restarts, opts.seed);
    let mut chance_rng = Rng::derive(opts.seed, 0xc4a, 0);
    let chance_cluster_acc = mean(
        &groups
            .iter()
            .map(|(_, labels)| {
                let k = labels.iter().max().map_or(1, |m| m + 1);
                let random: Vec<usize> = labels.iter().map(|_| chance_rng.below(k)).collect();
                matched_accuracy(&random, labels)
            })
            .collect::<Vec<_>>(),
    );
    let elbo_kl = |m: &[f32], lv: &[f32]| {
        m.iter()
            .zip(lv)
            .map(|(&m, &lv)| 0.5 * ((lv as f64).exp() + (m as f64).powi(2) - lv as f64 - 1.0))
            .sum::<f64>()
            / data.len() as f64
    };
    // One posterior sample per drawing (a random 2,000 of them) against as many prior draws.
    let mut mmd_rng = Rng::derive(opts.seed, 0x3d, 0);
    let mut order: Vec<usize> = (0..data.len()).collect();
    mmd_rng.shuffle(&mut order);
    order.truncate(2000);
    let mmd = |m: &[f32], lv: &[f32], d: usize, rng: &mut Rng| {
        let sample: Vec<f32> = order
            .iter()
            .flat_map(|&i| (0..d).map(move |j| i * d + j))
            .map(|k| m[k] + (lv[k] * 0.5).exp() * rng.normal())
            .collect();
        mmd2_unbiased_host(&sample, &rng.normals(sample.len()), d, MmdKernel::Imq)
    };
    let mmd_content = mmd(&cm, &cv, content_dim, &mut mmd_rng);
    let mmd_style = mmd(&sm, &sv, style_dim, &mut mmd_rng);
    let mmd_noise = mmd2_unbiased_host(
        &mmd_rng.normals(order.len() * content_dim),
        &mmd_rng.normals(order.len() * content_dim),
        content_dim,
        MmdKernel::Imq,
    );
    let (swap_content_acc, swap_style_acc, recon_content_acc) = swap_test(
        model,
        data,
        &enc.means,
        content_dim,
        opts.swap_pairs_per_alphabet,
        opts.seed,
        device,
    );
    let metrics = SplitMetrics {
        oneshot_error: oneshot_error(model, runs, content_dim, device),
        content_cluster_acc,
        content_nmi,
        style_cluster_acc,
        style_nmi,
        chance_cluster_acc,
        kl_content: aggregate_kl(&cm, &cv, content_dim),
        kl_style: aggregate_kl(&sm, &sv, style_dim),
        kl_content_elbo: elbo_kl(&cm, &cv),
        kl_style_elbo: elbo_kl(&sm, &sv),
        mmd_content,
        mmd_style,
        mmd_noise,
        nelbo: mean(&enc.recon_sampled) + mean(&enc.kl),
        recon_bce: mean(&enc.recon_at_mean),
        iwae_ll: mean(&enc.iwae_ll),
        draws: opts.draws,
        swap_content_acc,
        swap_style_acc,
        recon_content_acc,
        content_dim,
        style_dim,
        test_examples: data.len(),
        alphabets: groups.len(),
        seed: opts.seed,
    };
    SplitEval {
        metrics,
        enc,
        images,
    }
}

pub fn table(m: &SplitMetrics) -> String {
    let rows = [
        (
            "one-shot 20-way error (content NN)",
            format!("{:.2}%", 100.0 * m.oneshot_error),
        ),
        (
            "content clustering acc / NMI",
            format!("{:.3} / {:.3}", m.content_cluster_acc, m.content_nmi),
        ),
        (
            "style clustering acc / NMI",
            format!("{:.3} / {:.3}", m.style_cluster_acc, m.style_nmi),
        ),
        (
            "chance clustering acc",
            format!("{:.3}", m.chance_cluster_acc),
        ),
        (
            "KL aggregate content / style",
            format!("{:.3} / {:.3}", m.kl_content, m.kl_style),
        ),
        (
            "KL per drawing content / style",
            format!("{:.2} / {:.2}", m.kl_content_elbo, m.kl_style_elbo),
        ),
        (
            "MMD² content / style (prior vs prior)",
            format!(
                "{:.5} / {:.5} ({:.5})",
                m.mmd_content, m.mmd_style, m.mmd_noise
            ),
        ),
        (
            "negative ELBO / recon BCE",
            format!("{:.2} / {:.2}", m.nelbo, m.recon_bce),
        ),
        (
            "IWAE log-likelihood bound",
            format!("{:.2} ({} draws)", m.iwae_ll, m.draws),
        ),
        (
            "swap: recognised as content / style donor",
            format!("{:.3} / {:.3}", m.swap_content_acc, m.swap_style_acc),
        ),
        (
            "reconstructions recognised",
            format!("{:.3}", m.recon_content_acc),
        ),
    ];
    rows.iter()
        .map(|(k, v)| format!("  {k:<42} {v}\n"))
        .collect()
}
