//! `latent-atlas judge`: train the judge classifier that evaluation uses (`eval --judge`) on a
//! dataset's training split and write its file, with the held-out accuracy it reached.

use latent_atlas::data::load_dataset;
use latent_atlas::device::Backend;
use latent_atlas::model::JudgeManifest;
use latent_atlas::train::judge::{JudgeTraining, train_judge};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Dataset with a train/test split
    #[arg(long, default_value = "fashion-mnist")]
    dataset: String,
    /// Directory with the dataset files (else the usual places)
    #[arg(long)]
    data: Option<PathBuf>,
    #[arg(long, default_value_t = 12)]
    epochs: usize,
    #[arg(long, default_value_t = 128)]
    batch_size: usize,
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Train on the first N training images only
    #[arg(long)]
    train_limit: Option<usize>,
    /// The judge file to write [default: pkg/judge/<dataset>.safetensors]
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    device: Backend,
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    latent_atlas::train::check_optimisation(a.epochs, a.batch_size, a.lr)?;
    if a.train_limit == Some(0) {
        return Err("--train-limit 0 leaves nothing to train on".into());
    }
    let mut data = load_dataset(&a.dataset, a.data.as_deref())?;
    if let Some(n) = a.train_limit {
        data.train = data.train.truncated(n);
    }
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("pkg/judge/{}.safetensors", a.dataset)));
    let inner = a.device.device()?;
    let device = inner.clone().autodiff();
    eprintln!(
        "training a judge on {} images of {}, held-out accuracy on its {} test images",
        data.train.len(),
        data.name,
        data.test.len()
    );
    let settings = JudgeTraining {
        epochs: a.epochs,
        batch_size: a.batch_size,
        learning_rate: a.lr,
        seed: a.seed,
    };
    let mut last = 0.0;
    let judge = train_judge(&data, &settings, &device, &inner, |e| {
        last = e.held_out_accuracy;
        eprintln!(
            "epoch {:>3}/{}  loss {:.4}  held-out accuracy {:.4}",
            e.epoch, a.epochs, e.loss, e.held_out_accuracy
        );
    });
    let manifest = JudgeManifest {
        dataset: data.name.clone(),
        class_names: data.class_names.clone(),
        image_side: data.test.side,
        test_accuracy: last,
        command: std::env::args()
            .enumerate()
            .map(|(i, s)| if i == 0 { "latent-atlas".into() } else { s })
            .collect::<Vec<_>>()
            .join(" "),
    };
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    latent_atlas::files::write_atomically(&out, &judge.to_bytes(&manifest))
        .map_err(|e| format!("{}: {e}", out.display()))?;
    println!(
        "wrote {} (test accuracy {:.4})",
        out.display(),
        manifest.test_accuracy
    );
    // A judge in a model folder's judge/ is listed in that folder's index.json (the page's
    // class guess for uploads).
    if let Some(models) = out
        .parent()
        .filter(|d| d.file_name().is_some_and(|n| n == "judge"))
        .and_then(Path::parent)
        .filter(|d| d.join("index.json").is_file())
    {
        latent_atlas::export::update_index(models, false)?;
    }
    Ok(ExitCode::SUCCESS)
}
