//! The content/style model end to end on real Omniglot files: training on a few background
//! characters through the real binary (loss falls, interruption loses nothing), and the
//! evaluation's pieces on cases with known answers.

mod common;
use common::{read_jsonl, run, scratch, stderr};
use latent_atlas::eval::content_style::{aggregate_kl, nearest_prototype};
use latent_atlas::rng::Rng;
use latent_atlas::tensorfile::TensorFile;
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    common::omniglot_dir()
}

fn args<'a>(data: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "train",
        "--dataset",
        "omniglot",
        "--data",
        data,
        "--latent-dim",
        "6",
        "--content-dim",
        "4",
        "--batch-size",
        "32",
        "--train-limit",
        "800",
        "--mmd-weight",
        "10",
        "--proto-weight",
        "40",
        "--seed",
        "5",
        "--out",
        out,
    ];
    a.extend_from_slice(extra);
    a
}

/// Model weights, Adam moments and step of a run's checkpoint (not its wall-clock history).
fn checkpoint(dir: &Path) -> TensorFile {
    let mut f = TensorFile::from_bytes(&std::fs::read(dir.join("checkpoint.safetensors")).unwrap())
        .unwrap();
    f.metadata
        .retain(|k, _| k.starts_with("adam.") && k.ends_with(".step"));
    f
}

