//! The model file: round trip, and a clear error (never a panic) for every kind of damage.

mod common;

use burn::prelude::*;
use latent_atlas::bundle::{
    Bundle, BundleError, DatasetInfo, Manifest, Preprocessing, TrainingInfo,
};
use latent_atlas::model::{Preset, Vae, VaeConfig, named_params};
use latent_atlas::objective::Objective;
use latent_atlas::objective::content_style::ContentStyle;
use latent_atlas::objective::gaussian_vae::GaussianVae;
use latent_atlas::tensorfile::TensorFile;

fn bundle(preset: Preset, dim: usize) -> (Bundle, Vae) {
    let config = VaeConfig::preset(preset, dim);
    let model = Vae::new(&config, 11, &Device::flex());
    let manifest = Manifest {
        name: "t".into(),
        kind: "gaussian-vae".into(),
        architecture: config,
        dataset: DatasetInfo {
            name: "fashion-mnist".into(),
            class_names: (0..10).map(|k| format!("c{k}")).collect(),
        },
        preprocessing: Preprocessing {
            side: 28,
            scale: "pixel / 255".into(),
            polarity: "light-on-dark".into(),
            fit: None,
        },
        training: TrainingInfo {
            command: "latent-atlas train".into(),
            epochs: 0,
            batch_size: 128,
            objective: Objective::GaussianVae(GaussianVae { beta: 1.0 }),
            seed: 11,
            learning_rate: 1e-3,
            schedule: "cosine".into(),
            train_examples: 0,
            binarize: false,
            backend: "flex".into(),
        },
        metrics: Some(serde_json::json!({"nelbo": 1.5})),
        crate_version: "0".into(),
        weights: Default::default(),
    };
    let b = Bundle {
        manifest,
        weights: named_params(&model),
        test_means: (0..30 * dim).map(|i| i as f32 * 0.1).collect(),
        test_labels: (0..30).map(|i| (i % 10) as u8).collect(),
    };
    (b, model)
}

fn decode(model: &Vae, dim: usize) -> Vec<f32> {
    let z = Tensor::<2>::from_data(
        TensorData::new(
            (0..3 * dim)
                .map(|i| (i as f32 - 2.0) * 0.7)
                .collect::<Vec<f32>>(),
            [3, dim],
        ),
        &Device::flex(),
    );
    model
        .decoder
        .forward(z)
        .into_data()
        .try_into_vec::<f32>()
        .unwrap()
}

#[test]
fn round_trip_keeps_manifest_weights_and_outputs() {
    for (preset, dim) in [(Preset::Keras, 2), (Preset::Atlas, 16)] {
        let (b, model) = bundle(preset, dim);
        let loaded = Bundle::from_bytes(&b.to_bytes()).unwrap();
        assert_eq!(loaded.manifest, b.manifest);
        assert_eq!(loaded.test_means, b.test_means);
        assert_eq!(loaded.test_labels, b.test_labels);
        assert_eq!(
            decode(&loaded.model(&Device::flex()).unwrap(), dim),
            decode(&model, dim)
        );
    }
}

