//! The shipped content/style model: re-evaluated on the held-out alphabets, it reproduces its
//! recorded metrics and meets the Omniglot targets.

use super::*;
use latent_atlas::data::omniglot::{self, Split};
use latent_atlas::eval::content_style::{self, ContentStyleMetrics, ContentStyleOptions};

/// The content/style model's measures re-computed in each pass, with how far they may move from
/// the recorded values (likelihoods in nats, shares as fractions, MMD² as is).
const FULL_PASS: [(&str, f64); 8] = [
    ("oneshot_error", 0.005),
    ("content_cluster_acc", 0.01),
    ("style_cluster_acc", 0.01),
    ("nelbo", 0.1),
    ("kl_content", 0.05),
    ("mmd_content", 1e-3),
    ("swap_content_acc", 0.01),
    ("swap_style_acc", 0.01),
];
const SAMPLE_PASS: [(&str, f64); 5] = [
    ("oneshot_error", 0.005),
    ("content_cluster_acc", 0.01),
    ("style_cluster_acc", 0.01),
    ("swap_content_acc", 0.01),
    ("swap_style_acc", 0.01),
];

/// The content/style model on every 13th evaluation drawing (all alphabets, ~1,000 drawings):
/// it encodes them to the stored means, and its per-drawing likelihoods and each part's KL
/// agree with the recorded full-set values within four standard errors.
fn omniglot_sample(
    model: &latent_atlas::model::Vae,
    bundle: &Bundle,
    recorded: &ContentStyleMetrics,
    evaluation: &omniglot::Omniglot,
    device: &Device,
) {
    let (d, c) = (
        bundle.manifest.architecture.latent_dim,
        recorded.content_dim,
    );
    let all = evaluation.image_set();
    let picked: Vec<usize> = (0..all.len()).step_by(all.len() / SAMPLE).collect();
    let px = all.pixels_per_image();
    let sample = latent_atlas::data::ImageSet {
        side: all.side,
        pixels: picked.iter().flat_map(|&i| all.image(i).to_vec()).collect(),
        labels: picked.iter().map(|&i| all.labels[i]).collect(),
    };
    assert_eq!(sample.pixels.len(), picked.len() * px);
    let mut rng = Rng::derive(recorded.seed, 0x5a3b, 0);
    let enc = encode_and_score(
        model,
        &latent_atlas::model::Prior::Gaussian,
        &sample,
        device,
        &mut rng,
        recorded.draws,
        500,
    );
    let stored: Vec<f32> = picked
        .iter()
        .flat_map(|&i| bundle.test_means[i * d..(i + 1) * d].to_vec())
        .collect();
    let worst = max_difference(&enc.means, &stored);
    assert!(worst < 1e-3, "stored test means differ by {worst}");
    // Each drawing's KL of one part: the closed form over that part's columns.
    let part_kl = |from: usize, to: usize| -> Vec<f64> {
        (0..picked.len())
            .map(|i| {
                (from..to)
                    .map(|j| {
                        let (m, lv) = (enc.means[i * d + j] as f64, enc.log_vars[i * d + j] as f64);
                        0.5 * (lv.exp() + m * m - lv - 1.0)
                    })
                    .sum()
            })
            .collect()
    };
    let nelbo = per_image_nelbo(&enc);
    for (key, values, was) in [
        ("nelbo", nelbo, recorded.nelbo),
        ("iwae_ll", enc.iwae_ll.clone(), recorded.iwae_ll),
        ("recon_bce", enc.recon_at_mean.clone(), recorded.recon_bce),
        ("kl_content", part_kl(0, c), recorded.kl_content),
        ("kl_style", part_kl(c, d), recorded.kl_style),
    ] {
        within_four_standard_errors(&format!("omniglot: {key}"), &values, was);
    }
}

