//! The `latent-atlas` command line: one file per command under `src/cli/`.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cli;

#[derive(Parser)]
#[command(
    name = "latent-atlas",
    version,
    about = "Train variational autoencoders and explore their latent spaces"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model; writes config.json, metrics.jsonl and checkpoint.safetensors into --out
    Train(Box<cli::train::Args>),
    /// Evaluate a run directory or a model file: metrics table (or JSON) and plots
    Eval(cli::eval::Args),
    /// Package a run as a model file (weights + manifest + test-set codes) and list it in
    /// the folder's index.json
    Export(cli::export::Args),
    /// Rebuild a model folder's index.json: its models and judges, as the page lists them
    Index(cli::index::Args),
    /// Validate a model file and print its manifest
    Info(cli::info::Args),
    /// Decode latent points with a model file, as the page does (JSON bytes)
    Decode(cli::decode::Args),
    /// Train the judge classifier that `eval --judge` scores generative models with
    Judge(cli::judge::Args),
    /// How photo-like uploads land on a model's map compared with the images they were made from
    Uploads(cli::uploads::Args),
    /// Measure CPU throughput: training and decoding images/s, or where a step's time goes
    Bench(cli::bench::Args),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Train(a) => cli::train::run(*a),
        Command::Eval(a) => cli::eval::run(a),
        Command::Export(a) => cli::export::run(a),
        Command::Index(a) => cli::index::run(a),
        Command::Info(a) => cli::info::run(a),
        Command::Decode(a) => cli::decode::run(a),
        Command::Judge(a) => cli::judge::run(a),
        Command::Uploads(a) => cli::uploads::run(a),
        Command::Bench(a) => cli::bench::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
