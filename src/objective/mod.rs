//! Training objectives: Bernoulli reconstruction, the KL term of the ELBO, and the maximum mean
//! discrepancy to the prior (RBF and inverse-multiquadric kernels).
//! All per-example terms are sums (over pixels, over latent dimensions) in nats, as in the
//! Keras reference; batch losses are means over examples.

pub mod structured;

use crate::model::Posterior;
use burn::prelude::*;
use burn::tensor::activation::relu;

/// Binary cross-entropy of `target` in [0, 1] under Bernoulli `logits`, summed over each
/// example's pixels: `[batch, ...] -> [batch]`.
///
/// Written as `max(l, 0) - l * x + ln(1 + exp(-|l|))`, which equals `softplus(l) - l * x` but
/// never exponentiates a large positive number, so it stays finite for any logit.
pub fn bce_with_logits<const D: usize>(logits: Tensor<D>, target: Tensor<D>) -> Tensor<1> {
    let per_pixel =
        relu(logits.clone()) - logits.clone() * target + logits.abs().neg().exp().log1p();
    per_pixel
        .flatten::<2>(1, D - 1)
        .sum_dim(1)
        .squeeze_dim::<1>(1)
}

/// KL(N(mean, exp(log_var)) || N(0, I)) per example: `[batch, latent] -> [batch]`.
pub fn kl_to_standard_normal(q: &Posterior) -> Tensor<1> {
    let terms = q.log_var.clone().exp() + q.mean.clone().square() - q.log_var.clone() - 1.0;
    (terms * 0.5).sum_dim(1).squeeze_dim::<1>(1)
}

/// The β-VAE loss of one batch; each field is a one-element tensor (a batch mean).
pub struct ElboLoss {
    /// recon + beta * kl: what is minimised.
    pub total: Tensor<1>,
    pub recon: Tensor<1>,
    pub kl: Tensor<1>,
}

pub fn elbo_loss(logits: Tensor<4>, target: Tensor<4>, q: &Posterior, beta: f64) -> ElboLoss {
    let recon = bce_with_logits(logits, target).mean();
    let kl = kl_to_standard_normal(q).mean();
    ElboLoss {
        total: recon.clone() + kl.clone() * beta,
        recon,
        kl,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t2(rows: &[[f32; 2]]) -> Tensor<2> {
        let flat: Vec<f32> = rows.iter().flatten().copied().collect();
        Tensor::from_data(TensorData::new(flat, [rows.len(), 2]), &Device::flex())
    }

    fn vec1(t: Tensor<1>) -> Vec<f32> {
        t.into_data().try_into_vec::<f32>().unwrap()
    }

    #[test]
    fn bce_matches_hand_computed_values_and_survives_extreme_logits() {
        // Example 0: logits (0, 2) vs targets (1, 0): ln 2 + ln(1 + e^2) = 0.693147 + 2.126928.
        // Example 1: logit 3 vs 0.25: softplus(3) - 0.75 = 3.048587 - 0.75; logit -1 vs 1: ln(1+e) = 1.313262.
        let logits = t2(&[[0.0, 2.0], [3.0, -1.0]]);
        let target = t2(&[[1.0, 0.0], [0.25, 1.0]]);
        let got = vec1(bce_with_logits(logits, target));
        let want = [0.693_147 + 2.126_928, 3.048_587 - 0.75 + 1.313_262];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-5, "{got:?} vs {want:?}");
        }
        // Naive sigmoid-then-log would give inf / NaN here; the stable form gives 0 and 1000.
        let got = vec1(bce_with_logits(t2(&[[1000.0, -1000.0]]), t2(&[[1.0, 1.0]])));
        assert!((got[0] - 1000.0).abs() < 1e-3, "{got:?}");
    }

    #[test]
    fn kl_matches_closed_form() {
        // mean (1, 0), log_var (0, ln 2): 0.5*(1 + 1 - 0 - 1) + 0.5*(2 + 0 - ln 2 - 1) = 0.5 + 0.153426.
        let q = Posterior {
            mean: t2(&[[1.0, 0.0], [0.0, 0.0]]),
            log_var: t2(&[[0.0, 2f32.ln()], [0.0, 0.0]]),
        };
        let got = vec1(kl_to_standard_normal(&q));
        assert!((got[0] - 0.653_426).abs() < 1e-5, "{got:?}");
        assert!(got[1].abs() < 1e-7, "the prior itself has zero KL: {got:?}");
    }

    #[test]
    fn elbo_loss_is_batch_mean_of_recon_plus_beta_kl() {
        let logits = Tensor::<4>::from_data(
            TensorData::new(vec![0.0f32, 0.0], [2, 1, 1, 1]),
            &Device::flex(),
        );
        let target = Tensor::<4>::from_data(
            TensorData::new(vec![1.0f32, 0.0], [2, 1, 1, 1]),
            &Device::flex(),
        );
        let q = Posterior {
            mean: t2(&[[2.0, 0.0], [0.0, 0.0]]),
            log_var: t2(&[[0.0, 0.0], [0.0, 0.0]]),
        };
        let l = elbo_loss(logits, target, &q, 0.5);
        let (total, recon, kl) = (vec1(l.total)[0], vec1(l.recon)[0], vec1(l.kl)[0]);
        assert!((recon - std::f32::consts::LN_2).abs() < 1e-6);
        assert!(
            (kl - 1.0).abs() < 1e-6,
            "KL of mean 2 is 2, batch mean 1: {kl}"
        );
        assert!((total - (recon + 0.5)).abs() < 1e-6);
    }
}