/// The content/style model: re-evaluated on the held-out alphabets, it reproduces its recorded
/// metrics and meets the Omniglot targets (one-shot error, content clusters, style near chance,
/// and the swap test: content decides the character, style does not).
#[test]
fn shipped_content_style_model_meets_the_omniglot_targets() {
    let pkg = Path::new(env!("CARGO_MANIFEST_DIR")).join("pkg");
    let files: Vec<_> = std::fs::read_dir(&pkg)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "safetensors"))
        .filter(|p| {
            Bundle::from_bytes(&std::fs::read(p).unwrap())
                .unwrap()
                .manifest
                .architecture
                .content_dim
                .is_some()
        })
        .collect();
    assert_eq!(files.len(), 1, "pkg/ ships one content/style model");
    let dirs = omniglot::search_dirs(None);
    let evaluation = omniglot::load(&dirs, Split::Evaluation).unwrap();
    let runs = omniglot::load_one_shot_runs_from(&dirs).unwrap();
    let bundle = Bundle::from_bytes(&std::fs::read(&files[0]).unwrap()).unwrap();
    let m = &bundle.manifest;
    assert_eq!(m.kind, "content-style", "read under today's name");
    assert!(m.training.command.contains("--dataset omniglot"));
    let recorded: ContentStyleMetrics = serde_json::from_value(m.metrics.clone().unwrap()).unwrap();
    let device = Device::flex();
    let model = bundle.model(&device).unwrap();
    let groups = content_style::by_alphabet(&evaluation);
    let (dim, content_dim) = (
        m.architecture.latent_dim,
        m.architecture.content_dim.unwrap(),
    );
    assert_eq!(evaluation.image_set().labels, bundle.test_labels);
    let full = std::env::var_os("ATLAS_SHIPPED_FULL").is_some();
    let (now, compared) = if full {
        let ev = content_style::evaluate(
            &model,
            content_dim,
            &evaluation,
            &runs,
            None,
            &device,
            &ContentStyleOptions {
                draws: recorded.draws,
                seed: recorded.seed,
                ..Default::default()
            },
        )
        .unwrap();
        let worst = max_difference(&ev.enc.means, &bundle.test_means);
        assert!(worst < 1e-3, "stored test means differ by {worst}");
        (ev.metrics, FULL_PASS.as_slice())
    } else {
        // A sample stands in for the 16-draw likelihoods over all 13,180 drawings (most of a
        // full pass's minute); every other measure is recomputed from the model in full, the
        // clusters and the swap test on the stored means the sample shows are the model's own.
        omniglot_sample(&model, &bundle, &recorded, &evaluation, &device);
        let means = &bundle.test_means;
        let part = |from, to| content_style::columns(means, dim, from, to);
        let (content_cluster_acc, _) = content_style::cluster_by_alphabet(
            &groups,
            &part(0, content_dim),
            content_dim,
            ContentStyleOptions::default().kmeans_restarts,
            recorded.seed,
        );
        let (style_cluster_acc, _) = content_style::cluster_by_alphabet(
            &groups,
            &part(content_dim, dim),
            dim - content_dim,
            ContentStyleOptions::default().kmeans_restarts,
            recorded.seed,
        );
        let (swap_content_acc, swap_style_acc, _) = content_style::swap_test(
            &model,
            &groups,
            means,
            content_dim,
            ContentStyleOptions::default().swap_pairs_per_alphabet,
            recorded.seed,
            &device,
        );
        let oneshot_error = content_style::oneshot_error(
            &model,
            &runs,
            content_dim,
            content_style::DrawingInput::Dataset,
            &device,
        );
        let now = ContentStyleMetrics {
            oneshot_error,
            content_cluster_acc,
            style_cluster_acc,
            swap_content_acc,
            swap_style_acc,
            ..recorded.clone()
        };
        (now, SAMPLE_PASS.as_slice())
    };
    for (key, tol) in compared {
        let value = |metrics: &ContentStyleMetrics| {
            serde_json::to_value(metrics).unwrap()[*key]
                .as_f64()
                .unwrap()
        };
        let (a, b) = (value(&now), value(&recorded));
        assert!((a - b).abs() <= *tol, "{key} is {a} now, {b} recorded");
    }
    // The issues' targets: one-shot error at most 10% (issue 11; it was 15% before) and content
    // clustering at least 0.80 (issue 11; k-means seeded as scikit-learn seeds it, which scores
    // the first shipped model 0.755).
    assert!(
        now.oneshot_error <= 0.10,
        "one-shot error {}",
        now.oneshot_error
    );
    assert!(
        now.content_cluster_acc >= 0.80,
        "content clustering {}",
        now.content_cluster_acc
    );
    assert!(
        now.style_cluster_acc <= now.chance_cluster_acc + 0.1,
        "style clusters by character: {} vs chance {}",
        now.style_cluster_acc,
        now.chance_cluster_acc
    );
    // Swap test: (content of a, style of b) is recognised as a far more often than as b, and
    // as b about as often as a random guess among the alphabet's characters would be.
    let mut per_alphabet = std::collections::BTreeMap::new();
    for (&a, &c) in evaluation.alphabet.iter().zip(&evaluation.character) {
        per_alphabet
            .entry(a)
            .or_insert_with(std::collections::BTreeSet::new)
            .insert(c);
    }
    let guess = per_alphabet
        .values()
        .map(|s| 1.0 / s.len() as f64)
        .sum::<f64>()
        / per_alphabet.len() as f64;
    assert!(
        now.swap_content_acc >= 10.0 * now.swap_style_acc,
        "swap: {} as content donor, {} as style donor",
        now.swap_content_acc,
        now.swap_style_acc
    );
    assert!(
        now.swap_style_acc <= 2.0 * guess,
        "style donor recognised {} vs guessing {guess}",
        now.swap_style_acc
    );
}
