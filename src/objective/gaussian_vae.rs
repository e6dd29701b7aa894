//! The Gaussian VAE of the Fashion-MNIST study (the Keras example): reconstruction + β·KL to
//! N(0, I), one optimiser over every parameter, shuffled image batches. With a conditional
//! architecture it is the conditional VAE (Sohn et al. 2015): the same loss, with each image's
//! label read by both networks, so the code is left to hold what the label does not say.

use super::kind::{Batch, Batching, Kind, Optimise, Term};
use super::terms::{bce_with_logits, kl_to_standard_normal};
use crate::model::{Posterior, Vae, VaeConfig};
use crate::rng::Rng;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// The stream of the reparameterisation noise (see `Batch::seed`).
const NOISE_STREAM: u64 = 2;

/// The kind's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianVae {
    /// Weight of the KL term (1 is the ELBO).
    pub beta: f64,
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

impl Kind for GaussianVae {
    const NAME: &'static str = "gaussian-vae";
    type Net = Vae;

    fn terms(&self) -> &'static [&'static str] {
        &["loss", "recon", "kl"]
    }

    fn progress_terms(&self) -> &'static [&'static str] {
        &["loss"]
    }

    fn batching(&self) -> Batching {
        Batching::Shuffled
    }

    fn check_architecture(&self, architecture: &VaeConfig) -> Result<(), String> {
        if !architecture.prior.is_gaussian() {
            return Err("its KL term is to N(0, I); other priors train with --kind aae".into());
        }
        match architecture.content_dim {
            Some(_) => Err("it has one latent code and must not declare content_dim".into()),
            None => Ok(()),
        }
    }

    fn check_classes(&self, architecture: &VaeConfig, classes: usize) -> Result<(), String> {
        match architecture.conditional {
            Some(k) if k != classes => Err(format!(
                "a conditional model of {k} classes cannot train on data with {classes} classes"
            )),
            _ => Ok(()),
        }
    }

    fn check_training(&self, _batch_size: usize) -> Result<(), String> {
        if !(0.0..=1000.0).contains(&self.beta) {
            return Err(format!(
                "--beta {} must be a number in [0, 1000]",
                self.beta
            ));
        }
        Ok(())
    }

    fn net(&self, architecture: &VaeConfig, seed: Option<u64>, device: &Device) -> Vae {
        match seed {
            Some(seed) => Vae::new(architecture, seed, device),
            None => Vae::uninitialised(architecture, device),
        }
    }

    fn vae(net: &Vae) -> Vae {
        net.clone()
    }

    fn step(
        &self,
        architecture: &VaeConfig,
        net: Vae,
        batch: Batch,
        opt: &mut impl Optimise,
    ) -> (Vae, Vec<Term>) {
        let x = batch.x;
        let n = x.dims()[0];
        let latent = architecture.latent_dim;
        let eps = Rng::derive(batch.seed, NOISE_STREAM, batch.step as u64).normals(n * latent);
        let eps = Tensor::<2>::from_data(TensorData::new(eps, [n, latent]), &x.device());
        let y = net.label_input(&batch.labels, &x.device());
        let (logits, q) = net.forward_given(x.clone(), y, eps);
        let loss = elbo_loss(logits, x, &q, self.beta);
        let net = opt.minimise(net, &loss.total, "model");
        (
            net,
            vec![("loss", loss.total), ("recon", loss.recon), ("kl", loss.kl)],
        )
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
