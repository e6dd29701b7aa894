//! Evaluation of a model of single images (the Gaussian VAE, the adversarial autoencoder) on
//! its dataset's test split: likelihood under the model's prior, reconstruction, how well the
//! codes match the prior, and clustering of the codes.

use super::cluster;
use super::judge::JudgeMetrics;
use super::metrics::{Encodings, active_units, encode_and_score_reporting, mean, standard_error};
use super::prior_match::{aggregate_kl, category_accuracy, mmd_to_prior};
use crate::data::Dataset;
use crate::model::{Prior, Vae};
use crate::rng::Rng;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// Metrics with stable keys: scripts read these from `eval --json` and from model files.
/// Keys absent from older files read as absent (`None`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Negative ELBO (recon with sampled z + KL), nats per image; averaged over `draws` samples.
    /// Absent under a prior without a density (categorical).
    pub nelbo: Option<f64>,
    /// Reconstruction BCE decoding z = posterior mean, nats per image.
    pub recon_bce: f64,
    /// KL(q(z|x) || p(z)), nats per image (exact under N(0, I), Monte Carlo otherwise).
    pub kl: Option<f64>,
    /// Importance-weighted bound on log p(x) with `draws` samples (higher is better).
    pub iwae_ll: Option<f64>,
    /// The standard error of `iwae_ll` over the test images (their spread / sqrt(n)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iwae_se: Option<f64>,
    pub draws: usize,
    /// Whether the test images were binarized (once, with a fixed seed) before scoring; the
    /// likelihoods are then those of binarized data, as the literature's tables report.
    #[serde(default)]
    pub binarized: bool,
    pub active_units: usize,
    /// k-means (k = number of classes) on the latent means, Hungarian-matched accuracy.
    pub kmeans_acc: f64,
    pub nmi: f64,
    /// Unbiased MMD² between the codes (one posterior sample per image, 2,000 images) and the
    /// prior, and between two prior samples of that size (the noise floor).
    #[serde(default)]
    pub mmd_prior: Option<f64>,
    #[serde(default)]
    pub mmd_noise: Option<f64>,
    /// Under N(0, I): KL from the Gaussian with the aggregate posterior's moments to the prior.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kl_aggregate: Option<f64>,
    /// Under a categorical prior: the category (argmax) as a clustering, Hungarian-matched when
    /// there are as many categories as classes, and majority-mapped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_acc: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_majority_acc: Option<f64>,
    pub latent_dim: usize,
    pub test_examples: usize,
    pub seed: u64,
    /// What the judge classifier says of the model (`eval --judge`): Fréchet distance, the
    /// classes of samples, conditional accuracy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<JudgeMetrics>,
}

pub struct EvalOptions {
    pub draws: usize,
    pub seed: u64,
    pub kmeans_restarts: usize,
    /// The model's code is its encoder's mean (an adversarial autoencoder): no likelihood is
    /// reported, and the codes compared with the prior are the means themselves.
    pub deterministic: bool,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            draws: 16,
            seed: 0,
            kmeans_restarts: 10,
            deterministic: false,
        }
    }
}

