//! The judge: a small classifier of the dataset's classes, trained by the project and used only
//! to evaluate generative models (is a sample drawn for "coat" a coat; how far apart are samples
//! and test images in its features). Its file is a safetensors file of its own format, small
//! enough to ship beside the models.

use super::conv;
use super::params::{NamedTensor, init_glorot, load_params, named_params};
use crate::tensorfile::TensorFile;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;
use serde::{Deserialize, Serialize};

pub const JUDGE_FORMAT: &str = "latent-atlas-judge";
const META_FORMAT: &str = "format";
const META_MANIFEST: &str = "manifest";

/// Width of the penultimate layer: the features the Fréchet distance compares.
pub const FEATURES: usize = 256;

/// 28x28 -> conv 3x3 stride 2 (32) -> conv 3x3 (64) -> conv 3x3 stride 2 (64) -> dense 256 ->
/// class logits, ReLU between. Two stride-2 convolutions keep it cheap to train on two cores.
#[derive(Module, Debug)]
pub struct Judge {
    conv1: Conv2d,
    conv2: Conv2d,
    conv3: Conv2d,
    hidden: Linear,
    out: Linear,
}

/// What the judge's file records beside its weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgeManifest {
    pub dataset: String,
    pub class_names: Vec<String>,
    pub image_side: usize,
    /// Accuracy on the dataset's test split, measured when the file was written.
    pub test_accuracy: f64,
    /// The command that trained it.
    pub command: String,
}

fn conv(cin: usize, cout: usize, stride: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([cin, cout], [3, 3])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(device)
}

impl Judge {
    /// The structure for `classes` classes of `side`x`side` images (side divisible by 4).
    pub fn uninitialised(classes: usize, side: usize, device: &Device) -> Self {
        let s = side / 4;
        Self {
            conv1: conv(1, 32, 2, device),
            conv2: conv(32, 64, 1, device),
            conv3: conv(64, 64, 2, device),
            hidden: LinearConfig::new(64 * s * s, FEATURES).init(device),
            out: LinearConfig::new(FEATURES, classes).init(device),
        }
    }

    pub fn new(classes: usize, side: usize, seed: u64, device: &Device) -> Self {
        init_glorot(Self::uninitialised(classes, side, device), seed, device)
    }

    /// `x: [n, 1, side, side]` in [0, 1] -> penultimate features `[n, FEATURES]`.
    pub fn features(&self, x: Tensor<4>) -> Tensor<2> {
        let h = conv::conv2d_relu(&self.conv1, x);
        let h = conv::conv2d_relu(&self.conv2, h);
        let h = conv::conv2d_relu(&self.conv3, h);
        relu(self.hidden.forward(h.flatten::<2>(1, 3)))
    }

    /// Class logits from features.
    pub fn logits_of(&self, features: Tensor<2>) -> Tensor<2> {
        self.out.forward(features)
    }

    pub fn logits(&self, x: Tensor<4>) -> Tensor<2> {
        self.logits_of(self.features(x))
    }

    /// The file: weights and `manifest`.
    pub fn to_bytes(&self, manifest: &JudgeManifest) -> Vec<u8> {
        let mut f = TensorFile::default();
        f.metadata.insert(META_FORMAT.into(), JUDGE_FORMAT.into());
        f.metadata.insert(
            META_MANIFEST.into(),
            serde_json::to_string(manifest).expect("manifest serialises"),
        );
        for t in named_params(self) {
            f.put_f32(t.name, t.shape, t.data);
        }
        f.to_bytes()
    }

    /// A judge file, validated: its format, manifest and every weight's name and shape.
    pub fn from_bytes(bytes: &[u8], device: &Device) -> Result<(Self, JudgeManifest), String> {
        let mut f = TensorFile::from_bytes(bytes)?;
        let manifest = manifest_of(&f)?;
        let (k, side) = (manifest.class_names.len(), manifest.image_side);
        let mut weights = Vec::new();
        for name in f.entries.keys().cloned().collect::<Vec<_>>() {
            let (shape, data) = f.take_f32(&name)?;
            weights.push(NamedTensor { name, shape, data });
        }
        let judge = load_params(Self::uninitialised(k, side, device), weights, device)
            .map_err(|e| e.to_string())?;
        Ok((judge, manifest))
    }
}

/// What a judge file records, without its weights (for listings: `index.json`).
pub fn read_manifest(bytes: &[u8]) -> Result<JudgeManifest, String> {
    manifest_of(&TensorFile::from_bytes(bytes)?)
}

/// The manifest of a judge file, validated.
fn manifest_of(f: &TensorFile) -> Result<JudgeManifest, String> {
    if f.metadata.get(META_FORMAT).map(String::as_str) != Some(JUDGE_FORMAT) {
        return Err(format!("not a judge file (format is not '{JUDGE_FORMAT}')"));
    }
    let manifest: JudgeManifest = serde_json::from_str(
        f.metadata
            .get(META_MANIFEST)
            .map(String::as_str)
            .unwrap_or(""),
    )
    .map_err(|e| format!("judge manifest: {e}"))?;
    let k = manifest.class_names.len();
    if !(2..=256).contains(&k) {
        return Err(format!("judge of {k} classes; expected 2..=256"));
    }
    let side = manifest.image_side;
    if side == 0 || !side.is_multiple_of(4) || side > 256 {
        return Err(format!(
            "judge image side {side}; expected a multiple of 4 up to 256"
        ));
    }
    Ok(manifest)
}
