//! How well a model's codes match its prior, and how well a categorical code clusters: the
//! measures the adversarial autoencoder is judged by, reported for every kind so they can be set
//! side by side.

use super::cluster::matched_accuracy;
use crate::model::Prior;
use crate::objective::{MmdKernel, mmd2_unbiased_host};
use crate::rng::Rng;

/// Codes compared with the prior: one posterior sample each of this many images (at most).
const MMD_SAMPLES: usize = 2000;

/// Unbiased MMD² (IMQ kernel, bandwidth 2·dim) between one posterior sample per image (a
/// random 2,000) and as many prior samples, and the same estimate between two independent
/// prior samples: what "matches" looks like at this sample size.
pub fn mmd_to_prior(
    means: &[f32],
    log_vars: &[f32],
    dim: usize,
    prior: &Prior,
    seed: u64,
) -> (f64, f64) {
    let n = means.len() / dim;
    let mut rng = Rng::derive(seed, 0x3d, 1);
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    order.truncate(MMD_SAMPLES);
    let codes: Vec<f32> = order
        .iter()
        .flat_map(|&i| (0..dim).map(move |j| i * dim + j))
        .map(|k| means[k] + (log_vars[k] * 0.5).exp() * rng.normal())
        .collect();
    let m = order.len();
    let real = prior.sample(m, dim, &mut rng);
    let mmd = mmd2_unbiased_host(&codes, &real, dim, MmdKernel::Imq);
    let noise = mmd2_unbiased_host(
        &prior.sample(m, dim, &mut rng),
        &prior.sample(m, dim, &mut rng),
        dim,
        MmdKernel::Imq,
    );
    (mmd, noise)
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

/// The category of each code (see `Prior::category`).
pub fn categories(means: &[f32], dim: usize, classes: usize) -> Vec<usize> {
    let prior = Prior::Categorical { classes };
    means
        .chunks_exact(dim)
        .map(|row| prior.category(row).unwrap_or(0))
        .collect()
}

/// Accuracy when each cluster is named after the class most of its members have (the
/// paper's measure when there are more clusters than classes).
pub fn majority_accuracy(clusters: &[usize], labels: &[usize]) -> f64 {
    let k = clusters.iter().max().map_or(0, |m| m + 1);
    let c = labels.iter().max().map_or(0, |m| m + 1);
    let mut counts = vec![vec![0usize; c]; k];
    for (&u, &l) in clusters.iter().zip(labels) {
        counts[u][l] += 1;
    }
    let right: usize = counts
        .iter()
        .map(|row| row.iter().copied().max().unwrap_or(0))
        .sum();
    right as f64 / labels.len().max(1) as f64
}

/// A categorical code as a clustering of the images: Hungarian-matched accuracy (when there are
/// as many categories as classes) and majority-mapped accuracy.
pub fn category_accuracy(
    means: &[f32],
    dim: usize,
    classes: usize,
    labels: &[usize],
) -> (Option<f64>, f64) {
    let clusters = categories(means, dim, classes);
    let label_count = labels.iter().max().map_or(0, |m| m + 1);
    let hungarian = (classes == label_count).then(|| matched_accuracy(&clusters, labels));
    (hungarian, majority_accuracy(&clusters, labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_from_the_prior_match_it_and_shifted_codes_do_not() {
        let prior = Prior::Mixture {
            components: 4,
            radius: 3.0,
            spread: 0.5,
        };
        let mut rng = Rng::new(5);
        let means = prior.sample(3000, 2, &mut rng);
        let tiny = vec![-30.0f32; means.len()]; // no posterior noise
        let (mmd, noise) = mmd_to_prior(&means, &tiny, 2, &prior, 1);
        assert!(
            mmd.abs() < 5.0 * noise.abs().max(1e-4),
            "{mmd} vs noise {noise}"
        );
        let shifted: Vec<f32> = means.iter().map(|v| v + 1.5).collect();
        let (far, _) = mmd_to_prior(&shifted, &tiny, 2, &prior, 1);
        assert!(far > 20.0 * noise.abs().max(1e-4), "{far} vs noise {noise}");
    }

    #[test]
    fn majority_mapping_and_hungarian_count_as_the_paper_does() {
        // 4 clusters over 2 classes: clusters 0, 1 are class 0; 2 is class 1; 3 is mixed 2:1.
        let clusters = [0, 0, 1, 1, 2, 2, 3, 3, 3];
        let labels = [0, 0, 0, 0, 1, 1, 1, 1, 0];
        assert!((majority_accuracy(&clusters, &labels) - 8.0 / 9.0).abs() < 1e-12);
        // Codes whose first two coordinates say the category.
        let means = [0.9f32, 0.1, 5.0, 0.2, 0.8, -1.0, 0.7, 0.3, 0.0];
        let (h, m) = category_accuracy(&means, 3, 2, &[1, 0, 1]);
        assert_eq!(h, Some(1.0));
        assert_eq!(m, 1.0);
    }
}
