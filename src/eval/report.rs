//! Evaluating a model of any kind on the data its kind is measured on: `latent-atlas eval` and
//! `export` both come through here. A Gaussian VAE is scored on its dataset's test split; a
//! content/style model on Omniglot's evaluation alphabets and the official one-shot runs.

use super::content_style::{self, ContentStyleEval, ContentStyleOptions};
use super::{EvalOptions, Metrics, metrics::Encodings};
use crate::data::omniglot::{self, DRAWERS, Omniglot, Split};
use crate::data::{Dataset, ImageSet, load_dataset};
use crate::model::{Prior, Vae, VaeConfig};
use crate::objective::Objective;
use burn::prelude::*;
use std::path::{Path, PathBuf};

/// How many posterior samples and which seed the stochastic measures use.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub draws: usize,
    pub seed: u64,
    /// Score the test images binarized once (`train::BINARIZE_SEED`), as the literature's
    /// likelihoods on binarized data are, instead of their grey levels.
    pub binarized: bool,
    /// Score only the first N test images (a long importance-sampled estimate on a subset).
    pub test_limit: Option<usize>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            draws: 16,
            seed: 0,
            binarized: false,
            test_limit: None,
        }
    }
}

/// A model's evaluation, with the data it was measured on.
pub enum Report {
    Images {
        metrics: Metrics,
        enc: Encodings,
        data: Dataset,
        prior: Prior,
        /// The grey-level test images when `data.test` holds them binarized.
        grey_test: Option<ImageSet>,
    },
    ContentStyle {
        eval: ContentStyleEval,
        data: Omniglot,
        content_dim: usize,
    },
}

/// The background alphabets a content-style run held out of training (with their ink masks),
/// or `None` for a run that held none out.
fn held_out(
    objective: &Objective,
    dirs: &[PathBuf],
) -> Result<Option<content_style::HeldOut>, String> {
    let Objective::ContentStyle(cs) = objective else {
        return Ok(None);
    };
    if cs.validation_alphabets == 0 {
        return Ok(None);
    }
    let names = omniglot::validation_alphabets(cs.validation_alphabets)?;
    let background = omniglot::load(dirs, Split::Background).map_err(|e| e.to_string())?;
    let data = background.only_alphabets(names)?;
    let ink = omniglot::ink_masks(dirs, &data).map_err(|e| e.to_string())?;
    Ok(Some(content_style::HeldOut { data, ink }))
}

/// What a run held out of its training data, scored alone (`eval --validation-only`): settings
/// are chosen on these without the test's numbers in view (and without the time the test takes).
pub enum Validation {
    /// A content-style run's held-out background alphabets.
    Alphabets(content_style::ValidationMetrics),
    /// A run of single images trained on the first `trained_on` training images
    /// (`--train-limit`): the same measures as on the test split, on the rest of the training set.
    Images {
        metrics: Box<Metrics>,
        trained_on: usize,
    },
}

impl Validation {
    /// As `eval --json --validation-only` prints it.
    pub fn json(&self) -> serde_json::Value {
        match self {
            Self::Alphabets(v) => serde_json::json!({ "validation": v }),
            Self::Images {
                metrics,
                trained_on,
            } => serde_json::json!({ "validation": metrics, "trained_on": trained_on }),
        }
    }

    /// As `eval --validation-only` prints it, below a heading naming `target`.
    pub fn table(&self, target: &str) -> String {
        match self {
            Self::Alphabets(v) => format!(
                "{target} on its held-out background alphabets:\n{}",
                content_style::validation_table(v)
            ),
            Self::Images {
                metrics,
                trained_on,
            } => format!(
                "{target} on the {} training images after the first {trained_on} (never trained on{}):\n{}",
                metrics.test_examples,
                if metrics.binarized {
                    ", binarized once"
                } else {
                    ""
                },
                super::table(metrics)
            ),
        }
    }
}

/// The run's data and settings that decide what it held out.
pub struct Trained<'a> {
    pub objective: &'a Objective,
    pub architecture: &'a VaeConfig,
    pub dataset: &'a str,
    /// How many training images it trained on (`--train-limit`), `None` for all.
    pub train_limit: Option<usize>,
    /// Trained on binarized images: scored on held-out images binarized once, as `eval` scores
    /// its test split.
    pub binarize: bool,
}

