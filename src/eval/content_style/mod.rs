//! Evaluation of a content/style model on Omniglot's evaluation alphabets (never seen in
//! training): one-shot classification, clustering of content and of style, divergences of each
//! part's aggregate posterior from the prior, the swap test, likelihood, and the figures.

mod measures;
pub mod plots;
pub mod validation;

pub use crate::eval::prior_match::aggregate_kl;
pub use measures::{
    AlphabetGroup, DrawingInput, by_alphabet, cluster_by_alphabet, columns, nearest_prototype,
    oneshot_error, oneshot_run_errors, swap_test,
};
pub use validation::{HeldOut, ValidationMetrics};

use crate::data::ImageSet;
use crate::data::omniglot::{Omniglot, OneShotRun};
use crate::data::upload::median_extent;
use crate::eval::cluster::matched_accuracy;
use crate::eval::metrics::{Encodings, encode_and_score, mean, standard_error};
use crate::model::{Prior, Vae};
use crate::objective::{MmdKernel, mmd2_unbiased_host};
use crate::rng::Rng;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// Stable keys of `latent-atlas eval --json` for a content/style model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentStyleMetrics {
    /// 20-way one-shot error over the official 20 runs, nearest neighbour on content means.
    pub oneshot_error: f64,
    /// Its standard error across the 20 runs. Absent in files exported before it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oneshot_error_se: Option<f64>,
    /// The same with every run drawing put through the page's upload preprocessing (cropped to
    /// its ink, scaled to the data's median ink extent): how a person's drawing is encoded.
    /// Absent in files exported before it was measured.
    #[serde(default)]
    pub oneshot_error_page: Option<f64>,
    /// k-means on content means per evaluation alphabet (k = its characters), Hungarian-matched
    /// accuracy against characters, averaged over alphabets; NMI likewise.
    pub content_cluster_acc: f64,
    pub content_nmi: f64,
    /// The same on style means: near `chance_cluster_acc` when style ignores the character.
    pub style_cluster_acc: f64,
    pub style_nmi: f64,
    /// Matched accuracy of a uniformly random assignment to k clusters, same alphabets.
    pub chance_cluster_acc: f64,
    /// Mean per-drawing KL(q(z|x) || N(0, I)) per part: the ELBO's KL terms (the seed's "KL"),
    /// named as in training's records.
    pub kl_content: f64,
    pub kl_style: f64,
    /// KL(N(m, S) || N(0, I)) for the Gaussian with the aggregate posterior's mean and
    /// covariance (per part): how far the whole code distribution is from the prior.
    pub kl_content_aggregate: f64,
    pub kl_style_aggregate: f64,
    /// Unbiased MMD² (IMQ, bandwidth 2·dim) between one posterior sample per drawing (up to
    /// 2,000) and as many prior draws; `mmd_noise` is the same estimate between two prior samples.
    pub mmd_content: f64,
    pub mmd_style: f64,
    pub mmd_noise: f64,
    /// Negative ELBO per drawing (recon with sampled z + both KLs), nats; reconstruction BCE at
    /// the posterior mean; importance-weighted log-likelihood bound.
    pub nelbo: f64,
    pub recon_bce: f64,
    pub iwae_ll: f64,
    pub draws: usize,
    /// Swap test on pairs of different characters of one alphabet: decode (content of a, style
    /// of b), re-encode, classify by the nearest character prototype in content space.
    /// `swap_content_acc`: share classified as a; `swap_style_acc`: share classified as b.
    pub swap_content_acc: f64,
    pub swap_style_acc: f64,
    /// The same classifier on plain reconstructions (content and style of a): its ceiling.
    pub recon_content_acc: f64,
    pub content_dim: usize,
    pub style_dim: usize,
    pub test_examples: usize,
    pub alphabets: usize,
    pub seed: u64,
    /// The same measures on the background alphabets the run held out of training
    /// (`train --validation-alphabets`): what settings are chosen on. Absent for a model trained
    /// on every background alphabet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<ValidationMetrics>,
}

pub struct ContentStyleEval {
    pub metrics: ContentStyleMetrics,
    pub enc: Encodings,
    pub images: ImageSet,
}

pub struct ContentStyleOptions {
    pub draws: usize,
    pub seed: u64,
    pub kmeans_restarts: usize,
    pub swap_pairs_per_alphabet: usize,
}

impl Default for ContentStyleOptions {
    fn default() -> Self {
        Self {
            draws: 16,
            seed: 0,
            kmeans_restarts: 10,
            swap_pairs_per_alphabet: 50,
        }
    }
}