/// An f16 file (`export --weights f16`) is about half the size, reads back as exactly the
/// rounded weights and codes, and says so in its manifest; a trained model decodes from it within
/// one grey level (1/255) of its f32 file everywhere on the page's default map and beyond.
#[test]
fn f16_files_are_half_the_size_and_decode_within_a_grey_level() {
    use latent_atlas::bundle::Precision;
    let (b, _) = bundle(Preset::Keras, 2);
    let mut h = b.clone();
    h.manifest.weights = Precision::F16;
    let (full, half) = (b.to_bytes(), h.to_bytes());
    assert!(
        half.len() * 100 < full.len() * 52,
        "{} bytes in f16 vs {} in f32",
        half.len(),
        full.len()
    );
    let loaded = Bundle::from_bytes(&half).unwrap();
    assert_eq!(loaded.manifest.weights, Precision::F16);
    assert_eq!(loaded.test_means, Precision::F16.round(&b.test_means));
    assert_eq!(loaded.weights.len(), b.weights.len());
    for w in &b.weights {
        let l = loaded.weights.iter().find(|l| l.name == w.name).unwrap();
        assert_eq!(l.data, Precision::F16.round(&w.data), "{}", l.name);
    }
    assert_ne!(loaded.test_means, b.test_means, "the codes were rounded");

    // A trained model: the shipped 2-D VAE of the default architecture, kept in f32.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/pkg/fmnist-2d.safetensors");
    let trained = Bundle::from_bytes(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(trained.manifest.weights, Precision::F32);
    let mut rounded = trained.clone();
    rounded.manifest.weights = Precision::F16;
    let rounded = Bundle::from_bytes(&rounded.to_bytes()).unwrap();
    // A 41 x 41 grid over [-4, 4]^2 (the page's default view is [-3, 3]^2).
    let z: Vec<f32> = (0..41 * 41)
        .flat_map(|k| [(k % 41) as f32 * 0.2 - 4.0, (k / 41) as f32 * 0.2 - 4.0])
        .collect();
    let images = |b: &Bundle| {
        let z = Tensor::<2>::from_data(TensorData::new(z.clone(), [41 * 41, 2]), &Device::flex());
        let model = b.model(&Device::flex()).unwrap();
        let x = model.decoder.forward(z);
        x.into_data().try_into_vec::<f32>().unwrap()
    };
    let (a, r) = (images(&trained), images(&rounded));
    let worst = a
        .iter()
        .zip(&r)
        .map(|(p, q)| (p - q).abs())
        .fold(0f32, f32::max);
    assert!(worst > 0.0, "the f16 weights decode differently at all");
    assert!(
        worst <= 1.0 / 255.0,
        "f16 decodes are {worst} ({:.2} grey levels) from f32 ones",
        worst * 255.0
    );
}

/// Rewrite a valid file with `edit` applied to its contents.
fn edited(edit: impl FnOnce(&mut TensorFile)) -> Vec<u8> {
    let mut f = TensorFile::from_bytes(&bundle(Preset::Keras, 2).0.to_bytes()).unwrap();
    edit(&mut f);
    f.to_bytes()
}

fn error(bytes: &[u8]) -> String {
    match Bundle::from_bytes(bytes) {
        Ok(_) => panic!("damaged file was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn damaged_files_say_what_is_wrong() {
    let good = bundle(Preset::Keras, 2).0.to_bytes();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "too short"),
        (
            "truncated",
            good[..good.len() - 100].to_vec(),
            "not a Latent Atlas model file",
        ),
        (
            "png",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
            "not a Latent Atlas model file",
        ),
        (
            "plain safetensors",
            {
                let mut f = TensorFile::default();
                f.put_f32("w", vec![1], vec![1.0]);
                f.to_bytes()
            },
            "without Latent Atlas metadata",
        ),
        (
            "future version",
            edited(|f| {
                f.metadata.insert("format_version".into(), "99".into());
            }),
            "version 99 is not supported",
        ),
        (
            "bad manifest",
            edited(|f| {
                f.metadata.insert("manifest".into(), "{\"name\": 3}".into());
            }),
            "manifest is invalid",
        ),
        (
            "absurd config",
            edited(|f| {
                let m = f.metadata["manifest"].replace("\"latent_dim\":2", "\"latent_dim\":0");
                f.metadata.insert("manifest".into(), m);
            }),
            "latent_dim 0",
        ),
        (
            "kind that is not the one trained",
            edited(|f| {
                let m = f.metadata["manifest"].replacen("\"gaussian-vae\"", "\"content-style\"", 1);
                f.metadata.insert("manifest".into(), m);
            }),
            "kind 'content-style' disagrees with the training objective's kind 'gaussian-vae'",
        ),
        (
            "content-style model without a content part",
            edited(|f| {
                let cs = serde_json::to_string(&Objective::ContentStyle(ContentStyle::default()))
                    .unwrap();
                let m = f.metadata["manifest"]
                    .replacen("\"gaussian-vae\"", "\"content-style\"", 1)
                    .replace("{\"kind\":\"gaussian-vae\",\"beta\":1.0}", &cs);
                f.metadata.insert("manifest".into(), m);
            }),
            "a content-style model: it must declare content_dim",
        ),
        (
            "gaussian model with a content part",
            edited(|f| {
                let m = f.metadata["manifest"]
                    .replace("\"latent_dim\":2", "\"latent_dim\":2,\"content_dim\":1");
                f.metadata.insert("manifest".into(), m);
            }),
            "a gaussian-vae model: it has one latent code and must not declare content_dim",
        ),
        (
            "content part that leaves no style",
            edited(|f| {
                let m = f.metadata["manifest"]
                    .replace("\"latent_dim\":2", "\"latent_dim\":2,\"content_dim\":2");
                f.metadata.insert("manifest".into(), m);
            }),
            "content_dim 2 must leave at least one style dimension",
        ),
        (
            "unknown kind",
            edited(|f| {
                let m = f.metadata["manifest"].replace("\"gaussian-vae\"", "\"gan\"");
                f.metadata.insert("manifest".into(), m);
            }),
            "unknown variant `gan`",
        ),
        (
            "missing weight",
            edited(|f| {
                f.entries.remove("model.decoder.up1.weight");
            }),
            "missing tensor 'decoder.up1.weight'",
        ),
        (
            "wrong shape",
            edited(|f| {
                let e = f.entries.remove("model.encoder.mean.bias").unwrap();
                let latent_atlas::tensorfile::Array::F32(mut v) = e.array else {
                    panic!()
                };
                v.push(0.0);
                f.put_f32("model.encoder.mean.bias", vec![3], v);
            }),
            "'encoder.mean.bias' has shape [3], expected [2]",
        ),
        (
            "nan weight",
            edited(|f| {
                let (s, mut v) = f.take_f32("model.encoder.hidden.weight").unwrap();
                v[5] = f32::NAN;
                f.put_f32("model.encoder.hidden.weight", s, v);
            }),
            "NaN",
        ),
        (
            "extra tensor",
            edited(|f| f.put_f32("model.encoder.extra", vec![1], vec![0.0])),
            "unexpected tensor 'encoder.extra'",
        ),
        (
            "label out of range",
            edited(|f| f.put_u8("test.labels", vec![30], vec![10; 30])),
            "test label 10",
        ),
        (
            "means/labels mismatch",
            edited(|f| f.put_f32("test.mean", vec![29, 2], vec![0.0; 58])),
            "test.mean has shape [29, 2]",
        ),
    ];
    for (what, bytes, needle) in cases {
        let e = error(&bytes);
        assert!(e.contains(needle), "{what}: '{e}' lacks '{needle}'");
    }
    // Every single-byte truncation point in the header is an error, not a panic.
    for cut in 0..200 {
        assert!(Bundle::from_bytes(&good[..cut]).is_err());
    }
    assert!(matches!(
        Bundle::from_bytes(&good[..3]),
        Err(BundleError::NotAModelFile(_))
    ));
}

/// The `decode` command (the browser tests' reference) prints the library's decode, rounded by
/// the shared rule, and refuses malformed points with a message.
#[test]
fn decode_command_matches_the_library() {
    let (b, model) = bundle(Preset::Keras, 2);
    let dir = common::scratch("decode-command");
    let file = dir.join("m.safetensors");
    std::fs::write(&file, b.to_bytes()).unwrap();
    let path = file.to_str().unwrap();
    let out = common::run(&["decode", path, "--z", "-1.4,-0.7", "--z", "0,0.7"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&common::stdout(&out)).unwrap();
    let z = Tensor::<2>::from_data(
        TensorData::new(vec![-1.4f32, -0.7, 0.0, 0.7], [2, 2]),
        &Device::flex(),
    );
    let want = latent_atlas::explorer::to_grey_bytes(
        &model
            .decoder
            .forward(z)
            .into_data()
            .try_into_vec::<f32>()
            .unwrap(),
    );
    let got: Vec<u8> = json["images"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|im| {
            im.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as u8)
        })
        .collect();
    assert_eq!(json["side"], 28);
    assert_eq!(got, want);
    let bad = common::run(&["decode", path, "--z", "1,NaN"]);
    assert!(!bad.status.success());
    assert!(common::stderr(&bad).contains("expected 2 finite numbers"));
}

/// Files written before kinds were tagged (a top-level `beta`, untagged content/style settings,
/// the kind `content-style-vae`) load, with today's names; the shipped models are such files.
#[test]
fn files_from_before_kinds_were_tagged_load_under_todays_names() {
    let (b, _) = bundle(Preset::Keras, 2);
    let legacy = |edit: &dyn Fn(serde_json::Value) -> serde_json::Value| {
        let mut f = TensorFile::from_bytes(&b.to_bytes()).unwrap();
        let m: serde_json::Value = serde_json::from_str(&f.metadata["manifest"]).unwrap();
        f.metadata.insert("manifest".into(), edit(m).to_string());
        Bundle::from_bytes(&f.to_bytes())
    };
    let plain = legacy(&|mut m| {
        let t = m["training"].as_object_mut().unwrap();
        t.remove("objective");
        t.insert("beta".into(), 0.5.into());
        m
    })
    .unwrap();
    assert_eq!(
        plain.manifest.training.objective,
        Objective::GaussianVae(GaussianVae { beta: 0.5 })
    );
    let cs = legacy(&|mut m| {
        m["kind"] = "content-style-vae".into();
        m["architecture"]["latent_dim"] = 2.into();
        m["architecture"]["content_dim"] = 1.into();
        let t = m["training"].as_object_mut().unwrap();
        t.insert("beta".into(), 1.0.into());
        t.insert(
            "objective".into(),
            serde_json::to_value(ContentStyle::default()).unwrap(),
        );
        m
    })
    .unwrap();
    assert_eq!(cs.manifest.kind, "content-style");
    assert_eq!(
        cs.manifest.training.objective,
        Objective::ContentStyle(ContentStyle::default())
    );
}
