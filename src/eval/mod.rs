//! Evaluation of a trained model on the test set: likelihood metrics, clustering of the latent
//! means, and the figures a person looks at. `latent-atlas eval` prints and writes these.

pub mod cluster;
pub mod content_style;
pub mod metrics;
pub mod oneshot;
pub mod plot;
pub mod report;
pub mod tsne;

use crate::data::Dataset;
use crate::model::Vae;
use crate::pca::Pca;
use crate::rng::Rng;
use burn::prelude::*;
use metrics::{Encodings, active_units, decode_bytes, encode_and_score, mean};
use plot::GridAxes;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Metrics with stable keys: scripts read these from `eval --json` and from model files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Negative ELBO (recon with sampled z + KL), nats per image; averaged over `draws` samples.
    pub nelbo: f64,
    /// Reconstruction BCE decoding z = posterior mean, nats per image.
    pub recon_bce: f64,
    /// KL(q(z|x) || N(0, I)), nats per image.
    pub kl: f64,
    /// Importance-weighted bound on log p(x) with `draws` samples (higher is better).
    pub iwae_ll: f64,
    pub draws: usize,
    pub active_units: usize,
    /// k-means (k = number of classes) on the latent means, Hungarian-matched accuracy.
    pub kmeans_acc: f64,
    pub nmi: f64,
    pub latent_dim: usize,
    pub test_examples: usize,
    pub seed: u64,
}

pub struct EvalOptions {
    pub draws: usize,
    pub seed: u64,
    pub kmeans_restarts: usize,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            draws: 16,
            seed: 0,
            kmeans_restarts: 10,
        }
    }
}

pub fn evaluate(
    model: &Vae,
    data: &Dataset,
    device: &Device,
    opts: &EvalOptions,
) -> (Metrics, Encodings) {
    let dim = model_latent_dim(model);
    let mut rng = Rng::derive(opts.seed, 0xe7a1, 0);
    let enc = encode_and_score(model, &data.test, device, &mut rng, opts.draws, 500);
    let labels: Vec<usize> = data.test.labels.iter().map(|&l| l as usize).collect();
    let clusters = cluster::kmeans(
        &enc.means,
        dim,
        data.class_names.len(),
        opts.kmeans_restarts,
        opts.seed,
    );
    let metrics = Metrics {
        nelbo: mean(&enc.recon_sampled) + mean(&enc.kl),
        recon_bce: mean(&enc.recon_at_mean),
        kl: mean(&enc.kl),
        iwae_ll: mean(&enc.iwae_ll),
        draws: opts.draws,
        active_units: active_units(&enc.means, dim),
        kmeans_acc: cluster::matched_accuracy(&clusters, &labels),
        nmi: cluster::nmi(&clusters, &labels),
        latent_dim: dim,
        test_examples: labels.len(),
        seed: opts.seed,
    };
    (metrics, enc)
}

pub fn model_latent_dim(model: &Vae) -> usize {
    model.encoder.latent_dim()
}

/// A human-readable table of the metrics.
pub fn table(m: &Metrics) -> String {
    let rows = [
        (
            "test negative ELBO (sampled z)",
            format!("{:.2} nats", m.nelbo),
        ),
        (
            "reconstruction BCE (z = mean)",
            format!("{:.2} nats", m.recon_bce),
        ),
        ("KL to N(0, I)", format!("{:.2} nats", m.kl)),
        (
            &*format!("IWAE log-likelihood bound (k={})", m.draws),
            format!("{:.2} nats", m.iwae_ll),
        ),
        (
            "active latent units",
            format!("{} of {}", m.active_units, m.latent_dim),
        ),
        (
            "k-means accuracy (Hungarian)",
            format!("{:.3}", m.kmeans_acc),
        ),
        ("k-means NMI", format!("{:.3}", m.nmi)),
    ];
    rows.iter()
        .map(|(k, v)| format!("  {k:<40} {v}\n"))
        .collect()
}

