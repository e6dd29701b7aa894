//! What the judge classifier says of a generative model: the Fréchet distance between samples
//! and test images in its penultimate features (FID's recipe, with a judge trained on the data
//! instead of Inception), which classes the samples look like, whether a conditional model draws
//! the class it was asked for, and whether reconstructions keep the class.

use crate::data::Dataset;
use crate::model::{Judge, JudgeManifest, Prior, Vae, with_label};
use crate::rng::Rng;
use crate::train::judge::{accuracy, argmax_rows};
use burn::prelude::*;
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// Samples drawn for the Fréchet distance (the test split's size, as FID uses 10,000).
pub const SAMPLES: usize = 10_000;
/// The stream samples are drawn from.
const SAMPLE_STREAM: u64 = 0xf1d;

/// The judge's measures of one model (keys stable: `eval --json` prints them under `judge`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgeMetrics {
    /// Fréchet distance between `samples` prior samples (decoded pixel means) and the test
    /// split, in the judge's penultimate features.
    pub frechet: f64,
    pub samples: usize,
    /// The judge's accuracy on the test images themselves, and on their reconstructions
    /// (decoded from the posterior mean; a conditional model given the true label).
    pub judge_test_accuracy: f64,
    /// The judge's accuracy on each class's test images: the ceiling a model's per-class
    /// conditional accuracy can be read against (the judge itself confuses shirts and T-shirts).
    #[serde(default)]
    pub judge_test_per_class: Vec<f64>,
    pub recon_accuracy: f64,
    /// The share of samples the judge puts in each class (a model that draws every class
    /// equally often gives 1/classes each).
    pub sample_classes: Vec<f64>,
    /// A conditional model's samples drawn for class c (equal numbers per class) that the judge
    /// calls c: overall and per class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional_accuracy: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional_per_class: Option<Vec<f64>>,
}

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_into_vec_as::<f32>().expect("f32 tensor")
}

/// The judge's features and predicted classes of images `x` (`[n, 1, side, side]`).
fn judged(judge: &Judge, x: Tensor<4>) -> (Vec<f32>, Vec<usize>) {
    let n = x.dims()[0];
    let f = judge.features(x);
    let logits = to_vec(judge.logits_of(f.clone()));
    (to_vec(f), argmax_rows(&logits, n))
}

/// Decode codes `z` (`[n, latent]`, row-major) with `labels` for a conditional model, and judge
/// the pixel means, 500 at a time.
fn judge_decoded(
    model: &Vae,
    judge: &Judge,
    z: &[f32],
    labels: &[usize],
    dim: usize,
    device: &Device,
) -> (Vec<f32>, Vec<usize>) {
    let (mut feats, mut classes) = (Vec::new(), Vec::new());
    for (zc, lc) in z.chunks(500 * dim).zip(labels.chunks(500)) {
        let n = lc.len();
        let zt = Tensor::<2>::from_data(TensorData::new(zc.to_vec(), [n, dim]), device);
        let y = model.label_input(lc, device);
        let (f, c) = judged(judge, model.decoder.forward(with_label(zt, y)));
        feats.extend(f);
        classes.extend(c);
    }
    (feats, classes)
}

