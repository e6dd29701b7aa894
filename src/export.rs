//! Packaging a trained run as a model file in `pkg/`, with a JSON sidecar (manifest and
//! metrics, for people and the page's model picker) and an updated `index.json`.

use crate::bundle::{self, Bundle, DatasetInfo, Manifest, Precision, Preprocessing, TrainingInfo};
use crate::data::ImageSet;
use crate::eval::report::{self, Report};
use crate::files::write_atomically;
use crate::model::{NamedTensor, load_params, named_params};
use crate::train;
use burn::prelude::*;
use std::path::Path;

/// What `export` writes besides the run's weights.
pub struct Options<'a> {
    /// The model's display name.
    pub name: &'a str,
    /// The dataset's directory, else the usual places.
    pub data_dir: Option<&'a Path>,
    /// A judge classifier file: its measures join the metrics.
    pub judge: Option<&'a Path>,
    /// z samples per test image for the likelihoods.
    pub draws: usize,
    /// How the file stores the weights and codes.
    pub weights: Precision,
}

/// Evaluate the run's model as its kind is evaluated — with its weights as the file stores them
/// (rounded to f16 for `Precision::F16`), so the recorded metrics are the file's — write `out`
/// (+ `.json` sidecar), update the index and the shared test images; returns the evaluation.
pub fn export(run: &Path, out: &Path, o: &Options, device: &Device) -> Result<Report, String> {
    let Options {
        name,
        data_dir,
        judge,
        draws,
        weights,
    } = *o;
    // Refused before the (minutes-long) evaluation: a name links can't carry, a damaged index.
    bundle::check_model_name(name).map_err(|e| format!("--name: {e}"))?;
    check_index(out.parent().unwrap_or(Path::new(".")))?;
    let (config, model, history) = train::load_trained(run, device)?;
    let rounded = named_params(&model)
        .into_iter()
        .map(|t| NamedTensor {
            data: weights.round(&t.data),
            ..t
        })
        .collect();
    let model = load_params(model, rounded, device).map_err(|e| e.to_string())?;
    let mut report = report::evaluate(
        &model,
        &config.objective,
        &config.architecture,
        &config.dataset,
        data_dir,
        device,
        report::Options {
            binarized: config.binarize,
            draws,
            ..Default::default()
        },
    )?;
    if let Some(judge) = judge {
        report.add_judge(&model, judge, device, report::Options::default().seed)?;
    }
    let full = report.train_size();
    let manifest = Manifest {
        name: name.to_string(),
        kind: config.objective.name().to_string(),
        architecture: config.architecture.clone(),
        dataset: DatasetInfo {
            name: report.dataset_name().to_string(),
            class_names: report.class_names(),
        },
        preprocessing: Preprocessing {
            fit: report.fit(),
            side: report.images().side,
            scale: bundle::SCALE.into(),
            polarity: bundle::POLARITY.into(),
        },
        training: TrainingInfo {
            command: config.command.clone(),
            epochs: history.len(),
            batch_size: config.batch_size,
            objective: config.objective.clone(),
            seed: config.seed,
            learning_rate: config.learning_rate,
            schedule: config.schedule.to_string(),
            train_examples: config.train_limit.map_or(full, |n| n.min(full)),
            binarize: config.binarize,
            backend: config.backend.to_string(),
        },
        metrics: Some(report.metrics_json()),
        crate_version: env!("CARGO_PKG_VERSION").into(),
        weights,
    };
    let bundle = Bundle {
        manifest,
        weights: named_params(&model),
        test_means: report.means().to_vec(),
        test_labels: report.images().labels.clone(),
    };
    let epochs = serde_json::to_value(&history).expect("epochs serialise");
    package(out, &bundle, epochs)?;
    // The page's hover previews show the dataset's own test images, which every model of the
    // dataset shares: grey levels, also when this model was scored on them binarized.
    write_test_images(out, &bundle.manifest.dataset.name, report.shown_images())?;
    Ok(report)
}

