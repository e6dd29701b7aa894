//! The model file: one safetensors file holding the weights, a JSON manifest (architecture,
//! dataset, preprocessing, metrics, provenance) and the test set's latent means and labels, so
//! the page can draw its scatter without the dataset. Loading takes bytes (works in wasm) and
//! validates everything before a model is built.

use crate::model::{NamedTensor, Vae, VaeConfig, load_params};
use crate::objective::Objective;
use crate::tensorfile::TensorFile;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "latent-atlas";
pub const FORMAT_VERSION: u32 = 1;
/// What `preprocessing` says today: the page's upload path implements exactly this.
pub const SCALE: &str = "pixel / 255";
pub const POLARITY: &str = "light-on-dark";
/// The longest model name and class name the page shows.
const MAX_NAME_CHARS: usize = 64;
const META_FORMAT: &str = "format";
const META_VERSION: &str = "format_version";
const META_MANIFEST: &str = "manifest";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetInfo {
    pub name: String,
    pub class_names: Vec<String>,
}

/// How images must be prepared before encoding: the page's upload path follows this.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preprocessing {
    pub side: usize,
    /// "pixel / 255": input in [0, 1].
    pub scale: String,
    /// "light-on-dark": ink is bright, background is 0 (as in Fashion-MNIST).
    pub polarity: String,
    /// Longer side, in pixels, that a cropped drawing is scaled to (the training images' median
    /// ink extent); absent means the whole `side` (Fashion-MNIST's garments fill the frame).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fit: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredTraining")]
pub struct TrainingInfo {
    /// The exact command line that trained the weights.
    pub command: String,
    pub epochs: usize,
    pub batch_size: usize,
    /// The model kind and its settings, as the run's `config.json` holds them.
    pub objective: Objective,
    pub seed: u64,
    pub learning_rate: f64,
    pub schedule: String,
    pub train_examples: usize,
    /// Trained on dynamically binarized images (its metrics are then on the binarized test set).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub binarize: bool,
    pub backend: String,
}

/// `training` as files from any version hold it: before kinds were tagged, a top-level `beta`
/// and, for content/style models, untagged settings in `objective`.
#[derive(Deserialize)]
struct StoredTraining {
    command: String,
    epochs: usize,
    batch_size: usize,
    #[serde(default)]
    beta: Option<f64>,
    #[serde(default)]
    objective: Option<serde_json::Value>,
    seed: u64,
    learning_rate: f64,
    schedule: String,
    train_examples: usize,
    #[serde(default)]
    binarize: bool,
    backend: String,
}