/// Everything the judge measures of `model` on `data`'s test split; `means` are the test
/// images' posterior means.
pub fn judge_model(
    model: &Vae,
    prior: &Prior,
    data: &Dataset,
    means: &[f32],
    judge: &Judge,
    device: &Device,
    seed: u64,
) -> JudgeMetrics {
    let dim = model.encoder.latent_dim();
    let classes = data.class_names.len();
    let conditional = model.condition_classes() > 0;
    let test = &data.test;
    let s = test.side;
    let (mut test_feats, mut test_pred) = (Vec::new(), Vec::new());
    for start in (0..test.len()).step_by(500) {
        let idx: Vec<usize> = (start..(start + 500).min(test.len())).collect();
        let mut buf = Vec::new();
        test.gather_f32(&idx, &mut buf);
        let x = Tensor::<4>::from_data(TensorData::new(buf, [idx.len(), 1, s, s]), device);
        let (f, c) = judged(judge, x);
        test_feats.extend(f);
        test_pred.extend(c);
    }
    let test_labels: Vec<usize> = test.labels.iter().map(|&l| l as usize).collect();
    let (_, recon_pred) = judge_decoded(model, judge, means, &test_labels, dim, device);

    // Samples: equal numbers asked of every class for a conditional model.
    let mut rng = Rng::derive(seed, SAMPLE_STREAM, 0);
    let z = prior.sample(SAMPLES, dim, &mut rng);
    let asked: Vec<usize> = (0..SAMPLES).map(|i| i % classes).collect();
    let (sample_feats, sample_pred) = judge_decoded(model, judge, &z, &asked, dim, device);
    let mut counts = vec![0usize; classes];
    for &c in &sample_pred {
        counts[c] += 1;
    }
    let sample_classes = counts.iter().map(|&c| c as f64 / SAMPLES as f64).collect();
    let (conditional_accuracy, conditional_per_class) = if conditional {
        let mut right = vec![0usize; classes];
        for (&p, &a) in sample_pred.iter().zip(&asked) {
            right[a] += (p == a) as usize;
        }
        let per = SAMPLES / classes;
        let per_class: Vec<f64> = right.iter().map(|&r| r as f64 / per as f64).collect();
        let overall = right.iter().sum::<usize>() as f64 / SAMPLES as f64;
        (Some(overall), Some(per_class))
    } else {
        (None, None)
    };
    let d = crate::model::JUDGE_FEATURES;
    JudgeMetrics {
        frechet: frechet_distance(&sample_feats, &test_feats, d),
        samples: SAMPLES,
        judge_test_accuracy: accuracy(&test_pred, &test.labels),
        judge_test_per_class: (0..classes)
            .map(|c| {
                let of_c: Vec<usize> = (0..test.len()).filter(|&i| test_labels[i] == c).collect();
                let right = of_c.iter().filter(|&&i| test_pred[i] == c).count();
                right as f64 / of_c.len().max(1) as f64
            })
            .collect(),
        recon_accuracy: accuracy(&recon_pred, &test.labels),
        sample_classes,
        conditional_accuracy,
        conditional_per_class,
    }
}

/// Mean and (n - 1)-normalised covariance of rows of `d` values.
fn moments(x: &[f32], d: usize) -> (DVector<f64>, DMatrix<f64>) {
    let n = x.len() / d;
    let m = DMatrix::from_row_iterator(n, d, x.iter().map(|&v| v as f64));
    let mean = m.row_mean().transpose();
    let mut centred = m;
    for mut row in centred.row_iter_mut() {
        row -= mean.transpose();
    }
    let cov = centred.transpose() * &centred / (n.max(2) - 1) as f64;
    (mean, cov)
}

/// The square root of a symmetric positive semi-definite matrix (negative eigenvalues, which
/// rounding can leave, count as 0).
fn sqrt_psd(m: &DMatrix<f64>) -> DMatrix<f64> {
    let e = m.clone().symmetric_eigen();
    let roots = e.eigenvalues.map(|v| v.max(0.0).sqrt());
    &e.eigenvectors * DMatrix::from_diagonal(&roots) * e.eigenvectors.transpose()
}

/// The Fréchet distance between Gaussians N(mu1, s1) and N(mu2, s2):
/// |mu1 - mu2|² + tr(s1 + s2 - 2 (s1^½ s2 s1^½)^½). The symmetric form of the cross term has
/// the same trace as (s1 s2)^½ and needs only symmetric eigendecompositions.
pub fn frechet_gaussians(
    mu1: &DVector<f64>,
    s1: &DMatrix<f64>,
    mu2: &DVector<f64>,
    s2: &DMatrix<f64>,
) -> f64 {
    let r1 = sqrt_psd(s1);
    let cross = &r1 * s2 * &r1;
    let cross = (&cross + cross.transpose()) * 0.5;
    let tr_cross: f64 = cross
        .symmetric_eigenvalues()
        .iter()
        .map(|v| v.max(0.0).sqrt())
        .sum();
    (mu1 - mu2).norm_squared() + s1.trace() + s2.trace() - 2.0 * tr_cross
}

