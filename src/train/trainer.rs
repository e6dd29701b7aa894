//! The training loop, written once for every kind: batches, the kind's step, progress,
//! per-epoch records and the held-out score, checkpoints and stopping.

use super::adam::Optimisers;
use super::batches::BatchPlan;
use super::checkpoint::{self, Checkpoint};
use super::records::{EpochRecord, Named, Position, show};
use super::run_dir::write_metrics;
use super::{Outcome, Stop, TrainConfig};
use crate::data::TrainSet;
use crate::model::Vae;
use crate::objective::score::test_elbo;
use crate::objective::{Batch, Kind, WithKind};
use crate::rng::Rng;
use burn::prelude::*;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// The stream of the held-out score's noise.
const TEST_STREAM: u64 = 3;

pub struct Trainer<'a> {
    pub dir: &'a Path,
    pub config: &'a TrainConfig,
    pub data: &'a TrainSet,
    pub stop: Stop<'a>,
}

impl WithKind for Trainer<'_> {
    type Output = Result<Outcome, String>;
    fn run<K: Kind>(self, kind: &K) -> Self::Output {
        self.train(kind)
    }
}

/// A run in progress: the network, its optimisers, where the loop stands, the finished epochs.
struct State<M> {
    net: M,
    optimisers: Optimisers,
    pos: Position,
    history: Vec<EpochRecord>,
}

impl<M: burn::module::Module> State<M> {
    fn save(&self, dir: &Path) -> Result<(), String> {
        checkpoint::save(dir, &self.net, &self.optimisers, &self.pos, &self.history)
            .map_err(|e| format!("{}: {e}", dir.display()))
    }
}

/// The run's checkpoint, or a freshly seeded network when it has none yet.
fn resume_or_init<K: Kind>(
    kind: &K,
    dir: &Path,
    config: &TrainConfig,
    device: &Device,
    inner: &Device,
) -> Result<State<K::Net>, String> {
    let arch = &config.architecture;
    if !dir.join(checkpoint::FILE).exists() {
        return Ok(State {
            net: kind.net(arch, Some(config.seed), device),
            optimisers: Optimisers::new(kind.param_sets()),
            pos: Position::default(),
            history: Vec::new(),
        });
    }
    let skeleton = kind.net(arch, None, device);
    let c: Checkpoint<K::Net> = checkpoint::load(dir, skeleton, kind.param_sets(), device, inner)?;
    let mut pos = c.position;
    pos.name_terms(kind.terms());
    eprintln!(
        "resuming {} at epoch {} batch {}",
        dir.display(),
        pos.epoch + 1,
        pos.batch
    );
    Ok(State {
        net: c.net,
        optimisers: c.optimisers,
        pos,
        history: c.history,
    })
}