#[test]
fn content_style_training_learns_and_resumes_exactly() {
    let data = data_dir();
    let data = data.to_str().unwrap();
    let root = scratch("content-style-train");
    let (whole, split) = (root.join("whole"), root.join("split"));
    // Small random turns and scalings on top of the shifts: drawn per step like them, so the
    // resumed run below must replay them too.
    let distort = ["--max-turn", "10", "--max-scale", "0.1"];
    let o = run(&args(
        data,
        whole.to_str().unwrap(),
        &[&["--epochs", "4"][..], &distort].concat(),
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    // 800 drawings = 40 characters; groups of 4 -> 200 groups, 8 per batch -> 25 batches. (On so
    // little data the default MMD weight of 100 flattens content before the prototype term gets
    // going; 10 lets both show within seconds.)
    assert!(
        stderr(&o).contains("25 batches of 8 groups x 4 images"),
        "{}",
        stderr(&o)
    );
    let epochs = read_jsonl(&whole.join("metrics.jsonl"));
    let field = |e: &serde_json::Value, k: &str| e[k].as_f64().unwrap();
    assert!(
        field(&epochs[3], "recon") < field(&epochs[0], "recon"),
        "{epochs:?}"
    );
    assert!(
        field(&epochs[3], "proto") < field(&epochs[0], "proto"),
        "{epochs:?}"
    );
    // Interrupt mid-epoch 1 and mid-epoch 3, resume, and land on the identical model.
    let o = run(&args(
        data,
        split.to_str().unwrap(),
        &[&["--epochs", "4", "--stop-after-steps", "11"][..], &distort].concat(),
    ));
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let o = run(&[
        "train",
        "--resume",
        "--data",
        data,
        "--out",
        split.to_str().unwrap(),
        "--stop-after-steps",
        "60",
    ]);
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let o = run(&[
        "train",
        "--resume",
        "--data",
        data,
        "--out",
        split.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let strip = |v: Vec<serde_json::Value>| -> Vec<serde_json::Value> {
        v.into_iter()
            .map(|mut e| {
                for k in ["seconds", "images_per_s"] {
                    e.as_object_mut().unwrap().remove(k);
                }
                e
            })
            .collect()
    };
    assert_eq!(
        strip(epochs),
        strip(read_jsonl(&split.join("metrics.jsonl")))
    );
    assert!(
        checkpoint(&whole) == checkpoint(&split),
        "resumed weights differ from uninterrupted ones"
    );
    let config_of = |dir: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap()
    };
    // A 4-epoch run (as `whole`) with `extra` flags, in `root/name`.
    let four_epochs = |name: &str, extra: &[&str]| {
        let dir = root.join(name);
        let o = run(&args(
            data,
            dir.to_str().unwrap(),
            &[&["--epochs", "4"], extra].concat(),
        ));
        assert!(o.status.success(), "{}", stderr(&o));
        dir
    };
    // The distortion reaches the batches: without it the same seed trains another first epoch.
    let config = config_of(&split);
    assert_eq!(config["objective"]["max_turn"], 10.0, "{config}");
    assert_eq!(config["objective"]["max_scale"], 0.1, "{config}");
    // Runs compared with `whole` have its 4 epochs: the cosine schedule spans the run, so
    // another length would train another first epoch whatever else differed.
    let plain = four_epochs("plain", &[]);
    let epoch = |dir: &Path, i, k| field(&read_jsonl(&dir.join("metrics.jsonl"))[i], k);
    assert_ne!(epoch(&whole, 0, "recon"), epoch(&plain, 0, "recon"));
    // The cluster term reaches the loss: the same last epoch with it has tighter characters
    // (the scatter ratio is logged either way; the first epoch's average is mostly the untrained
    // encoder's).
    let tight = four_epochs("tight", &["--cluster-weight", "100"]);
    let (loose, tight) = (epoch(&plain, 3, "scatter"), epoch(&tight, 3, "scatter"));
    assert!(loose > 0.0 && loose < 1.0, "{loose}");
    assert!(
        tight < loose * 0.9,
        "scatter {tight} with the term, {loose} without"
    );
    // Same-alphabet batches reach the batching: the same seed trains another first epoch.
    let by_alphabet = four_epochs("by-alphabet", &["--alphabet-batches"]);
    assert_ne!(epoch(&by_alphabet, 0, "recon"), epoch(&plain, 0, "recon"));
    let config = config_of(&by_alphabet);
    assert_eq!(config["objective"]["alphabet_batches"], true, "{config}");
    // The prototype term's scale reaches the loss and the run's config.
    let sharp = four_epochs("sharp", &["--proto-scale", "3"]);
    assert_ne!(epoch(&sharp, 0, "proto"), epoch(&plain, 0, "proto"));
    let config = config_of(&sharp);
    assert_eq!(config["objective"]["proto_scale"], 3.0, "{config}");
    let plain_config = std::fs::read_to_string(plain.join("config.json")).unwrap();
    assert!(!plain_config.contains("proto_scale"), "{plain_config}");
}

#[test]
fn ctrl_c_saves_a_content_style_checkpoint_that_resumes() {
    let data = data_dir();
    let dir = scratch("content-style-sigint").join("run");
    // 800 drawings in groups of 4, 8 groups a batch: 25 steps an epoch.
    common::ctrl_c_then_resume(
        &args(
            data.to_str().unwrap(),
            dir.to_str().unwrap(),
            &["--epochs", "400"],
        ),
        &dir,
        25,
    );
}

/// An adversarial regulariser on one part: a critic for that part trains beside the model, its
/// players' curves are recorded, and its optimisers are checkpointed.
#[test]
fn a_content_style_model_can_regularise_a_part_adversarially() {
    let data = data_dir();
    let dir = scratch("content-style-adversarial").join("run");
    let o = run(&args(
        data.to_str().unwrap(),
        dir.to_str().unwrap(),
        &[
            "--epochs",
            "2",
            "--content-reg",
            "adversarial",
            "--critic-width",
            "32",
        ],
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    let epochs = read_jsonl(&dir.join("metrics.jsonl"));
    for key in ["d_loss", "g_loss", "d_real", "d_fake", "proto", "recon"] {
        assert!(
            epochs[1][key].as_f64().is_some_and(f64::is_finite),
            "{key}: {epochs:?}"
        );
    }
    assert!(epochs[1]["recon"].as_f64() < epochs[0]["recon"].as_f64());
    let meta = checkpoint(&dir).metadata;
    for set in ["model", "discriminator", "generator"] {
        assert_eq!(meta[&format!("adam.{set}.step")], "50", "{meta:?}");
    }
    let f = TensorFile::from_bytes(&std::fs::read(dir.join("checkpoint.safetensors")).unwrap())
        .unwrap();
    assert!(f.entries.keys().any(|k| k.starts_with("model.critics.0.")));
    assert!(
        !f.entries.keys().any(|k| k.starts_with("model.critics.1.")),
        "one critic: content only"
    );
}

#[test]
fn eval_of_a_content_style_run_prints_stable_keys_and_writes_its_figures() {
    let data = data_dir();
    let data = data.to_str().unwrap();
    let root = scratch("content-style-eval");
    let dir = root.join("run");
    // Two validation alphabets held out: Korean (40 characters) and Greek (24), 20 drawings each.
    let o = run(&args(
        data,
        dir.to_str().unwrap(),
        &["--epochs", "1", "--validation-alphabets", "2"],
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Korean, Greek held out of training (1280 drawings)"),
        "{}",
        stderr(&o)
    );
    let out = root.join("eval");
    // `eval` of the run as JSON, with `extra` flags.
    let eval_json = |extra: &[&str]| {
        let base = ["eval", dir.to_str().unwrap(), "--data", data, "--json"];
        run(&[&base[..], extra].concat())
    };
    let o = eval_json(&["--draws", "1", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(common::stdout(&o).trim()).unwrap();
    for key in [
        "oneshot_error",
        "oneshot_error_se",
        "oneshot_error_page",
        "content_cluster_acc",
        "style_cluster_acc",
        "content_nmi",
        "kl_content",
        "kl_style",
        "mmd_content",
        "mmd_style",
        "nelbo",
    ] {
        assert!(
            json[key].as_f64().is_some_and(f64::is_finite),
            "{key}: {json}"
        );
    }
    assert_eq!(json["alphabets"], 20);
    assert_eq!(json["test_examples"], 13_180);
    let v = &json["validation"];
    assert_eq!(
        v["alphabets"],
        serde_json::json!(["Greek", "Korean"]),
        "{v}"
    );
    assert_eq!(v["episodes"], 200);
    for key in [
        "oneshot_error",
        "oneshot_error_page",
        "content_cluster_acc",
        "content_nmi",
        "content_cluster_acc_from_characters",
        "swap_content_acc",
        "swap_style_acc",
        "recon_content_acc",
    ] {
        let x = v[key].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&x), "{key}: {v}");
    }
    // Reconstruction BCE of the held-out drawings, nats per drawing: after one epoch, under an
    // untrained decoder's ~540.
    let recon = v["recon_bce"].as_f64().unwrap();
    assert!((20.0..540.0).contains(&recon), "{v}");
    assert!(v["oneshot_error_se"].as_f64().unwrap() > 0.0, "{v}");
    // Started from the characters' centres, k-means settles nearer them than its restarts from
    // k-means++ seeds do on the same codes (0.268 against 0.250 here, 0.92-0.94 against
    // 0.85-0.89 on the README's validation runs).
    assert!(
        v["content_cluster_acc_from_characters"].as_f64().unwrap()
            > v["content_cluster_acc"].as_f64().unwrap(),
        "{v}"
    );
    assert!(
        v["content_kmeans_inertia_ratio"].as_f64().unwrap() > 0.0,
        "{v}"
    );
    // The validation measures alone: the same numbers, and none of the test's.
    let o = eval_json(&["--validation-only"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let alone: serde_json::Value = serde_json::from_str(common::stdout(&o).trim()).unwrap();
    assert_eq!(alone, serde_json::json!({ "validation": v }));
    // A model that held nothing out has nothing to validate on.
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/pkg/omniglot-cs.safetensors");
    let o = run(&["eval", shipped, "--data", data, "--validation-only"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("held nothing out"), "{}", stderr(&o));
    for png in [
        "tsne-content-alphabets.png",
        "tsne-content-characters.png",
        "tsne-style-alphabets.png",
        "tsne-style-characters.png",
        "style-transfer.png",
        "reconstructions.png",
    ] {
        let bytes = std::fs::read(out.join(png)).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "{png}");
    }
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(saved, json);
}

#[test]
fn omniglot_training_needs_a_content_size_and_names_missing_data() {
    let root = scratch("content-style-errors");
    let out = root.join("run");
    let o = run(&[
        "train",
        "--dataset",
        "omniglot",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--content-dim"), "{}", stderr(&o));
    // Away from the repository (whose data/omniglot would be found), with the environment
    // variable and the flag pointing at empty folders: the error lists all three places.
    let (flag, env) = (root.join("nowhere"), root.join("env-empty"));
    for d in [&flag, &env] {
        std::fs::create_dir_all(d).unwrap();
    }
    let o = common::bin()
        .args(args(flag.to_str().unwrap(), "run", &["--epochs", "1"]))
        .current_dir(&root)
        .env("LATENT_ATLAS_OMNIGLOT", &env)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = stderr(&o);
    for place in [
        flag.display().to_string(),
        env.display().to_string(),
        "data/omniglot".to_string(),
    ] {
        assert!(
            err.contains(&place),
            "names {place} among the places it tried: {err}"
        );
    }
    assert!(
        err.contains("LATENT_ATLAS_OMNIGLOT"),
        "says how to point at the data: {err}"
    );
    assert!(
        !root.join("run").join("config.json").exists(),
        "nothing was written"
    );
    // More validation alphabets than are set aside: refused before anything is read.
    let o = run(&args(
        "nowhere",
        out.to_str().unwrap(),
        &["--epochs", "1", "--validation-alphabets", "11"],
    ));
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--validation-alphabets 11: at most 10"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn aggregate_kl_matches_the_closed_form() {
    // Means spread as N(0, 1) per dimension with posterior variance 1 give S ≈ 2I, m ≈ 0:
    // KL(N(0, 2I) || N(0, I)) = d/2 (2 - 1 - ln 2) per dimension.
    let (n, d) = (20_000, 3);
    let mut rng = Rng::new(3);
    let means = rng.normals(n * d);
    let log_vars = vec![0.0f32; n * d];
    let want = d as f64 * 0.5 * (1.0 - 2f64.ln());
    let got = aggregate_kl(&means, &log_vars, d);
    assert!((got - want).abs() < 0.02, "{got} vs {want}");
    // The prior itself: means 0, variance 1 -> KL 0.
    assert!(aggregate_kl(&vec![0.0; 10 * d], &log_vars[..10 * d], d).abs() < 1e-9);
}

#[test]
fn nearest_prototype_picks_the_closest_character() {
    let protos = vec![vec![0.0, 0.0], vec![5.0, 0.0], vec![0.0, 5.0]];
    let queries = [0.4, -0.3, 4.0, 1.0, 1.0, 3.9];
    assert_eq!(nearest_prototype(&protos, &queries, 2), vec![0, 1, 2]);
}