/// Writes `report`'s metrics into the model file `file` (and its sidecar and the index), for
/// when the evaluation itself has changed since the file was exported: the weights, the test
/// codes and the training record stay as they are. `report` must be this file's model evaluated
/// as `export` evaluates it (the caller's part); a report whose test codes are not the file's
/// is refused and nothing is written.
pub fn record_metrics(file: &Path, report: &Report) -> Result<(), String> {
    let at = |e: String| format!("{}: {e}", file.display());
    let bytes = std::fs::read(file).map_err(|e| at(e.to_string()))?;
    let mut bundle = Bundle::from_bytes(&bytes).map_err(|e| at(e.to_string()))?;
    let codes = report.means();
    // Relative to the code's size (at least 1): f16 files store their codes rounded to ~5e-4.
    let worst = if codes.len() == bundle.test_means.len() {
        codes
            .iter()
            .zip(&bundle.test_means)
            .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
            .fold(0.0f32, f32::max)
    } else {
        f32::INFINITY
    };
    if worst > 2e-3 {
        return Err(at(format!(
            "the evaluation's test codes differ from the file's by up to {worst}: not this file's model evaluated as it was exported; nothing was written"
        )));
    }
    let sidecar = file.with_extension("json");
    let epochs = std::fs::read_to_string(&sidecar)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).map_err(|e| e.to_string()))
        .and_then(|v| match v.get("epochs") {
            Some(e @ serde_json::Value::Array(_)) => Ok(e.clone()),
            _ => Err("it has no \"epochs\" list".into()),
        })
        .map_err(|e| {
            format!(
                "{}: the sidecar's training curve is needed and {e}; nothing was written",
                sidecar.display()
            )
        })?;
    bundle.manifest.metrics = Some(report.metrics_json());
    package(file, &bundle, epochs)
}

/// Validate and write the model file, its sidecar (manifest and training curve) and the index.
fn package(out: &Path, bundle: &Bundle, epochs: serde_json::Value) -> Result<(), String> {
    let bytes = bundle.to_bytes();
    // Prove the file loads before it replaces anything.
    Bundle::from_bytes(&bytes).map_err(|e| format!("exported file failed validation: {e}"))?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let io = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    write_atomically(out, &bytes).map_err(|e| io(out, e))?;
    let sidecar = out.with_extension("json");
    let text = serde_json::to_string_pretty(&serde_json::json!({
        "file": out.file_name().map(|f| f.to_string_lossy().to_string()),
        "bytes": bytes.len(),
        "manifest": bundle.manifest,
        "epochs": epochs,
    }))
    .expect("sidecar serialises");
    write_atomically(&sidecar, text.as_bytes()).map_err(|e| io(&sidecar, e))?;
    update_index(out.parent().unwrap_or(Path::new(".")), false)
}

/// The test images beside the model files, shared by every model of the dataset, as gzipped IDX
/// files of `bundle::TEST_IMAGES_PER_FILE` images each (`bundle::test_image_file` names them):
/// the page shows a hovered point's original image from the file that holds it.
fn write_test_images(out: &Path, dataset: &str, test: &ImageSet) -> Result<(), String> {
    write_test_image_files(
        out.parent().unwrap_or(Path::new(".")),
        dataset,
        &crate::data::idx::IdxImages {
            count: test.len(),
            rows: test.side,
            cols: test.side,
            pixels: test.pixels.clone(),
        },
    )
}

/// Writes `images` as `dataset`'s test-image files in `dir` (replacing an older set, and the
/// single file of earlier versions).
pub fn write_test_image_files(
    dir: &Path,
    dataset: &str,
    images: &crate::data::idx::IdxImages,
) -> Result<(), String> {
    use std::io::Write;
    let io = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    let (first, _) = bundle::test_image_file(dataset, 0);
    let folder = dir.join(Path::new(&first).parent().expect("a folder per dataset"));
    if folder.is_dir() {
        std::fs::remove_dir_all(&folder).map_err(|e| io(&folder, e))?;
    }
    std::fs::create_dir_all(&folder).map_err(|e| io(&folder, e))?;
    let plane = images.rows * images.cols;
    for start in (0..images.count).step_by(bundle::TEST_IMAGES_PER_FILE) {
        let count = bundle::TEST_IMAGES_PER_FILE.min(images.count - start);
        let raw = crate::data::idx::encode_images(&crate::data::idx::IdxImages {
            count,
            rows: images.rows,
            cols: images.cols,
            pixels: images.pixels[start * plane..(start + count) * plane].to_vec(),
        });
        let path = dir.join(bundle::test_image_file(dataset, start).0);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&raw)
            .and_then(|()| gz.finish())
            .and_then(|bytes| write_atomically(&path, &bytes))
            .map_err(|e| io(&path, e))?;
    }
    let single = dir.join(format!("{dataset}-test-images.idx.gz"));
    if single.is_file() {
        std::fs::remove_file(&single).map_err(|e| io(&single, e))?;
    }
    Ok(())
}