/// Kernels for the maximum mean discrepancy between the aggregate posterior and N(0, I).
///
/// Bandwidths follow Tolstikhin et al. (Wasserstein auto-encoders, 2018): for a d-dimensional
/// standard normal prior the expected squared distance between two samples is 2d, so the RBF
/// uses `exp(-|x - y|² / 2d)` and the inverse multiquadric `2d / (2d + |x - y|²)`; both are 1 at
/// distance 0 and fall to about 1/e and 1/2 at the typical distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MmdKernel {
    Rbf,
    Imq,
}

impl std::str::FromStr for MmdKernel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "rbf" => Ok(Self::Rbf),
            "imq" => Ok(Self::Imq),
            _ => Err(format!("unknown kernel '{s}' (expected rbf or imq)")),
        }
    }
}

impl MmdKernel {
    /// Kernel value from a squared distance, for latent dimension `dim`.
    pub fn of_sq_dist(self, d2: f64, dim: usize) -> f64 {
        let scale = 2.0 * dim as f64;
        match self {
            Self::Rbf => (-d2 / scale).exp(),
            Self::Imq => scale / (scale + d2),
        }
    }

    fn of_sq_dist_tensor(self, d2: Tensor<2>, dim: usize) -> Tensor<2> {
        let scale = 2.0 * dim as f64;
        match self {
            Self::Rbf => (d2 / -scale).exp(),
            Self::Imq => (d2 + scale).recip() * scale,
        }
    }
}

/// Squared distances between the rows of `a: [n, d]` and `b: [m, d]`: `[n, m]`, clamped at 0
/// (the expanded form can go slightly negative in floating point).
fn sq_dists(a: Tensor<2>, b: Tensor<2>) -> Tensor<2> {
    let aa = a.clone().square().sum_dim(1); // [n, 1]
    let bb = b.clone().square().sum_dim(1).transpose(); // [1, m]
    (aa + bb - a.matmul(b.transpose()) * 2.0).clamp_min(0.0)
}

/// Unbiased estimate of MMD²(P, Q) from samples `x ~ P: [n, d]` and `y ~ Q: [m, d]` (n, m >= 2):
/// the within-sample means leave out the diagonal. A one-element tensor; differentiable.
pub fn mmd2_unbiased(x: Tensor<2>, y: Tensor<2>, kernel: MmdKernel) -> Tensor<1> {
    let [n, dim] = x.dims();
    let m = y.dims()[0];
    // k(v, v) = 1 for both kernels, so removing the diagonal subtracts n (resp. m).
    let kxx = (kernel
        .of_sq_dist_tensor(sq_dists(x.clone(), x.clone()), dim)
        .sum()
        - n as f64)
        / (n * (n - 1)) as f64;
    let kyy = (kernel
        .of_sq_dist_tensor(sq_dists(y.clone(), y.clone()), dim)
        .sum()
        - m as f64)
        / (m * (m - 1)) as f64;
    let kxy = kernel.of_sq_dist_tensor(sq_dists(x, y), dim).sum() / (n * m) as f64;
    kxx + kyy - kxy * 2.0
}

