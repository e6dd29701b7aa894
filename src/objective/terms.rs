//! The loss terms every kind builds on: Bernoulli reconstruction and the KL to N(0, I).
//! Per-example terms are sums (over pixels, over latent dimensions) in nats, as in the Keras
//! reference.

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

/// `ln(1 + e^x)`, written as `max(x, 0) + ln(1 + e^-|x|)` so it never overflows: the
/// non-saturating GAN losses are `softplus(-real)` and `softplus(fake)` on discriminator logits.
pub fn softplus<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    relu(x.clone()) + x.abs().neg().exp().log1p()
}

/// KL(N(mean, exp(log_var)) || N(0, I)) per example: `[batch, latent] -> [batch]`.
pub fn kl_to_standard_normal(q: &Posterior) -> Tensor<1> {
    let terms = q.log_var.clone().exp() + q.mean.clone().square() - q.log_var.clone() - 1.0;
    (terms * 0.5).sum_dim(1).squeeze_dim::<1>(1)
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
        let want = [
            std::f32::consts::LN_2 + 2.126_928,
            3.048_587 - 0.75 + 1.313_262,
        ];
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
}
