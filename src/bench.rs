//! Throughput benchmark (`latent-atlas bench`): training images/s and decoder images/s on the
//! CPU, as medians of timed windows after warm-up. Used paired with the Keras reference
//! (`bench/paired.sh`); timings are never asserted in tests.

use crate::model::{Preset, Vae, VaeConfig, conv};
use crate::objective::gaussian_vae::GaussianVae;
use crate::objective::{Batch, Kind, bce_with_logits};
use crate::rng::Rng;
use crate::train::adam::Optimisers;
use burn::prelude::*;
use serde::Serialize;
use std::time::Instant;

#[derive(Debug, Serialize)]
pub struct BenchResult {
    pub preset: Preset,
    pub latent_dim: usize,
    pub train_batch: usize,
    pub train_images_per_s: f64,
    pub train_windows: Vec<f64>,
    pub decode_batch: usize,
    pub decode_images_per_s: f64,
    pub decode_windows: Vec<f64>,
}

/// Forward and backward milliseconds of one layer (or the loss) at the training batch size.
#[derive(Debug, Serialize)]
pub struct OpTiming {
    pub op: String,
    pub forward_ms: f64,
    pub backward_ms: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Run `f` (which processes `items` images) repeatedly in `windows` windows of `seconds` each.
fn windows(count: usize, seconds: f64, items: usize, mut f: impl FnMut()) -> Vec<f64> {
    for _ in 0..3 {
        f(); // warm-up: allocator pools, rayon threads
    }
    (0..count)
        .map(|_| {
            let t = Instant::now();
            let mut n = 0;
            while t.elapsed().as_secs_f64() < seconds {
                f();
                n += items;
            }
            n as f64 / t.elapsed().as_secs_f64()
        })
        .collect()
}

pub fn run(
    preset: Preset,
    latent_dim: usize,
    train_batch: usize,
    decode_batch: usize,
    seconds: f64,
    device: &Device,
) -> BenchResult {
    let config = VaeConfig::preset(preset, latent_dim);
    let ad = device.clone().autodiff();
    let side = config.image_side;
    let mut rng = Rng::new(7);
    // Real-looking input is not needed for speed; uniform pixels exercise the same kernels.
    let x: Vec<f32> = (0..train_batch * side * side)
        .map(|_| rng.uniform() as f32)
        .collect();
    // The real training step of the seed's kind, with the trainer's optimiser.
    let kind = GaussianVae { beta: 1.0 };
    let mut model = Vae::new(&config, 1, &ad);
    let mut optimisers = Optimisers::new(kind.param_sets());
    let mut step = 0;
    let train = windows(5, seconds / 5.0, train_batch, || {
        let xt = Tensor::<4>::from_data(
            TensorData::new(x.clone(), [train_batch, 1, side, side]),
            &ad,
        );
        let batch = Batch {
            x: xt,
            labels: vec![0; train_batch],
            seed: 7,
            step,
        };
        step += 1;
        let (next, terms) = kind.step(&config, model.clone(), batch, &mut optimisers.at(1e-3));
        model = next;
        let _ = terms[0].1.clone().into_scalar::<f32>();
    });
    let dec = Vae::new(&config, 1, device);
    let z: Vec<f32> = Rng::new(9).normals(decode_batch * latent_dim);
    let decode = windows(5, seconds / 5.0, decode_batch, || {
        let zt = Tensor::<2>::from_data(
            TensorData::new(z.clone(), [decode_batch, latent_dim]),
            device,
        );
        let _ = dec.decoder.forward(zt).into_data();
    });
    BenchResult {
        preset,
        latent_dim,
        train_batch,
        train_images_per_s: median(train.clone()),
        train_windows: train,
        decode_batch,
        decode_images_per_s: median(decode.clone()),
        decode_windows: decode,
    }
}

/// Where a training step's time goes: each layer of the model run alone, forward and backward
/// (median of `reps`), with gradients flowing to the layer's input as in the real step.
pub fn profile_ops(
    preset: Preset,
    latent_dim: usize,
    batch: usize,
    reps: usize,
    device: &Device,
) -> Vec<OpTiming> {
    let config = VaeConfig::preset(preset, latent_dim);
    let ad = device.clone().autodiff();
    let model = Vae::new(&config, 1, &ad);
    let mut rng = Rng::new(3);
    let n = batch;
    let s = config.inner_side();
    let mut out = Vec::new();
    for (name, shape, f) in layer_probes(&model, n, s) {
        let (mut fw, mut bw) = (Vec::new(), Vec::new());
        for _ in 0..reps + 2 {
            let len: usize = shape.iter().product();
            let data = TensorData::new(
                (0..len).map(|_| rng.uniform() as f32).collect::<Vec<_>>(),
                shape.clone(),
            );
            let x = Tensor::<4>::from_data(data, &ad).require_grad();
            let t0 = Instant::now();
            let y = f(x);
            let _ = y.clone().sum().into_scalar::<f32>();
            let t1 = Instant::now();
            let _grads = (y.clone() * y).sum().backward();
            fw.push((t1 - t0).as_secs_f64() * 1e3);
            bw.push(t1.elapsed().as_secs_f64() * 1e3);
        }
        out.push(OpTiming {
            op: name,
            forward_ms: median(fw[2..].to_vec()),
            backward_ms: median(bw[2..].to_vec()),
        });
    }
    out
}

/// A layer of the model as a function of a 4-d input, for per-layer profiling.
type Probe<'a> = (String, Vec<usize>, Box<dyn Fn(Tensor<4>) -> Tensor<4> + 'a>);