/// Write the evaluation figures into `dir`; returns the files written.
pub fn write_plots(
    model: &Vae,
    data: &Dataset,
    enc: &Encodings,
    device: &Device,
    dir: &Path,
    seed: u64,
) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let dim = model_latent_dim(model);
    let side = data.test.side;
    let mut written = Vec::new();
    let mut save = |name: &str, canvas: plot::canvas::Canvas| -> std::io::Result<()> {
        let p = dir.join(name);
        canvas.save(&p)?;
        written.push(p);
        Ok(())
    };
    let pca = Pca::fit(&enc.means, dim);
    let (plane, axis_names) = if dim == 2 {
        (enc.means.clone(), ("z[0]".to_string(), "z[1]".to_string()))
    } else {
        (
            pca.project(&enc.means, 2),
            (
                "PC1 of latent means".to_string(),
                "PC2 of latent means".to_string(),
            ),
        )
    };
    let title = format!(
        "{} test set, latent means ({}-d{})",
        data.name,
        dim,
        if dim == 2 { "" } else { ", PCA" }
    );
    save(
        "latent_scatter.png",
        plot::scatter(
            &plane,
            &data.test.labels,
            &data.class_names,
            &title,
            (&axis_names.0, &axis_names.1),
        ),
    )?;

    // 20 x 20 decoded grid: [-3, 3]^2 for 2-d latents, +-2.5 sd of the PCA plane otherwise.
    let n = 20;
    let (sx, sy) = if dim == 2 {
        (3.0, 3.0)
    } else {
        (2.5 * pca.variances[0].sqrt(), 2.5 * pca.variances[1].sqrt())
    };
    let xs: Vec<f64> = (0..n)
        .map(|i| -sx + 2.0 * sx * i as f64 / (n - 1) as f64)
        .collect();
    let ys: Vec<f64> = (0..n)
        .map(|i| sy - 2.0 * sy * i as f64 / (n - 1) as f64)
        .collect();
    let z: Vec<f32> = ys
        .iter()
        .flat_map(|&y| xs.iter().map(move |&x| (x, y)))
        .flat_map(|(x, y)| {
            if dim == 2 {
                vec![x as f32, y as f32]
            } else {
                pca.unproject(&[x, y])
            }
        })
        .collect();
    let axes = GridAxes {
        x_label: axis_names.0.clone(),
        y_label: axis_names.1.clone(),
        x_values: xs,
        y_values: ys,
    };
    let grid = decode_bytes(model, &z, dim, device, 400);
    save(
        "latent_grid.png",
        plot::image_grid(
            &grid,
            side,
            n,
            2,
            "decoded latent grid (20 x 20)",
            Some(&axes),
        ),
    )?;

    // Interpolation between test images 0 and 1 (as in the Keras reference), 10 steps.
    let (a, b) = (&enc.means[..dim], &enc.means[dim..2 * dim]);
    let steps = 10;
    let zi: Vec<f32> = (0..steps)
        .flat_map(|k| {
            let t = k as f32 / (steps - 1) as f32;
            a.iter().zip(b).map(move |(&p, &q)| (1.0 - t) * p + t * q)
        })
        .collect();
    let mut items = vec![(
        format!(
            "test #0\n{}",
            short(&data.class_names[data.test.labels[0] as usize])
        ),
        data.test.image(0).to_vec(),
    )];
    for (k, img) in decode_bytes(model, &zi, dim, device, 64)
        .into_iter()
        .enumerate()
    {
        items.push((format!("t={:.2}", k as f64 / (steps - 1) as f64), img));
    }
    items.push((
        format!(
            "test #1\n{}",
            short(&data.class_names[data.test.labels[1] as usize])
        ),
        data.test.image(1).to_vec(),
    ));
    save(
        "interpolation.png",
        plot::strip(
            &items,
            side,
            3,
            "linear interpolation between two test images' latent means",
        ),
    )?;

    // Samples from the prior.
    let zs = Rng::derive(seed, 0x5a3, 0).normals(64 * dim);
    save(
        "samples.png",
        plot::image_grid(
            &decode_bytes(model, &zs, dim, device, 64),
            side,
            8,
            3,
            "samples from the prior",
            None,
        ),
    )?;

    // Originals (odd rows) above their reconstructions from z = mean (even rows).
    let cols = 12;
    let recon = decode_bytes(model, &enc.means[..4 * cols * dim], dim, device, 64);
    let mut pairs = Vec::new();
    for r in 0..4 {
        pairs.extend((0..cols).map(|c| data.test.image(r * cols + c).to_vec()));
        pairs.extend(recon[r * cols..(r + 1) * cols].iter().cloned());
    }
    save(
        "reconstructions.png",
        plot::image_grid(
            &pairs,
            side,
            cols,
            3,
            "test images (rows 1, 3, ...) and reconstructions",
            None,
        ),
    )?;
    Ok(written)
}

/// A class name short enough to caption a thumbnail ("T-shirt/top" -> "T-shirt").
fn short(name: &str) -> &str {
    name.split('/').next().unwrap_or(name)
}