/// Splits the single test-image file of earlier versions (`DATASET-test-images.idx.gz`) in
/// `dir` into the per-part files the page reads; `latent-atlas index` runs it.
pub fn split_test_images(dir: &Path) -> Result<Vec<String>, String> {
    let mut done = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(dataset) = name.strip_suffix("-test-images.idx.gz") else {
            continue;
        };
        let path = entry.path();
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let bad = |e: String| format!("{}: {e}", path.display());
        let raw = crate::data::idx::maybe_gunzip(&bytes).map_err(|e| bad(e.to_string()))?;
        // The file's own shape (28x28 here; Omniglot's is resized to it too).
        let dim = |at: usize| {
            raw.get(at..at + 4)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        };
        let shape = dim(8)
            .zip(dim(12))
            .ok_or_else(|| bad("not an IDX images file".into()))?;
        let images = crate::data::idx::parse_images(&raw, shape).map_err(|e| bad(e.to_string()))?;
        write_test_image_files(dir, dataset, &images)?;
        done.push(dataset.to_string());
    }
    Ok(done)
}

/// An existing `index.json` in `dir` that does not read as an index is an error (the page could
/// not have been using it; `latent-atlas index` rebuilds it), never silently replaced.
pub fn check_index(dir: &Path) -> Result<(), String> {
    let path = dir.join("index.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return if path.exists() {
            Err(format!("{} cannot be read as text", path.display()))
        } else {
            Ok(())
        };
    };
    let models = serde_json::from_str::<serde_json::Value>(&text)
        .map_err(|e| e.to_string())
        .and_then(|v| match v.get("models") {
            Some(serde_json::Value::Array(_)) => Ok(()),
            _ => Err("it has no \"models\" list".into()),
        });
    models.map_err(|why| {
        format!(
            "{} is not a model index ({why}); nothing was written. Rebuild it from the model files beside it with: latent-atlas index {}",
            path.display(),
            dir.display()
        )
    })
}

/// `index.json` beside the model files lists them for the page's model picker, and the judges
/// in `judge/` (the page's class guess for uploads). It is rebuilt from every file there (so
/// each entry has the current fields); a file that does not read as a model or judge is left out
/// with a warning. A damaged index is refused (see `check_index`) unless `rebuild`.
pub fn update_index(dir: &Path, rebuild: bool) -> Result<(), String> {
    if !rebuild {
        check_index(dir)?;
    }
    let path = dir.join("index.json");
    let mut entries = Vec::new();
    for file in safetensors_in(dir)? {
        let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        match Bundle::from_bytes(&bytes) {
            Ok(b) => entries.push(index_entry(&file, &b.manifest, bytes.len())),
            Err(e) => eprintln!("index.json leaves out {}: {e}", file.display()),
        }
    }
    let mut judges = Vec::new();
    let judge_dir = dir.join("judge");
    if judge_dir.is_dir() {
        for file in safetensors_in(&judge_dir)? {
            let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            match crate::model::read_judge_manifest(&bytes) {
                Ok(m) => judges.push(serde_json::json!({
                    "file": format!("judge/{}", file_name(&file)),
                    "dataset": m.dataset,
                    "class_names": m.class_names,
                    "test_accuracy": m.test_accuracy,
                    "bytes": bytes.len(),
                })),
                Err(e) => eprintln!("index.json leaves out {}: {e}", file.display()),
            }
        }
    }
    let text = serde_json::to_string_pretty(&serde_json::json!({
        "models": entries,
        "judges": judges,
    }))
    .expect("index serialises");
    write_atomically(&path, text.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))
}

fn safetensors_in(dir: &Path) -> Result<Vec<std::path::PathBuf>, String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    files.sort();
    Ok(files)
}

fn file_name(file: &Path) -> String {
    file.file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// One model's line in `index.json`: what the picker shows and the page needs before loading.
fn index_entry(file: &Path, m: &Manifest, bytes: usize) -> serde_json::Value {
    serde_json::json!({
        "file": file_name(file),
        "name": m.name,
        "kind": m.kind,
        "dataset": m.dataset.name,
        "latent_dim": m.architecture.latent_dim,
        "content_dim": m.architecture.content_dim,
        "conditional": m.architecture.conditional,
        "clusters": match m.architecture.prior {
            crate::model::Prior::Categorical { classes } => classes,
            _ => 0,
        },
        "trained_as": m.training.objective.describe(&m.architecture),
        "nelbo": m.metrics.as_ref().and_then(|x| x.get("nelbo")).cloned(),
        // The page opens the smallest 2-D model first.
        "bytes": bytes,
    })
}