/// Each layer alone, with its input shape at batch `n` (`s` = inner feature-map side).
fn layer_probes(model: &Vae, n: usize, s: usize) -> Vec<Probe<'_>> {
    let e = &model.encoder;
    let d = &model.decoder;
    let [c1, c2] = [
        e.conv1.weight.lazy_shape().dims::<4>()[0],
        e.conv2.weight.lazy_shape().dims::<4>()[0],
    ];
    let side = s * 4;
    let flat = |t: Tensor<4>| t.flatten::<2>(1, 3);
    let back = |t: Tensor<2>| t.unsqueeze_dims::<4>(&[2, 3]);
    let [dc1, dc2] = [
        d.up1.weight.lazy_shape().dims::<4>()[0],
        d.up2.weight.lazy_shape().dims::<4>()[1],
    ];
    let hid = e.hidden.weight.lazy_shape().dims::<2>()[1];
    let proj_in = d.project.weight.lazy_shape().dims::<2>()[0];
    let mut v: Vec<Probe<'_>> = vec![
        (
            format!("encoder conv 1->{c1} stride 2 ({side}->{})", side / 2),
            vec![n, 1, side, side],
            Box::new(move |x| conv::conv2d_relu(&e.conv1, x)),
        ),
        (
            format!("encoder conv {c1}->{c2} stride 2"),
            vec![n, c1, side / 2, side / 2],
            Box::new(move |x| conv::conv2d_relu(&e.conv2, x)),
        ),
        (
            format!("encoder dense {}->{hid}", c2 * s * s),
            vec![n, c2, s, s],
            Box::new(move |x| back(conv::linear_relu(&e.hidden, flat(x)))),
        ),
        (
            "decoder dense projection".to_string(),
            vec![n, proj_in, 1, 1],
            Box::new(move |x| back(conv::linear_relu(&d.project, flat(x)))),
        ),
        (
            format!(
                "decoder conv-transpose {dc1}->{dc1} stride 2 ({s}->{})",
                2 * s
            ),
            vec![n, dc1, s, s],
            Box::new(move |x| conv::conv_transpose2d_relu(&d.up1, x)),
        ),
        (
            format!(
                "decoder conv-transpose {dc1}->{dc2} stride 2 ({}->{side})",
                2 * s
            ),
            vec![n, dc1, 2 * s, 2 * s],
            Box::new(move |x| conv::conv_transpose2d_relu(&d.up2, x)),
        ),
        (
            format!("decoder conv-transpose {dc2}->1 stride 1 ({side}->{side})"),
            vec![n, dc2, side, side],
            Box::new(move |x| conv::conv_transpose2d(&d.out, x)),
        ),
    ];
    v.push((
        "loss: BCE with logits + sum".to_string(),
        vec![n, 1, side, side],
        Box::new(move |x| {
            let target = x.clone().detach() * 0.5;
            bce_with_logits(x, target).unsqueeze_dims::<4>(&[1, 2, 3])
        }),
    ));
    v
}
