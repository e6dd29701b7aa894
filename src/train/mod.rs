//! Native training: one loop for every model kind. The loop owns epochs, the progress bar, the
//! per-epoch records (`metrics.jsonl`), the held-out score, checkpoints after every epoch and on
//! interruption, and `--resume`; a kind (`objective::Kind`) brings its batching, its named loss
//! terms and its optimiser steps.
//!
//! Every random draw comes from `Rng::derive(seed, stream, position)`, so a run resumed from a
//! checkpoint replays exactly the shuffles and noise an uninterrupted run would have used.

pub mod adam;
mod batches;
pub mod checkpoint;
mod distort;
mod groups;
pub mod judge;
pub mod records;
pub mod run_dir;
mod trainer;
mod training_set;

pub use records::{EpochRecord, Named};
pub use run_dir::read_config;

use crate::data::TrainSet;
use crate::device::Backend;
use crate::model::{Vae, VaeConfig};
use crate::objective::{Kind, Objective, WithKind};
use burn::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// The same learning rate throughout (Keras' default)
    Constant,
    /// Half-cosine decay from the learning rate to zero over the whole run
    Cosine,
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Constant => "constant",
            Self::Cosine => "cosine",
        })
    }
}

impl Schedule {
    pub fn lr(self, base: f64, step: usize, total: usize) -> f64 {
        match self {
            Self::Constant => base,
            Self::Cosine => {
                base * 0.5
                    * (1.0 + (std::f64::consts::PI * step as f64 / total.max(1) as f64).cos())
            }
        }
    }
}

/// Everything that determines a run; stored as `config.json` in the run directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredConfig")]
pub struct TrainConfig {
    pub dataset: String,
    pub architecture: VaeConfig,
    /// The model kind and its settings.
    pub objective: Objective,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub schedule: Schedule,
    pub seed: u64,
    /// Use only the first N training images (quick experiments and tests).
    pub train_limit: Option<usize>,
    /// Score only the first N held-out images after each epoch (all of them when absent): on a
    /// small run, scoring 10,000 images every epoch takes longer than the training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_limit: Option<usize>,
    /// Train on dynamically binarized images (and score the held-out set binarized once).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub binarize: bool,
    pub backend: Backend,
    /// The command line that started the run, for the model file's provenance.
    pub command: String,
}

/// `config.json` as written by any version: before kinds were tagged it held a top-level
/// `beta` and, for content/style runs, the settings under an older key instead of `objective`
/// (recognised by their `per_group` field).
#[derive(Deserialize)]
struct StoredConfig {
    dataset: String,
    architecture: VaeConfig,
    #[serde(default)]
    objective: Option<serde_json::Value>,
    #[serde(default)]
    beta: Option<f64>,
    epochs: usize,
    batch_size: usize,
    learning_rate: f64,
    schedule: Schedule,
    seed: u64,
    train_limit: Option<usize>,
    #[serde(default)]
    test_limit: Option<usize>,
    #[serde(default)]
    binarize: bool,
    backend: Backend,
    command: String,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

impl TryFrom<StoredConfig> for TrainConfig {
    type Error = String;
    fn try_from(s: StoredConfig) -> Result<Self, String> {
        Ok(Self {
            objective: Objective::from_legacy(
                s.beta,
                s.objective
                    .or_else(|| s.rest.into_values().find(|v| v.get("per_group").is_some())),
            )?,
            dataset: s.dataset,
            architecture: s.architecture,
            epochs: s.epochs,
            batch_size: s.batch_size,
            learning_rate: s.learning_rate,
            schedule: s.schedule,
            seed: s.seed,
            train_limit: s.train_limit,
            test_limit: s.test_limit,
            binarize: s.binarize,
            backend: s.backend,
            command: s.command,
        })
    }
}

impl TrainConfig {
    /// Every setting in a range that can train; the message names the flag and its limit.
    pub fn check(&self) -> Result<(), String> {
        self.architecture.validate()?;
        self.objective.check_architecture(&self.architecture)?;
        check_optimisation(self.epochs, self.batch_size, self.learning_rate)?;
        if self.train_limit == Some(0) {
            return Err("--train-limit 0 leaves nothing to train on".into());
        }
        if self.test_limit == Some(0) {
            return Err(
                "--test-limit 0 leaves nothing to score; leave it out to score every held-out image"
                    .into(),
            );
        }
        struct Settings(usize);
        impl WithKind for Settings {
            type Output = Result<(), String>;
            fn run<K: Kind>(self, kind: &K) -> Self::Output {
                kind.check_training(self.0)
            }
        }
        if let Some(n) = self.validation_alphabets() {
            crate::data::omniglot::validation_alphabets(n)?;
        }
        self.objective.with(Settings(self.batch_size))
    }

