//! Training a content/style model on Omniglot's background split: batches of whole groups
//! (`per_group` drawings of one character), the structured objective, and the same
//! seeded, resumable checkpointing as the plain loop.

use super::adam::Adam;
use super::{Outcome, Position, Stop, TrainConfig, checkpoint};
use crate::data::omniglot::{Omniglot, SIDE};
use crate::model::Vae;
use crate::objective::structured::{Noise, StructuredConfig, structured_loss};
use crate::rng::Rng;
use burn::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Instant;

const GROUP_STREAM: u64 = 11;
const NOISE_STREAM: u64 = 12;
const SHIFT_STREAM: u64 = 13;

/// The per-drawing batch means of one epoch, in the order `Position::sums` accumulates them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StructuredRecord {
    pub epoch: usize,
    pub loss: f64,
    pub recon: f64,
    pub kl_content: f64,
    pub kl_style: f64,
    pub mmd_content: f64,
    pub mmd_style: f64,
    pub proto: f64,
    /// recon + both KLs: the group negative ELBO per drawing on the training batches.
    pub nelbo: f64,
    pub lr: f64,
    pub images_per_s: f64,
    pub seconds: f64,
}

/// One epoch's groups: every character's drawings shuffled and cut into groups of `k` (a
/// remainder is dropped for that epoch), then all groups shuffled. Indices into `data`.
pub fn epoch_groups(data: &Omniglot, k: usize, rng: &mut Rng) -> Vec<Vec<usize>> {
    let chars = data.characters.len();
    let mut by_char: Vec<Vec<usize>> = vec![Vec::new(); chars];
    for (i, &c) in data.character.iter().enumerate() {
        by_char[c as usize].push(i);
    }
    let mut groups = Vec::new();
    for mut members in by_char {
        rng.shuffle(&mut members);
        groups.extend(members.chunks_exact(k).map(<[usize]>::to_vec));
    }
    rng.shuffle(&mut groups);
    groups
}

/// Drawings at `indices` as floats in [0, 1], each moved by a random whole-pixel offset of up to
/// `max_shift` in each direction (ink pushed past the border is lost, as a real shift would be).
pub fn gather_shifted(
    data: &Omniglot,
    indices: &[usize],
    max_shift: usize,
    rng: &mut Rng,
) -> Vec<f32> {
    let mut out = vec![0.0f32; indices.len() * SIDE * SIDE];
    let span = 2 * max_shift + 1;
    for (slot, &i) in indices.iter().enumerate() {
        let dy = rng.below(span) as isize - max_shift as isize;
        let dx = rng.below(span) as isize - max_shift as isize;
        let src = data.image(i);
        let dst = &mut out[slot * SIDE * SIDE..(slot + 1) * SIDE * SIDE];
        for y in 0..SIDE as isize {
            let sy = y - dy;
            if !(0..SIDE as isize).contains(&sy) {
                continue;
            }
            for x in 0..SIDE as isize {
                let sx = x - dx;
                if (0..SIDE as isize).contains(&sx) {
                    dst[(y * SIDE as isize + x) as usize] =
                        src[(sy * SIDE as isize + sx) as usize] as f32 / 255.0;
                }
            }
        }
    }
    out
}

