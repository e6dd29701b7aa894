//! Small measures on a model's codes and decodings used by every evaluation.

use crate::model::Vae;
use burn::prelude::*;

pub use crate::objective::score::{Encodings, encode_and_score, encode_and_score_reporting, mean};

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_into_vec_as::<f32>().expect("f32 tensor")
}

/// The standard error of the mean of `v`.
pub fn standard_error(v: &[f64]) -> f64 {
    let m = mean(v);
    let n = v.len() as f64;
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt() / n.sqrt()
}

/// Latent dimensions whose posterior mean varies across the data (Cov_x E_q[z_i] > 0.01,
/// Burda et al. 2016): the units the model actually uses.
pub fn active_units(means: &[f32], dim: usize) -> usize {
    let n = (means.len() / dim) as f64;
    (0..dim)
        .filter(|&j| {
            let col = means.iter().skip(j).step_by(dim).map(|&v| v as f64);
            let m = col.clone().sum::<f64>() / n;
            col.map(|v| (v - m).powi(2)).sum::<f64>() / n > 0.01
        })
        .count()
}

/// Posterior means of float images (`n * side²` values in [0, 1]), 500 at a time.
pub fn encode_means(model: &Vae, pixels: &[f32], side: usize, device: &Device) -> Vec<f32> {
    let per = side * side;
    let mut out = Vec::with_capacity(pixels.len() / per * model.encoder.latent_dim());
    for chunk in pixels.chunks(500 * per) {
        let n = chunk.len() / per;
        let x = Tensor::<4>::from_data(TensorData::new(chunk.to_vec(), [n, 1, side, side]), device);
        out.extend(to_vec(model.encoder.forward(x).mean));
    }
    out
}

/// Decode latent points (`n x dim`, row-major) to greyscale bytes, `batch` at a time.
pub fn decode_bytes(
    model: &Vae,
    z: &[f32],
    dim: usize,
    device: &Device,
    batch: usize,
) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for chunk in z.chunks(batch * dim) {
        let n = chunk.len() / dim;
        let t = Tensor::<2>::from_data(TensorData::new(chunk.to_vec(), [n, dim]), device);
        let px = to_vec(model.decoder.forward(t));
        out.extend(px.chunks(px.len() / n).map(|img| {
            img.iter()
                .map(|&p| (p.clamp(0.0, 1.0) * 255.0).round() as u8)
                .collect::<Vec<u8>>()
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_error_of_known_samples() {
        // 0 and 10%: sample sd 0.0707, over √2.
        assert!((standard_error(&[0.0, 0.1]) - 0.05).abs() < 1e-12);
        assert_eq!(standard_error(&[0.05, 0.05]), 0.0);
    }

    #[test]
    fn active_units_counts_varying_dimensions() {
        // dim 0 varies (variance 1), dim 1 is constant, dim 2 varies a little (variance 0.0025).
        let means: Vec<f32> = (0..100)
            .flat_map(|i| {
                [
                    if i % 2 == 0 { 1.0 } else { -1.0 },
                    0.3,
                    if i % 2 == 0 { 0.05 } else { -0.05 },
                ]
            })
            .collect();
        assert_eq!(active_units(&means, 3), 1);
    }
}
