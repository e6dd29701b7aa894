//! What the training loop asks of a model kind (`Kind`). A kind contributes data, not control
//! flow: how its batches are drawn, its named loss terms, the parameter sets that have their own
//! optimiser, and one step that says which set minimises which loss. Epochs, progress, records,
//! checkpoints, resume and Ctrl-C belong to the loop (`train`), the same for every kind.

use crate::model::{Vae, VaeConfig};
use burn::module::Module;
use burn::prelude::*;

/// One named scalar of a training step: a one-element tensor, averaged per example. The names
/// are the keys of the progress bar, `metrics.jsonl`, the model file's history and `eval`.
pub type Term = (&'static str, Tensor<1>);

/// How a kind's batches are drawn from the training images.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Batching {
    /// Every image once per epoch, in a fresh random order, `batch_size` at a time.
    Shuffled,
    /// Whole groups of `per_group` images with the same group label (Omniglot: drawings of one
    /// character), `batch_size / per_group` groups a batch, rows `g * per_group ..` holding group
    /// `g`; each image moved by up to `max_shift` whole pixels at random, and a share
    /// `page_crops` of them first cropped and scaled as the page prepares a drawing, and each
    /// turned and scaled at random within `distortion`. With `by_label`, consecutive groups
    /// share their images' label (Omniglot: the alphabet; `train::groups::epoch_groups_by_label`).
    Groups {
        per_group: usize,
        max_shift: usize,
        page_crops: f64,
        distortion: Distortion,
        by_label: bool,
    },
}

/// The largest random turn (degrees, either way) and relative scaling (either way) of a
/// training drawing; zero for both leaves drawings as they are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Distortion {
    pub max_turn_degrees: f64,
    pub max_scale: f64,
}

impl Distortion {
    pub fn is_none(&self) -> bool {
        self.max_turn_degrees == 0.0 && self.max_scale == 0.0
    }
}

/// One batch as a kind's step receives it.
pub struct Batch {
    /// Images `[n, 1, side, side]` in [0, 1], on the training (autodiff) device.
    pub x: Tensor<4>,
    /// Each image's class label (what kinds that use labels read).
    pub labels: Vec<usize>,
    /// The run's seed and the global step: a kind draws its noise from
    /// `Rng::derive(seed, <its stream>, step)`, so a resumed run replays it exactly.
    pub seed: u64,
    pub step: usize,
}

/// Parameters that share one optimiser: those whose dotted path is one of `prefixes` or lies
/// below one (`""` is every parameter). An adversarial kind would have, say, `autoencoder`
/// (`encoder`, `decoder`), `discriminator` and `generator` (`encoder`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamSet {
    pub name: &'static str,
    pub prefixes: &'static [&'static str],
}

/// Every parameter in one set: what a kind with a single optimiser declares.
pub const ONE_SET: &[ParamSet] = &[ParamSet {
    name: "model",
    prefixes: &[""],
}];

/// What a kind's step asks of the trainer.
pub trait Optimise {
    /// Backpropagate `loss` and take one optimiser step, at the run's learning rate times
    /// `lr_scale`, for the parameters of `set` only; every other parameter is returned as it was.
    /// (Adam's steps do not grow with the loss's scale: a kind that wants one phase to move less
    /// scales its learning rate, not its loss.)
    fn minimise_scaled<M: Module>(
        &mut self,
        net: M,
        loss: &Tensor<1>,
        set: &str,
        lr_scale: f64,
    ) -> M;

    /// `minimise_scaled` at the run's learning rate.
    fn minimise<M: Module>(&mut self, net: M, loss: &Tensor<1>, set: &str) -> M {
        self.minimise_scaled(net, loss, set, 1.0)
    }
}

/// A model kind, as the training loop drives it.
pub trait Kind {
    /// The kind's name in config files, model files and on the command line.
    const NAME: &'static str;
    /// Everything a run of this kind trains: the VAE, and any network only training needs.
    type Net: Module;

    /// The names of the terms `step` returns, in order; the first is `loss`, the total the
    /// run must keep finite.
    fn terms(&self) -> &'static [&'static str];
    /// The terms the progress bar shows while an epoch runs.
    fn progress_terms(&self) -> &'static [&'static str];
    /// The parameter sets with their own optimiser.
    fn param_sets(&self) -> &'static [ParamSet] {
        ONE_SET
    }
    fn batching(&self) -> Batching;
    /// Whether the architecture suits this kind (model files are checked with this too).
    fn check_architecture(&self, architecture: &VaeConfig) -> Result<(), String>;
    /// Whether the kind's settings and batch size make sense, before anything is written.
    fn check_training(&self, batch_size: usize) -> Result<(), String>;
    /// Whether the kind can use a training set whose labels are `0..classes`.
    fn check_classes(&self, _architecture: &VaeConfig, _classes: usize) -> Result<(), String> {
        Ok(())
    }
    /// A freshly seeded network, or (`seed = None`) its structure for loading weights into.
    fn net(&self, architecture: &VaeConfig, seed: Option<u64>, device: &Device) -> Self::Net;
    /// Whether codes are drawn from a Gaussian posterior (so the held-out ELBO applies), or are
    /// the encoder's means (a deterministic encoder: held-out reconstruction only).
    fn stochastic_codes(&self) -> bool {
        true
    }
    /// The VAE inside the network: what is evaluated and exported.
    fn vae(net: &Self::Net) -> Vae;
    /// One training step on `batch`: the terms (named as in `terms`) and the updated network.
    fn step(
        &self,
        architecture: &VaeConfig,
        net: Self::Net,
        batch: Batch,
        opt: &mut impl Optimise,
    ) -> (Self::Net, Vec<Term>);
}
