//! The native training loop: seeded, resumable, with a progress bar, per-epoch metrics (JSON
//! lines) and an atomic checkpoint after every epoch and on interruption.
//!
//! Every random draw comes from `Rng::derive(seed, stream, position)`, so a run resumed from a
//! checkpoint replays exactly the shuffles and noise an uninterrupted run would have used.

pub mod adam;
pub mod checkpoint;
pub mod structured;

use crate::data::Dataset;
use crate::device::Backend;
use crate::eval::metrics::test_elbo;
use crate::model::{Vae, VaeConfig};
use crate::objective::elbo_loss;
use crate::rng::Rng;
use adam::Adam;
use burn::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

const SHUFFLE_STREAM: u64 = 1;
const NOISE_STREAM: u64 = 2;
const TEST_STREAM: u64 = 3;
pub const CONFIG_FILE: &str = "config.json";
pub const METRICS_FILE: &str = "metrics.jsonl";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// Keras' default: the same learning rate throughout.
    Constant,
    /// Half-cosine decay from the learning rate to zero over the whole run.
    Cosine,
}

impl std::str::FromStr for Schedule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "constant" => Ok(Self::Constant),
            "cosine" => Ok(Self::Cosine),
            _ => Err(format!(
                "unknown schedule '{s}' (expected constant or cosine)"
            )),
        }
    }
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
pub struct TrainConfig {
    pub dataset: String,
    pub architecture: VaeConfig,
    pub epochs: usize,
    pub batch_size: usize,
    pub beta: f64,
    pub learning_rate: f64,
    pub schedule: Schedule,
    pub seed: u64,
    /// Use only the first N training images (quick experiments and tests).
    pub train_limit: Option<usize>,
    pub backend: Backend,
    /// The command line that started the run, for the model file's provenance.
    pub command: String,
    /// Content/style settings (Omniglot); absent for a plain VAE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured: Option<crate::objective::structured::StructuredConfig>,
}

/// Where the loop stands: `epoch` epochs are complete and `batch` batches of the next one are done.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub epoch: usize,
    pub batch: usize,
    /// Sums over the current epoch's batches so far (loss, recon, kl weighted by batch size).
    pub sums: Vec<f64>,
    pub seen: usize,
    pub seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    pub epoch: usize,
    pub loss: f64,
    pub recon: f64,
    pub kl: f64,
    pub test_nelbo: f64,
    pub test_recon: f64,
    pub test_kl: f64,
    pub lr: f64,
    pub images_per_s: f64,
    pub seconds: f64,
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

pub fn read_config(dir: &Path) -> Result<TrainConfig, String> {
    let path = dir.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e} (is this a run directory?)", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn write_metrics<H: Serialize>(dir: &Path, history: &[H]) -> std::io::Result<()> {
    let lines: String = history
        .iter()
        .map(|r| serde_json::to_string(r).expect("record serialises") + "\n")
        .collect();
    checkpoint::write_atomically(&dir.join(METRICS_FILE), lines.as_bytes())
}

/// The configuration of the run in `dir`: a fresh one is written there (refusing to overwrite a
/// run), `None` reads the stored one to resume.
fn open_run(dir: &Path, fresh: Option<TrainConfig>) -> Result<TrainConfig, String> {
    let io = |e: std::io::Error| format!("{}: {e}", dir.display());
    match fresh {
        Some(config) => {
            if dir.join(checkpoint::FILE).exists() {
                return Err(format!(
                    "{} already holds a run; pass --resume to continue it or choose another --out",
                    dir.display()
                ));
            }
            std::fs::create_dir_all(dir).map_err(io)?;
            let text = serde_json::to_string_pretty(&config).expect("config serialises");
            checkpoint::write_atomically(&dir.join(CONFIG_FILE), text.as_bytes()).map_err(io)?;
            Ok(config)
        }
        None => read_config(dir),
    }
}

/// What a run continues from: its checkpoint's weights, optimiser, position and history, or a
/// fresh seeded model.
type State<H> = (Vae, Adam, Position, Vec<H>);

