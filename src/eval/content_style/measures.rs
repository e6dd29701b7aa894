//! The measurements behind `ContentStyleMetrics`: encoding and decoding on the host, per-alphabet
//! clustering, the content-space classifier, one-shot and swap tests.

use crate::data::omniglot::{Omniglot, OneShotRun, SIDE, SOURCE_SIDE, downsample};
use crate::data::upload::prepare_image;
use crate::eval::cluster::{kmeans_from_classes, kmeans_with_inertia, matched_accuracy, nmi};
use crate::eval::metrics::{encode_means, mean};
use crate::eval::oneshot;
use crate::model::Vae;
use crate::objective::bce_with_logits;
use crate::rng::Rng;
use burn::prelude::*;

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

/// Mean reconstruction BCE per drawing (nats, summed over its pixels) of `pixels` (28x28 each)
/// decoded from their codes `means` (`dim` wide): `recon_bce`'s measure, on any drawings.
pub fn recon_bce_at_means(
    model: &Vae,
    pixels: &[f32],
    means: &[f32],
    dim: usize,
    device: &Device,
) -> f64 {
    let per = SIDE * SIDE;
    let mut bce = Vec::with_capacity(pixels.len() / per);
    for (px, z) in pixels.chunks(500 * per).zip(means.chunks(500 * dim)) {
        let n = px.len() / per;
        let x = Tensor::<4>::from_data(TensorData::new(px.to_vec(), [n, 1, SIDE, SIDE]), device);
        let z = Tensor::<2>::from_data(TensorData::new(z.to_vec(), [n, dim]), device);
        let b = bce_with_logits(model.decoder.forward_logits(z), x);
        bce.extend(b.into_data().iter::<f32>().map(|v| v as f64));
    }
    mean(&bce)
}

/// Rows `[from, to)` of each `dim`-wide row: one part of the codes.
pub fn columns(rows: &[f32], dim: usize, from: usize, to: usize) -> Vec<f32> {
    rows.chunks_exact(dim)
        .flat_map(|r| r[from..to].iter().copied())
        .collect()
}

pub(super) fn sq_dist(a: &[f32], b: &[f32]) -> f64 {
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

/// The rows `idx` of `codes` (`dim` wide), in that order.
fn rows(codes: &[f32], dim: usize, idx: &[usize]) -> Vec<f32> {
    idx.iter()
        .flat_map(|&i| codes[i * dim..(i + 1) * dim].iter().copied())
        .collect()
}

/// One alphabet's codes and characters, with k-means' partition of them and its inertia.
struct Clustered<'a> {
    codes: Vec<f32>,
    labels: &'a [usize],
    clusters: Vec<usize>,
    inertia: f64,
}

/// k-means (k = the alphabet's characters) on each alphabet's rows of `codes` (`dim` wide).
fn kmeans_by_alphabet<'a>(
    groups: &'a [AlphabetGroup],
    codes: &[f32],
    dim: usize,
    restarts: usize,
    seed: u64,
) -> Vec<Clustered<'a>> {
    groups
        .iter()
        .map(|(idx, labels)| {
            let k = labels.iter().max().map_or(1, |m| m + 1);
            let codes = rows(codes, dim, idx);
            let (clusters, inertia) = kmeans_with_inertia(&codes, dim, k, restarts, seed);
            Clustered {
                codes,
                labels,
                clusters,
                inertia,
            }
        })
        .collect()
}

/// Average over alphabets of (matched accuracy, NMI).
fn scores(clustered: &[Clustered]) -> (f64, f64) {
    let (acc, nmis): (Vec<f64>, Vec<f64>) = clustered
        .iter()
        .map(|c| {
            (
                matched_accuracy(&c.clusters, c.labels),
                nmi(&c.clusters, c.labels),
            )
        })
        .unzip();
    (mean(&acc), mean(&nmis))
}

/// Average over alphabets of (matched accuracy, NMI) of k-means on `codes` (`dim` wide).
pub fn cluster_by_alphabet(
    groups: &[AlphabetGroup],
    codes: &[f32],
    dim: usize,
    restarts: usize,
    seed: u64,
) -> (f64, f64) {
    scores(&kmeans_by_alphabet(groups, codes, dim, restarts, seed))
}

/// Where per-alphabet k-means loses characters (`kmeans_from_classes`), averaged over alphabets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterDiagnosis {
    /// Matched accuracy of the k-means optimum reached from the characters' own centres.
    pub acc_from_characters: f64,
    /// k-means' best inertia over its restarts / that optimum's inertia: above 1, the restarts
    /// missed a tighter partition near the characters (the search limits the accuracy); at or
    /// below 1, the codes' geometry does.
    pub inertia_ratio: f64,
}

/// `cluster_by_alphabet`, and from the same k-means runs where they lose characters: each set
/// beside the optimum nearest the true characters.
pub fn cluster_and_diagnose_by_alphabet(
    groups: &[AlphabetGroup],
    codes: &[f32],
    dim: usize,
    restarts: usize,
    seed: u64,
) -> ((f64, f64), ClusterDiagnosis) {
    let clustered = kmeans_by_alphabet(groups, codes, dim, restarts, seed);
    let (acc, ratio): (Vec<f64>, Vec<f64>) = clustered
        .iter()
        .map(|c| {
            let (near, settled) = kmeans_from_classes(&c.codes, dim, c.labels);
            (
                matched_accuracy(&near, c.labels),
                c.inertia / settled.max(1e-12),
            )
        })
        .unzip();
    let diagnosis = ClusterDiagnosis {
        acc_from_characters: mean(&acc),
        inertia_ratio: mean(&ratio),
    };
    (scores(&clustered), diagnosis)
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

/// How a one-shot drawing (a 105x105 ink mask) becomes model input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DrawingInput {
    /// As the dataset was made: the whole canvas area-averaged down to 28x28.
    Dataset,
    /// As the page treats a drawing: dark ink on white, cropped to the ink and scaled so its
    /// longer side is `fit` pixels (`data::upload::prepare_image`).
    Page { fit: usize },
}