    /// How many validation alphabets the run holds out of training, if any.
    pub fn validation_alphabets(&self) -> Option<usize> {
        match &self.objective {
            Objective::ContentStyle(cs) if cs.validation_alphabets > 0 => {
                Some(cs.validation_alphabets)
            }
            _ => None,
        }
    }
}

#[derive(Debug, PartialEq)]
pub enum Outcome {
    Finished,
    Interrupted { epoch: usize, batch: usize },
}

/// Stop requests: Ctrl-C sets `flag`; `after_steps` stops at a given global step (tests use it to
/// interrupt at an exact point through the same code path).
pub struct Stop<'a> {
    pub flag: &'a AtomicBool,
    pub after_steps: Option<usize>,
}

/// The flags every training run shares (the model kinds' and the judge's), each refused with its
/// limit.
pub fn check_optimisation(epochs: usize, batch_size: usize, lr: f64) -> Result<(), String> {
    if !(1..=100_000).contains(&epochs) {
        return Err(format!("--epochs {epochs} is outside 1..=100000"));
    }
    if !(1..=65_536).contains(&batch_size) {
        return Err(format!("--batch-size {batch_size} is outside 1..=65536"));
    }
    if !(lr > 0.0 && lr <= 1.0) {
        return Err(format!("--lr {lr} must be a number in (0, 1]"));
    }
    Ok(())
}

/// The seed of the fixed binarization held-out and test images are scored under.
pub const BINARIZE_SEED: u64 = 0xb1a5;

/// Start a new run in `dir` (refusing to overwrite one) or, with `fresh = None`, continue the run
/// there from its checkpoint with its stored configuration — on `device` where one is given: a
/// checkpoint is the same file whichever device wrote it, so a run can move between the CPU and
/// a GPU (its config then names the new device, and each epoch's record the one it ran on).
pub fn run(
    dir: &Path,
    fresh: Option<TrainConfig>,
    device: Option<Backend>,
    data: TrainSet,
    stop: Stop,
) -> Result<Outcome, String> {
    if let Some(config) = &fresh {
        config.check()?;
    }
    let resuming = fresh.is_none();
    let mut config = run_dir::open_run(dir, fresh)?;
    config.check()?;
    if let Some(device) = device.filter(|&d| resuming && d != config.backend) {
        // Opened before the config names it: a device this machine lacks changes nothing.
        device.device()?;
        eprintln!(
            "resuming on --device {device} (this run trained on {} until now)",
            config.backend
        );
        config.backend = device;
        run_dir::write_config(dir, &config)?;
    }
    let data = training_set::prepare(&config, data)?;
    config.objective.with(trainer::Trainer {
        dir,
        config: &config,
        data: &data,
        stop,
    })
}

/// The trained VAE of the run in `dir` (from its checkpoint) on a plain device, with its
/// configuration and epoch history: what `eval` and `export` read.
pub fn load_trained(
    dir: &Path,
    device: &Device,
) -> Result<(TrainConfig, Vae, Vec<EpochRecord>), String> {
    let config = read_config(dir)?;
    let (vae, position, history) = config.objective.with(trainer::Load {
        dir,
        config: &config,
        device,
    })?;
    if position.epoch < config.epochs {
        eprintln!(
            "note: {} is unfinished ({} of {} epochs); using its latest checkpoint",
            dir.display(),
            position.epoch,
            config.epochs
        );
    }
    Ok((config, vae, history))
}

