//! The model kinds: what each minimises and how it trains. `Objective` below is the one list of
//! kinds; `kind` says what the training loop asks of each (`Kind`); each kind's module holds its
//! settings, loss terms and step (`gaussian_vae`, `content_style`), built on the shared terms
//! (`terms`: reconstruction and KL; `mmd`). `score` is the held-out likelihood that training and
//! evaluation both report. Batch losses are means over examples of per-example sums, in nats.

pub mod aae;
pub mod content_style;
pub mod gaussian_vae;
mod kind;
mod mmd;
pub mod score;
mod terms;

pub use kind::{Batch, Batching, Distortion, Kind, ONE_SET, Optimise, ParamSet, Term};
pub use mmd::{MmdKernel, mmd2_unbiased, mmd2_unbiased_host};
pub use terms::{bce_with_logits, kl_to_standard_normal, softplus};

use crate::model::VaeConfig;
use aae::Aae;
use content_style::ContentStyle;
use gaussian_vae::GaussianVae;
use serde::{Deserialize, Serialize};

/// Code that works for every kind: `Objective::with` calls `run` with the concrete kind.
pub trait WithKind {
    type Output;
    fn run<K: Kind>(self, kind: &K) -> Self::Output;
}

/// Every model kind with its settings: the one list of kinds. Stored in a run's `config.json`
/// and in the model file's manifest (`training.objective`), tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Objective {
    /// The β-VAE of the Fashion-MNIST study.
    #[serde(rename = "gaussian-vae")]
    GaussianVae(GaussianVae),
    /// Omniglot's content and style codes (`content-style-vae` in files before 0.2).
    #[serde(rename = "content-style", alias = "content-style-vae")]
    ContentStyle(ContentStyle),
    /// The adversarial autoencoder: codes matched to any prior by a discriminator.
    #[serde(rename = "aae")]
    Aae(Aae),
}

/// Kind names that earlier versions wrote, with today's name.
const LEGACY_NAMES: [(&str, &str); 1] = [("content-style-vae", ContentStyle::NAME)];

impl Objective {
    pub fn with<W: WithKind>(&self, w: W) -> W::Output {
        match self {
            Self::GaussianVae(k) => w.run(k),
            Self::ContentStyle(k) => w.run(k),
            Self::Aae(k) => w.run(k),
        }
    }

    pub fn name(&self) -> &'static str {
        struct Name;
        impl WithKind for Name {
            type Output = &'static str;
            fn run<K: Kind>(self, _: &K) -> &'static str {
                K::NAME
            }
        }
        self.with(Name)
    }

    /// Today's name for a kind name found in a file (which may be an older spelling).
    pub fn current_name(name: &str) -> &str {
        LEGACY_NAMES
            .iter()
            .find(|(old, _)| *old == name)
            .map_or(name, |(_, new)| new)
    }

    /// Whether the model's codes are Gaussian samples (see `Kind::stochastic_codes`).
    pub fn stochastic_codes(&self) -> bool {
        struct Stochastic;
        impl WithKind for Stochastic {
            type Output = bool;
            fn run<K: Kind>(self, kind: &K) -> bool {
                kind.stochastic_codes()
            }
        }
        self.with(Stochastic)
    }

    /// How the model was regularised, for people (the page's model card, `info`).
    pub fn describe(&self, architecture: &VaeConfig) -> String {
        let prior = architecture.prior.describe();
        match self {
            Self::GaussianVae(k) => match architecture.conditional {
                Some(classes) => format!(
                    "conditional VAE: the label (one of {classes} classes) read by the encoder and {} decoder layer, KL to {prior}, β = {}",
                    if architecture.label_every_layer {
                        "every"
                    } else {
                        "the first"
                    },
                    k.beta
                ),
                None => format!("VAE: KL to {prior}, β = {}", k.beta),
            },
            Self::ContentStyle(k) => format!(
                "content/style VAE: content {}, style {} (groups of {})",
                k.content_reg.describe(),
                k.style_reg.describe(),
                k.per_group
            ),
            Self::Aae(k) => format!(
                "adversarial autoencoder: codes matched to {prior} by a discriminator{}",
                if k.balance > 0.0 {
                    ", categories kept in balance"
                } else {
                    ""
                }
            ),
        }
    }

    pub fn check_architecture(&self, architecture: &VaeConfig) -> Result<(), String> {
        struct Check<'a>(&'a VaeConfig);
        impl WithKind for Check<'_> {
            type Output = Result<(), String>;
            fn run<K: Kind>(self, kind: &K) -> Self::Output {
                kind.check_architecture(self.0)
                    .map_err(|e| format!("a {} model: {e}", K::NAME))
            }
        }
        self.with(Check(architecture))
    }

    /// The objective of a file written before kinds were tagged: a top-level `beta` for the
    /// Gaussian VAE, or untagged content/style settings.
    pub fn from_legacy(
        beta: Option<f64>,
        settings: Option<serde_json::Value>,
    ) -> Result<Self, String> {
        match settings {
            Some(v) if v.get("kind").is_some() => {
                serde_json::from_value(v).map_err(|e| e.to_string())
            }
            Some(v) => serde_json::from_value(v)
                .map(Self::ContentStyle)
                .map_err(|e| e.to_string()),
            None => Ok(Self::GaussianVae(GaussianVae {
                beta: beta.unwrap_or(1.0),
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objectives_are_tagged_by_kind_and_read_older_spellings() {
        let o = Objective::GaussianVae(GaussianVae { beta: 0.5 });
        let text = serde_json::to_string(&o).unwrap();
        assert_eq!(text, r#"{"kind":"gaussian-vae","beta":0.5}"#);
        assert_eq!(serde_json::from_str::<Objective>(&text).unwrap(), o);
        assert_eq!(o.name(), "gaussian-vae");

        let cs = ContentStyle::default();
        let mut v = serde_json::to_value(Objective::ContentStyle(cs.clone())).unwrap();
        assert_eq!(v["kind"], "content-style");
        v["kind"] = "content-style-vae".into();
        assert_eq!(
            serde_json::from_value::<Objective>(v).unwrap(),
            Objective::ContentStyle(cs.clone())
        );
        assert_eq!(
            Objective::current_name("content-style-vae"),
            "content-style"
        );
        assert_eq!(Objective::current_name("gaussian-vae"), "gaussian-vae");

        // Before kinds were tagged: beta beside the settings, content/style settings untagged.
        assert_eq!(
            Objective::from_legacy(Some(2.0), None).unwrap().name(),
            "gaussian-vae"
        );
        let untagged = serde_json::to_value(&cs).unwrap();
        assert_eq!(
            Objective::from_legacy(Some(1.0), Some(untagged)).unwrap(),
            Objective::ContentStyle(cs)
        );
        assert!(Objective::from_legacy(None, Some(serde_json::json!({"kind": "gan"}))).is_err());
    }
}
