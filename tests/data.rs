//! The Fashion-MNIST reader on the real files, and its messages for missing or damaged data.

mod common;
use latent_atlas::data::fashion;
use std::io::Write;

#[test]
fn reads_the_real_dataset() {
    let d = fashion::load(None)
        .expect("Fashion-MNIST installed (apt-get install dataset-fashion-mnist)");
    assert_eq!((d.train.len(), d.test.len()), (60_000, 10_000));
    assert_eq!(d.train.pixels.len(), 60_000 * 784);
    // The official test set has exactly 1,000 images of each class.
    let mut counts = [0; 10];
    d.test.labels.iter().for_each(|&l| counts[l as usize] += 1);
    assert_eq!(counts, [1000; 10]);
    // Test image 0 is an ankle boot and 1 a pullover (as the Keras reference's plots show).
    assert_eq!(d.class_names[d.test.labels[0] as usize], "Ankle boot");
    assert_eq!(d.class_names[d.test.labels[1] as usize], "Pullover");
    // Images use the full byte range and are mostly background.
    let max = *d.test.pixels.iter().max().unwrap();
    let zeros =
        d.test.pixels.iter().filter(|&&p| p == 0).count() as f64 / d.test.pixels.len() as f64;
    assert_eq!(max, 255);
    assert!((0.3..0.7).contains(&zeros), "background fraction {zeros}");
}

#[test]
fn missing_dataset_names_every_place_it_looked() {
    let partial = common::scratch("partial-data");
    std::fs::copy(
        format!("{}/t10k-labels-idx1-ubyte.gz", fashion::DEBIAN_DIR),
        partial.join("t10k-labels-idx1-ubyte.gz"),
    )
    .unwrap();
    let dirs = [
        std::path::PathBuf::from("/nonexistent/explicit"),
        partial.clone(),
    ];
    let err = fashion::load_from(&dirs).unwrap_err().to_string();
    assert!(
        err.contains("/nonexistent/explicit (directory does not exist)"),
        "{err}"
    );
    assert!(
        err.contains(&format!("{} (missing train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz])", partial.display())),
        "names the files each place lacked: {err}"
    );
    assert!(
        err.contains("apt-get install dataset-fashion-mnist") && err.contains("--data DIR"),
        "says where to get it: {err}"
    );
}

/// A directory with links to the four real files.
fn linked_copy(name: &str) -> std::path::PathBuf {
    let dir = common::scratch(name);
    for f in [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ] {
        std::os::unix::fs::symlink(format!("{}/{f}", fashion::DEBIAN_DIR), dir.join(f)).unwrap();
    }
    dir
}

#[test]
fn search_order_is_flag_then_environment_then_debian() {
    let (flag, env) = (linked_copy("order-flag"), linked_copy("order-env"));
    let source = |data: &str| {
        let o = common::bin()
            .args(["train", "--data", data, "--train-limit", "64", "--out"])
            .arg(common::scratch("order-run").join("run"))
            .args(["--stop-after-steps", "1"]) // one step: enough to see where it read from
            .env("LATENT_ATLAS_DATA", &env)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(130), "{}", common::stderr(&o));
        common::stderr(&o)
    };
    assert!(source(flag.to_str().unwrap()).contains(&format!("from {}", flag.display())));
    assert!(source("/nonexistent/flag").contains(&format!("from {}", env.display())));
    let dirs = fashion::search_dirs(None);
    assert_eq!(
        dirs.last().unwrap(),
        std::path::Path::new(fashion::DEBIAN_DIR)
    );
}

#[test]
fn damaged_files_are_named_with_what_is_wrong() {
    let dir = common::scratch("damaged-data");
    for f in [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ] {
        std::fs::copy(format!("{}/{f}", fashion::DEBIAN_DIR), dir.join(f)).unwrap();
    }
    // The test images cut short: a download that stopped half way (7840016 raw bytes, half kept,
    // so 3920008 - 16 header bytes = 3919992 bytes of pixels).
    let full = std::fs::read(format!("{}/t10k-images-idx3-ubyte.gz", fashion::DEBIAN_DIR)).unwrap();
    let raw = latent_atlas::data::idx::maybe_gunzip(&full)
        .unwrap()
        .to_vec();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw[..raw.len() / 2]).unwrap();
    std::fs::write(dir.join("t10k-images-idx3-ubyte.gz"), gz.finish().unwrap()).unwrap();
    let err = fashion::load(Some(&dir)).unwrap_err().to_string();
    assert!(err.contains("t10k-images-idx3-ubyte.gz"), "{err}");
    assert!(
        err.contains("7840000 bytes of data") && err.contains("holds 3919992"),
        "{err}"
    );

    // Labels and images that disagree in count.
    std::fs::write(dir.join("t10k-images-idx3-ubyte.gz"), &full).unwrap();
    let labels = latent_atlas::data::idx::encode_labels(&[1; 9_999]);
    std::fs::remove_file(dir.join("t10k-labels-idx1-ubyte.gz")).unwrap();
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), labels).unwrap();
    let err = fashion::load(Some(&dir)).unwrap_err().to_string();
    assert!(
        err.contains("10000 images") && err.contains("9999 labels"),
        "{err}"
    );
}

/// The page's upload preprocessing recovers real test images from "scans" of them: 4x upscaled,
/// dark ink on white. Fashion-MNIST fills 28 pixels on its longer side, so the crop-and-scale
/// lands most images back on their own pixels.
#[test]
fn upload_preprocessing_recovers_real_test_images() {
    let d = fashion::load(None).expect("Fashion-MNIST");
    let mut exact = 0;
    for i in 0..200 {
        let img = d.test.image(i);
        let w = 28 * 4;
        let mut rgba = Vec::with_capacity(w * w * 4);
        for y in 0..w {
            for x in 0..w {
                let v = 255 - img[(y / 4) * 28 + x / 4];
                rgba.extend([v, v, v, 255]);
            }
        }
        let peak = *img.iter().max().unwrap() as f32;
        let out = latent_atlas::data::upload::prepare_image(&rgba, w, w, 28, 28).unwrap();
        let diff = out
            .iter()
            .zip(img)
            .map(|(o, &p)| (o - p as f32 / peak).abs())
            .sum::<f32>()
            / 784.0;
        exact += (diff < 0.02) as usize;
    }
    // About 6% are 27 pixels on their longer side, or centred the other way by the dataset's own
    // preprocessing; those come back scaled or shifted by a pixel.
    assert!(exact >= 180, "only {exact} of 200 images recovered");
}
