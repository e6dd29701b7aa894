//! The content/style objective of the Omniglot study, made to separate *what* is drawn from *how*.
//!
//! A batch holds `groups` characters with `per_group` drawings each (rows `g * per_group ..`).
//! - **Group content** (Bouchacourt et al., multi-level VAE): the drawings of one character share
//!   one content code, whose posterior is the product of the drawings' content Gaussians. Each
//!   drawing is reconstructed from that shared content plus its own style, so whatever differs
//!   between drawings of a character (the hand) can only travel through style.
//! - **Regularisers per part**: KL to N(0, I) (the group's content posterior once per group, each
//!   drawing's style), MMD between the aggregate posterior and N(0, I), both, or adversarial (a
//!   critic per such part tells N(0, I) samples from the drawings' content or style means, and
//!   the encoder learns to fool it, as in the adversarial autoencoder).
//! - **Prototype term** (Snell et al.): half of each group's content means, averaged, must be the
//!   nearest prototype to the other half's. This uses the same labels the grouping uses and makes
//!   content distances mean "same character" on alphabets never seen in training.
//! - **Cluster term** (optional): within-character scatter of content means over the batch's
//!   scatter, the quantity k-means works with, kept low beyond where the prototype term stops.

mod loss;

pub use loss::{
    ContentStyleLoss, Noise, content_style_loss, group_product, parts, prototype_loss,
    scatter_ratio,
};

use super::aae::{Aae, Contest, regularisation_phase};
use super::kind::{Batch, Batching, Distortion, Kind, Optimise, ParamSet, Term};
use super::mmd::MmdKernel;
use crate::model::{AdversarialNet, Vae, VaeConfig};
use crate::rng::Rng;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// Which penalties pull a latent part towards the prior.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Regulariser {
    /// KL(q(z|x) || N(0, I)) per drawing
    Kl,
    /// MMD² between the batch's codes and prior draws
    Mmd,
    /// KL and MMD²
    #[cfg_attr(feature = "cli", value(alias = "kl+mmd"))]
    Both,
    /// a discriminator against N(0, I) samples, on the part's means
    Adversarial,
}

impl Regulariser {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Kl => "KL",
            Self::Mmd => "MMD",
            Self::Both => "KL + MMD",
            Self::Adversarial => "adversarial",
        }
    }

    fn kl(self) -> bool {
        matches!(self, Self::Kl | Self::Both)
    }
    fn mmd(self) -> bool {
        matches!(self, Self::Mmd | Self::Both)
    }
    fn adversarial(self) -> bool {
        self == Self::Adversarial
    }
}

/// The kind's settings; stored in the run's config and the model file's provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentStyle {
    /// Drawings of one character per group (even, at least 2: the prototype term halves groups).
    pub per_group: usize,
    pub content_reg: Regulariser,
    pub style_reg: Regulariser,
    /// Weights of the KL terms, where `*_reg` includes KL.
    pub content_beta: f64,
    pub style_beta: f64,
    /// Weight of MMD² (per drawing, like the other terms).
    pub mmd_weight: f64,
    pub kernel: MmdKernel,
    /// Weight of the prototype cross-entropy.
    pub proto_weight: f64,
    /// The prototype term's logits are `-proto_scale` × squared distance (`prototype_loss`).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub proto_scale: f64,
    /// Weight of the scatter ratio of content means (`scatter_ratio`); 0 logs it only.
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub cluster_weight: f64,
    /// Random translation of each training drawing by up to this many pixels (position is style).
    pub max_shift: usize,
    /// Share of training drawings shown as the page prepares a person's drawing: cropped to the
    /// ink and scaled so its longer side is the training set's median ink extent. The page's
    /// encodings then come from inputs the model has seen (README, "The page's path").
    #[serde(default)]
    pub page_crops: f64,
    /// For adversarial parts (see `Aae`): the critics' width and the two regularisation phases'
    /// learning rates, as multiples of the run's.
    #[serde(default = "critic_width")]
    pub critic_width: usize,
    #[serde(default = "discriminator_lr")]
    pub discriminator_lr: f64,
    #[serde(default = "one")]
    pub generator_lr: f64,
    /// Background alphabets held out of training for choosing settings (the first N of
    /// `data::omniglot::VALIDATION_ALPHABETS`); `eval` scores the model on them as well.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub validation_alphabets: usize,
    /// Train on every character also turned by 90°, 180° and 270°, each turn a new character
    /// (`TrainSet::with_quarter_turns`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub quarter_turns: bool,
    /// Random turn of each training drawing by up to this many degrees either way, and scaling
    /// by up to this share either way (`train::distort`); content should not move with either.
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub max_turn: f64,
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub max_scale: f64,
    /// Batches of characters of the same alphabets (`Batching::Groups::by_label`): the
    /// prototype term's negatives are then a script's other characters.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub alphabet_batches: bool,
}

