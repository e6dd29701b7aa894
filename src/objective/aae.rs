//! The adversarial autoencoder (Makhzani et al. 2015), the Omniglot study's next step: instead
//! of pulling every code towards the prior (KL) or comparing batches to it (MMD), a
//! discriminator learns to tell prior samples from the encoder's codes and the encoder learns to
//! fool it, which shapes the *aggregate* posterior into the prior — any prior that can be sampled.
//!
//! One step is the paper's schedule on one mini-batch:
//! 1. reconstruction: encoder and decoder minimise the reconstruction loss;
//! 2. regularisation, discriminator: the critics learn prior samples (label 1) from the updated
//!    encoder's codes (label 0);
//! 3. regularisation, generator: the encoder minimises the non-saturating loss
//!    `softplus(-D(code))` against the updated critics.
//!
//! The encoder is deterministic: the code is the VAE encoder's mean head (the network is the
//! VAE's, so the page and the scatter of codes work unchanged). Sampled codes with no KL to hold
//! the variance left 0–1 of 2 units active in short runs (README, "Adversarial autoencoders").
//! A categorical prior gets two critics, one on the (softmax) category and one on the style;
//! every other prior one critic on the whole code.
//!
//! A categorical code can collapse onto one category: a critic judges codes one at a time, so an
//! encoder that sends every image to the same one-hot vertex looks exactly like a prior sample
//! there, and the saturated softmax gets no gradient to leave. `balance` adds the marginal
//! entropy term of CatGAN (Springenberg 2016) to the encoder's phase, `ln K − H(mean softmax)`
//! over the batch: zero when the batch uses the categories evenly.

use super::kind::{Batch, Batching, Kind, Optimise, ParamSet, Term};
use super::terms::{bce_with_logits, softplus};
use crate::model::{AdversarialNet, Prior, Vae, VaeConfig};
use crate::rng::Rng;
use burn::prelude::*;
use burn::tensor::activation::sigmoid;
use serde::{Deserialize, Serialize};

const PRIOR_STREAM: u64 = 22;

/// The kind's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aae {
    /// Learning rates of the two regularisation phases as multiples of the run's (Adam's steps
    /// do not scale with a loss's size, so these set how hard each player moves against the
    /// reconstruction): the critics', and the encoder's against them.
    pub discriminator_lr: f64,
    pub generator_lr: f64,
    /// Units in each of a critic's two hidden layers.
    pub critic_width: usize,
    /// Give the critic each image's class, and draw the matching prior sample from the component
    /// of that class (the paper's §2.3): every class gets its own component of a mixture.
    pub class_prior: bool,
    /// Weight of the category balance term (categorical priors only; 0 = the paper's loss).
    #[serde(default)]
    pub balance: f64,
}

impl Default for Aae {
    fn default() -> Self {
        Self {
            discriminator_lr: 0.2,
            generator_lr: 1.0,
            critic_width: 512,
            class_prior: false,
            balance: 0.0,
        }
    }
}

const SETS: &[ParamSet] = &[
    ParamSet {
        name: "autoencoder",
        prefixes: &["encoder", "decoder"],
    },
    ParamSet {
        name: "discriminator",
        prefixes: &["critics"],
    },
    ParamSet {
        name: "generator",
        prefixes: &["encoder"],
    },
];

impl Aae {
    /// The code coordinates each critic judges, as (start, length).
    fn parts(architecture: &VaeConfig) -> Vec<(usize, usize)> {
        let d = architecture.latent_dim;
        match architecture.prior {
            Prior::Categorical { classes } => vec![(0, classes), (classes, d - classes)],
            _ => vec![(0, d)],
        }
    }

    /// The class one-hot a class-aware critic reads beside the code.
    fn condition(&self, architecture: &VaeConfig) -> usize {
        if self.class_prior {
            architecture.prior.components()
        } else {
            0
        }
    }
}

impl Kind for Aae {
    const NAME: &'static str = "aae";
    type Net = AdversarialNet;

