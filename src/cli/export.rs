//! `latent-atlas export`: a run as a model file, evaluated, beside the folder's index.json.

use latent_atlas::bundle::Precision;
use latent_atlas::device::Backend;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The run directory (from `train`)
    run: PathBuf,
    /// The model file to write, e.g. pkg/my-model.safetensors
    #[arg(long)]
    out: PathBuf,
    /// Display name [default: the file stem]
    #[arg(long)]
    name: Option<String>,
    /// Directory with the dataset files (else the usual places)
    #[arg(long)]
    data: Option<PathBuf>,
    /// A judge classifier file (from `latent-atlas judge`): add its measures to the metrics
    #[arg(long)]
    judge: Option<PathBuf>,
    /// z samples per test image for the recorded ELBO and IWAE estimates
    #[arg(long, default_value_t = 16)]
    draws: usize,
    /// How the file stores weights and test-set codes: f16 halves the page's download (the
    /// weights are rounded first, and the metrics are the rounded model's)
    #[arg(long, value_enum, default_value_t = Precision::F32)]
    weights: Precision,
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    super::check_draws(a.draws)?;
    let name = a.name.unwrap_or_else(|| {
        a.out
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default()
    });
    let device = Backend::Flex.device()?;
    let options = latent_atlas::export::Options {
        name: &name,
        data_dir: a.data.as_deref(),
        judge: a.judge.as_deref(),
        draws: a.draws,
        weights: a.weights,
    };
    let report = latent_atlas::export::export(&a.run, &a.out, &options, &device)?;
    println!(
        "wrote {} (and {}):\n{}",
        a.out.display(),
        a.out.with_extension("json").display(),
        report.table()
    );
    Ok(ExitCode::SUCCESS)
}