impl TryFrom<StoredTraining> for TrainingInfo {
    type Error = String;
    fn try_from(s: StoredTraining) -> Result<Self, String> {
        Ok(Self {
            objective: Objective::from_legacy(s.beta, s.objective)?,
            command: s.command,
            epochs: s.epochs,
            batch_size: s.batch_size,
            seed: s.seed,
            learning_rate: s.learning_rate,
            schedule: s.schedule,
            train_examples: s.train_examples,
            binarize: s.binarize,
            backend: s.backend,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub name: String,
    /// The model kind (`gaussian-vae`, `content-style`): what the page offers for it.
    pub kind: String,
    pub architecture: VaeConfig,
    pub dataset: DatasetInfo,
    pub preprocessing: Preprocessing,
    pub training: TrainingInfo,
    /// The object `latent-atlas eval --json` prints, when the model was evaluated.
    pub metrics: Option<serde_json::Value>,
    pub crate_version: String,
    /// How the file stores its weights and test-set codes (`export --weights`); the metrics are
    /// those of the stored values. Absent: f32.
    #[serde(default, skip_serializing_if = "Precision::is_f32")]
    pub weights: Precision,
}

/// The storage precision of a model file's float arrays. f16 halves the page's download; the
/// weights are rounded once at export and everything (metrics, decodes) uses the rounded values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    #[default]
    F32,
    F16,
}

impl Precision {
    fn is_f32(&self) -> bool {
        *self == Self::F32
    }

    /// `v` as this precision stores and reads it back.
    pub fn round(self, v: &[f32]) -> Vec<f32> {
        match self {
            Self::F32 => v.to_vec(),
            Self::F16 => v.iter().map(|&x| half::f16::from_f32(x).to_f32()).collect(),
        }
    }
}

/// How many test images one hover-preview file holds: the page downloads the file of the image
/// it shows (a few hundred kB), never the whole test set (4.4 MB for Fashion-MNIST).
pub const TEST_IMAGES_PER_FILE: usize = 500;

/// Where test image `index` of `dataset` lies beside the model files: the file (a gzipped IDX of
/// up to `TEST_IMAGES_PER_FILE` images, relative to the model folder) and its position in it.
/// `export` writes these files; the page reads them through this same function.
pub fn test_image_file(dataset: &str, index: usize) -> (String, usize) {
    let part = index / TEST_IMAGES_PER_FILE;
    (
        format!("{dataset}-test-images/{part:03}.idx.gz"),
        index % TEST_IMAGES_PER_FILE,
    )
}

/// A model's name: what index.json, the picker and share links (`m=`) carry, so only characters
/// that a link and a file name keep as they are.
pub fn check_model_name(name: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || !name.chars().all(ok_char)
        || !name.starts_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Err(format!(
            "model name {:?} must be 1 to {MAX_NAME_CHARS} letters, digits, '-', '_' or '.', starting with a letter or digit",
            name.chars().take(80).collect::<String>()
        ));
    }
    Ok(())
}

impl Manifest {
    /// Every manifest number and name the page and the CLI read, in range (the architecture is
    /// checked by `VaeConfig::validate`).
    fn check(&self) -> Result<(), String> {
        check_model_name(&self.name)?;
        let p = &self.preprocessing;
        let side = self.architecture.image_side;
        if p.side != side {
            return Err(format!(
                "preprocessing.side {} differs from the architecture's image_side {side}",
                p.side
            ));
        }
        if let Some(fit) = p.fit
            && !(1..=side).contains(&fit)
        {
            return Err(format!("preprocessing.fit {fit} is outside 1..={side}"));
        }
        if p.scale != SCALE || p.polarity != POLARITY {
            return Err(format!(
                "preprocessing is scale {:?}, polarity {:?}; this build reads {SCALE:?}, {POLARITY:?}",
                p.scale, p.polarity
            ));
        }
        let classes = &self.dataset.class_names;
        if classes.is_empty() || classes.len() > 256 {
            return Err(format!("{} class names; expected 1..=256", classes.len()));
        }
        if let Some(c) = classes
            .iter()
            .find(|c| c.trim().is_empty() || c.chars().count() > MAX_NAME_CHARS)
        {
            return Err(format!(
                "class name {:?} must be 1 to {MAX_NAME_CHARS} characters",
                c.chars().take(80).collect::<String>()
            ));
        }
        if self.dataset.name.trim().is_empty() || self.dataset.name.chars().count() > MAX_NAME_CHARS
        {
            return Err(format!(
                "dataset name must be 1 to {MAX_NAME_CHARS} characters"
            ));
        }
        if self.metrics.as_ref().is_some_and(|m| !m.is_object()) {
            return Err("metrics must be an object".into());
        }
        Ok(())
    }
}

/// A validated model file, not yet turned into a module on a device.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub manifest: Manifest,
    pub weights: Vec<NamedTensor>,
    /// Latent means of the test set, row-major `[test_count, latent_dim]`.
    pub test_means: Vec<f32>,
    pub test_labels: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BundleError {
    #[error("not a Latent Atlas model file: {0}")]
    NotAModelFile(String),
    #[error(
        "model file format version {found} is not supported (this build reads version {FORMAT_VERSION}); re-export it with this version of latent-atlas"
    )]
    Version { found: String },
    #[error("model file manifest is invalid: {0}")]
    Manifest(String),
    #[error("model file is inconsistent: {0}")]
    Inconsistent(String),
}

