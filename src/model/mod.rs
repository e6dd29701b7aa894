//! burn modules: the convolutional Gaussian VAE of the Fashion-MNIST study, the discriminators
//! adversarial kinds train beside it, the judge classifier evaluation uses, the prior codes are matched to, and parameter naming
//! shared by the model file and the training checkpoints.

mod config;
pub mod conv;
mod critic;
mod judge;
pub(crate) mod params;
mod prior;
mod vae;

pub use config::{Preset, VaeConfig};
pub use critic::{AdversarialNet, Critic};
pub use judge::{
    FEATURES as JUDGE_FEATURES, JUDGE_FORMAT, Judge, JudgeManifest,
    read_manifest as read_judge_manifest,
};
pub use params::{NamedTensor, ParamError, load_params, named_params};
pub use prior::Prior;
pub use vae::{Decoder, Encoder, Posterior, Vae, one_hot, with_label};