impl DrawingInput {
    pub(crate) fn pixels(self, ink: &[bool]) -> Vec<f32> {
        match self {
            Self::Dataset => downsample(ink).iter().map(|&p| p as f32 / 255.0).collect(),
            Self::Page { fit } => {
                let rgba: Vec<u8> = ink
                    .iter()
                    .flat_map(|&i| if i { [0, 0, 0, 255] } else { [255; 4] })
                    .collect();
                prepare_image(&rgba, SOURCE_SIDE, SOURCE_SIDE, SIDE, fit)
                    // A blank mask has nothing to crop; it reads as an empty frame.
                    .unwrap_or_else(|_| vec![0.0; SIDE * SIDE])
            }
        }
    }
}

/// One-shot 20-way error: every run drawing made into model input by `input`, encoded, compared
/// by squared Euclidean distance between content means.
pub fn oneshot_error(
    model: &Vae,
    runs: &[OneShotRun],
    content_dim: usize,
    input: DrawingInput,
    device: &Device,
) -> f64 {
    mean(&oneshot_run_errors(model, runs, content_dim, input, device))
}

/// `oneshot_error` of each run.
pub fn oneshot_run_errors(
    model: &Vae,
    runs: &[OneShotRun],
    content_dim: usize,
    input: DrawingInput,
    device: &Device,
) -> Vec<f64> {
    let dim = model.encoder.latent_dim();
    let codes: Vec<(Vec<f32>, Vec<f32>)> = runs
        .iter()
        .map(|run| {
            let enc = |set: &[Vec<bool>]| {
                let px: Vec<f32> = set.iter().flat_map(|ink| input.pixels(ink)).collect();
                columns(&encode_means(model, &px, SIDE, device), dim, 0, content_dim)
            };
            (enc(&run.training), enc(&run.test))
        })
        .collect();
    let c = content_dim;
    oneshot::run_error_rates(runs, |r, i, j| {
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
            let codes = columns(&encode_means(model, &px, SIDE, device), dim, 0, content_dim);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The longer side of the bounding box of pixels above 5% ink, and its centre.
    fn extent(px: &[f32]) -> (usize, f32, f32) {
        let (x0, y0, x1, y1) = crate::data::upload::ink_box(px, SIDE, |v| v > 0.05).unwrap();
        let side = (x1 - x0 + 1).max(y1 - y0 + 1);
        (side, (x0 + x1) as f32 / 2.0, (y0 + y1) as f32 / 2.0)
    }

    #[test]
    fn recon_bce_at_means_is_the_evaluations_recon_bce() {
        // A fresh model on 7 random grey drawings: the same mean per-drawing BCE that
        // `encode_and_score` reports as `recon_at_mean` (`recon_bce` on the test set).
        use crate::model::{Preset, VaeConfig};
        let device = Device::flex();
        let model = Vae::new(&VaeConfig::preset(Preset::Keras, 3), 4, &device);
        let mut rng = Rng::new(9);
        let pixels: Vec<f32> = (0..7 * SIDE * SIDE).map(|_| rng.uniform() as f32).collect();
        let images = crate::data::ImageSet {
            side: SIDE,
            pixels: pixels.iter().map(|&p| (p * 255.0).round() as u8).collect(),
            labels: vec![0; 7],
        };
        let exact: Vec<f32> = images.pixels.iter().map(|&p| p as f32 / 255.0).collect();
        let means = encode_means(&model, &exact, SIDE, &device);
        let ours = recon_bce_at_means(&model, &exact, &means, 3, &device);
        let scored = crate::objective::score::encode_and_score(
            &model,
            &crate::model::Prior::Gaussian,
            &images,
            &device,
            &mut Rng::new(1),
            1,
            500,
        );
        let want = mean(&scored.recon_at_mean);
        assert!(
            ours > 100.0 && (ours - want).abs() < 1e-3 * want,
            "{ours} vs {want}"
        );
    }

    #[test]
    fn the_page_path_crops_a_small_corner_drawing_and_scales_it_to_the_fit() {
        // A 20x30 block of ink in the top-left of the 105x105 canvas.
        let mut ink = vec![false; SOURCE_SIDE * SOURCE_SIDE];
        for y in 5..35 {
            for x in 8..28 {
                ink[y * SOURCE_SIDE + x] = true;
            }
        }
        let (side, cx, cy) = extent(&DrawingInput::Dataset.pixels(&ink));
        assert!(
            side <= 9 && cx < 7.0 && cy < 7.0,
            "dataset: {side} at ({cx}, {cy})"
        );
        let (side, cx, cy) = extent(&DrawingInput::Page { fit: 20 }.pixels(&ink));
        assert_eq!(side, 20);
        assert!(
            (cx - 13.5).abs() <= 1.0 && (cy - 13.5).abs() <= 1.0,
            "page: ({cx}, {cy})"
        );
        // A blank mask is an empty frame, not a failure.
        let blank = vec![false; SOURCE_SIDE * SOURCE_SIDE];
        assert!(
            DrawingInput::Page { fit: 20 }
                .pixels(&blank)
                .iter()
                .all(|&p| p == 0.0)
        );
    }
}