/// A progress bar on stderr for an estimate long enough to wait for (a million decodes or
/// more, some minutes here: `eval --draws 1000`); hidden otherwise and when stderr is no terminal.
fn scoring_bar(images: usize, draws: usize) -> indicatif::ProgressBar {
    if images.saturating_mul(draws) < 1_000_000 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(images as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "scoring [{bar:24.cyan/blue}] {pos}/{len} images, {msg} ({eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message(format!("k = {draws}"));
    bar
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

pub fn evaluate(
    model: &Vae,
    prior: &Prior,
    data: &Dataset,
    device: &Device,
    opts: &EvalOptions,
) -> (Metrics, Encodings) {
    let dim = model.encoder.latent_dim();
    let mut rng = Rng::derive(opts.seed, 0xe7a1, 0);
    let bar = scoring_bar(data.test.len(), opts.draws);
    let enc = encode_and_score_reporting(
        model,
        prior,
        &data.test,
        device,
        &mut rng,
        opts.draws,
        500,
        &mut |n| bar.set_position(n as u64),
    );
    bar.finish_and_clear();
    let labels: Vec<usize> = data.test.labels.iter().map(|&l| l as usize).collect();
    let clusters = cluster::kmeans(
        &enc.means,
        dim,
        data.class_names.len(),
        opts.kmeans_restarts,
        opts.seed,
    );
    // A deterministic code has no spread around its mean.
    let log_vars = if opts.deterministic {
        vec![f32::NEG_INFINITY; enc.means.len()]
    } else {
        enc.log_vars.clone()
    };
    let (mmd, noise) = mmd_to_prior(&enc.means, &log_vars, dim, prior, opts.seed);
    let likelihood = |v: f64| finite(v).filter(|_| !opts.deterministic);
    let (cluster_acc, cluster_majority_acc) = match *prior {
        Prior::Categorical { classes } => {
            let (h, m) = category_accuracy(&enc.means, dim, classes, &labels);
            (h, Some(m))
        }
        _ => (None, None),
    };
    let metrics = Metrics {
        nelbo: likelihood(mean(&enc.recon_sampled) + mean(&enc.kl)),
        recon_bce: mean(&enc.recon_at_mean),
        kl: likelihood(mean(&enc.kl)),
        iwae_ll: likelihood(mean(&enc.iwae_ll)),
        iwae_se: likelihood(standard_error(&enc.iwae_ll)),
        draws: opts.draws,
        binarized: false,
        active_units: active_units(&enc.means, dim),
        kmeans_acc: cluster::matched_accuracy(&clusters, &labels),
        nmi: cluster::nmi(&clusters, &labels),
        mmd_prior: Some(mmd),
        mmd_noise: Some(noise),
        kl_aggregate: prior
            .is_gaussian()
            .then(|| aggregate_kl(&enc.means, &log_vars, dim)),
        cluster_acc,
        cluster_majority_acc,
        latent_dim: dim,
        test_examples: labels.len(),
        seed: opts.seed,
        judge: None,
    };
    (metrics, enc)
}

/// A human-readable table of the metrics.
pub fn table(m: &Metrics) -> String {
    let nats = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.2} nats"));
    let mut rows = vec![
        ("test negative ELBO (sampled z)".to_string(), nats(m.nelbo)),
        (
            "reconstruction BCE (z = mean)".to_string(),
            format!("{:.2} nats", m.recon_bce),
        ),
        ("KL to the prior".to_string(), nats(m.kl)),
        (
            format!("IWAE log-likelihood bound (k={})", m.draws),
            match (m.iwae_ll, m.iwae_se) {
                (Some(ll), Some(se)) => format!("{ll:.2} ± {se:.2} nats"),
                (ll, _) => nats(ll),
            },
        ),
        (
            "active latent units".to_string(),
            format!("{} of {}", m.active_units, m.latent_dim),
        ),
        (
            "k-means accuracy (Hungarian)".to_string(),
            format!("{:.3}", m.kmeans_acc),
        ),
        ("k-means NMI".to_string(), format!("{:.3}", m.nmi)),
    ];
    if let (Some(mmd), Some(noise)) = (m.mmd_prior, m.mmd_noise) {
        rows.push((
            "MMD² codes vs prior (prior vs prior)".to_string(),
            format!("{mmd:.5} ({noise:.5})"),
        ));
    }
    if let Some(kl) = m.kl_aggregate {
        rows.push((
            "KL aggregate posterior".to_string(),
            format!("{kl:.3} nats"),
        ));
    }
    if let Some(acc) = m.cluster_acc {
        rows.push((
            "category accuracy (Hungarian)".to_string(),
            format!("{acc:.3}"),
        ));
    }
    if let Some(acc) = m.cluster_majority_acc {
        rows.push((
            "category accuracy (majority)".to_string(),
            format!("{acc:.3}"),
        ));
    }
    if let Some(j) = &m.judge {
        rows.push((
            format!("Fréchet distance, judge features ({}k)", j.samples / 1000),
            format!("{:.2}", j.frechet),
        ));
        rows.push((
            "judge accuracy: test / reconstructions".to_string(),
            format!("{:.3} / {:.3}", j.judge_test_accuracy, j.recon_accuracy),
        ));
        if let (Some(acc), Some(per)) = (j.conditional_accuracy, &j.conditional_per_class) {
            let weakest = per.iter().copied().fold(f64::INFINITY, f64::min);
            rows.push((
                "conditional accuracy (weakest class)".to_string(),
                format!("{acc:.3} ({weakest:.3})"),
            ));
        }
        let share = |f: fn(f64, f64) -> f64, init| j.sample_classes.iter().copied().fold(init, f);
        rows.push((
            "samples per judged class: least / most".to_string(),
            format!(
                "{:.3} / {:.3}",
                share(f64::min, f64::INFINITY),
                share(f64::max, 0.0)
            ),
        ));
    }
    rows.iter()
        .map(|(k, v)| format!("  {k:<40} {v}\n"))
        .collect()
}
