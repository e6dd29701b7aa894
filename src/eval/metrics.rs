//! Test-set likelihood metrics of a Gaussian VAE, in nats per image.

use crate::data::ImageSet;
use crate::model::Vae;
use crate::objective::{bce_with_logits, kl_to_standard_normal};
use crate::rng::Rng;
use burn::prelude::*;

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// One-sample ELBO terms averaged over a set (what training logs per epoch).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ElboStats {
    pub nelbo: f64,
    pub recon: f64,
    pub kl: f64,
}

/// Full per-image statistics over a set.
#[derive(Debug, Clone)]
pub struct Encodings {
    pub means: Vec<f32>,
    pub log_vars: Vec<f32>,
    /// KL(q(z|x) || p(z)) per image.
    pub kl: Vec<f64>,
    /// BCE of the reconstruction decoded from z = mean, per image.
    pub recon_at_mean: Vec<f64>,
    /// BCE averaged over the sampled z draws, per image.
    pub recon_sampled: Vec<f64>,
    /// Importance-weighted log-likelihood bound with the same draws, per image.
    pub iwae_ll: Vec<f64>,
}

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_into_vec_as::<f32>().expect("f32 tensor")
}

fn batch_tensor(images: &ImageSet, range: std::ops::Range<usize>, device: &Device) -> Tensor<4> {
    let mut buf = Vec::new();
    let idx: Vec<usize> = range.collect();
    images.gather_f32(&idx, &mut buf);
    Tensor::from_data(
        TensorData::new(buf, [idx.len(), 1, images.side, images.side]),
        device,
    )
}

/// Encode every image and score it with `draws` samples of z (at least one).
pub fn encode_and_score(
    model: &Vae,
    images: &ImageSet,
    device: &Device,
    rng: &mut Rng,
    draws: usize,
    batch: usize,
) -> Encodings {
    let n = images.len();
    let mut e = Encodings {
        means: vec![],
        log_vars: vec![],
        kl: vec![],
        recon_at_mean: vec![],
        recon_sampled: vec![],
        iwae_ll: vec![],
    };
    for start in (0..n).step_by(batch) {
        let end = (start + batch).min(n);
        let b = end - start;
        let x = batch_tensor(images, start..end, device);
        let q = model.encoder.forward(x.clone());
        e.kl.extend(to_vec(kl_to_standard_normal(&q)).iter().map(|&v| v as f64));
        e.recon_at_mean.extend(
            to_vec(bce_with_logits(
                model.decoder.forward_logits(q.mean.clone()),
                x.clone(),
            ))
            .iter()
            .map(|&v| v as f64),
        );
        let (mean, log_var) = (to_vec(q.mean), to_vec(q.log_var));
        let d = mean.len() / b;
        let mut log_w = vec![Vec::with_capacity(draws); b];
        let mut recon_sum = vec![0.0; b];
        for _ in 0..draws.max(1) {
            let eps = rng.normals(b * d);
            let z: Vec<f32> = (0..b * d)
                .map(|i| mean[i] + (0.5 * log_var[i]).exp() * eps[i])
                .collect();
            let zt = Tensor::<2>::from_data(TensorData::new(z.clone(), [b, d]), device);
            let recon = to_vec(bce_with_logits(model.decoder.forward_logits(zt), x.clone()));
            for i in 0..b {
                let row = i * d..(i + 1) * d;
                let log_p: f64 = z[row.clone()]
                    .iter()
                    .map(|&v| -0.5 * (v as f64 * v as f64 + LN_2PI))
                    .sum();
                let log_q: f64 = row
                    .map(|j| -0.5 * ((eps[j] as f64).powi(2) + log_var[j] as f64 + LN_2PI))
                    .sum();
                log_w[i].push(-(recon[i] as f64) + log_p - log_q);
                recon_sum[i] += recon[i] as f64;
            }
        }
        e.recon_sampled
            .extend(recon_sum.iter().map(|s| s / draws.max(1) as f64));
        e.iwae_ll.extend(log_w.iter().map(|w| log_mean_exp(w)));
        e.means.extend(mean);
        e.log_vars.extend(log_var);
    }
    e
}

fn log_mean_exp(v: &[f64]) -> f64 {
    let m = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    m + (v.iter().map(|x| (x - m).exp()).sum::<f64>() / v.len() as f64).ln()
}

pub fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// The one-sample negative ELBO and its parts over `images`.
pub fn test_elbo(
    model: &Vae,
    images: &ImageSet,
    device: &Device,
    rng: &mut Rng,
    batch: usize,
) -> ElboStats {
    let e = encode_and_score(model, images, device, rng, 1, batch);
    let (recon, kl) = (mean(&e.recon_sampled), mean(&e.kl));
    ElboStats {
        nelbo: recon + kl,
        recon,
        kl,
    }
}

/// Latent dimensions whose posterior mean varies across the data (Cov_x E_q[z_i] > 0.01,
/// Burda et al. 2016): the units the model actually uses.
pub fn active_units(means: &[f32], dim: usize) -> usize {
    let n = (means.len() / dim) as f64;
    (0..dim)
        .filter(|&j| {
            let col = means.iter().skip(j).step_by(dim).map(|&v| v as f64);
            let m = col.clone().sum::<f64>() / n;
            col.map(|v| (v - m).powi(2)).sum::<f64>() / n > 0.01
        })
        .count()
}

/// Decode latent points (`n x dim`, row-major) to greyscale bytes, `batch` at a time.
pub fn decode_bytes(
    model: &Vae,
    z: &[f32],
    dim: usize,
    device: &Device,
    batch: usize,
) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for chunk in z.chunks(batch * dim) {
        let n = chunk.len() / dim;
        let t = Tensor::<2>::from_data(TensorData::new(chunk.to_vec(), [n, dim]), device);
        let px = to_vec(model.decoder.forward(t));
        out.extend(px.chunks(px.len() / n).map(|img| {
            img.iter()
                .map(|&p| (p.clamp(0.0, 1.0) * 255.0).round() as u8)
                .collect::<Vec<u8>>()
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_mean_exp_is_stable_and_exact() {
        assert!((log_mean_exp(&[0.0, 0.0]) - 0.0).abs() < 1e-12);
        assert!(
            (log_mean_exp(&[-1000.0, -1000.0 + 2f64.ln()]) - (-1000.0 + 1.5f64.ln())).abs() < 1e-9
        );
    }

    #[test]
    fn active_units_counts_varying_dimensions() {
        // dim 0 varies (variance 1), dim 1 is constant, dim 2 varies a little (variance 0.0025).
        let means: Vec<f32> = (0..100)
            .flat_map(|i| {
                [
                    if i % 2 == 0 { 1.0 } else { -1.0 },
                    0.3,
                    if i % 2 == 0 { 0.05 } else { -0.05 },
                ]
            })
            .collect();
        assert_eq!(active_units(&means, 3), 1);
    }
}