fn resume_or_init<H: serde::de::DeserializeOwned>(
    dir: &Path,
    config: &TrainConfig,
    device: &Device,
    inner: &Device,
) -> Result<State<H>, String> {
    if !dir.join(checkpoint::FILE).exists() {
        let model = Vae::new(&config.architecture, config.seed, device);
        return Ok((model, Adam::default(), Position::default(), Vec::new()));
    }
    let c = checkpoint::load(dir, &config.architecture, device, inner)?;
    eprintln!(
        "resuming {} at epoch {} batch {}",
        dir.display(),
        c.position.epoch + 1,
        c.position.batch
    );
    Ok((c.model, c.adam, c.position, c.history))
}

/// Close an epoch: record it, move to the next, checkpoint, rewrite the metrics file.
fn end_epoch<H: Serialize>(
    dir: &Path,
    model: &Vae,
    adam: &Adam,
    pos: &mut Position,
    history: &mut Vec<H>,
    record: H,
) -> Result<(), String> {
    let io = |e: std::io::Error| format!("{}: {e}", dir.display());
    history.push(record);
    *pos = Position {
        epoch: pos.epoch + 1,
        ..Position::default()
    };
    checkpoint::save(dir, model, adam, pos, history).map_err(io)?;
    write_metrics(dir, history).map_err(io)
}

impl Position {
    /// Add one finished batch of `n` examples: its scalar losses (the first is the total, which
    /// must be finite) and the seconds since `t0`.
    fn add_batch(&mut self, scalars: &[f64], n: usize, t0: Instant) -> Result<(), String> {
        if !scalars[0].is_finite() {
            return Err(format!(
                "loss became {} at epoch {} batch {}; lower the learning rate",
                scalars[0],
                self.epoch + 1,
                self.batch
            ));
        }
        self.sums.resize(scalars.len(), 0.0);
        for (s, v) in self.sums.iter_mut().zip(scalars) {
            *s += v * n as f64;
        }
        self.seen += n;
        self.batch += 1;
        self.seconds += t0.elapsed().as_secs_f64();
        Ok(())
    }

    /// Mean of summed quantity `i` over the batches so far.
    fn mean(&self, i: usize) -> f64 {
        self.sums[i] / self.seen as f64
    }
}