impl Bundle {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut f = TensorFile::default();
        f.metadata.insert(META_FORMAT.into(), FORMAT.into());
        f.metadata
            .insert(META_VERSION.into(), FORMAT_VERSION.to_string());
        f.metadata.insert(
            META_MANIFEST.into(),
            serde_json::to_string(&self.manifest).expect("manifest serialises"),
        );
        let mut put = |name: String, shape: Vec<usize>, data: &[f32]| match self.manifest.weights {
            Precision::F32 => f.put_f32(name, shape, data.to_vec()),
            Precision::F16 => f.put_f16(name, shape, data),
        };
        for t in &self.weights {
            put(format!("model.{}", t.name), t.shape.clone(), &t.data);
        }
        let d = self.manifest.architecture.latent_dim;
        put(
            "test.mean".into(),
            vec![self.test_labels.len(), d],
            &self.test_means,
        );
        f.put_u8(
            "test.labels",
            vec![self.test_labels.len()],
            self.test_labels.clone(),
        );
        f.to_bytes()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BundleError> {
        let mut f = TensorFile::from_bytes(bytes).map_err(BundleError::NotAModelFile)?;
        match f.metadata.get(META_FORMAT).map(String::as_str) {
            Some(FORMAT) => {}
            Some(other) => {
                return Err(BundleError::NotAModelFile(format!(
                    "format is '{other}', expected '{FORMAT}'"
                )));
            }
            None => {
                return Err(BundleError::NotAModelFile(
                    "a safetensors file without Latent Atlas metadata".into(),
                ));
            }
        }
        let version = f.metadata.get(META_VERSION).cloned().unwrap_or_default();
        if version != FORMAT_VERSION.to_string() {
            return Err(BundleError::Version { found: version });
        }
        let mut manifest: Manifest = serde_json::from_str(
            f.metadata
                .get(META_MANIFEST)
                .map(String::as_str)
                .unwrap_or(""),
        )
        .map_err(|e| BundleError::Manifest(e.to_string()))?;
        manifest
            .architecture
            .validate()
            .map_err(BundleError::Manifest)?;
        manifest.check().map_err(BundleError::Manifest)?;
        // The kind names what the page offers; it must be the kind the model was trained as,
        // and the architecture must suit it (a content/style model declares its content part).
        let kind = manifest.training.objective.name();
        if Objective::current_name(&manifest.kind) != kind {
            return Err(BundleError::Manifest(format!(
                "kind '{}' disagrees with the training objective's kind '{kind}'",
                manifest.kind
            )));
        }
        manifest.kind = kind.to_string();
        manifest
            .training
            .objective
            .check_architecture(&manifest.architecture)
            .map_err(BundleError::Manifest)?;
        let n_classes = manifest.dataset.class_names.len();
        if let Some(k) = manifest.architecture.conditional
            && k != n_classes
        {
            return Err(BundleError::Manifest(format!(
                "a conditional model of {k} classes, but the dataset names {n_classes} classes"
            )));
        }
        let bad = BundleError::Inconsistent;
        let (lshape, test_labels) = f.take_u8("test.labels").map_err(bad)?;
        let (mshape, test_means) = f.take_f32("test.mean").map_err(bad)?;
        let d = manifest.architecture.latent_dim;
        if lshape.len() != 1 || mshape != [lshape[0], d] {
            return Err(bad(format!(
                "test.mean has shape {mshape:?} and test.labels {lshape:?}; expected [n, {d}] and [n]"
            )));
        }
        if let Some(l) = test_labels.iter().find(|&&l| l as usize >= n_classes) {
            return Err(bad(format!(
                "test label {l} is not one of the {n_classes} classes"
            )));
        }
        if test_means.iter().any(|v| !v.is_finite()) {
            return Err(bad("test.mean contains NaN or infinite values".into()));
        }
        let mut weights = Vec::new();
        for name in f.entries.keys().cloned().collect::<Vec<_>>() {
            let Some(short) = name.strip_prefix("model.") else {
                return Err(bad(format!("unexpected tensor '{name}'")));
            };
            let (shape, data) = f.take_f32(&name).map_err(bad)?;
            weights.push(NamedTensor {
                name: short.to_string(),
                shape,
                data,
            });
        }
        let bundle = Bundle {
            manifest,
            weights,
            test_means,
            test_labels,
        };
        // Build once on the CPU so that a file whose weights don't fit fails here, not later.
        bundle.model(&Device::flex())?;
        Ok(bundle)
    }

    /// The model on `device`, with every weight checked against the architecture.
    pub fn model(&self, device: &Device) -> Result<Vae, BundleError> {
        let skeleton = Vae::uninitialised(&self.manifest.architecture, device);
        load_params(skeleton, self.weights.clone(), device)
            .map_err(|e| BundleError::Inconsistent(e.to_string()))
    }

    pub fn latent_dim(&self) -> usize {
        self.manifest.architecture.latent_dim
    }

    /// Width of what the decoder reads: the code, then a conditional model's label.
    pub fn code_dim(&self) -> usize {
        self.manifest.architecture.code_dim()
    }
}