/// The Fréchet distance between two sets of feature rows (`d` wide), each summarised by its
/// mean and covariance.
pub fn frechet_distance(a: &[f32], b: &[f32], d: usize) -> f64 {
    let (m1, s1) = moments(a, d);
    let (m2, s2) = moments(b, d);
    frechet_gaussians(&m1, &s1, &m2, &s2)
}

/// The judge file at `path`, for data `data`: its classes must be the dataset's.
pub fn load_judge(
    path: &std::path::Path,
    data: &Dataset,
    device: &Device,
) -> Result<(Judge, JudgeManifest), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (judge, m) =
        Judge::from_bytes(&bytes, device).map_err(|e| format!("{}: {e}", path.display()))?;
    if m.class_names != data.class_names || m.image_side != data.test.side {
        return Err(format!(
            "{}: a judge of {} ({} classes, {}px) cannot judge {} ({} classes, {}px)",
            path.display(),
            m.dataset,
            m.class_names.len(),
            m.image_side,
            data.name,
            data.class_names.len(),
            data.test.side
        ));
    }
    Ok((judge, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frechet_of_diagonal_gaussians_has_its_closed_form() {
        // Commuting (diagonal) covariances: |dmu|² + sum (sqrt a_i - sqrt b_i)².
        let (a, b) = ([4.0, 1.0, 0.25], [1.0, 9.0, 0.25]);
        let s1 = DMatrix::from_diagonal(&DVector::from_row_slice(&a));
        let s2 = DMatrix::from_diagonal(&DVector::from_row_slice(&b));
        let mu1 = DVector::from_row_slice(&[1.0, 0.0, 0.0]);
        let mu2 = DVector::from_row_slice(&[0.0, 2.0, 0.0]);
        let expected = 5.0 + (2.0f64 - 1.0).powi(2) + (1.0f64 - 3.0).powi(2);
        assert!((frechet_gaussians(&mu1, &s1, &mu2, &s2) - expected).abs() < 1e-9);
        assert!(frechet_gaussians(&mu1, &s1, &mu1, &s1).abs() < 1e-9);
    }

    #[test]
    fn frechet_of_full_covariances_matches_the_eigenvalues_of_their_product() {
        // Independent route: tr (s1 s2)^½ = sum of the square roots of s1 s2's (real, positive)
        // eigenvalues, from a general (non-symmetric) eigen solver.
        let mut rng = Rng::new(4);
        let spd = |rng: &mut Rng| {
            let a = DMatrix::from_fn(4, 4, |_, _| rng.normal() as f64);
            &a * a.transpose() + DMatrix::identity(4, 4) * 0.1
        };
        let (s1, s2) = (spd(&mut rng), spd(&mut rng));
        let mu = DVector::from_element(4, 0.0);
        let tr_root: f64 = (&s1 * &s2)
            .complex_eigenvalues()
            .iter()
            .map(|c| c.re.sqrt())
            .sum();
        let expected = s1.trace() + s2.trace() - 2.0 * tr_root;
        let got = frechet_gaussians(&mu, &s1, &mu, &s2);
        assert!(
            (got - expected).abs() < 1e-7 * expected.abs().max(1.0),
            "{got} vs {expected}"
        );
    }

    #[test]
    fn frechet_distance_of_samples_estimates_moments() {
        // Rows of (x, 2x) and (x + 3, 2x + 3): same covariance, means 3 apart in each coordinate.
        let a: Vec<f32> = (0..100).flat_map(|i| [i as f32, 2.0 * i as f32]).collect();
        let b: Vec<f32> = a.iter().map(|v| v + 3.0).collect();
        assert!((frechet_distance(&a, &b, 2) - 18.0).abs() < 1e-6);
    }
}