/// Start (or, with `fresh = None`, resume) a content/style run in `dir` on `data`.
pub fn run(
    dir: &Path,
    fresh: Option<TrainConfig>,
    data: &Omniglot,
    stop: Stop,
) -> Result<Outcome, String> {
    let io = |e: std::io::Error| format!("{}: {e}", dir.display());
    let config = super::open_run(dir, fresh)?;
    let sc: StructuredConfig = config
        .structured
        .clone()
        .ok_or("this run has no content/style settings")?;
    let arch = &config.architecture;
    let content = arch
        .content_dim
        .ok_or("a content/style run needs --content-dim")?;
    let style = arch.latent_dim - content;
    let k = sc.per_group;
    if k < 2 || k % 2 != 0 || k > 20 {
        return Err(format!("--group-size {k} must be even and in 2..=20"));
    }
    if config.batch_size % k != 0 || config.batch_size / k < 2 {
        return Err(format!(
            "--batch-size {} must be a multiple of --group-size {k} holding at least two groups",
            config.batch_size
        ));
    }
    let inner = config.backend.device()?;
    let device = inner.clone().autodiff();
    let (mut model, mut adam, mut pos, mut history): super::State<StructuredRecord> =
        super::resume_or_init(dir, &config, &device, &inner)?;
    let groups_per_batch = config.batch_size / k;
    // The group count per epoch is the same every epoch (20 drawings per character).
    let batches = epoch_groups(data, k, &mut Rng::new(0)).len() / groups_per_batch;
    if batches == 0 {
        return Err("not enough groups for one batch".into());
    }
    eprintln!(
        "training on {} drawings of {} characters from {}: {batches} batches of {groups_per_batch} characters x {k} drawings per epoch",
        data.len(),
        data.characters.len(),
        data.source
    );
    let total_steps = batches * config.epochs;
    let save = |model: &Vae, adam: &Adam, pos: &Position, history: &[StructuredRecord]| {
        checkpoint::save(dir, model, adam, pos, history).map_err(io)
    };
    while pos.epoch < config.epochs {
        let groups = epoch_groups(
            data,
            k,
            &mut Rng::derive(config.seed, GROUP_STREAM, pos.epoch as u64),
        );
        let bar = super::progress_bar(batches, pos.epoch + 1, config.epochs);
        bar.set_position(pos.batch as u64);
        let mut lr = 0.0;
        while pos.batch < batches {
            let t0 = Instant::now();
            let step = pos.epoch * batches + pos.batch;
            let idx: Vec<usize> =
                groups[pos.batch * groups_per_batch..(pos.batch + 1) * groups_per_batch].concat();
            let n = idx.len();
            let mut shift_rng = Rng::derive(config.seed, SHIFT_STREAM, step as u64);
            let x = Tensor::<4>::from_data(
                TensorData::new(
                    gather_shifted(data, &idx, sc.max_shift, &mut shift_rng),
                    [n, 1, SIDE, SIDE],
                ),
                &device,
            );
            let eps = Rng::derive(config.seed, NOISE_STREAM, step as u64).normals(Noise::len(
                n,
                groups_per_batch,
                content,
                style,
            ));
            let noise = Noise::from_flat(eps, n, groups_per_batch, content, style, &device);
            let loss = structured_loss(&model, x, content, noise, &sc);
            let nelbo = loss.nelbo();
            let grads = loss.total.backward();
            lr = config.schedule.lr(config.learning_rate, step, total_steps);
            model = adam.step(model, &grads, lr);
            let scalars: Vec<f64> = [
                loss.total,
                loss.recon,
                loss.kl_content,
                loss.kl_style,
                loss.mmd_content,
                loss.mmd_style,
                loss.proto,
                nelbo,
            ]
            .into_iter()
            .map(|t| t.into_scalar::<f32>() as f64)
            .collect();
            pos.add_batch(&scalars, n, t0)?;
            bar.set_position(pos.batch as u64);
            bar.set_message(format!(
                "loss {:.2} recon {:.1} proto {:.3}  {:.0} img/s",
                pos.mean(0),
                pos.mean(1),
                pos.mean(6),
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
        bar.finish_and_clear();
        let avg = |i: usize| pos.mean(i);
        let record = StructuredRecord {
            epoch: pos.epoch + 1,
            loss: avg(0),
            recon: avg(1),
            kl_content: avg(2),
            kl_style: avg(3),
            mmd_content: avg(4),
            mmd_style: avg(5),
            proto: avg(6),
            nelbo: avg(7),
            lr,
            images_per_s: pos.seen as f64 / pos.seconds,
            seconds: pos.seconds,
        };
        eprintln!(
            "epoch {:>3}/{}  loss {:.2}  recon {:.2}  kl c {:.2} s {:.2}  mmd c {:.4} s {:.4}  proto {:.3}  nelbo {:.2}  {:.0} img/s  {:.0}s",
            record.epoch,
            config.epochs,
            record.loss,
            record.recon,
            record.kl_content,
            record.kl_style,
            record.mmd_content,
            record.mmd_style,
            record.proto,
            record.nelbo,
            record.images_per_s,
            record.seconds
        );
        super::end_epoch(dir, &model, &adam, &mut pos, &mut history, record)?;
    }
    Ok(Outcome::Finished)
}