pub fn evaluate(
    model: &Vae,
    content_dim: usize,
    data: &Omniglot,
    runs: &[OneShotRun],
    held_out: Option<&HeldOut>,
    device: &Device,
    opts: &ContentStyleOptions,
) -> Result<ContentStyleEval, String> {
    let dim = model.encoder.latent_dim();
    let style_dim = dim - content_dim;
    let images = data.image_set();
    let mut rng = Rng::derive(opts.seed, 0xe7a1, 0);
    let enc = encode_and_score(
        model,
        &Prior::Gaussian,
        &images,
        device,
        &mut rng,
        opts.draws,
        500,
    );
    let groups = by_alphabet(data);
    let part = |v: &[f32], content: bool| {
        if content {
            columns(v, dim, 0, content_dim)
        } else {
            columns(v, dim, content_dim, dim)
        }
    };
    let (cm, sm) = (part(&enc.means, true), part(&enc.means, false));
    let (cv, sv) = (part(&enc.log_vars, true), part(&enc.log_vars, false));
    let (content_cluster_acc, content_nmi) =
        cluster_by_alphabet(&groups, &cm, content_dim, opts.kmeans_restarts, opts.seed);
    let (style_cluster_acc, style_nmi) =
        cluster_by_alphabet(&groups, &sm, style_dim, opts.kmeans_restarts, opts.seed);
    let mut chance_rng = Rng::derive(opts.seed, 0xc4a, 0);
    let chance_cluster_acc = mean(
        &groups
            .iter()
            .map(|(_, labels)| {
                let k = labels.iter().max().map_or(1, |m| m + 1);
                let random: Vec<usize> = labels.iter().map(|_| chance_rng.below(k)).collect();
                matched_accuracy(&random, labels)
            })
            .collect::<Vec<_>>(),
    );
    let elbo_kl = |m: &[f32], lv: &[f32]| {
        m.iter()
            .zip(lv)
            .map(|(&m, &lv)| 0.5 * ((lv as f64).exp() + (m as f64).powi(2) - lv as f64 - 1.0))
            .sum::<f64>()
            / data.len() as f64
    };
    // One posterior sample per drawing (a random 2,000 of them) against as many prior draws.
    let mut mmd_rng = Rng::derive(opts.seed, 0x3d, 0);
    let mut order: Vec<usize> = (0..data.len()).collect();
    mmd_rng.shuffle(&mut order);
    order.truncate(2000);
    let mmd = |m: &[f32], lv: &[f32], d: usize, rng: &mut Rng| {
        let sample: Vec<f32> = order
            .iter()
            .flat_map(|&i| (0..d).map(move |j| i * d + j))
            .map(|k| m[k] + (lv[k] * 0.5).exp() * rng.normal())
            .collect();
        mmd2_unbiased_host(&sample, &rng.normals(sample.len()), d, MmdKernel::Imq)
    };
    let mmd_content = mmd(&cm, &cv, content_dim, &mut mmd_rng);
    let mmd_style = mmd(&sm, &sv, style_dim, &mut mmd_rng);
    let mmd_noise = mmd2_unbiased_host(
        &mmd_rng.normals(order.len() * content_dim),
        &mmd_rng.normals(order.len() * content_dim),
        content_dim,
        MmdKernel::Imq,
    );
    let (swap_content_acc, swap_style_acc, recon_content_acc) = swap_test(
        model,
        &groups,
        &enc.means,
        content_dim,
        opts.swap_pairs_per_alphabet,
        opts.seed,
        device,
    );
    let run_errors = oneshot_run_errors(model, runs, content_dim, DrawingInput::Dataset, device);
    let metrics = ContentStyleMetrics {
        oneshot_error: mean(&run_errors),
        oneshot_error_se: Some(standard_error(&run_errors)),
        oneshot_error_page: Some(oneshot_error(
            model,
            runs,
            content_dim,
            DrawingInput::Page {
                fit: median_extent(&images),
            },
            device,
        )),
        content_cluster_acc,
        content_nmi,
        style_cluster_acc,
        style_nmi,
        chance_cluster_acc,
        kl_content: elbo_kl(&cm, &cv),
        kl_style: elbo_kl(&sm, &sv),
        kl_content_aggregate: aggregate_kl(&cm, &cv, content_dim),
        kl_style_aggregate: aggregate_kl(&sm, &sv, style_dim),
        mmd_content,
        mmd_style,
        mmd_noise,
        nelbo: mean(&enc.recon_sampled) + mean(&enc.kl),
        recon_bce: mean(&enc.recon_at_mean),
        iwae_ll: mean(&enc.iwae_ll),
        draws: opts.draws,
        swap_content_acc,
        swap_style_acc,
        recon_content_acc,
        content_dim,
        style_dim,
        test_examples: data.len(),
        alphabets: groups.len(),
        seed: opts.seed,
        validation: held_out
            .map(|v| {
                validation::validate(
                    model,
                    content_dim,
                    v,
                    device,
                    opts.kmeans_restarts,
                    opts.seed,
                )
            })
            .transpose()?,
    };
    Ok(ContentStyleEval {
        metrics,
        enc,
        images,
    })
}

