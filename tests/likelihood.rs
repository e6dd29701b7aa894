//! The importance-sampled likelihood on binarized images agrees with an independent
//! computation: for a model with a 2-D code, log p(x) = log ∫ p(x|z) p(z) dz by quadrature on a
//! fine grid; and a run trained with --binarize is scored on binarized images.

mod common;

use burn::prelude::*;
use common::{run, scratch, stderr, stdout};
use latent_atlas::data::load_dataset;
use latent_atlas::model::Prior;
use latent_atlas::objective::bce_with_logits;
use latent_atlas::objective::score::encode_and_score_reporting;
use latent_atlas::rng::Rng;
use latent_atlas::train::{BINARIZE_SEED, load_trained};

/// log ∫ p(x|z) N(z; 0, I) dz for image `x` (784 values) by the midpoint rule on `n`² cells of
/// the square `centre ± half` (which must hold the integrand's mass).
fn quadrature_log_likelihood(
    model: &latent_atlas::model::Vae,
    x: &[f32],
    centre: [f64; 2],
    half: f64,
    n: usize,
    device: &Device,
) -> f64 {
    let h = 2.0 * half / n as f64;
    let z: Vec<f32> = (0..n * n)
        .flat_map(|k| {
            let (i, j) = (k / n, k % n);
            [
                (centre[0] - half + (i as f64 + 0.5) * h) as f32,
                (centre[1] - half + (j as f64 + 0.5) * h) as f32,
            ]
        })
        .collect();
    let mut terms = Vec::with_capacity(n * n);
    for (zc, start) in z.chunks(2 * 1000).zip((0..).step_by(1000)) {
        let m = zc.len() / 2;
        let zt = Tensor::<2>::from_data(TensorData::new(zc.to_vec(), [m, 2]), device);
        let xt = Tensor::<4>::from_data(TensorData::new(x.repeat(m), [m, 1, 28, 28]), device);
        let nll = bce_with_logits(model.decoder.forward_logits(zt), xt)
            .into_data()
            .try_into_vec::<f32>()
            .unwrap();
        for (r, v) in nll.iter().enumerate() {
            let (a, b) = (z[2 * (start + r)] as f64, z[2 * (start + r) + 1] as f64);
            let log_prior = -0.5 * (a * a + b * b) - (2.0 * std::f64::consts::PI).ln();
            terms.push(-(*v as f64) + log_prior + (h * h).ln());
        }
    }
    let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    top + terms.iter().map(|t| (t - top).exp()).sum::<f64>().ln()
}

#[test]
fn importance_sampled_likelihood_matches_quadrature_on_binarized_images() {
    let dir = scratch("binarized-tiny");
    let d = dir.to_str().unwrap();
    let o = run(&[
        "train",
        "--binarize",
        "--arch",
        "keras",
        "--latent-dim",
        "2",
        "--train-limit",
        "3000",
        "--test-limit",
        "500",
        "--epochs",
        "3",
        "--out",
        d,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));

    let device = Device::flex();
    let (config, model, _) = load_trained(&dir, &device).unwrap();
    assert!(config.binarize);
    let test = load_dataset("fashion-mnist", None)
        .unwrap()
        .test
        .truncated(3)
        .binarized(BINARIZE_SEED);
    assert!(test.pixels.iter().all(|&p| p == 0 || p == 255));
    let score = |draws, batch, done: &mut dyn FnMut(usize)| {
        let mut rng = Rng::new(9);
        encode_and_score_reporting(
            &model,
            &Prior::Gaussian,
            &test,
            &device,
            &mut rng,
            draws,
            batch,
            done,
        )
    };
    // Progress is reported after every batch (what `eval`'s progress bar shows).
    let mut seen = vec![];
    score(1, 2, &mut |n| seen.push(n));
    assert_eq!(seen, [2, 3], "images scored after each batch");
    let enc = score(2000, 3, &mut |_| {});
    for i in 0..3 {
        let x: Vec<f32> = test.image(i).iter().map(|&p| p as f32 / 255.0).collect();
        // The square: 8 posterior standard deviations (at least 0.5) around the posterior mean.
        let centre = [enc.means[2 * i] as f64, enc.means[2 * i + 1] as f64];
        let sd = (0..2)
            .map(|j| (0.5 * enc.log_vars[2 * i + j] as f64).exp())
            .fold(0.5f64, f64::max);
        let exact = quadrature_log_likelihood(&model, &x, centre, 8.0 * sd, 120, &device);
        let iwae = enc.iwae_ll[i];
        eprintln!("image {i}: importance sampled {iwae:.3}, quadrature {exact:.3}");
        // With 2,000 samples of a 2-D code the estimate is within a fraction of a nat.
        assert!(
            (iwae - exact).abs() < 0.25,
            "image {i}: importance sampled {iwae:.3}, quadrature {exact:.3}"
        );
    }

    // The command scores a --binarize run on binarized images and says so (on a thousand of
    // them: which images are scored is not what this checks).
    let o = run(&[
        "eval",
        d,
        "--json",
        "--no-plots",
        "--draws",
        "2",
        "--test-limit",
        "1000",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(m["binarized"], true, "{m}");
    assert!(m["iwae_se"].as_f64().unwrap() > 0.0, "{m}");

    // Its export leaves the dataset's test images beside the model file as they are (grey
    // levels: the page's hover previews of every Fashion-MNIST model read them), not binarized.
    let out = dir.join("pkg/binarized.safetensors");
    let o = run(&["export", d, "--out", out.to_str().unwrap(), "--draws", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let grey = load_dataset("fashion-mnist", None).unwrap().test;
    let (first, _) = latent_atlas::bundle::test_image_file("fashion-mnist", 0);
    let bytes = std::fs::read(dir.join("pkg").join(first)).unwrap();
    let written = latent_atlas::data::idx::parse_images(
        &latent_atlas::data::idx::maybe_gunzip(&bytes).unwrap(),
        (28, 28),
    )
    .unwrap();
    assert_eq!(
        written.pixels[..],
        grey.pixels[..written.pixels.len()],
        "the first test-image file holds the dataset's grey-level test images"
    );
}
