//! The models shipped in pkg/ are valid, listed, and reach the metrics their manifests (and the
//! README, via bench/model_table.py) state: the evaluation is re-run here on the files.

use burn::prelude::*;
use latent_atlas::bundle::Bundle;
use latent_atlas::data::fashion;
use latent_atlas::eval::{self, EvalOptions, Metrics};
use std::path::Path;

#[test]
fn shipped_models_reproduce_their_recorded_metrics() {
    let pkg = Path::new(env!("CARGO_MANIFEST_DIR")).join("pkg");
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(pkg.join("index.json")).unwrap()).unwrap();
    let listed: Vec<String> = index["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["file"].as_str().unwrap().to_string())
        .collect();
    let mut files: Vec<String> = std::fs::read_dir(&pkg)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|f| f.ends_with(".safetensors"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 2,
        "pkg/ ships the 2-d and 16-d models: {files:?}"
    );
    assert_eq!(listed, files, "index.json lists exactly the model files");

    let data = fashion::load(None).unwrap();
    for file in files {
        let bundle = Bundle::from_bytes(&std::fs::read(pkg.join(&file)).unwrap()).unwrap();
        let sidecar: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(pkg.join(&file).with_extension("json")).unwrap(),
        )
        .unwrap();
        assert_eq!(
            sidecar["manifest"]["metrics"],
            bundle.manifest.metrics.clone().unwrap(),
            "{file}: sidecar and file agree"
        );
        assert!(
            bundle
                .manifest
                .training
                .command
                .starts_with("latent-atlas train"),
            "{file}: records its command"
        );
        assert_eq!(
            bundle.manifest.training.epochs, 20,
            "{file}: trained for 20 epochs"
        );
        assert_eq!(bundle.manifest.training.batch_size, 128);
        let recorded: Metrics =
            serde_json::from_value(bundle.manifest.metrics.clone().unwrap()).unwrap();
        let device = Device::flex();
        let (now, enc) = eval::evaluate(
            &bundle.model(&device).unwrap(),
            &data,
            &device,
            &EvalOptions {
                draws: recorded.draws,
                seed: recorded.seed,
                ..Default::default()
            },
        );
        for (key, a, b) in [
            ("nelbo", now.nelbo, recorded.nelbo),
            ("recon_bce", now.recon_bce, recorded.recon_bce),
            ("kl", now.kl, recorded.kl),
            ("iwae_ll", now.iwae_ll, recorded.iwae_ll),
        ] {
            assert!(
                (a - b).abs() < 0.05,
                "{file}: {key} is {a} now, {b} recorded"
            );
        }
        assert!(
            (now.kmeans_acc - recorded.kmeans_acc).abs() < 0.01,
            "{file}: k-means {} vs {}",
            now.kmeans_acc,
            recorded.kmeans_acc
        );
        assert_eq!(now.active_units, recorded.active_units);
        // The file's test-set encodings are the model's own.
        let worst = enc
            .means
            .iter()
            .zip(&bundle.test_means)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-3, "{file}: stored test means differ by {worst}");
        assert_eq!(bundle.test_labels, data.test.labels);
    }
}