/// The same estimator on host data (row-major `[n, dim]`), in f64, for evaluation.
pub fn mmd2_unbiased_host(x: &[f32], y: &[f32], dim: usize, kernel: MmdKernel) -> f64 {
    let rows = |v: &[f32]| {
        v.chunks_exact(dim)
            .map(|r| r.iter().map(|&a| a as f64).collect::<Vec<f64>>())
            .collect::<Vec<_>>()
    };
    let (x, y) = (rows(x), rows(y));
    let k = |a: &[f64], b: &[f64]| {
        kernel.of_sq_dist(a.iter().zip(b).map(|(p, q)| (p - q).powi(2)).sum(), dim)
    };
    let within = |s: &[Vec<f64>]| {
        let n = s.len() as f64;
        let mut total = 0.0;
        for i in 0..s.len() {
            for j in i + 1..s.len() {
                total += 2.0 * k(&s[i], &s[j]);
            }
        }
        total / (n * (n - 1.0))
    };
    let cross: f64 = x
        .iter()
        .flat_map(|a| y.iter().map(move |b| (a, b)))
        .map(|(a, b)| k(a, b))
        .sum();
    within(&x) + within(&y) - 2.0 * cross / (x.len() * y.len()) as f64
}

#[cfg(test)]
mod mmd_tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn mmd_matches_hand_computed_values() {
        // x = {(0,0), (1,0)}, y = {(0,0), (0,2)}, d = 2 so the RBF is exp(-d²/4).
        // within x: k = e^(-1/4); within y: e^(-4/4); cross: (0,0)-(0,0) 1, (0,0)-(0,2) e^-1,
        // (1,0)-(0,0) e^(-1/4), (1,0)-(0,2) e^(-5/4).
        let x = [0.0f32, 0.0, 1.0, 0.0];
        let y = [0.0f32, 0.0, 0.0, 2.0];
        let e = |v: f64| v.exp();
        let want = e(-0.25) + e(-1.0) - 2.0 * (1.0 + e(-1.0) + e(-0.25) + e(-1.25)) / 4.0;
        assert!((mmd2_unbiased_host(&x, &y, 2, MmdKernel::Rbf) - want).abs() < 1e-12);
        let t = |v: &[f32]| {
            Tensor::<2>::from_data(TensorData::new(v.to_vec(), [2, 2]), &Device::flex())
        };
        let got = mmd2_unbiased(t(&x), t(&y), MmdKernel::Rbf).into_scalar::<f32>() as f64;
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        // IMQ with scale 4: within x 4/5, within y 4/8, cross 1, 4/8, 4/5, 4/9.
        let want = 0.8 + 0.5 - 2.0 * (1.0 + 0.5 + 0.8 + 4.0 / 9.0) / 4.0;
        assert!((mmd2_unbiased_host(&x, &y, 2, MmdKernel::Imq) - want).abs() < 1e-12);
        let got = mmd2_unbiased(t(&x), t(&y), MmdKernel::Imq).into_scalar::<f32>() as f64;
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    }

    #[test]
    fn mmd_is_unbiased_and_detects_a_shift() {
        // Two samples from the same distribution: the estimates average to 0 (a biased
        // V-statistic would average 2/n times the kernel's variance, clearly above zero here).
        let (n, dim, trials) = (16, 4, 400);
        for kernel in [MmdKernel::Rbf, MmdKernel::Imq] {
            let mut rng = Rng::new(42);
            let same: Vec<f64> = (0..trials)
                .map(|_| {
                    mmd2_unbiased_host(&rng.normals(n * dim), &rng.normals(n * dim), dim, kernel)
                })
                .collect();
            let mean = same.iter().sum::<f64>() / trials as f64;
            let sd = (same.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / trials as f64).sqrt();
            assert!(
                mean.abs() < 3.0 * sd / (trials as f64).sqrt(),
                "{kernel:?}: mean {mean} (sd {sd})"
            );
            assert!(
                same.iter().any(|&v| v < 0.0),
                "unbiased estimates go below zero"
            );
            // A mean shift of 1 in every dimension is detected far above the noise.
            let shifted: Vec<f32> = rng.normals(n * dim).iter().map(|v| v + 1.0).collect();
            let d = mmd2_unbiased_host(&shifted, &rng.normals(n * dim), dim, kernel);
            assert!(
                d > mean + 5.0 * sd,
                "{kernel:?}: shifted {d} vs noise sd {sd}"
            );
        }
    }
}
