//! How well a Gaussian VAE explains images, in nats per image: the ELBO's terms and the
//! importance-weighted bound. Training scores its held-out set with this after every epoch, and
//! evaluation reports it, so both use one computation.

use super::terms::{bce_with_logits, kl_to_standard_normal};
use crate::data::ImageSet;
use crate::model::{Prior, Vae, with_label};
use crate::rng::Rng;
use burn::prelude::*;

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// One-sample ELBO terms averaged over a set (what training records per epoch).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ElboStats {
    pub nelbo: f64,
    pub recon: f64,
    pub kl: f64,
    /// Reconstruction BCE decoding z = the posterior mean.
    pub recon_at_mean: f64,
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

/// Encode every image and score it with `draws` samples of z (at least one) under `prior`
/// (a conditional model given each image's label).
/// Under N(0, I) the KL is exact; under a mixture it is the Monte-Carlo mean of
/// log q(z|x) - log p(z) over the draws; a categorical prior has no density, so its KL and
/// bound are NaN (reported as absent).
pub fn encode_and_score(
    model: &Vae,
    prior: &Prior,
    images: &ImageSet,
    device: &Device,
    rng: &mut Rng,
    draws: usize,
    batch: usize,
) -> Encodings {
    encode_and_score_reporting(model, prior, images, device, rng, draws, batch, &mut |_| {})
}

/// `encode_and_score`, calling `done(images scored so far)` after every batch: a long
/// importance-sampled estimate (k = 1,000 draws decode ten million images) can show progress.
#[allow(clippy::too_many_arguments)]
pub fn encode_and_score_reporting(
    model: &Vae,
    prior: &Prior,
    images: &ImageSet,
    device: &Device,
    rng: &mut Rng,
    draws: usize,
    batch: usize,
    done: &mut dyn FnMut(usize),
) -> Encodings {
    let exact_kl = prior.is_gaussian();
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
        // A conditional model is scored given each image's label: log p(x | y).
        let labels: Vec<usize> = images.labels[start..end]
            .iter()
            .map(|&l| l as usize)
            .collect();
        let y = model.label_input(&labels, device);
        let q = model.encoder.forward_given(x.clone(), y.clone());
        if exact_kl {
            e.kl.extend(to_vec(kl_to_standard_normal(&q)).iter().map(|&v| v as f64));
        }
        e.recon_at_mean.extend(
            to_vec(bce_with_logits(
                model
                    .decoder
                    .forward_logits(with_label(q.mean.clone(), y.clone())),
                x.clone(),
            ))
            .iter()
            .map(|&v| v as f64),
        );
        let (mean, log_var) = (to_vec(q.mean), to_vec(q.log_var));
        let d = mean.len() / b;
        let mut log_w = vec![Vec::with_capacity(draws); b];
        let mut recon_sum = vec![0.0; b];
        let mut kl_sum = vec![0.0; b];
        for _ in 0..draws.max(1) {
            let eps = rng.normals(b * d);
            let z: Vec<f32> = (0..b * d)
                .map(|i| mean[i] + (0.5 * log_var[i]).exp() * eps[i])
                .collect();
            let zt = Tensor::<2>::from_data(TensorData::new(z.clone(), [b, d]), device);
            let recon = to_vec(bce_with_logits(
                model.decoder.forward_logits(with_label(zt, y.clone())),
                x.clone(),
            ));
            for i in 0..b {
                let row = i * d..(i + 1) * d;
                let log_p = prior.log_density(&z[row.clone()]).unwrap_or(f64::NAN);
                let log_q: f64 = row
                    .map(|j| -0.5 * ((eps[j] as f64).powi(2) + log_var[j] as f64 + LN_2PI))
                    .sum();
                log_w[i].push(-(recon[i] as f64) + log_p - log_q);
                recon_sum[i] += recon[i] as f64;
                kl_sum[i] += log_q - log_p;
            }
        }
        if !exact_kl {
            e.kl.extend(kl_sum.iter().map(|s| s / draws.max(1) as f64));
        }
        e.recon_sampled
            .extend(recon_sum.iter().map(|s| s / draws.max(1) as f64));
        e.iwae_ll.extend(log_w.iter().map(|w| log_mean_exp(w)));
        e.means.extend(mean);
        e.log_vars.extend(log_var);
        done(end);
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

/// The one-sample negative ELBO and its parts over `images`, under `prior`.
pub fn test_elbo(
    model: &Vae,
    prior: &Prior,
    images: &ImageSet,
    device: &Device,
    rng: &mut Rng,
    batch: usize,
) -> ElboStats {
    let e = encode_and_score(model, prior, images, device, rng, 1, batch);
    let (recon, kl) = (mean(&e.recon_sampled), mean(&e.kl));
    ElboStats {
        nelbo: recon + kl,
        recon,
        kl,
        recon_at_mean: mean(&e.recon_at_mean),
    }
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
}
