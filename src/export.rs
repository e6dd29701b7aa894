//! Packaging a trained run as a model file in `pkg/`, with a JSON sidecar (manifest and
//! metrics, for people and the page's model picker) and an updated `index.json`.

use crate::bundle::{Bundle, DatasetInfo, Manifest, Preprocessing, TrainingInfo};
use crate::data::omniglot::{self, DRAWERS, SIDE, Split};
use crate::data::{Dataset, ImageSet};
use crate::eval::split::{self, SplitMetrics, SplitOptions};
use crate::eval::{self, EvalOptions, Metrics};
use crate::model::named_params;
use crate::train::{self, TrainConfig, checkpoint::write_atomically};
use burn::prelude::*;
use std::path::{Path, PathBuf};

/// Evaluate the run's model on the test set, write `out` (+ `.json` sidecar), update the index.
pub fn export(
    run: &Path,
    out: &Path,
    name: &str,
    data: &Dataset,
    device: &Device,
) -> Result<Metrics, String> {
    let (config, model, history) = train::load_trained::<serde_json::Value>(run, device)?;
    let (metrics, enc) = eval::evaluate(&model, data, device, &EvalOptions::default());
    let train_examples = config
        .train_limit
        .map_or(data.train.len(), |n| n.min(data.train.len()));
    let manifest = Manifest {
        name: name.to_string(),
        kind: "gaussian-vae".into(),
        architecture: config.architecture.clone(),
        dataset: DatasetInfo {
            name: data.name.clone(),
            class_names: data.class_names.clone(),
        },
        preprocessing: preprocessing(data.test.side, None),
        training: training_info(&config, history.len(), train_examples),
        metrics: Some(serde_json::to_value(&metrics).expect("metrics serialise")),
        crate_version: env!("CARGO_PKG_VERSION").into(),
    };
    let bundle = Bundle {
        manifest,
        weights: named_params(&model),
        test_means: enc.means,
        test_labels: data.test.labels.clone(),
    };
    package(out, &bundle, &history, &data.test)?;
    Ok(metrics)
}

/// The same for a content/style model: evaluated on Omniglot's evaluation alphabets (whose
/// codes, labelled by alphabet, go into the file) and the one-shot runs.
pub fn export_split(
    run: &Path,
    out: &Path,
    name: &str,
    dirs: &[PathBuf],
    device: &Device,
) -> Result<SplitMetrics, String> {
    let (config, model, history) = train::load_trained::<serde_json::Value>(run, device)?;
    let content_dim = config
        .architecture
        .content_dim
        .ok_or_else(|| format!("{} is not a content/style run", run.display()))?;
    let evaluation = omniglot::load(dirs, Split::Evaluation).map_err(|e| e.to_string())?;
    let runs = omniglot::load_one_shot_runs_from(dirs).map_err(|e| e.to_string())?;
    let ev = split::evaluate(
        &model,
        content_dim,
        &evaluation,
        &runs,
        device,
        &SplitOptions::default(),
    );
    let (_, characters) = Split::Background.expected();
    let manifest = Manifest {
        name: name.to_string(),
        kind: "content-style-vae".into(),
        architecture: config.architecture.clone(),
        dataset: DatasetInfo {
            name: "omniglot".into(),
            class_names: evaluation.alphabets.clone(),
        },
        preprocessing: preprocessing(SIDE, Some(median_extent(&ev.images))),
        training: training_info(&config, history.len(), characters * DRAWERS),
        metrics: Some(serde_json::to_value(&ev.metrics).expect("metrics serialise")),
        crate_version: env!("CARGO_PKG_VERSION").into(),
    };
    let bundle = Bundle {
        manifest,
        weights: named_params(&model),
        test_means: ev.enc.means.clone(),
        test_labels: ev.images.labels.clone(),
    };
    package(out, &bundle, &history, &ev.images)?;
    Ok(ev.metrics)
}

