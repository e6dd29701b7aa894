//! `eval --validation-only` on Fashion-MNIST: settings chosen on training images a run held out,
//! never on the test split.

mod common;
use common::{categorical_args, run, scratch, stderr};

/// The first `train` training and `test` test images of Fashion-MNIST as a data folder (IDX
/// files, which the loader reads with or without gzip).
fn small_fashion(name: &str, train: usize, test: usize) -> std::path::PathBuf {
    use latent_atlas::data::idx::{IdxImages, encode_images, encode_labels};
    let data = latent_atlas::data::fashion::load(None).expect("Fashion-MNIST installed");
    let dir = scratch(name);
    for (set, n, prefix) in [(&data.train, train, "train"), (&data.test, test, "t10k")] {
        let set = set.clone().truncated(n);
        let images = IdxImages {
            count: n,
            rows: 28,
            cols: 28,
            pixels: set.pixels.clone(),
        };
        std::fs::write(
            dir.join(format!("{prefix}-images-idx3-ubyte.gz")),
            encode_images(&images),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("{prefix}-labels-idx1-ubyte.gz")),
            encode_labels(&set.labels),
        )
        .unwrap();
    }
    dir
}

/// `eval --validation-only` of a run trained on the first N training images scores it on the
/// rest of the training set — images it never saw, and not the test split — so Fashion-MNIST
/// settings (the clustering AAE's) can be chosen without the test in view; a model trained on
/// every training image is refused, and a run on binarized images is scored on binarized ones.
/// A small copy of the data keeps the runs short.
#[test]
fn validation_only_scores_the_training_images_a_limited_run_never_saw() {
    let root = scratch("aae-validation");
    let data = small_fashion("aae-validation-data", 3_000, 100);
    let data = data.to_str().unwrap();
    let dir = root.join("run");
    let o = run(&categorical_args(
        dir.to_str().unwrap(),
        &["--data", data, "--train-limit", "2400"],
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    let eval = |extra: &[&str]| {
        let mut a = vec![
            "eval",
            dir.to_str().unwrap(),
            "--data",
            data,
            "--validation-only",
        ];
        a.extend_from_slice(extra);
        let o = run(&a);
        assert!(o.status.success(), "{}", stderr(&o));
        common::stdout(&o)
    };
    let m: serde_json::Value = serde_json::from_str(eval(&["--json"]).trim()).unwrap();
    assert_eq!(m["trained_on"], 2_400, "{m}");
    let v = &m["validation"];
    // The folder's training split holds 3,000 images: the last 600 were held out (its test
    // split has 100).
    assert_eq!(v["test_examples"], 600, "{v}");
    for key in [
        "recon_bce",
        "kmeans_acc",
        "cluster_acc",
        "cluster_majority_acc",
    ] {
        assert!(v[key].as_f64().is_some_and(f64::is_finite), "{key}: {v}");
    }
    // The table names what it measured on.
    let table = eval(&[]);
    assert!(
        table.contains("600 training images after the first 2400")
            && table.contains("category accuracy (Hungarian)"),
        "{table}"
    );
    assert_eq!(v["binarized"], false, "{v}");
    // A run on binarized images is validated on held-out images binarized once, as its test.
    let binarized = root.join("binarized");
    let o = run(&[
        "train",
        "--data",
        data,
        "--train-limit",
        "2400",
        "--arch",
        "keras",
        "--batch-size",
        "64",
        "--epochs",
        "1",
        "--binarize",
        "--out",
        binarized.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&[
        "eval",
        binarized.to_str().unwrap(),
        "--data",
        data,
        "--validation-only",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let b: serde_json::Value = serde_json::from_str(common::stdout(&o).trim()).unwrap();
    assert_eq!(b["validation"]["binarized"], true, "{b}");
    assert_eq!(b["validation"]["test_examples"], 600, "{b}");
    // A model that trained on every training image has nothing to validate on.
    let shipped = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pkg/fmnist-aae-mixture.safetensors"
    );
    let o = run(&["eval", shipped, "--validation-only"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("trained on all 60000 training images"),
        "{}",
        stderr(&o)
    );
}