pub fn table(m: &ContentStyleMetrics) -> String {
    let rows = [
        (
            "one-shot 20-way error (content NN)",
            match m.oneshot_error_se {
                Some(se) => format!("{:.2}% ± {:.2} (s.e.)", 100.0 * m.oneshot_error, 100.0 * se),
                None => format!("{:.2}%", 100.0 * m.oneshot_error),
            },
        ),
        (
            "  through the page's upload preprocessing",
            m.oneshot_error_page
                .map_or("—".into(), |e| format!("{:.2}%", 100.0 * e)),
        ),
        (
            "content clustering acc / NMI",
            format!("{:.3} / {:.3}", m.content_cluster_acc, m.content_nmi),
        ),
        (
            "style clustering acc / NMI",
            format!("{:.3} / {:.3}", m.style_cluster_acc, m.style_nmi),
        ),
        (
            "chance clustering acc",
            format!("{:.3}", m.chance_cluster_acc),
        ),
        (
            "KL aggregate content / style",
            format!(
                "{:.3} / {:.3}",
                m.kl_content_aggregate, m.kl_style_aggregate
            ),
        ),
        (
            "KL per drawing content / style",
            format!("{:.2} / {:.2}", m.kl_content, m.kl_style),
        ),
        (
            "MMD² content / style (prior vs prior)",
            format!(
                "{:.5} / {:.5} ({:.5})",
                m.mmd_content, m.mmd_style, m.mmd_noise
            ),
        ),
        (
            "negative ELBO / recon BCE",
            format!("{:.2} / {:.2}", m.nelbo, m.recon_bce),
        ),
        (
            "IWAE log-likelihood bound",
            format!("{:.2} ({} draws)", m.iwae_ll, m.draws),
        ),
        (
            "swap: recognised as content / style donor",
            format!("{:.3} / {:.3}", m.swap_content_acc, m.swap_style_acc),
        ),
        (
            "reconstructions recognised",
            format!("{:.3}", m.recon_content_acc),
        ),
    ];
    let validation = m.validation.iter().flat_map(validation_rows);
    rows.into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain(validation)
        .map(|(k, v)| format!("  {k:<42} {v}\n"))
        .collect()
}

/// The validation measures as a table (`eval --validation-only`): the rows `table` ends with.
pub fn validation_table(v: &ValidationMetrics) -> String {
    validation_rows(v)
        .into_iter()
        .map(|(k, v)| format!("  {k:<42} {v}\n"))
        .collect()
}

fn validation_rows(v: &ValidationMetrics) -> [(String, String); 6] {
    [
        (
            "validation one-shot error (± s.e.)".to_string(),
            format!(
                "{:.2}% ± {:.2} ({} episodes; {})",
                100.0 * v.oneshot_error,
                100.0 * v.oneshot_error_se,
                v.episodes,
                v.alphabets.join(", ")
            ),
        ),
        (
            "  through the page's upload preprocessing".to_string(),
            v.oneshot_error_page
                .map_or("—".into(), |e| format!("{:.2}%", 100.0 * e)),
        ),
        (
            "validation content clustering acc / NMI".to_string(),
            format!("{:.3} / {:.3}", v.content_cluster_acc, v.content_nmi),
        ),
        (
            "  k-means from the characters' centres: acc / inertia ratio".to_string(),
            match (
                v.content_cluster_acc_from_characters,
                v.content_kmeans_inertia_ratio,
            ) {
                (Some(a), Some(r)) => format!("{a:.3} / {r:.3}"),
                _ => "—".into(),
            },
        ),
        (
            "validation swap: as content / style donor (recon)".to_string(),
            match (v.swap_content_acc, v.swap_style_acc, v.recon_content_acc) {
                (Some(a), Some(b), Some(r)) => format!("{a:.3} / {b:.3} ({r:.3})"),
                _ => "—".into(),
            },
        ),
        (
            "validation recon BCE (z = mean)".to_string(),
            v.recon_bce.map_or("—".into(), |b| format!("{b:.2} nats")),
        ),
    ]
}