/// Median over images of the longer side of the ink's bounding box (pixels above 5% ink, the
/// page's crop threshold).
fn median_extent(images: &ImageSet) -> usize {
    let side = images.side;
    let mut extents: Vec<usize> = (0..images.len())
        .map(|i| {
            let img = images.image(i);
            let ink = |x: usize, y: usize| img[y * side + x] > 13;
            let rows: Vec<usize> = (0..side)
                .filter(|&y| (0..side).any(|x| ink(x, y)))
                .collect();
            let cols: Vec<usize> = (0..side)
                .filter(|&x| (0..side).any(|y| ink(x, y)))
                .collect();
            match (rows.first(), rows.last(), cols.first(), cols.last()) {
                (Some(r0), Some(r1), Some(c0), Some(c1)) => (r1 - r0 + 1).max(c1 - c0 + 1),
                _ => 0,
            }
        })
        .collect();
    extents.sort_unstable();
    extents[extents.len() / 2]
}

fn preprocessing(side: usize, fit: Option<usize>) -> Preprocessing {
    Preprocessing {
        fit,
        side,
        scale: "pixel / 255".into(),
        polarity: "light-on-dark".into(),
    }
}

fn training_info(config: &TrainConfig, epochs: usize, train_examples: usize) -> TrainingInfo {
    TrainingInfo {
        command: config.command.clone(),
        epochs,
        batch_size: config.batch_size,
        beta: config.beta,
        seed: config.seed,
        learning_rate: config.learning_rate,
        schedule: config.schedule.to_string(),
        train_examples,
        backend: config.backend.to_string(),
        objective: config.structured.clone(),
    }
}

/// Validate and write the model file, its sidecar, the index entry and the test images.
fn package(
    out: &Path,
    bundle: &Bundle,
    history: &[serde_json::Value],
    test: &ImageSet,
) -> Result<(), String> {
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
        "epochs": history,
    }))
    .expect("sidecar serialises");
    write_atomically(&sidecar, text.as_bytes()).map_err(|e| io(&sidecar, e))?;
    update_index(out, &bundle.manifest)?;
    write_test_images(out, &bundle.manifest.dataset.name, test)
}

/// The test images (gzipped IDX) beside the model files, shared by every model of the dataset:
/// the page shows a hovered point's original image from it. Loaded lazily, after the first grid.
fn write_test_images(out: &Path, dataset: &str, test: &ImageSet) -> Result<(), String> {
    use std::io::Write;
    let dir = out.parent().unwrap_or(Path::new("."));
    let path = dir.join(format!("{dataset}-test-images.idx.gz"));
    let raw = crate::data::idx::encode_images(&crate::data::idx::IdxImages {
        count: test.len(),
        rows: test.side,
        cols: test.side,
        pixels: test.pixels.clone(),
    });
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&raw)
        .and_then(|()| gz.finish())
        .and_then(|bytes| write_atomically(&path, &bytes))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// `index.json` beside the model files lists them for the page's model picker.
fn update_index(out: &Path, m: &Manifest) -> Result<(), String> {
    let dir = out.parent().unwrap_or(Path::new("."));
    let path = dir.join("index.json");
    let mut entries: Vec<serde_json::Value> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v.get("models").and_then(|m| m.as_array()).cloned())
        .unwrap_or_default();
    let file = out
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default();
    entries.retain(|e| e.get("file").and_then(|f| f.as_str()) != Some(&file));
    // Sizes are read from disk for every entry: the page opens the smallest 2-D model first.
    for e in entries.iter_mut() {
        let size = e
            .get("file")
            .and_then(|f| f.as_str())
            .and_then(|f| std::fs::metadata(dir.join(f)).ok())
            .map(|m| m.len());
        if let (Some(obj), Some(size)) = (e.as_object_mut(), size) {
            obj.insert("bytes".into(), size.into());
        }
    }
    entries.push(serde_json::json!({
        "file": file,
        "name": m.name,
        "kind": m.kind,
        "dataset": m.dataset.name,
        "latent_dim": m.architecture.latent_dim,
        "content_dim": m.architecture.content_dim,
        "nelbo": m.metrics.as_ref().and_then(|x| x.get("nelbo")).cloned(),
        "bytes": std::fs::metadata(out).map(|m| m.len()).ok(),
    }));
    entries.sort_by_key(|e| {
        e.get("file")
            .and_then(|f| f.as_str())
            .unwrap_or("")
            .to_string()
    });
    let text = serde_json::to_string_pretty(&serde_json::json!({ "models": entries }))
        .expect("index serialises");
    write_atomically(&path, text.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))
}
