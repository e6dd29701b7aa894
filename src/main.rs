//! The `latent-atlas` command line: train, eval, export, info, bench.

use burn::prelude::{Tensor, TensorData};
use clap::{Parser, Subcommand};
use latent_atlas::bundle::Bundle;
use latent_atlas::data::omniglot::{self, Split};
use latent_atlas::data::{Dataset, fashion};
use latent_atlas::device::Backend;
use latent_atlas::eval::split::{self, SplitOptions};
use latent_atlas::eval::{self, EvalOptions};
use latent_atlas::model::{Preset, VaeConfig};
use latent_atlas::train::{self, Outcome, Schedule, Stop, TrainConfig};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

// glibc returns large tensor buffers to the kernel after every op; mimalloc keeps them (~1.6x).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "cli/split.rs"]
mod split_cli;
use split_cli::{SplitArgs, eval_split};

static STOP: AtomicBool = AtomicBool::new(false);

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
    /// Train a model; writes config.json, metrics.jsonl and checkpoint.safetensors into --out.
    Train {
        #[arg(long, default_value = "fashion-mnist")]
        dataset: String,
        /// Directory with the dataset files (then $LATENT_ATLAS_DATA, then the Debian location).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Architecture preset: `keras` (the seed study's network) or `atlas` (wider dense layers).
        #[arg(long, default_value = "atlas")]
        arch: Preset,
        #[arg(long, default_value_t = 2)]
        latent_dim: usize,
        #[arg(long, default_value_t = 20)]
        epochs: usize,
        #[arg(long, default_value_t = 128)]
        batch_size: usize,
        #[arg(long, default_value_t = 1.0)]
        beta: f64,
        #[arg(long, default_value_t = 1e-3)]
        lr: f64,
        /// Learning-rate schedule: `constant` (Keras' default) or `cosine` decay to zero.
        #[arg(long, default_value = "cosine")]
        schedule: Schedule,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Train on the first N training images only.
        #[arg(long)]
        train_limit: Option<usize>,
        #[arg(long, default_value = "flex")]
        device: Backend,
        /// Run directory (default runs/<dataset>-<latent>d).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Continue the run in --out from its checkpoint, with its stored configuration.
        #[arg(long)]
        resume: bool,
        /// Stop (as Ctrl-C does) after this many optimiser steps in total.
        #[arg(long, hide = true)]
        stop_after_steps: Option<usize>,
        #[command(flatten)]
        split: SplitArgs,
    },
    /// Evaluate a run directory or a model file on the test set: metrics table, JSON and plots.
    Eval {
        target: PathBuf,
        #[arg(long)]
        data: Option<PathBuf>,
        /// Print the metrics as one JSON object (stable keys) instead of a table.
        #[arg(long)]
        json: bool,
        /// z samples per test image for the ELBO and IWAE estimates.
        #[arg(long, default_value_t = 16)]
        draws: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Where to write metrics.json and the PNGs (default: <run>/eval or <file stem>-eval).
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        no_plots: bool,
        #[arg(long, default_value = "flex")]
        device: Backend,
    },
    /// Package a run as a model file (safetensors + manifest + test-set encodings).
    Export {
        run: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Display name (default: the file stem).
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Validate a model file and print its manifest.
    Info { file: PathBuf },
    /// Decode latent points with a model file: JSON `{"side", "images": [[bytes...], ...]}`,
    /// rounded as the page rounds (the browser tests compare against this).
    Decode {
        file: PathBuf,
        /// One latent point, comma-separated; repeat for more.
        #[arg(long = "z", required = true, allow_hyphen_values = true)]
        points: Vec<String>,
        #[arg(long, default_value = "flex")]
        device: Backend,
    },
    /// CPU throughput: training images/s and decoder images/s (medians of timed windows).
    Bench {
        #[arg(long, default_value = "keras")]
        arch: Preset,
        #[arg(long, default_value_t = 2)]
        latent_dim: usize,
        #[arg(long, default_value_t = 128)]
        train_batch: usize,
        #[arg(long, default_value_t = 256)]
        decode_batch: usize,
        /// Total seconds for each of the two measurements.
        #[arg(long, default_value_t = 20.0)]
        seconds: f64,
        #[arg(long, default_value = "flex")]
        device: Backend,
        /// Instead: time each layer's forward and backward at --train-batch (where a step goes).
        #[arg(long)]
        ops: bool,
    },
}

fn load_dataset(name: &str, dir: Option<&Path>) -> Result<Dataset, String> {
    match name {
        "fashion-mnist" => fashion::load(dir).map_err(|e| e.to_string()),
        other => Err(format!(
            "unknown dataset '{other}' (available: fashion-mnist)"
        )),
    }
}