/// Start a new run in `dir` (refusing to overwrite one) or, with `resume`, continue the run there.
pub fn run(
    dir: &Path,
    fresh: Option<TrainConfig>,
    data: &Dataset,
    stop: Stop,
) -> Result<Outcome, String> {
    let io = |e: std::io::Error| format!("{}: {e}", dir.display());
    let config = open_run(dir, fresh)?;
    let inner = config.backend.device()?;
    let device = inner.clone().autodiff();
    let (mut model, mut adam, mut pos, mut history) =
        resume_or_init(dir, &config, &device, &inner)?;

    let train = match config.train_limit {
        Some(n) => data.train.clone().truncated(n),
        None => data.train.clone(),
    };
    let (n, bs, side) = (train.len(), config.batch_size, train.side);
    if n == 0 || bs == 0 {
        return Err("nothing to train on: the training set or the batch size is empty".into());
    }
    let batches = n.div_ceil(bs);
    eprintln!(
        "training on {n} images of {} from {}, {batches} batches per epoch",
        data.name, data.source
    );
    let total_steps = batches * config.epochs;
    let latent = config.architecture.latent_dim;
    // Refilled by each step's gather and then moved into that step's input tensor.
    let mut xbuf = Vec::with_capacity(bs * side * side);
    let save = |model: &Vae, adam: &Adam, pos: &Position, history: &[EpochRecord]| {
        checkpoint::save(dir, model, adam, pos, history).map_err(io)
    };

    while pos.epoch < config.epochs {
        let mut order: Vec<usize> = (0..n).collect();
        Rng::derive(config.seed, SHUFFLE_STREAM, pos.epoch as u64).shuffle(&mut order);
        let bar = progress_bar(batches, pos.epoch + 1, config.epochs);
        bar.set_position(pos.batch as u64);
        let mut lr = 0.0;
        while pos.batch < batches {
            let t0 = Instant::now();
            let step = pos.epoch * batches + pos.batch;
            let idx = &order[pos.batch * bs..((pos.batch + 1) * bs).min(n)];
            train.gather_f32(idx, &mut xbuf);
            let b = idx.len();
            let x = Tensor::<4>::from_data(
                TensorData::new(std::mem::take(&mut xbuf), [b, 1, side, side]),
                &device,
            );
            let eps = Rng::derive(config.seed, NOISE_STREAM, step as u64).normals(b * latent);
            let eps = Tensor::<2>::from_data(TensorData::new(eps, [b, latent]), &device);
            let (logits, q) = model.forward(x.clone(), eps);
            let loss = elbo_loss(logits, x, &q, config.beta);
            let grads = loss.total.backward();
            lr = config.schedule.lr(config.learning_rate, step, total_steps);
            model = adam.step(model, &grads, lr);
            let scalars: Vec<f64> = [loss.total, loss.recon, loss.kl]
                .into_iter()
                .map(|t| t.into_scalar::<f32>() as f64)
                .collect();
            pos.add_batch(&scalars, b, t0)?;
            bar.set_position(pos.batch as u64);
            bar.set_message(format!(
                "loss {:.2}  {:.0} img/s",
                pos.sums[0] / pos.seen as f64,
                pos.seen as f64 / pos.seconds
            ));
            if stop.flag.load(Ordering::SeqCst) || stop.after_steps == Some(step + 1) {
                bar.abandon();
                save(&model, &adam, &pos, &history)?;
                return Ok(Outcome::Interrupted {
                    epoch: pos.epoch,
                    batch: pos.batch,
                });
            }
        }
        bar.set_message(format!("evaluating on the {} test images", data.test.len()));
        let mut test_rng = Rng::derive(config.seed, TEST_STREAM, pos.epoch as u64);
        let t = test_elbo(&model.valid(), &data.test, &inner, &mut test_rng, 500);
        bar.finish_and_clear();
        let seen = pos.seen as f64;
        let record = EpochRecord {
            epoch: pos.epoch + 1,
            loss: pos.sums[0] / seen,
            recon: pos.sums[1] / seen,
            kl: pos.sums[2] / seen,
            test_nelbo: t.nelbo,
            test_recon: t.recon,
            test_kl: t.kl,
            lr,
            images_per_s: seen / pos.seconds,
            seconds: pos.seconds,
        };
        eprintln!(
            "epoch {:>3}/{}  loss {:.3} (recon {:.3} kl {:.3})  test nelbo {:.3}  {:.0} img/s  {:.1}s",
            record.epoch,
            config.epochs,
            record.loss,
            record.recon,
            record.kl,
            record.test_nelbo,
            record.images_per_s,
            record.seconds
        );
        end_epoch(dir, &model, &adam, &mut pos, &mut history, record)?;
    }
    Ok(Outcome::Finished)
}

fn progress_bar(len: usize, epoch: usize, epochs: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{prefix} [{bar:30.cyan/blue}] {pos}/{len} {msg} ({eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(format!("epoch {epoch}/{epochs}"));
    bar
}

/// The run directory's model weights (from its checkpoint) on a plain device, for eval/export.
pub fn load_trained<H: serde::de::DeserializeOwned>(
    dir: &Path,
    device: &Device,
) -> Result<(TrainConfig, Vae, Vec<H>), String> {
    let config = read_config(dir)?;
    let c = checkpoint::load(dir, &config.architecture, device, device)?;
    if c.position.epoch < config.epochs {
        eprintln!(
            "note: {} is unfinished ({} of {} epochs); using its latest checkpoint",
            dir.display(),
            c.position.epoch,
            config.epochs
        );
    }
    Ok((config, c.model, c.history))
}

pub fn default_run_dir(config: &TrainConfig) -> PathBuf {
    PathBuf::from(format!(
        "runs/{}-{}d",
        config.dataset, config.architecture.latent_dim
    ))
}
