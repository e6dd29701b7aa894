//! train -> eval -> export -> info through the CLI, on a real subset of Fashion-MNIST.

mod common;
use common::{run, scratch, stderr, stdout};
use latent_atlas::bundle::{Bundle, Precision};

#[test]
fn train_eval_export_and_reload() {
    let root = scratch("pipeline");
    let run_dir = root.join("run");
    let r = run_dir.to_str().unwrap();
    let o = run(&[
        "train",
        "--latent-dim",
        "3",
        "--epochs",
        "2",
        "--batch-size",
        "128",
        "--train-limit",
        "2048",
        "--test-limit",
        "500",
        "--out",
        r,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));

    let o = run(&["eval", r, "--json", "--draws", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("one JSON object");
    for key in [
        "nelbo",
        "recon_bce",
        "kl",
        "iwae_ll",
        "kmeans_acc",
        "nmi",
        "active_units",
    ] {
        assert!(m[key].is_number(), "missing {key}: {m}");
    }
    let (nelbo, recon, kl, iwae) = (
        m["nelbo"].as_f64().unwrap(),
        m["recon_bce"].as_f64().unwrap(),
        m["kl"].as_f64().unwrap(),
        m["iwae_ll"].as_f64().unwrap(),
    );
    // Two epochs on 2k images: far from converged but far better than an untrained model (~540).
    assert!((200.0..450.0).contains(&nelbo), "{m}");
    assert!(kl > 0.0 && recon > 0.0 && nelbo > recon, "{m}");
    assert!(
        -iwae <= nelbo + 1e-6,
        "the IWAE bound is at least as tight as the ELBO: {m}"
    );
    assert!(
        m["kmeans_acc"].as_f64().unwrap() > 0.2,
        "clusters beat chance (0.1): {m}"
    );
    // The plots exist and are real PNGs of a sensible size.
    for png in [
        "latent_scatter.png",
        "latent_grid.png",
        "interpolation.png",
        "samples.png",
        "reconstructions.png",
    ] {
        let bytes =
            std::fs::read(run_dir.join("eval").join(png)).unwrap_or_else(|e| panic!("{png}: {e}"));
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 5_000,
            "{png}: {} bytes",
            bytes.len()
        );
    }

    // A folder holding only another run's config (stopped before its first checkpoint), or a
    // config that does not read, is never overwritten by a fresh run.
    let half = root.join("half");
    std::fs::create_dir_all(&half).unwrap();
    let stored = std::fs::read_to_string(run_dir.join("config.json")).unwrap();
    for (config, needle) in [
        (stored.as_str(), "holds the config.json of another run"),
        ("{garbage", "it is not replaced"),
    ] {
        std::fs::write(half.join("config.json"), config).unwrap();
        let o = run(&[
            "train",
            "--latent-dim",
            "2",
            "--epochs",
            "1",
            "--train-limit",
            "256",
            "--out",
            half.to_str().unwrap(),
        ]);
        assert!(
            !o.status.success() && stderr(&o).contains(needle),
            "{}",
            stderr(&o)
        );
        assert_eq!(
            std::fs::read_to_string(half.join("config.json")).unwrap(),
            config
        );
    }

    let model = root.join("pkg").join("tiny.safetensors");
    std::fs::create_dir_all(root.join("pkg")).unwrap();
    // Refused before evaluating, nothing written: a name a share link can't carry, an index.json
    // that does not read (`latent-atlas index` rebuilds it).
    let o = run(&[
        "export",
        r,
        "--out",
        model.to_str().unwrap(),
        "--name",
        "my model&x",
    ]);
    assert!(
        !o.status.success() && stderr(&o).contains("--name: model name \"my model&x\" must be"),
        "{}",
        stderr(&o)
    );
    std::fs::write(root.join("pkg/index.json"), "{\"models\": [").unwrap();
    let o = run(&["export", r, "--out", model.to_str().unwrap()]);
    assert!(
        !o.status.success()
            && stderr(&o).contains("index.json is not a model index")
            && stderr(&o).contains("latent-atlas index"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(root.join("pkg/index.json")).unwrap(),
        "{\"models\": ["
    );
    assert!(!model.exists());
    // The index is rebuilt from the model files: a stale entry goes, a junk file is left out.
    std::fs::create_dir_all(root.join("pkg")).unwrap();
    std::fs::write(
        root.join("pkg/index.json"),
        r#"{"models":[{"file":"gone.safetensors","name":"gone"}]}"#,
    )
    .unwrap();
    std::fs::write(root.join("pkg/junk.safetensors"), b"not a model").unwrap();
    // No sample count means no likelihood: refused by both commands that estimate one.
    for command in ["eval", "export"] {
        let o = run(&[command, r, "--out", model.to_str().unwrap(), "--draws", "0"]);
        assert!(
            !o.status.success() && stderr(&o).contains("--draws 0 is outside 1..=100000"),
            "{command}: {}",
            stderr(&o)
        );
    }
    assert!(!model.exists());
    // Two draws, not the default 16: the test's run is scored as cheaply as its eval above.
    let o = run(&[
        "export",
        r,
        "--out",
        model.to_str().unwrap(),
        "--draws",
        "2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let b = Bundle::from_bytes(&std::fs::read(&model).unwrap()).unwrap();
    assert_eq!(b.manifest.architecture.latent_dim, 3);
    assert_eq!(b.test_labels.len(), 10_000);
    assert_eq!(b.test_means.len(), 30_000);
    assert!(
        b.manifest.training.command.contains("--train-limit 2048"),
        "{}",
        b.manifest.training.command
    );
    let metrics = b.manifest.metrics.as_ref().unwrap();
    assert!(
        metrics["nelbo"].is_number() && metrics["draws"] == 2,
        "{metrics}"
    );
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("pkg/index.json")).unwrap())
            .unwrap();
    let models = index["models"].as_array().unwrap();
    assert_eq!(models.len(), 1, "{index}");
    assert_eq!(models[0]["file"], "tiny.safetensors");
    assert_eq!(models[0]["clusters"], 0);
    assert!(
        models[0]["trained_as"]
            .as_str()
            .is_some_and(|t| t.contains("KL")),
        "{index}"
    );
    assert!(stderr(&o).contains("junk.safetensors"), "{}", stderr(&o));
    assert!(root.join("pkg/tiny.json").exists());
    // The hover previews' files, where the page looks for them (checked in detail below).
    let (part, _) = latent_atlas::bundle::test_image_file("fashion-mnist", 0);
    assert!(root.join("pkg").join(part).is_file());

    // The same run in f16: half the bytes, the rounded weights, metrics of the rounded model
    // (close to the f32 file's, not copied from it).
    let small = root.join("pkg").join("tiny16.safetensors");
    let o = run(&[
        "export",
        r,
        "--out",
        small.to_str().unwrap(),
        "--draws",
        "2",
        "--weights",
        "f16",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (full, half) = (
        std::fs::read(&model).unwrap(),
        std::fs::read(&small).unwrap(),
    );
    assert!(
        half.len() * 100 < full.len() * 55,
        "{} vs {} bytes",
        half.len(),
        full.len()
    );
    let h = Bundle::from_bytes(&half).unwrap();
    assert_eq!(h.manifest.weights, Precision::F16);
    for (a, b) in h.weights.iter().zip(&b.weights) {
        assert_eq!(a.data, Precision::F16.round(&b.data), "{}", a.name);
    }
    let (m16, m32) = (&h.manifest.metrics.as_ref().unwrap(), metrics);
    let (n16, n32) = (
        m16["nelbo"].as_f64().unwrap(),
        m32["nelbo"].as_f64().unwrap(),
    );
    assert!(
        n16 != n32 && (n16 - n32).abs() < 0.5,
        "NELBO {n16} (f16) vs {n32} (f32)"
    );
    record_replaces_only_the_metrics(&small, r);

    let o = run(&["info", model.to_str().unwrap()]);
    assert!(
        o.status.success() && stdout(&o).contains("\"latent_dim\": 3"),
        "{}",
        stdout(&o)
    );
    let bad = root.join("bad.safetensors");
    std::fs::write(&bad, &std::fs::read(&model).unwrap()[..1000]).unwrap();
    let o = run(&["info", bad.to_str().unwrap()]);
    assert!(
        !o.status.success() && stderr(&o).contains("not a Latent Atlas model file"),
        "{}",
        stderr(&o)
    );
}

/// `eval FILE --record` (the evaluation changed since `file` was exported): a stale number in
/// the file is replaced by the evaluation's, the weights, codes and training curve stay, and an
/// evaluation that is not the file's own is refused without writing.
fn record_replaces_only_the_metrics(file: &std::path::Path, run_dir: &str) {
    let f = file.to_str().unwrap();
    let exported = std::fs::read(file).unwrap();
    let sidecar = |p: &std::path::Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p.with_extension("json")).unwrap()).unwrap()
    };
    let epochs = sidecar(file)["epochs"].clone();
    let was = Bundle::from_bytes(&exported).unwrap();
    let mut stale = was.clone();
    stale.manifest.metrics.as_mut().unwrap()["kmeans_acc"] = 0.0.into();
    std::fs::write(file, stale.to_bytes()).unwrap();
    for (args, needle) in [
        (
            vec!["eval", f, "--record", "--draws", "3"],
            "pass --draws 2",
        ),
        (
            vec!["eval", run_dir, "--record"],
            "writes into a model file",
        ),
    ] {
        let o = run(&args);
        assert!(
            !o.status.success() && stderr(&o).contains(needle),
            "{}",
            stderr(&o)
        );
    }
    let o = run(&["eval", f, "--record", "--draws", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let now = Bundle::from_bytes(&std::fs::read(file).unwrap()).unwrap();
    // The same evaluation as export's (seeded): every number as exported, the stale one too.
    assert_eq!(now.manifest.metrics, was.manifest.metrics);
    assert_eq!(now.manifest.training.command, was.manifest.training.command);
    for (a, b) in now.weights.iter().zip(&was.weights) {
        assert_eq!((&a.name, &a.data), (&b.name, &b.data));
    }
    assert_eq!(now.test_means, was.test_means);
    assert_eq!(sidecar(file)["epochs"], epochs);
    assert_eq!(
        sidecar(file)["manifest"]["metrics"],
        now.manifest.metrics.clone().unwrap()
    );

    // Another model's codes: refused, the file untouched.
    let mut foreign = now.clone();
    for v in &mut foreign.test_means {
        *v += 0.5;
    }
    let bytes = foreign.to_bytes();
    std::fs::write(file, &bytes).unwrap();
    let o = run(&["eval", f, "--record", "--draws", "2"]);
    assert!(
        !o.status.success() && stderr(&o).contains("not this file's model"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(file).unwrap(), bytes);
}

/// The page's hover previews: `latent-atlas index` splits a single test-image file (as earlier
/// versions wrote) into parts of `TEST_IMAGES_PER_FILE`, and every image is where
/// `bundle::test_image_file` (which the page calls) says it is.
#[test]
fn test_images_are_split_into_the_files_the_page_reads() {
    use latent_atlas::bundle::{TEST_IMAGES_PER_FILE, test_image_file};
    use latent_atlas::data::idx::{IdxImages, encode_images, parse_images};
    use std::io::Write;
    let dir = scratch("test-image-files");
    std::fs::create_dir_all(&dir).unwrap();
    let count = 2 * TEST_IMAGES_PER_FILE + 234;
    // Every image different: its index in its first two bytes.
    let pixels: Vec<u8> = (0..count * 784)
        .map(|k| match k % 784 {
            0 => (k / 784 % 256) as u8,
            1 => (k / 784 / 256) as u8,
            j => (j * 7 % 251) as u8,
        })
        .collect();
    let all = IdxImages {
        count,
        rows: 28,
        cols: 28,
        pixels,
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&encode_images(&all)).unwrap();
    let single = dir.join("toy-test-images.idx.gz");
    std::fs::write(&single, gz.finish().unwrap()).unwrap();
    // A stale part from an older, longer set must not survive.
    std::fs::create_dir_all(dir.join("toy-test-images")).unwrap();
    std::fs::write(dir.join("toy-test-images/009.idx.gz"), b"stale").unwrap();

    let o = run(&["index", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!single.exists(), "the single file is replaced by its parts");
    let mut parts: Vec<_> = std::fs::read_dir(dir.join("toy-test-images"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    parts.sort();
    assert_eq!(parts, ["000.idx.gz", "001.idx.gz", "002.idx.gz"]);
    for i in [
        0,
        1,
        TEST_IMAGES_PER_FILE - 1,
        TEST_IMAGES_PER_FILE,
        count - 1,
    ] {
        let (file, position) = test_image_file("toy", i);
        let part = parse_images(&std::fs::read(dir.join(&file)).unwrap(), (28, 28)).unwrap();
        let got = &part.pixels[position * 784..(position + 1) * 784];
        assert_eq!(
            got,
            &all.pixels[i * 784..(i + 1) * 784],
            "image {i} ({file} #{position})"
        );
    }
}