    fn terms(&self) -> &'static [&'static str] {
        if self.balance > 0.0 {
            &[
                "loss", "recon", "d_loss", "g_loss", "d_real", "d_fake", "balance",
            ]
        } else {
            &["loss", "recon", "d_loss", "g_loss", "d_real", "d_fake"]
        }
    }

    fn progress_terms(&self) -> &'static [&'static str] {
        &["recon", "d_loss", "g_loss"]
    }

    fn param_sets(&self) -> &'static [ParamSet] {
        SETS
    }

    fn batching(&self) -> Batching {
        Batching::Shuffled
    }

    fn check_architecture(&self, architecture: &VaeConfig) -> Result<(), String> {
        if architecture.content_dim.is_some() {
            return Err("it has one code and must not declare content_dim".into());
        }
        if architecture.conditional.is_some() {
            return Err("conditional models train as gaussian-vae (--conditional)".into());
        }
        if self.class_prior && !matches!(architecture.prior, Prior::Mixture { .. }) {
            return Err(
                "--class-prior matches each class to a component of a mixture prior".into(),
            );
        }
        if self.balance > 0.0 && !matches!(architecture.prior, Prior::Categorical { .. }) {
            return Err("--balance evens out the categories of a categorical prior".into());
        }
        Ok(())
    }

    fn check_training(&self, _batch_size: usize) -> Result<(), String> {
        for (flag, v) in [
            ("--discriminator-lr", self.discriminator_lr),
            ("--generator-lr", self.generator_lr),
            ("--balance", self.balance),
        ] {
            if !(0.0..=10.0).contains(&v) {
                return Err(format!("{flag} {v} must be a number in [0, 10]"));
            }
        }
        if !(8..=4096).contains(&self.critic_width) {
            return Err(format!(
                "--critic-width {} is outside 8..=4096",
                self.critic_width
            ));
        }
        Ok(())
    }

    fn check_classes(&self, architecture: &VaeConfig, classes: usize) -> Result<(), String> {
        let k = architecture.prior.components();
        if self.class_prior && classes != k {
            return Err(format!(
                "--class-prior needs one mixture component per class: the data has {classes} classes, the prior {k} components"
            ));
        }
        Ok(())
    }

    fn net(&self, architecture: &VaeConfig, seed: Option<u64>, device: &Device) -> AdversarialNet {
        let extra = self.condition(architecture);
        let inputs: Vec<usize> = Self::parts(architecture)
            .iter()
            .map(|&(_, len)| len + extra)
            .collect();
        AdversarialNet::new(architecture, &inputs, self.critic_width, seed, device)
    }

    fn stochastic_codes(&self) -> bool {
        false
    }

    fn vae(net: &AdversarialNet) -> Vae {
        net.vae()
    }

    fn step(
        &self,
        architecture: &VaeConfig,
        net: AdversarialNet,
        batch: Batch,
        opt: &mut impl Optimise,
    ) -> (AdversarialNet, Vec<Term>) {
        let Batch {
            x,
            labels,
            seed,
            step,
        } = batch;
        let n = x.dims()[0];
        let d = architecture.latent_dim;
        let device = x.device();

        // 1. Reconstruction.
        let z = net.encoder.forward(x.clone()).mean;
        let recon = bce_with_logits(net.decoder.forward_logits(z), x.clone()).mean();
        let net = opt.minimise(net, &recon, "autoencoder");

        // 2 and 3. Regularisation: prior samples against the updated encoder's codes.
        let mut rng = Rng::derive(seed, PRIOR_STREAM, step as u64);
        let real = if self.class_prior {
            architecture.prior.sample_components(&labels, d, &mut rng)
        } else {
            architecture.prior.sample(n, d, &mut rng)
        };
        let real = Tensor::<2>::from_data(TensorData::new(real, [n, d]), &device);
        let z = net.encoder.forward(x).mean;
        let k = self.condition(architecture);
        let condition = (k > 0).then(|| {
            let hot: Vec<f32> = labels
                .iter()
                .flat_map(|&l| (0..k).map(move |c| f32::from(u8::from(c == l))))
                .collect();
            Tensor::<2>::from_data(TensorData::new(hot, [n, k]), &device)
        });
        let parts = Self::parts(architecture);
        let balance = (self.balance > 0.0).then(|| {
            let k = architecture.prior.components();
            category_imbalance(z.clone().narrow(1, 0, k))
        });
        let extra = balance.clone().map(|b| b * self.balance);
        let lrs = (self.discriminator_lr, self.generator_lr);
        let contest = Contest {
            z,
            real,
            parts: &parts,
            condition,
            extra,
        };
        let (net, a) = regularisation_phase(net, contest, lrs, opt);

        let mut terms = vec![
            ("loss", recon.clone().detach() + a.g_loss.clone().detach()),
            ("recon", recon),
        ];
        terms.extend(a.terms());
        terms.extend(balance.map(|b| ("balance", b.detach())));
        (net, terms)
    }
}