/// Only the validation measures of a run that held data out of training: a content-style run's
/// `--validation-alphabets`, or the training images after an image run's `--train-limit`.
pub fn validate_only(
    model: &Vae,
    run: Trained,
    data_dir: Option<&Path>,
    device: &Device,
    seed: u64,
) -> Result<Validation, String> {
    match run.objective {
        Objective::ContentStyle(_) => {
            let dirs = omniglot::search_dirs(data_dir);
            let held = held_out(run.objective, &dirs)?.ok_or(
                "--validation-only scores what a run held out of training; this content-style \
                 run held nothing out (train with --validation-alphabets N)",
            )?;
            let content_dim = run
                .architecture
                .content_dim
                .ok_or("a content-style model declares content_dim")?;
            let restarts = ContentStyleOptions::default().kmeans_restarts;
            content_style::validation::validate(model, content_dim, &held, device, restarts, seed)
                .map(Validation::Alphabets)
        }
        Objective::GaussianVae(_) | Objective::Aae(_) => {
            let mut data = load_dataset(run.dataset, data_dir)?;
            let full = data.train.len();
            let trained_on = run.train_limit.filter(|&n| n < full).ok_or(format!(
                "--validation-only scores what a run held out of training; this run trained on \
                 all {full} training images (train with --train-limit N to keep the rest out)"
            ))?;
            let held = data.train.after(trained_on);
            data.test = if run.binarize {
                held.binarized(crate::train::BINARIZE_SEED)
            } else {
                held
            };
            let eval_opts = EvalOptions {
                seed,
                deterministic: !run.objective.stochastic_codes(),
                ..Default::default()
            };
            let (mut metrics, _) =
                super::evaluate(model, &run.architecture.prior, &data, device, &eval_opts);
            metrics.binarized = run.binarize;
            Ok(Validation::Images {
                metrics: Box::new(metrics),
                trained_on,
            })
        }
    }
}

/// Evaluate `model`, trained as `objective` on `dataset`, reading data from `data_dir` or the
/// usual places.
pub fn evaluate(
    model: &Vae,
    objective: &Objective,
    architecture: &VaeConfig,
    dataset: &str,
    data_dir: Option<&Path>,
    device: &Device,
    opts: Options,
) -> Result<Report, String> {
    match objective {
        Objective::GaussianVae(_) | Objective::Aae(_) => {
            let mut data = load_dataset(dataset, data_dir)?;
            if let Some(n) = opts.test_limit {
                data.test = data.test.truncated(n);
            }
            let grey_test = opts.binarized.then(|| {
                let binarized = data.test.binarized(crate::train::BINARIZE_SEED);
                std::mem::replace(&mut data.test, binarized)
            });
            let eval_opts = EvalOptions {
                draws: opts.draws,
                seed: opts.seed,
                deterministic: !objective.stochastic_codes(),
                ..Default::default()
            };
            let (mut metrics, enc) =
                super::evaluate(model, &architecture.prior, &data, device, &eval_opts);
            metrics.binarized = opts.binarized;
            Ok(Report::Images {
                metrics,
                enc,
                data,
                prior: architecture.prior.clone(),
                grey_test,
            })
        }
        Objective::ContentStyle(_) => {
            let content_dim = architecture
                .content_dim
                .ok_or("a content-style model declares content_dim")?;
            let dirs = omniglot::search_dirs(data_dir);
            let data = omniglot::load(&dirs, Split::Evaluation).map_err(|e| e.to_string())?;
            let runs = omniglot::load_one_shot_runs_from(&dirs).map_err(|e| e.to_string())?;
            let cs_opts = ContentStyleOptions {
                draws: opts.draws,
                seed: opts.seed,
                ..Default::default()
            };
            // A run that held background alphabets out is also scored on them.
            let held_out = held_out(objective, &dirs)?;
            let eval = content_style::evaluate(
                model,
                content_dim,
                &data,
                &runs,
                held_out.as_ref(),
                device,
                &cs_opts,
            )?;
            Ok(Report::ContentStyle {
                eval,
                data,
                content_dim,
            })
        }
    }
}

impl Report {
    /// The metrics as `eval --json` prints them (stable keys, documented in the README).
    pub fn metrics_json(&self) -> serde_json::Value {
        match self {
            Self::Images { metrics, .. } => serde_json::to_value(metrics),
            Self::ContentStyle { eval, .. } => serde_json::to_value(&eval.metrics),
        }
        .expect("metrics serialise")
    }

