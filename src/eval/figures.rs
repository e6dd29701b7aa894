//! The figures of a single-image model's evaluation: the test set's codes over the prior, a
//! decoded grid over the code plane, an interpolation, samples of the prior (per cluster where
//! it has several), and reconstructions.

use super::metrics::{Encodings, decode_bytes};
use super::plot::{self, GridAxes};
use crate::data::Dataset;
use crate::explorer::with_one_hot;
use crate::model::{Prior, Vae};
use crate::pca::Pca;
use crate::rng::Rng;
use burn::prelude::*;
use std::path::{Path, PathBuf};

/// Write the evaluation figures into `dir`; returns the files written.
pub fn write_plots(
    model: &Vae,
    prior: &Prior,
    data: &Dataset,
    enc: &Encodings,
    device: &Device,
    dir: &Path,
    seed: u64,
) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let dim = model.encoder.latent_dim();
    let side = data.test.side;
    // A conditional model's decoder reads each code with a label's one-hot appended.
    let classes = model.condition_classes();
    let code_dim = dim + classes;
    let coded = |z: &[f32], labels: &[usize]| match classes {
        0 => z.to_vec(),
        k => with_one_hot(z, dim, labels, k),
    };
    let test_label = |i: usize| data.test.labels[i] as usize;
    let labels: Vec<usize> = data.test.labels.iter().map(|&l| l as usize).collect();
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
    // A 2-D code is drawn over its prior's density: how well the codes fill the prior shows.
    let density = |x: f64, y: f64| {
        prior
            .log_density(&[x as f32, y as f32])
            .map_or(0.0, f64::exp)
    };
    let background =
        (dim == 2 && !matches!(prior, Prior::Categorical { .. })).then(|| plot::Background {
            density: &density,
            extent: prior.extent(),
        });
    let title = match &background {
        Some(_) => format!(
            "{} test set, codes (2-d) over the prior's density",
            data.name
        ),
        None => title,
    };
    save(
        "latent_scatter.png",
        plot::scatter(
            &plane,
            &data.test.labels,
            &data.class_names,
            &title,
            (&axis_names.0, &axis_names.1),
            background,
        ),
    )?;

    // 20 x 20 decoded grid: the prior's extent for 2-d latents ([-3, 3]² under N(0, I)),
    // +-2.5 sd of the PCA plane otherwise.
    let n = 20;
    let (sx, sy) = if dim == 2 {
        (prior.extent(), prior.extent())
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
    let grid = decode_bytes(model, &coded(&z, &[test_label(0)]), code_dim, device, 400);
    let title = match classes {
        0 => "decoded latent grid (20 x 20)".to_string(),
        _ => format!(
            "decoded latent grid (20 x 20), class {}",
            short(&data.class_names[test_label(0)])
        ),
    };
    save(
        "latent_grid.png",
        plot::image_grid(&grid, side, n, 2, &title, Some(&axes)),
    )?;

    // Interpolation between test images 0 and 1 (as in the Keras reference), 10 steps; a
    // conditional model's label travels too (a blend of the two one-hots).
    let ends = coded(&enc.means[..2 * dim], &labels[..2]);
    let (a, b) = (&ends[..code_dim], &ends[code_dim..]);
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
    for (k, img) in decode_bytes(model, &zi, code_dim, device, 64)
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

    // Samples from the prior; with several components, a row of samples from each; for a
    // conditional model, the same 8 codes under every label (a row per class).
    let mut rng = Rng::derive(seed, 0x5a3, 0);
    let (zs, sample_labels, title) = match classes {
        0 => (
            prior.sample(64, dim, &mut rng),
            vec![],
            format!("samples from the prior, {}", prior.describe()),
        ),
        k => {
            let z8 = prior.sample(8, dim, &mut rng);
            (
                z8.repeat(k),
                (0..k).flat_map(|c| std::iter::repeat_n(c, 8)).collect(),
                "the same 8 codes under each label (a row per class)".to_string(),
            )
        }
    };
    save(
        "samples.png",
        plot::image_grid(
            &decode_bytes(model, &coded(&zs, &sample_labels), code_dim, device, 64),
            side,
            8,
            3,
            &title,
            None,
        ),
    )?;
    let k = prior.components();
    if k > 1 {
        let per = 10;
        let which: Vec<usize> = (0..k).flat_map(|c| std::iter::repeat_n(c, per)).collect();
        let zs = prior.sample_components(&which, dim, &mut rng);
        save(
            "samples_per_cluster.png",
            plot::image_grid(
                &decode_bytes(model, &zs, dim, device, 64),
                side,
                per,
                3,
                "samples of each prior component (one row each)",
                None,
            ),
        )?;
    }

    // Originals (odd rows) above their reconstructions from z = mean (even rows).
    let cols = 12;
    let recon = decode_bytes(
        model,
        &coded(&enc.means[..4 * cols * dim], &labels[..4 * cols]),
        code_dim,
        device,
        64,
    );
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