/// `ln K − H(p̄)`, p̄ the batch's mean of the category probabilities `[n, K]` (rows sum to 1):
/// how far the batch is from using all K categories equally (0) towards one category (ln K).
pub fn category_imbalance(probabilities: Tensor<2>) -> Tensor<1> {
    let k = probabilities.dims()[1];
    let mean = probabilities.mean_dim(0).reshape([k]);
    let entropy = (mean.clone() * mean.clamp_min(1e-12).log()).sum().neg();
    entropy.neg() + (k as f64).ln()
}

/// What the critics said in one regularisation phase: the discriminators' and the encoder's
/// losses (summed over critics) and the mean probability they gave prior samples and codes
/// (averaged over critics; both near 1/2 when the codes match the prior).
pub struct Adversaries {
    pub d_loss: Tensor<1>,
    pub g_loss: Tensor<1>,
    pub d_real: Tensor<1>,
    pub d_fake: Tensor<1>,
}

impl Adversaries {
    /// The phase's named terms, as training records them.
    pub fn terms(self) -> Vec<Term> {
        vec![
            ("d_loss", self.d_loss),
            ("g_loss", self.g_loss),
            ("d_real", self.d_real),
            ("d_fake", self.d_fake),
        ]
    }
}

/// What one regularisation phase compares.
pub struct Contest<'a> {
    /// The codes of the current encoder (their graph kept).
    pub z: Tensor<2>,
    /// Prior samples of the same shape.
    pub real: Tensor<2>,
    /// Critic `i` judges coordinates `parts[i]` (start, length)…
    pub parts: &'a [(usize, usize)],
    /// …with this appended when given (a class one-hot).
    pub condition: Option<Tensor<2>>,
    /// A further term of the same codes the encoder minimises in its phase.
    pub extra: Option<Tensor<1>>,
}

/// The paper's regularisation phase. First the critics learn `real` (label 1) from `z` (label 0)
/// with the non-saturating loss, at `lrs.0` times the run's learning rate; then the encoder
/// minimises `softplus(-D(z))` (plus `extra`) against the updated critics, at `lrs.1` times it.
pub fn regularisation_phase(
    net: AdversarialNet,
    contest: Contest,
    lrs: (f64, f64),
    opt: &mut impl Optimise,
) -> (AdversarialNet, Adversaries) {
    let Contest {
        z,
        real,
        parts,
        condition,
        extra,
    } = contest;
    let input = |t: Tensor<2>, (start, len): (usize, usize)| {
        let part = t.narrow(1, start, len);
        match &condition {
            Some(c) => Tensor::cat(vec![part, c.clone()], 1),
            None => part,
        }
    };
    let sum = |v: Vec<Tensor<1>>| {
        v.into_iter()
            .reduce(|a, b| a + b)
            .expect("at least one critic")
    };
    let (mut d_loss, mut d_real, mut d_fake) = (vec![], vec![], vec![]);
    for (critic, &part) in net.critics.iter().zip(parts) {
        let on_real = critic.forward(input(real.clone(), part));
        // The codes are detached here: this phase moves the critics only.
        let on_fake = critic.forward(input(z.clone().detach(), part));
        d_loss.push(softplus(on_real.clone().neg()).mean() + softplus(on_fake.clone()).mean());
        d_real.push(sigmoid(on_real).mean().detach());
        d_fake.push(sigmoid(on_fake).mean().detach());
    }
    let d_loss = sum(d_loss);
    let net = opt.minimise_scaled(net, &d_loss, "discriminator", lrs.0);
    let g_loss = sum(net
        .critics
        .iter()
        .zip(parts)
        .map(|(critic, &part)| softplus(critic.forward(input(z.clone(), part)).neg()).mean())
        .collect());
    let encoder_loss = match extra {
        Some(e) => g_loss.clone() + e,
        None => g_loss.clone(),
    };
    let net = opt.minimise_scaled(net, &encoder_loss, "generator", lrs.1);
    let per = 1.0 / parts.len() as f64;
    let a = Adversaries {
        d_loss,
        g_loss,
        d_real: sum(d_real) * per,
        d_fake: sum(d_fake) * per,
    };
    (net, a)
}
