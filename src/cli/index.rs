//! `latent-atlas index`: rebuild a model folder's index.json (its models and judges), also one
//! that is damaged (which `export` and `judge` refuse to replace); a single test-image file of
//! earlier versions is split into the per-part files the page reads.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The folder of model files (and judge/) to list
    #[arg(default_value = "pkg")]
    dir: PathBuf,
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    for dataset in latent_atlas::export::split_test_images(&a.dir)? {
        println!("split {dataset}'s test images into per-part files");
    }
    latent_atlas::export::update_index(&a.dir, true)?;
    println!("wrote {}", a.dir.join("index.json").display());
    Ok(ExitCode::SUCCESS)
}
