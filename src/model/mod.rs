//! burn modules. The convolutional Gaussian VAE of the Fashion-MNIST study, plus parameter
//! naming shared by the model file and the training checkpoints.

mod config;
pub(crate) mod params;
mod vae;

pub use config::{Preset, VaeConfig};
pub use params::{NamedTensor, ParamError, load_params, named_params};
pub use vae::{Decoder, Encoder, Posterior, Vae};