    /// Add what the judge classifier in `judge_file` says of `model` (models of a dataset with
    /// a test split; the judge must know the dataset's classes).
    pub fn add_judge(
        &mut self,
        model: &Vae,
        judge_file: &Path,
        device: &Device,
        seed: u64,
    ) -> Result<(), String> {
        match self {
            Self::Images {
                metrics,
                enc,
                data,
                prior,
                ..
            } => {
                let (judge, _) = super::judge::load_judge(judge_file, data, device)?;
                metrics.judge = Some(super::judge::judge_model(
                    model, prior, data, &enc.means, &judge, device, seed,
                ));
                Ok(())
            }
            Self::ContentStyle { .. } => {
                Err("--judge scores models of a dataset with classes and a test split (not content/style models)".into())
            }
        }
    }

    /// What was measured on, for the line above the table.
    pub fn heading(&self, target: &str) -> String {
        match self {
            Self::Images { metrics, data, .. } => format!(
                "{target} on the {} test set ({} images{}):",
                data.name,
                metrics.test_examples,
                if metrics.binarized {
                    ", binarized once"
                } else {
                    ", grey levels"
                }
            ),
            Self::ContentStyle { eval, .. } => format!(
                "{target} on Omniglot's {} evaluation alphabets ({} drawings, never seen in training) and the 20 one-shot runs:",
                eval.metrics.alphabets, eval.metrics.test_examples
            ),
        }
    }

    pub fn table(&self) -> String {
        match self {
            Self::Images { metrics, .. } => super::table(metrics),
            Self::ContentStyle { eval, .. } => content_style::table(&eval.metrics),
        }
    }

    /// Write the figures a person looks at into `dir`; returns the files written.
    pub fn write_plots(
        &self,
        model: &Vae,
        device: &Device,
        dir: &Path,
        seed: u64,
    ) -> std::io::Result<Vec<PathBuf>> {
        match self {
            Self::Images {
                enc, data, prior, ..
            } => super::figures::write_plots(model, prior, data, enc, device, dir, seed),
            Self::ContentStyle {
                eval,
                data,
                content_dim,
            } => content_style::plots::write_plots(
                model,
                *content_dim,
                data,
                eval,
                device,
                dir,
                seed,
            ),
        }
    }

    /// The images the model was measured on, labelled as its scatter colours them (test split
    /// by class; Omniglot's evaluation drawings by alphabet).
    pub fn images(&self) -> &ImageSet {
        match self {
            Self::Images { data, .. } => &data.test,
            Self::ContentStyle { eval, .. } => &eval.images,
        }
    }

    /// `images()` as people see them: the grey levels of images scored binarized.
    pub fn shown_images(&self) -> &ImageSet {
        match self {
            Self::Images {
                grey_test: Some(grey),
                ..
            } => grey,
            _ => self.images(),
        }
    }

    /// The latent means of `images()`, row-major.
    pub fn means(&self) -> &[f32] {
        match self {
            Self::Images { enc, .. } => &enc.means,
            Self::ContentStyle { eval, .. } => &eval.enc.means,
        }
    }

    pub fn dataset_name(&self) -> &str {
        match self {
            Self::Images { data, .. } => &data.name,
            Self::ContentStyle { .. } => "omniglot",
        }
    }

    /// The names of `images()`' labels.
    pub fn class_names(&self) -> Vec<String> {
        match self {
            Self::Images { data, .. } => data.class_names.clone(),
            Self::ContentStyle { data, .. } => data.alphabets.clone(),
        }
    }

    /// How many images the full training set of this kind's data holds.
    pub fn train_size(&self) -> usize {
        match self {
            Self::Images { data, .. } => data.train.len(),
            Self::ContentStyle { .. } => Split::Background.expected().1 * DRAWERS,
        }
    }

    /// For drawings (which fill only part of the frame): the longer side, in pixels, that the
    /// page scales an upload's ink to, the median ink extent of the data. `None`: the whole frame.
    pub fn fit(&self) -> Option<usize> {
        match self {
            Self::Images { .. } => None,
            Self::ContentStyle { eval, .. } => {
                Some(crate::data::upload::median_extent(&eval.images))
            }
        }
    }
}
