//! `latent-atlas eval`: evaluate a run directory or a model file as its kind is evaluated,
//! print a table (or the JSON) and write `metrics.json` and the plots.

use latent_atlas::device::Backend;
use latent_atlas::eval::report::{self, Options};
use latent_atlas::train;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// A run directory (from `train`) or a model file (from `export`)
    target: PathBuf,
    /// Directory with the dataset files (else the usual places)
    #[arg(long)]
    data: Option<PathBuf>,
    /// Print the metrics as one JSON object (stable keys) instead of a table
    #[arg(long)]
    json: bool,
    /// z samples per test image for the ELBO and IWAE estimates
    #[arg(long, default_value_t = 16)]
    draws: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Where to write metrics.json and the PNGs [default: <run>/eval or <file stem>-eval]
    #[arg(long)]
    out: Option<PathBuf>,
    /// Skip the plots
    #[arg(long)]
    no_plots: bool,
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    device: Backend,
    /// Score the test images binarized once with a fixed seed (the literature's binarized
    /// likelihoods); a model trained with --binarize is always scored so
    #[arg(long)]
    binarized: bool,
    /// Score only the first N test images (e.g. a long --draws estimate on a subset)
    #[arg(long)]
    test_limit: Option<usize>,
    /// Only the validation measures: of a content-style run, on the background alphabets it held
    /// out (--validation-alphabets); of an image run trained with --train-limit N, on the
    /// training images after the first N. Choose settings on these without the test's numbers
    /// in view; writes nothing
    #[arg(long, conflicts_with_all = ["judge", "out", "binarized", "test_limit"])]
    validation_only: bool,
    /// A judge classifier file (from `latent-atlas judge`): add the Fréchet distance, the
    /// judged classes of samples and a conditional model's conditional accuracy
    #[arg(long)]
    judge: Option<PathBuf>,
    /// Of a model file: write these metrics into it (its manifest, sidecar and the index), for
    /// when the evaluation has changed since it was exported. Weights, test codes and training
    /// record stay; --draws, --seed and --judge must be the ones its metrics were made with
    #[arg(long, conflicts_with_all = ["out", "binarized", "test_limit", "validation_only"])]
    record: bool,
}

/// `--record`: the evaluation must be the one the file's metrics came from, bar the code that
/// computes it (same draws, seed and judge), so that the new numbers replace like with like.
fn check_record(a: &Args, recorded: Option<&serde_json::Value>) -> Result<(), String> {
    let recorded = recorded.ok_or("--record: the file records no metrics to replace")?;
    for (key, flag, given) in [
        ("draws", "--draws", a.draws as u64),
        ("seed", "--seed", a.seed),
    ] {
        if let Some(was) = recorded.get(key).and_then(|v| v.as_u64())
            && was != given
        {
            return Err(format!(
                "--record: the file's metrics were made with {key} {was}; pass {flag} {was}"
            ));
        }
    }
    if recorded.get("judge").is_some() && a.judge.is_none() {
        return Err(
            "--record: the file's metrics include the judge's; pass --judge with its file".into(),
        );
    }
    Ok(())
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    let device = a.device.device()?;
    if a.record && a.target.is_dir() {
        return Err("--record writes into a model file; a run directory is packaged by `latent-atlas export`".into());
    }
    let (model, objective, architecture, dataset, binarized, train_limit, default_out) =
        if a.target.is_dir() {
            let (config, model, _) = train::load_trained(&a.target, &device)?;
            let out = a.target.join("eval");
            (
                model,
                config.objective,
                config.architecture,
                config.dataset,
                config.binarize,
                config.train_limit,
                out,
            )
        } else {
            let bundle = super::read_bundle(&a.target)?;
            if a.record {
                check_record(&a, bundle.manifest.metrics.as_ref())?;
            }
            let stem = a
                .target
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            let m = bundle.manifest.clone();
            (
                bundle.model(&device).map_err(|e| e.to_string())?,
                m.training.objective,
                m.architecture,
                m.dataset.name,
                m.training.binarize,
                Some(m.training.train_examples),
                PathBuf::from(format!("{stem}-eval")),
            )
        };
    let opts = Options {
        draws: a.draws,
        seed: a.seed,
        binarized: a.binarized || binarized,
        test_limit: a.test_limit,
    };
    super::check_draws(a.draws)?;
    if a.test_limit == Some(0) {
        return Err("--test-limit 0 leaves nothing to score".into());
    }
    if a.validation_only {
        let run = report::Trained {
            objective: &objective,
            architecture: &architecture,
            dataset: &dataset,
            train_limit,
            binarize: binarized,
        };
        let v = report::validate_only(&model, run, a.data.as_deref(), &device, a.seed)?;
        if a.json {
            println!("{}", v.json());
        } else {
            print!("{}", v.table(&a.target.display().to_string()));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut report = report::evaluate(
        &model,
        &objective,
        &architecture,
        &dataset,
        a.data.as_deref(),
        &device,
        opts,
    )?;
    if let Some(judge) = &a.judge {
        report.add_judge(&model, judge, &device, a.seed)?;
    }
    if a.record {
        latent_atlas::export::record_metrics(&a.target, &report)?;
        println!(
            "recorded the metrics in {} (and {}):\n{}",
            a.target.display(),
            a.target.with_extension("json").display(),
            report.table()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let out = a.out.unwrap_or(default_out);
    let io = |e: std::io::Error| format!("{}: {e}", out.display());
    std::fs::create_dir_all(&out).map_err(io)?;
    let metrics = report.metrics_json();
    let text = serde_json::to_string_pretty(&metrics).expect("metrics serialise");
    std::fs::write(out.join("metrics.json"), &text).map_err(io)?;
    let plots = if a.no_plots {
        vec![]
    } else {
        report
            .write_plots(&model, &device, &out, a.seed)
            .map_err(io)?
    };
    if a.json {
        println!("{metrics}");
    } else {
        println!(
            "{}\n{}",
            report.heading(&a.target.display().to_string()),
            report.table()
        );
        println!(
            "wrote metrics.json and {} plots in {}",
            plots.len(),
            out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
