//! The measurements behind `ContentStyleMetrics`: encoding and decoding on the host, per-alphabet
//! clustering, the content-space classifier, one-shot and swap tests.

use crate::data::omniglot::{Omniglot, OneShotRun, SIDE, downsample};
use crate::eval::cluster::{kmeans, matched_accuracy, nmi};
use crate::eval::metrics::mean;
use crate::eval::oneshot;
use crate::model::Vae;
use crate::rng::Rng;
use burn::prelude::*;

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

/// One alphabet's drawings (indices into the evaluation split) and each one's character within the alphabet.
pub type AlphabetGroup = (Vec<usize>, Vec<usize>);

/// The evaluation split's drawings grouped by alphabet.
pub fn by_alphabet(data: &Omniglot) -> Vec<AlphabetGroup> {
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
pub fn cluster_by_alphabet(
    groups: &[AlphabetGroup],
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

/// The swap test (see `ContentStyleMetrics`): (share recognised as content donor, as style donor,
/// reconstructions recognised as themselves).
pub fn swap_test(
    model: &Vae,
    groups: &[AlphabetGroup],
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
    for (idx, local) in groups {
        let k = local.iter().max().map_or(0, |m| m + 1);
        if k < 2 {
            continue;
        }
        let mut prototypes = vec![vec![0.0f32; content_dim]; k];
        let mut counts = vec![0usize; k];
        for (&i, &c) in idx.iter().zip(local) {
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