pub fn default_run_dir(config: &TrainConfig) -> PathBuf {
    PathBuf::from(format!(
        "runs/{}-{}d",
        config.dataset, config.architecture.latent_dim
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Preset;
    use crate::objective::content_style::ContentStyle;
    use crate::objective::gaussian_vae::GaussianVae;

    fn config(objective: Objective, content_dim: Option<usize>) -> TrainConfig {
        let mut architecture = VaeConfig::preset(Preset::Keras, 4);
        architecture.content_dim = content_dim;
        TrainConfig {
            dataset: "d".into(),
            architecture,
            objective,
            epochs: 3,
            batch_size: 16,
            learning_rate: 1e-3,
            schedule: Schedule::Cosine,
            seed: 1,
            train_limit: None,
            test_limit: None,
            binarize: false,
            backend: Backend::Flex,
            command: "latent-atlas train".into(),
        }
    }

    /// Run folders from before kinds were tagged keep working: a top-level `beta`, or
    /// content/style settings under an older key.
    #[test]
    fn older_run_configs_read_as_todays() {
        let plain = config(Objective::GaussianVae(GaussianVae { beta: 0.25 }), None);
        let mut v = serde_json::to_value(&plain).unwrap();
        let o = v.as_object_mut().unwrap();
        o.remove("objective");
        o.insert("beta".into(), 0.25.into());
        assert_eq!(serde_json::from_value::<TrainConfig>(v).unwrap(), plain);

        let cs = config(Objective::ContentStyle(ContentStyle::default()), Some(2));
        let mut v = serde_json::to_value(&cs).unwrap();
        let o = v.as_object_mut().unwrap();
        let settings = o.remove("objective").unwrap();
        let mut settings = settings.as_object().unwrap().clone();
        settings.remove("kind");
        o.insert("beta".into(), 1.0.into());
        o.insert("older_key".into(), settings.into());
        assert_eq!(serde_json::from_value::<TrainConfig>(v).unwrap(), cs);
    }

    #[test]
    fn settings_outside_their_range_are_refused_with_the_flag_and_limit() {
        let good = config(Objective::GaussianVae(GaussianVae { beta: 1.0 }), None);
        good.check().unwrap();
        type Edit = fn(&mut TrainConfig);
        let cases: [(Edit, &str); 8] = [
            (|c| c.epochs = 0, "--epochs 0 is outside 1..=100000"),
            (|c| c.batch_size = 0, "--batch-size 0 is outside"),
            (|c| c.learning_rate = f64::NAN, "--lr NaN must be"),
            (|c| c.learning_rate = -1.0, "--lr -1 must be"),
            (|c| c.train_limit = Some(0), "--train-limit 0"),
            (
                |c| c.test_limit = Some(0),
                "--test-limit 0 leaves nothing to score",
            ),
            (
                |c| c.architecture.content_dim = Some(2),
                "must not declare content_dim",
            ),
            (
                |c| c.objective = Objective::ContentStyle(ContentStyle::default()),
                "must declare content_dim",
            ),
        ];
        for (edit, needle) in cases {
            let mut c = good.clone();
            edit(&mut c);
            let e = c.check().unwrap_err();
            assert!(e.contains(needle), "'{e}' lacks '{needle}'");
        }
        let beta = config(Objective::GaussianVae(GaussianVae { beta: -1.0 }), None);
        assert!(beta.check().unwrap_err().contains("--beta -1 must be"));
        let cs = config(Objective::ContentStyle(ContentStyle::default()), Some(2));
        cs.check().unwrap();
        for (edit, needle) in [
            (
                (|c: &mut ContentStyle| c.mmd_weight = f64::INFINITY) as fn(&mut ContentStyle),
                "--mmd-weight inf must be",
            ),
            (|c| c.proto_weight = -2.0, "--proto-weight -2 must be"),
            (|c| c.cluster_weight = -1.0, "--cluster-weight -1 must be"),
            (|c| c.proto_scale = 0.0, "--proto-scale 0 must be"),
            (|c| c.proto_scale = f64::NAN, "--proto-scale NaN must be"),
            (|c| c.max_shift = 30, "--max-shift 30"),
            (|c| c.max_turn = 60.0, "--max-turn 60 must be"),
            (|c| c.max_scale = -0.1, "--max-scale -0.1 must be"),
            (|c| c.per_group = 3, "--group-size 3 must be even"),
        ] {
            let mut settings = ContentStyle::default();
            edit(&mut settings);
            let e = config(Objective::ContentStyle(settings), Some(2))
                .check()
                .unwrap_err();
            assert!(e.contains(needle), "'{e}' lacks '{needle}'");
        }
        let mut odd = cs;
        odd.batch_size = 18;
        let e = odd.check().unwrap_err();
        assert!(e.contains("multiple of --group-size 4"), "{e}");
    }
}