impl Trainer<'_> {
    fn train<K: Kind>(self, kind: &K) -> Result<Outcome, String> {
        let Self {
            dir,
            config,
            data,
            stop,
        } = self;
        let inner = config.backend.device()?;
        let device = inner.clone().autodiff();
        let plan =
            BatchPlan::new(kind.batching(), data, config.batch_size)?.binarized(config.binarize);
        let held_out = match &data.held_out {
            Some(test) if config.binarize => Some(test.binarized(super::BINARIZE_SEED)),
            other => other.clone(),
        };
        kind.check_classes(&config.architecture, data.class_names.len())?;
        let mut s = resume_or_init(kind, dir, config, &device, &inner)?;
        eprintln!("{}", plan.describe());
        let batches = plan.per_epoch();
        let total_steps = batches * config.epochs;
        while s.pos.epoch < config.epochs {
            let epoch = plan.epoch(config.seed, s.pos.epoch);
            let bar = progress_bar(batches, s.pos.epoch + 1, config.epochs);
            bar.set_position(s.pos.batch as u64);
            let mut lr = 0.0;
            while s.pos.batch < batches {
                let t0 = Instant::now();
                let step = s.pos.epoch * batches + s.pos.batch;
                let x = epoch.batch(s.pos.batch, config.seed, step, &device);
                let n = x.dims()[0];
                lr = config.schedule.lr(config.learning_rate, step, total_steps);
                let batch = Batch {
                    x,
                    labels: epoch.labels(s.pos.batch),
                    seed: config.seed,
                    step,
                };
                let mut opt = s.optimisers.at(lr);
                let (net, terms) = kind.step(&config.architecture, s.net, batch, &mut opt);
                s.net = net;
                let values: Vec<(&str, f64)> = terms
                    .into_iter()
                    .map(|(name, t)| (name, t.into_scalar::<f32>() as f64))
                    .collect();
                debug_assert!(values.iter().map(|v| v.0).eq(kind.terms().iter().copied()));
                s.pos.add_batch(&values, n, t0)?;
                bar.set_position(s.pos.batch as u64);
                bar.set_message(progress(&s.pos, kind.progress_terms()));
                if stop.flag.load(Ordering::SeqCst) || stop.after_steps == Some(step + 1) {
                    bar.abandon();
                    s.save(dir)?;
                    return Ok(Outcome::Interrupted {
                        epoch: s.pos.epoch,
                        batch: s.pos.batch,
                    });
                }
            }
            let mut terms = s.pos.means();
            if let Some(test) = &held_out {
                bar.set_message(format!("scoring the {} held-out images", test.len()));
                let mut rng = Rng::derive(config.seed, TEST_STREAM, s.pos.epoch as u64);
                let vae: Vae = K::vae(&s.net).valid();
                let prior = &config.architecture.prior;
                let t = test_elbo(&vae, prior, test, &inner, &mut rng, 500);
                let held_out = if kind.stochastic_codes() {
                    vec![
                        ("test_nelbo", t.nelbo),
                        ("test_recon", t.recon),
                        ("test_kl", t.kl),
                    ]
                } else {
                    // A deterministic encoder: its code is the mean, and no ELBO applies.
                    vec![("test_recon", t.recon_at_mean)]
                };
                for (k, v) in held_out {
                    // A prior without a density (categorical) has no KL or ELBO to record.
                    if v.is_finite() {
                        terms.0.push((k.to_string(), v));
                    }
                }
            }
            bar.finish_and_clear();
            let record = EpochRecord {
                epoch: s.pos.epoch + 1,
                terms,
                lr,
                images_per_s: s.pos.images_per_s(),
                seconds: s.pos.seconds,
                test_images: held_out.as_ref().map(|h| h.len()),
                device: Some(config.backend),
            };
            eprintln!("{}", record.line(config.epochs));
            s.history.push(record);
            s.pos = Position {
                epoch: s.pos.epoch + 1,
                ..Position::default()
            };
            s.save(dir)?;
            write_metrics(dir, &s.history).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        Ok(Outcome::Finished)
    }
}

/// The progress bar's message: the kind's chosen terms so far this epoch, and the speed.
fn progress(pos: &Position, shown: &[&str]) -> String {
    let means: Named = pos.means();
    let mut parts: Vec<String> = shown
        .iter()
        .filter_map(|&k| means.get(k).map(|v| format!("{k} {}", show(v))))
        .collect();
    parts.push(format!("{:.0} img/s", pos.images_per_s()));
    parts.join("  ")
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

/// Reading a finished (or interrupted) run's VAE for `eval` and `export`.
pub struct Load<'a> {
    pub dir: &'a Path,
    pub config: &'a TrainConfig,
    pub device: &'a Device,
}

impl WithKind for Load<'_> {
    type Output = Result<(Vae, Position, Vec<EpochRecord>), String>;
    fn run<K: Kind>(self, kind: &K) -> Self::Output {
        let skeleton = kind.net(&self.config.architecture, None, self.device);
        let c: Checkpoint<K::Net> = checkpoint::load(
            self.dir,
            skeleton,
            kind.param_sets(),
            self.device,
            self.device,
        )?;
        Ok((K::vae(&c.net), c.position, c.history))
    }
}