fn command_line() -> String {
    std::env::args()
        .enumerate()
        .map(|(i, a)| {
            if i == 0 {
                "latent-atlas".to_string()
            } else if a.contains(' ') {
                format!("'{a}'")
            } else {
                a
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Train {
            dataset,
            data,
            arch,
            latent_dim,
            epochs,
            batch_size,
            beta,
            lr,
            schedule,
            seed,
            train_limit,
            device,
            out,
            resume,
            stop_after_steps,
            split,
        } => {
            let omniglot = dataset == "omniglot";
            let mut architecture = VaeConfig::preset(arch, latent_dim);
            if omniglot {
                architecture.content_dim = Some(split.content_dim.ok_or(
                    "--dataset omniglot trains a content/style model: give --content-dim",
                )?);
            }
            let config = TrainConfig {
                dataset,
                architecture,
                epochs,
                batch_size,
                beta,
                learning_rate: lr,
                schedule,
                seed,
                train_limit,
                backend: device,
                command: command_line(),
                structured: omniglot.then(|| split.config()),
            };
            config.architecture.validate()?;
            let dir = out.unwrap_or_else(|| train::default_run_dir(&config));
            let stored = if resume {
                train::read_config(&dir)?
            } else {
                config.clone()
            };
            ctrlc::set_handler(|| {
                if STOP.swap(true, Ordering::SeqCst) {
                    std::process::exit(130); // second Ctrl-C: leave now
                }
                eprintln!("\ninterrupt: saving a checkpoint after this step (Ctrl-C again to quit at once)");
            })
            .map_err(|e| e.to_string())?;
            let stop = Stop {
                flag: &STOP,
                after_steps: stop_after_steps,
            };
            let fresh = (!resume).then_some(config);
            let outcome = if stored.dataset == "omniglot" {
                let dirs = omniglot::search_dirs(data.as_deref());
                let mut background =
                    omniglot::load(&dirs, Split::Background).map_err(|e| e.to_string())?;
                if let Some(n) = stored.train_limit {
                    background = background.truncated(n);
                }
                train::structured::run(&dir, fresh, &background, stop)?
            } else {
                let data = load_dataset(&stored.dataset, data.as_deref())?;
                train::run(&dir, fresh, &data, stop)?
            };
            match outcome {
                Outcome::Finished => {
                    eprintln!("done: {} (next: latent-atlas eval {0})", dir.display());
                    Ok(ExitCode::SUCCESS)
                }
                Outcome::Interrupted { epoch, batch } => {
                    eprintln!(
                        "stopped in epoch {} after batch {batch}; checkpoint saved. Continue with: latent-atlas train --resume --out {}",
                        epoch + 1,
                        dir.display()
                    );
                    Ok(ExitCode::from(130))
                }
            }
        }
        Command::Eval {
            target,
            data,
            json,
            draws,
            seed,
            out,
            no_plots,
            device,
        } => {
            let dev = device.device()?;
            let (model, dataset_name, default_out, content_dim) = if target.is_dir() {
                let (config, model, _) = train::load_trained::<serde_json::Value>(&target, &dev)?;
                let content_dim = config.architecture.content_dim;
                (model, config.dataset, target.join("eval"), content_dim)
            } else {
                let bytes =
                    std::fs::read(&target).map_err(|e| format!("{}: {e}", target.display()))?;
                let bundle =
                    Bundle::from_bytes(&bytes).map_err(|e| format!("{}: {e}", target.display()))?;
                let stem = target
                    .file_stem()
                    .map(|s| s.to_string_lossy().to_string())
                    .unwrap_or_default();
                (
                    bundle.model(&dev).map_err(|e| e.to_string())?,
                    bundle.manifest.dataset.name.clone(),
                    PathBuf::from(format!("{stem}-eval")),
                    bundle.manifest.architecture.content_dim,
                )
            };
            if let Some(content_dim) = content_dim {
                let out = out.unwrap_or(default_out);
                let opts = SplitOptions {
                    draws,
                    seed,
                    ..Default::default()
                };
                let target = target.display().to_string();
                return eval_split(
                    &model,
                    content_dim,
                    data.as_deref(),
                    &dev,
                    &out,
                    &opts,
                    json,
                    !no_plots,
                    &target,
                );
            }
            let data = load_dataset(&dataset_name, data.as_deref())?;
            let (metrics, enc) = eval::evaluate(
                &model,
                &data,
                &dev,
                &EvalOptions {
                    draws,
                    seed,
                    ..Default::default()
                },
            );
            let out = out.unwrap_or(default_out);
            std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
            let text = serde_json::to_string_pretty(&metrics).expect("metrics serialise");
            std::fs::write(out.join("metrics.json"), &text)
                .map_err(|e| format!("{}: {e}", out.display()))?;
            let plots = if no_plots {
                vec![]
            } else {
                eval::write_plots(&model, &data, &enc, &dev, &out, seed)
                    .map_err(|e| e.to_string())?
            };
            if json {
                println!(
                    "{}",
                    serde_json::to_string(&metrics).expect("metrics serialise")
                );
            } else {
                println!(
                    "{} on the {} test set ({} images):\n{}",
                    target.display(),
                    data.name,
                    metrics.test_examples,
                    eval::table(&metrics)
                );
                println!(
                    "wrote {} and {} plots in {}",
                    "metrics.json",
                    plots.len(),
                    out.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            run,
            out,
            name,
            data,
        } => {
            let config = train::read_config(&run)?;
            if config.architecture.content_dim.is_some() {
                let name = name.unwrap_or_else(|| {
                    out.file_stem()
                        .map(|s| s.to_string_lossy().to_string())
                        .unwrap_or_default()
                });
                let dirs = omniglot::search_dirs(data.as_deref());
                let dev = Backend::Flex.device()?;
                let metrics = latent_atlas::export::export_split(&run, &out, &name, &dirs, &dev)?;
                println!("wrote {}:\n{}", out.display(), split::table(&metrics));
                return Ok(ExitCode::SUCCESS);
            }
            let data = load_dataset(&config.dataset, data.as_deref())?;
            let name = name.unwrap_or_else(|| {
                out.file_stem()
                    .map(|s| s.to_string_lossy().to_string())
                    .unwrap_or_default()
            });
            let metrics =
                latent_atlas::export::export(&run, &out, &name, &data, &Backend::Flex.device()?)?;
            println!(
                "wrote {} (and {}):\n{}",
                out.display(),
                out.with_extension("json").display(),
                eval::table(&metrics)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Info { file } => {
            let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let bundle =
                Bundle::from_bytes(&bytes).map_err(|e| format!("{}: {e}", file.display()))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&bundle.manifest).expect("manifest serialises")
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Decode {
            file,
            points,
            device,
        } => {
            let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let bundle =
                Bundle::from_bytes(&bytes).map_err(|e| format!("{}: {e}", file.display()))?;
            let d = bundle.latent_dim();
            let mut z = Vec::with_capacity(points.len() * d);
            for p in &points {
                let v: Vec<f32> = p
                    .split(',')
                    .map(|t| t.trim().parse::<f32>())
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("--z {p}: {e}"))?;
                if v.len() != d || v.iter().any(|x| !x.is_finite()) {
                    return Err(format!("--z {p}: expected {d} finite numbers"));
                }
                z.extend(v);
            }
            let device = device.device()?;
            let model = bundle.model(&device).map_err(|e| e.to_string())?;
            let n = points.len();
            let pixels: Vec<f32> = model
                .decoder
                .forward(Tensor::<2>::from_data(TensorData::new(z, [n, d]), &device))
                .into_data()
                .try_into_vec::<f32>()
                .map_err(|e| format!("{e:?}"))?;
            let side = bundle.manifest.preprocessing.side;
            let images: Vec<Vec<u8>> = latent_atlas::explorer::to_grey_bytes(&pixels)
                .chunks(side * side)
                .map(<[u8]>::to_vec)
                .collect();
            println!("{}", serde_json::json!({ "side": side, "images": images }));
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            arch,
            latent_dim,
            train_batch,
            decode_batch,
            seconds,
            device,
            ops,
        } => {
            if ops {
                let t = latent_atlas::bench::profile_ops(
                    arch,
                    latent_dim,
                    train_batch,
                    10,
                    &device.device()?,
                );
                let total: f64 = t.iter().map(|o| o.forward_ms + o.backward_ms).sum();
                for o in &t {
                    let share = 100.0 * (o.forward_ms + o.backward_ms) / total;
                    println!(
                        "{:<48} forward {:>7.2} ms  backward {:>7.2} ms  {share:>5.1}%",
                        o.op, o.forward_ms, o.backward_ms
                    );
                }
                return Ok(ExitCode::SUCCESS);
            }
            let r = latent_atlas::bench::run(
                arch,
                latent_dim,
                train_batch,
                decode_batch,
                seconds,
                &device.device()?,
            );
            println!("{}", serde_json::to_string(&r).expect("bench serialises"));
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
