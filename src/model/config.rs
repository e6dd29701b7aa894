//! The architecture as data: what a model file records and what `train` accepts.

use super::Prior;
use serde::{Deserialize, Serialize};

/// Shape of the convolutional Gaussian VAE. Two presets: `keras` is the seed's architecture
/// exactly; `atlas` widens the two dense bottlenecks (our default: better NELBO at ~10% cost).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VaeConfig {
    pub latent_dim: usize,
    /// Square input side; two stride-2 convolutions need it divisible by 4.
    pub image_side: usize,
    /// Channels of the encoder's two stride-2 convolutions.
    pub enc_channels: [usize; 2],
    /// A 3x3 stride-1 convolution (same channels, ReLU) after each of the encoder's stride-2
    /// ones: twice the encoder's depth, for Omniglot's one-shot features (the `deep` preset).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub enc_refine: bool,
    /// Width of the encoder's dense layer before the mean / log-variance heads.
    pub enc_hidden: usize,
    /// Width of an extra dense layer between z and the decoder's projection; 0 means none.
    pub dec_hidden: usize,
    /// Channels of the decoder's two stride-2 transposed convolutions.
    pub dec_channels: [usize; 2],
    /// For a content/style model: the first `content_dim` latent coordinates are content, the
    /// rest style. The encoder's heads are then two heads stacked (rows `..content_dim` and
    /// `content_dim..`), and the decoder reads their concatenation, as in the Omniglot study.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_dim: Option<usize>,
    /// The distribution codes are matched to and samples drawn from (N(0, I) unless said).
    /// A categorical prior also shapes the encoder: its first `classes` outputs are a softmax.
    #[serde(default, skip_serializing_if = "Prior::is_gaussian")]
    pub prior: Prior,
    /// A conditional model (Sohn et al. 2015): the number of classes whose one-hot label both
    /// networks read. The encoder appends it to its convolution features before the dense layer;
    /// the decoder reads `[z, one-hot]` (its input is `code_dim()` wide). `None`: unconditional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional: Option<usize>,
    /// A conditional decoder that reads the label again at every later layer: beside the
    /// projection's input and, as constant one-hot planes, beside each transposed convolution's
    /// input (a deep decoder otherwise carries the class only through its first dense layer).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub label_every_layer: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// The Keras example of the seed study: Dense 16 encoder head, no decoder hidden layer.
    Keras,
    /// Wider dense layers on both sides of the latent.
    Atlas,
    /// `atlas` with twice the encoder's convolution channels (Omniglot's one-shot features).
    Wide,
    /// `wide` with a stride-1 convolution after each stride-2 one: a four-layer encoder.
    Deep,
}

impl VaeConfig {
    pub fn preset(preset: Preset, latent_dim: usize) -> Self {
        let (enc_hidden, dec_hidden) = match preset {
            Preset::Keras => (16, 0),
            Preset::Atlas | Preset::Wide | Preset::Deep => (256, 256),
        };
        let enc_channels = if matches!(preset, Preset::Wide | Preset::Deep) {
            [64, 128]
        } else {
            [32, 64]
        };
        Self {
            latent_dim,
            image_side: 28,
            enc_channels,
            enc_refine: preset == Preset::Deep,
            enc_hidden,
            dec_hidden,
            dec_channels: [64, 32],
            content_dim: None,
            prior: Prior::Gaussian,
            conditional: None,
            label_every_layer: false,
        }
    }

    /// The number of label classes a conditional model reads; 0 for an unconditional one.
    pub fn condition_classes(&self) -> usize {
        self.conditional.unwrap_or(0)
    }

    /// Width of what the decoder reads: the latent code, then a conditional model's label.
    pub fn code_dim(&self) -> usize {
        self.latent_dim + self.condition_classes()
    }

    /// The label classes every decoder layer reads (`label_every_layer`); 0 when only the first.
    pub fn label_planes(&self) -> usize {
        if self.label_every_layer {
            self.condition_classes()
        } else {
            0
        }
    }

    /// Side of the feature maps between the dense layers and the convolutions.
    pub fn inner_side(&self) -> usize {
        self.image_side / 4
    }

    /// Every field in a sane range; model files are validated with this before building anything.
    pub fn validate(&self) -> Result<(), String> {
        let widths = [
            self.enc_channels[0],
            self.enc_channels[1],
            self.dec_channels[0],
            self.dec_channels[1],
        ];
        if !(1..=256).contains(&self.latent_dim) {
            return Err(format!("latent_dim {} is outside 1..=256", self.latent_dim));
        }
        if self.image_side == 0 || !self.image_side.is_multiple_of(4) || self.image_side > 256 {
            return Err(format!(
                "image_side {} must be a positive multiple of 4 up to 256",
                self.image_side
            ));
        }
        if widths
            .iter()
            .chain([&self.enc_hidden])
            .any(|&w| w == 0 || w > 4096)
        {
            return Err("layer widths must be in 1..=4096".into());
        }
        // 0 means no decoder hidden layer (the Keras preset).
        if self.dec_hidden > 4096 {
            return Err(format!(
                "dec_hidden {} is outside 0..=4096",
                self.dec_hidden
            ));
        }
        if let Some(c) = self.content_dim
            && (c == 0 || c >= self.latent_dim)
        {
            return Err(format!(
                "content_dim {c} must leave at least one style dimension of latent_dim {}",
                self.latent_dim
            ));
        }
        self.prior.check(self.latent_dim)?;
        if self.content_dim.is_some() && !self.prior.is_gaussian() {
            return Err("a content/style model's prior is N(0, I)".into());
        }
        if let Some(k) = self.conditional {
            if !(2..=256).contains(&k) {
                return Err(format!("conditional on {k} classes; expected 2..=256"));
            }
            if self.content_dim.is_some() || !self.prior.is_gaussian() {
                return Err(
                    "a conditional model has one code under N(0, I) (no content_dim, no other prior)"
                        .into(),
                );
            }
        }
        if self.label_every_layer && self.conditional.is_none() {
            return Err("label_every_layer needs a conditional model".into());
        }
        Ok(())
    }
}
