//! The conditional VAE and the judge: the label reaches both networks, a wrong label count is
//! refused, the judge learns, and a small conditional model trained through the real binary
//! draws the class it is asked for far more often than chance.

mod common;

use burn::prelude::*;
use common::{run, scratch, stderr, stdout};
use latent_atlas::bundle::Bundle;
use latent_atlas::data::load_dataset;
use latent_atlas::model::{Preset, Vae, VaeConfig, one_hot, with_label};
use latent_atlas::tensorfile::TensorFile;
use latent_atlas::train::judge::{JudgeTraining, accuracy, predict, train_judge};

fn rows(t: Tensor<2>) -> Vec<Vec<f32>> {
    let w = t.dims()[1];
    let v = t.into_data().try_into_vec::<f32>().unwrap();
    v.chunks(w).map(<[f32]>::to_vec).collect()
}

#[test]
fn the_label_reaches_the_encoder_and_the_decoder() {
    let device = Device::flex();
    let mut arch = VaeConfig::preset(Preset::Keras, 2);
    arch.conditional = Some(10);
    let vae = Vae::new(&arch, 3, &device);
    assert_eq!(vae.condition_classes(), 10);
    // One image twice, under labels 0, 7 and 0 again.
    let img: Vec<f32> = (0..784).map(|i| ((i * 37) % 255) as f32 / 255.0).collect();
    let x = Tensor::<4>::from_data(TensorData::new(img.repeat(3), [3, 1, 28, 28]), &device);
    let y = one_hot(&[0, 7, 0], 10, &device);
    let means = rows(vae.encoder.forward_given(x, Some(y.clone())).mean);
    assert_ne!(means[0], means[1], "the encoder ignores the label");
    assert_eq!(means[0], means[2]);
    // One code three times: only the label differs.
    let z = Tensor::<2>::from_data(TensorData::new([0.5f32, -1.0].repeat(3), [3, 2]), &device);
    let out = vae.decoder.forward(with_label(z, Some(y)));
    let images = rows(out.flatten::<2>(1, 3));
    assert_ne!(images[0], images[1], "the decoder ignores the label");
    assert_eq!(images[0], images[2]);
}