fn is_zero_f64(x: &f64) -> bool {
    *x == 0.0
}

fn is_one(x: &f64) -> bool {
    *x == 1.0
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn critic_width() -> usize {
    Aae::default().critic_width
}
fn discriminator_lr() -> f64 {
    Aae::default().discriminator_lr
}
fn one() -> f64 {
    1.0
}

impl Default for ContentStyle {
    fn default() -> Self {
        Self {
            per_group: 4,
            content_reg: Regulariser::Mmd,
            style_reg: Regulariser::Both,
            content_beta: 1.0,
            style_beta: 1.0,
            mmd_weight: 100.0,
            kernel: MmdKernel::Imq,
            proto_weight: 20.0,
            proto_scale: 1.0,
            cluster_weight: 0.0,
            max_shift: 2,
            page_crops: 0.0,
            critic_width: critic_width(),
            discriminator_lr: discriminator_lr(),
            generator_lr: one(),
            validation_alphabets: 0,
            quarter_turns: false,
            max_turn: 0.0,
            max_scale: 0.0,
            alphabet_batches: false,
        }
    }
}

/// Streams of the step's noise (see `Batch::seed`); the group order and shifts use 11 and 13.
const NOISE_STREAM: u64 = 12;
const PRIOR_STREAM: u64 = 14;

const TERMS: &[&str] = &[
    "loss",
    "recon",
    "kl_content",
    "kl_style",
    "mmd_content",
    "mmd_style",
    "proto",
    "scatter",
    "nelbo",
];
const ADVERSARIAL_TERMS: &[&str] = &[
    "loss",
    "recon",
    "kl_content",
    "kl_style",
    "mmd_content",
    "mmd_style",
    "proto",
    "scatter",
    "nelbo",
    "d_loss",
    "g_loss",
    "d_real",
    "d_fake",
];
const SETS: &[ParamSet] = &[ParamSet {
    name: "model",
    prefixes: &["encoder", "decoder"],
}];
const ADVERSARIAL_SETS: &[ParamSet] = &[
    ParamSet {
        name: "model",
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

impl ContentStyle {
    /// The parts a critic judges, as (start, length) in the code.
    fn adversarial_parts(&self, architecture: &VaeConfig) -> Vec<(usize, usize)> {
        let content = architecture.content_dim.unwrap_or(0);
        let style = architecture.latent_dim - content;
        [
            (self.content_reg, (0, content)),
            (self.style_reg, (content, style)),
        ]
        .into_iter()
        .filter(|(reg, _)| reg.adversarial())
        .map(|(_, part)| part)
        .collect()
    }

    fn is_adversarial(&self) -> bool {
        self.content_reg.adversarial() || self.style_reg.adversarial()
    }
}

impl Kind for ContentStyle {
    const NAME: &'static str = "content-style";
    type Net = AdversarialNet;

    fn terms(&self) -> &'static [&'static str] {
        if self.is_adversarial() {
            ADVERSARIAL_TERMS
        } else {
            TERMS
        }
    }

    fn progress_terms(&self) -> &'static [&'static str] {
        if self.cluster_weight > 0.0 {
            &["loss", "recon", "proto", "scatter"]
        } else {
            &["loss", "recon", "proto"]
        }
    }

    fn param_sets(&self) -> &'static [ParamSet] {
        if self.is_adversarial() {
            ADVERSARIAL_SETS
        } else {
            SETS
        }
    }

    fn batching(&self) -> Batching {
        Batching::Groups {
            per_group: self.per_group,
            max_shift: self.max_shift,
            page_crops: self.page_crops,
            distortion: Distortion {
                max_turn_degrees: self.max_turn,
                max_scale: self.max_scale,
            },
            by_label: self.alphabet_batches,
        }
    }

    fn check_architecture(&self, architecture: &VaeConfig) -> Result<(), String> {
        match architecture.content_dim {
            Some(_) => Ok(()),
            None => Err("it must declare content_dim (give --content-dim)".into()),
        }
    }

    fn check_training(&self, batch_size: usize) -> Result<(), String> {
        for (flag, w) in [
            ("--content-beta", self.content_beta),
            ("--style-beta", self.style_beta),
            ("--mmd-weight", self.mmd_weight),
            ("--proto-weight", self.proto_weight),
            ("--cluster-weight", self.cluster_weight),
        ] {
            if !(0.0..=10_000.0).contains(&w) {
                return Err(format!("{flag} {w} must be a number in [0, 10000]"));
            }
        }
        // 0 would make every prototype equally likely (a constant loss); past 100 the softmax
        // of squared distances at the prior's scale overflows into a hard maximum.
        if !(self.proto_scale > 0.0 && self.proto_scale <= 100.0) {
            return Err(format!(
                "--proto-scale {} must be a number in (0, 100]",
                self.proto_scale
            ));
        }
        if !(0.0..=1.0).contains(&self.page_crops) {
            return Err(format!(
                "--page-crops {} must be a share in [0, 1]",
                self.page_crops
            ));
        }
        if !(0.0..=45.0).contains(&self.max_turn) {
            return Err(format!(
                "--max-turn {} must be in [0, 45] degrees",
                self.max_turn
            ));
        }
        if !(0.0..=0.5).contains(&self.max_scale) {
            return Err(format!(
                "--max-scale {} must be a share in [0, 0.5]",
                self.max_scale
            ));
        }
        if self.max_shift > 8 {
            return Err(format!(
                "--max-shift {} must be at most 8 pixels",
                self.max_shift
            ));
        }
        let k = self.per_group;
        if k < 2 || !k.is_multiple_of(2) || k > 20 {
            return Err(format!("--group-size {k} must be even and in 2..=20"));
        }
        if !batch_size.is_multiple_of(k) || batch_size / k < 2 {
            return Err(format!(
                "--batch-size {batch_size} must be a multiple of --group-size {k} holding at least two groups"
            ));
        }
        Aae {
            discriminator_lr: self.discriminator_lr,
            generator_lr: self.generator_lr,
            critic_width: self.critic_width,
            class_prior: false,
            balance: 0.0,
        }
        .check_training(batch_size)
    }

    fn net(&self, architecture: &VaeConfig, seed: Option<u64>, device: &Device) -> AdversarialNet {
        let inputs: Vec<usize> = self
            .adversarial_parts(architecture)
            .iter()
            .map(|&(_, len)| len)
            .collect();
        AdversarialNet::new(architecture, &inputs, self.critic_width, seed, device)
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
        let x = batch.x;
        let n = x.dims()[0];
        let groups = n / self.per_group;
        let content = architecture
            .content_dim
            .expect("checked by check_architecture");
        let style = architecture.latent_dim - content;
        let device = x.device();
        let eps = Rng::derive(batch.seed, NOISE_STREAM, batch.step as u64)
            .normals(Noise::len(n, groups, content, style));
        let noise = Noise::from_flat(eps, n, groups, content, style, &device);
        let loss = content_style_loss(&net.encoder, &net.decoder, x.clone(), content, noise, self);
        let nelbo = loss.nelbo();
        let net = opt.minimise(net, &loss.total, "model");
        let mut terms = vec![
            ("loss", loss.total),
            ("recon", loss.recon),
            ("kl_content", loss.kl_content),
            ("kl_style", loss.kl_style),
            ("mmd_content", loss.mmd_content),
            ("mmd_style", loss.mmd_style),
            ("proto", loss.proto),
            ("scatter", loss.scatter),
            ("nelbo", nelbo),
        ];
        let parts = self.adversarial_parts(architecture);
        if parts.is_empty() {
            return (net, terms);
        }
        // The regularisation phase for the adversarial parts, on the drawings' means.
        let d = architecture.latent_dim;
        let real = Rng::derive(batch.seed, PRIOR_STREAM, batch.step as u64).normals(n * d);
        let real = Tensor::<2>::from_data(TensorData::new(real, [n, d]), &device);
        let z = net.encoder.forward(x).mean;
        let lrs = (self.discriminator_lr, self.generator_lr);
        let contest = Contest {
            z,
            real,
            parts: &parts,
            condition: None,
            extra: None,
        };
        let (net, a) = regularisation_phase(net, contest, lrs, opt);
        terms.extend(a.terms());
        (net, terms)
    }
}
