//! The maximum mean discrepancy between the aggregate posterior and the prior: kernels, the
//! unbiased estimator on tensors (a training term) and on host data (evaluation).

use burn::prelude::*;

/// Kernels for the maximum mean discrepancy between the aggregate posterior and N(0, I).
///
/// Bandwidths follow Tolstikhin et al. (Wasserstein auto-encoders, 2018): for a d-dimensional
/// standard normal prior the expected squared distance between two samples is 2d, so the RBF
/// uses `exp(-|x - y|² / 2d)` and the inverse multiquadric `2d / (2d + |x - y|²)`; both are 1 at
/// distance 0 and fall to about 1/e and 1/2 at the typical distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum MmdKernel {
    /// exp(-|x - y|² / 2d)
    Rbf,
    /// 2d / (2d + |x - y|²): heavier tails, keeps a gradient for codes far from the prior
    Imq,
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
pub(crate) fn sq_dists(a: Tensor<2>, b: Tensor<2>) -> Tensor<2> {
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
mod tests {
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
