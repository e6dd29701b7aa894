//! The discriminators of an adversarial autoencoder: small MLPs that tell samples of the prior
//! from the encoder's codes (Makhzani et al. 2015 used two hidden layers of 1000 ReLUs on MNIST),
//! and the network an adversarial run trains: the VAE's encoder and decoder plus its critics.
//! Only the encoder and decoder are exported; the critics live in checkpoints.

use super::params::init_glorot;
use super::{Decoder, Encoder, Vae, VaeConfig};
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;

/// `input -> hidden -> hidden -> 1`, ReLU between: one logit per code, "this came from the
/// prior".
#[derive(Module, Debug)]
pub struct Critic {
    layers: Vec<Linear>,
}

impl Critic {
    /// The structure, with burn's lazy parameters (load or initialise before use).
    pub fn uninitialised(input: usize, hidden: usize, device: &Device) -> Self {
        Self {
            layers: vec![
                LinearConfig::new(input, hidden).init(device),
                LinearConfig::new(hidden, hidden).init(device),
                LinearConfig::new(hidden, 1).init(device),
            ],
        }
    }

    /// Glorot-uniform weights and zero biases from `seed`.
    pub fn new(input: usize, hidden: usize, seed: u64, device: &Device) -> Self {
        init_glorot(Self::uninitialised(input, hidden, device), seed, device)
    }

    /// `z: [n, input]` -> logits `[n, 1]`.
    pub fn forward(&self, z: Tensor<2>) -> Tensor<2> {
        let last = self.layers.len() - 1;
        let mut h = z;
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(h);
            if i < last {
                h = relu(h);
            }
        }
        h
    }
}

/// What an adversarial run trains. Parameter paths start with `encoder`, `decoder` or
/// `critics.<i>`, so optimisers can be given each part.
#[derive(Module, Debug)]
pub struct AdversarialNet {
    pub encoder: Encoder,
    pub decoder: Decoder,
    pub critics: Vec<Critic>,
}

impl AdversarialNet {
    /// The VAE with `critics` (input sizes) of `hidden` units; `seed = None` leaves the
    /// parameters lazy for loading, `Some` draws Glorot weights (the VAE's exactly as
    /// `Vae::new` would, so the same seed starts from the same autoencoder).
    pub fn new(
        config: &VaeConfig,
        critics: &[usize],
        hidden: usize,
        seed: Option<u64>,
        device: &Device,
    ) -> Self {
        let vae = match seed {
            Some(s) => Vae::new(config, s, device),
            None => Vae::uninitialised(config, device),
        };
        let critics: Vec<Critic> = critics
            .iter()
            .enumerate()
            .map(|(i, &input)| match seed {
                Some(s) => Critic::new(
                    input,
                    hidden,
                    s.wrapping_add(0xc417_1c00 + i as u64),
                    device,
                ),
                None => Critic::uninitialised(input, hidden, device),
            })
            .collect();
        Self {
            encoder: vae.encoder,
            decoder: vae.decoder,
            critics,
        }
    }

    pub fn vae(&self) -> Vae {
        Vae {
            encoder: self.encoder.clone(),
            decoder: self.decoder.clone(),
        }
    }
}
