//! Training the judge classifier (`latent-atlas judge`): cross-entropy with the project's Adam,
//! cosine learning rate, mirrored images as augmentation (a garment mirrored is the same
//! garment), accuracy on the held-out split after every epoch. A plain loop rather than the
//! model kinds' trainer: the judge is an instrument, not a model the page explores, and a run
//! takes minutes, so it has no checkpoints.

use super::Schedule;
use super::adam::Adam;
use crate::data::{Dataset, ImageSet};
use crate::model::{Judge, one_hot};
use crate::rng::Rng;
use burn::prelude::*;
use burn::tensor::activation::log_softmax;

/// The stream of the shuffles and mirrors.
const JUDGE_STREAM: u64 = 0x70d6e;

pub struct JudgeTraining {
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub seed: u64,
}

/// One epoch's record.
#[derive(Debug, Clone, serde::Serialize)]
pub struct JudgeEpoch {
    pub epoch: usize,
    pub loss: f64,
    pub held_out_accuracy: f64,
}

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_into_vec_as::<f32>().expect("f32 tensor")
}

/// Images `indices` of `set` as a batch, each mirrored left-right where `mirror` says so.
fn batch(set: &ImageSet, indices: &[usize], mirror: &[bool], device: &Device) -> Tensor<4> {
    let s = set.side;
    let mut buf = Vec::with_capacity(indices.len() * s * s);
    for (&i, &m) in indices.iter().zip(mirror) {
        let img = set.image(i);
        for row in img.chunks_exact(s) {
            if m {
                buf.extend(row.iter().rev().map(|&p| p as f32 / 255.0));
            } else {
                buf.extend(row.iter().map(|&p| p as f32 / 255.0));
            }
        }
    }
    Tensor::from_data(TensorData::new(buf, [indices.len(), 1, s, s]), device)
}

/// The judge's predicted class of every image of `set`.
pub fn predict(judge: &Judge, set: &ImageSet, device: &Device) -> Vec<usize> {
    let mut out = Vec::with_capacity(set.len());
    let idx: Vec<usize> = (0..set.len()).collect();
    for chunk in idx.chunks(500) {
        let x = batch(set, chunk, &vec![false; chunk.len()], device);
        out.extend(argmax_rows(&to_vec(judge.logits(x)), chunk.len()));
    }
    out
}

/// The index of each row's largest value.
pub fn argmax_rows(values: &[f32], rows: usize) -> Vec<usize> {
    values
        .chunks_exact(values.len() / rows.max(1))
        .map(|r| {
            r.iter()
                .enumerate()
                .fold(
                    (0, f32::NEG_INFINITY),
                    |b, (i, &v)| if v > b.1 { (i, v) } else { b },
                )
                .0
        })
        .collect()
}

pub fn accuracy(predicted: &[usize], labels: &[u8]) -> f64 {
    let right = predicted
        .iter()
        .zip(labels)
        .filter(|(p, l)| **p == **l as usize)
        .count();
    right as f64 / labels.len().max(1) as f64
}

/// Train a judge on `data.train`, reporting each epoch (with the accuracy on `data.test`) to
/// `on_epoch`. `device` is an autodiff device; `inner` the plain one the judge is returned on.
pub fn train_judge(
    data: &Dataset,
    t: &JudgeTraining,
    device: &Device,
    inner: &Device,
    mut on_epoch: impl FnMut(&JudgeEpoch),
) -> Judge {
    let classes = data.class_names.len();
    let side = data.train.side;
    let mut net = Judge::new(classes, side, t.seed, device);
    let mut adam = Adam::default();
    let n = data.train.len();
    let per_epoch = n.div_ceil(t.batch_size);
    let total = per_epoch * t.epochs;
    for epoch in 0..t.epochs {
        let mut rng = Rng::derive(t.seed, JUDGE_STREAM, epoch as u64);
        let mut order: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut order);
        let mut loss_sum = 0.0;
        for (b, idx) in order.chunks(t.batch_size).enumerate() {
            let mirror: Vec<bool> = idx.iter().map(|_| rng.uniform() < 0.5).collect();
            let x = batch(&data.train, idx, &mirror, device);
            let labels: Vec<usize> = idx.iter().map(|&i| data.train.labels[i] as usize).collect();
            let y = one_hot(&labels, classes, device);
            let loss = -(log_softmax(net.logits(x), 1) * y).sum_dim(1).mean();
            loss_sum += to_vec(loss.clone())[0] as f64 * idx.len() as f64;
            let grads = loss.backward();
            let lr = Schedule::Cosine.lr(t.learning_rate, epoch * per_epoch + b, total);
            net = adam.step(net, &grads, lr, &[""]);
        }
        let plain = net.valid();
        let held_out_accuracy = accuracy(&predict(&plain, &data.test, inner), &data.test.labels);
        on_epoch(&JudgeEpoch {
            epoch: epoch + 1,
            loss: loss_sum / n as f64,
            held_out_accuracy,
        });
    }
    net.valid()
}