#[test]
fn a_wrong_label_count_is_refused() {
    // A model file whose conditional class count disagrees with its dataset's class names.
    let model = "pkg/fmnist-2d-keras.safetensors";
    let mut f = TensorFile::from_bytes(&std::fs::read(model).unwrap()).unwrap();
    let mut manifest: serde_json::Value = serde_json::from_str(&f.metadata["manifest"]).unwrap();
    manifest["architecture"]["conditional"] = 3.into();
    f.metadata.insert("manifest".into(), manifest.to_string());
    let e = Bundle::from_bytes(&f.to_bytes()).unwrap_err().to_string();
    assert!(
        e.contains("conditional model of 3 classes") && e.contains("names 10 classes"),
        "{e}"
    );

    // A run configured for 3 classes cannot train on Fashion-MNIST's 10.
    let dir = scratch("cvae-wrong-count");
    let d = dir.to_str().unwrap();
    let o = run(&[
        "train",
        "--conditional",
        "--arch",
        "keras",
        "--train-limit",
        "256",
        "--epochs",
        "2",
        "--out",
        d,
        "--stop-after-steps",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let path = dir.join("config.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(config["architecture"]["conditional"], 10);
    config["architecture"]["conditional"] = 3.into();
    std::fs::write(&path, config.to_string()).unwrap();
    let o = run(&["train", "--resume", "--out", d]);
    assert!(!o.status.success());
    assert!(
        stderr(&o)
            .contains("a conditional model of 3 classes cannot train on data with 10 classes"),
        "{}",
        stderr(&o)
    );
    // Other kinds refuse --conditional by name.
    let o = run(&["train", "--conditional", "--kind", "aae", "--out", d]);
    assert!(
        stderr(&o).contains("--conditional trains a conditional VAE"),
        "{}",
        stderr(&o)
    );
    // The label at every decoder layer is a conditional model's option only.
    let o = run(&[
        "train",
        "--label-every-layer",
        "--train-limit",
        "256",
        "--stop-after-steps",
        "1",
        "--out",
        d,
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--conditional"), "{}", stderr(&o));
}

#[test]
fn the_judge_generalises_beyond_what_it_was_trained_on() {
    let mut data = load_dataset("fashion-mnist", None).unwrap();
    data.train = data.train.truncated(3000);
    data.test = data.test.truncated(1000);
    let device = Device::flex();
    let settings = JudgeTraining {
        epochs: 3,
        batch_size: 64,
        learning_rate: 2e-3,
        seed: 5,
    };
    let mut last = 0.0;
    let judge = train_judge(&data, &settings, &device.clone().autodiff(), &device, |e| {
        last = e.held_out_accuracy
    });
    let held_out = accuracy(&predict(&judge, &data.test, &device), &data.test.labels);
    assert_eq!(held_out, last, "the reported accuracy is the judge's");
    let train = accuracy(&predict(&judge, &data.train, &device), &data.train.labels);
    // Chance: always answering the held-out split's commonest class.
    let mut counts = [0usize; 10];
    data.test
        .labels
        .iter()
        .for_each(|&l| counts[l as usize] += 1);
    let chance = *counts.iter().max().unwrap() as f64 / data.test.len() as f64;
    assert!(
        train > chance + 0.4,
        "it did not learn: train {train}, chance {chance}"
    );
    // The floor: three quarters of what it learned above chance carries over to unseen images.
    let floor = chance + 0.75 * (train - chance);
    assert!(
        held_out > floor,
        "held-out {held_out} <= floor {floor} (train {train})"
    );
}

#[test]
fn a_small_conditional_model_draws_the_class_it_is_asked_for() {
    let dir = scratch("cvae-small");
    // A judge written into a model folder's judge/ is listed in its index.json (the page's guess
    // for uploads); a file there that is not a judge is left out.
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(pkg.join("judge")).unwrap();
    std::fs::write(pkg.join("index.json"), r#"{"models":[]}"#).unwrap();
    std::fs::write(pkg.join("judge/junk.safetensors"), b"not a judge").unwrap();
    let (run_dir, judge) = (dir.join("run"), pkg.join("judge/fashion-mnist.safetensors"));
    let o = run(&[
        "judge",
        "--train-limit",
        "6000",
        "--epochs",
        "2",
        "--out",
        judge.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(pkg.join("index.json")).unwrap()).unwrap();
    let judges = index["judges"].as_array().unwrap();
    assert_eq!(judges.len(), 1, "{index}");
    assert_eq!(judges[0]["file"], "judge/fashion-mnist.safetensors");
    assert_eq!(judges[0]["dataset"], "fashion-mnist");
    assert_eq!(judges[0]["class_names"].as_array().unwrap().len(), 10);
    assert!(stderr(&o).contains("junk.safetensors"), "{}", stderr(&o));
    // `latent-atlas index` rebuilds the same listing from the folder alone.
    std::fs::write(pkg.join("index.json"), "{ damaged").unwrap();
    let o = run(&["index", pkg.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rebuilt: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(pkg.join("index.json")).unwrap()).unwrap();
    assert_eq!(rebuilt["judges"], index["judges"], "{rebuilt}");
    // The shipped 16-D model's wiring (the label at every decoder layer), on the Keras network.
    let o = run(&[
        "train",
        "--conditional",
        "--label-every-layer",
        "--arch",
        "keras",
        "--latent-dim",
        "2",
        "--train-limit",
        "6000",
        "--test-limit",
        "500",
        "--epochs",
        "3",
        "--out",
        run_dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&[
        "eval",
        run_dir.to_str().unwrap(),
        "--judge",
        judge.to_str().unwrap(),
        "--json",
        "--no-plots",
        "--draws",
        "1",
        // The judge's measures on samples do not depend on it; its Fréchet distance and the
        // likelihoods are estimated from 2,000 test images instead of 10,000.
        "--test-limit",
        "2000",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let j = &m["judge"];
    let acc = j["conditional_accuracy"].as_f64().unwrap();
    let per: Vec<f64> = j["conditional_per_class"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(per.len(), 10);
    assert!((per.iter().sum::<f64>() / 10.0 - acc).abs() < 1e-9);
    // Chance is 0.1; a judge this weak still sees the asked class most of the time.
    assert!(acc > 0.4, "conditional accuracy {acc}: {j}");
    let shares: f64 = j["sample_classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert!((shares - 1.0).abs() < 1e-6, "{j}");
    let fd = j["frechet"].as_f64().unwrap();
    assert!(fd.is_finite() && fd > 0.0, "{j}");
}
