//! `latent-atlas info`: validate a model file and print its manifest.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// A model file (from `export`)
    file: PathBuf,
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    let bundle = super::read_bundle(&a.file)?;
    println!(
        "{}",
        serde_json::to_string_pretty(&bundle.manifest).expect("manifest serialises")
    );
    Ok(ExitCode::SUCCESS)
}
