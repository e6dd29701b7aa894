//! The CLI's content/style (Omniglot) parts: training flags and the `eval` report.

use burn::prelude::Device;
use latent_atlas::data::omniglot::{self, Split};
use latent_atlas::eval::split::{self, SplitOptions};
use latent_atlas::model::Vae;
use latent_atlas::objective::MmdKernel;
use latent_atlas::objective::structured::{Regulariser, StructuredConfig};
use std::path::Path;
use std::process::ExitCode;

/// Content/style models (`--dataset omniglot`); see README "Omniglot: content and style".
#[derive(clap::Args)]
pub struct SplitArgs {
    /// The first N latent dimensions are content, the rest style (required for omniglot).
    #[arg(long)]
    pub content_dim: Option<usize>,
    /// Drawings of one character per group; a group shares one content code.
    #[arg(long, default_value_t = 4)]
    group_size: usize,
    /// Content regulariser: kl, mmd or both.
    #[arg(long, default_value = "mmd")]
    content_reg: Regulariser,
    /// KL weight on content (when its regulariser includes KL).
    #[arg(long, default_value_t = 1.0)]
    content_beta: f64,
    /// KL weight on style (when its regulariser includes KL).
    #[arg(long, default_value_t = 1.0)]
    style_beta: f64,
    /// Style regulariser: kl, mmd or both.
    #[arg(long, default_value = "both")]
    style_reg: Regulariser,
    #[arg(long, default_value_t = 100.0)]
    mmd_weight: f64,
    /// MMD kernel: imq or rbf (bandwidth 2 x dimension, see objective.rs).
    #[arg(long, default_value = "imq")]
    kernel: MmdKernel,
    /// Weight of the prototype term on content means (0 turns it off).
    #[arg(long, default_value_t = 20.0)]
    proto_weight: f64,
    /// Random shift of each training drawing, in pixels.
    #[arg(long, default_value_t = 2)]
    max_shift: usize,
}

impl SplitArgs {
    pub fn config(&self) -> StructuredConfig {
        StructuredConfig {
            per_group: self.group_size,
            content_reg: self.content_reg,
            style_reg: self.style_reg,
            content_beta: self.content_beta,
            style_beta: self.style_beta,
            mmd_weight: self.mmd_weight,
            kernel: self.kernel,
            proto_weight: self.proto_weight,
            max_shift: self.max_shift,
        }
    }
}

/// `eval` for a content/style model: Omniglot's evaluation split and one-shot runs.
#[allow(clippy::too_many_arguments)]
pub fn eval_split(
    model: &Vae,
    content_dim: usize,
    data: Option<&Path>,
    dev: &Device,
    out: &Path,
    opts: &SplitOptions,
    json: bool,
    plots: bool,
    target: &str,
) -> Result<ExitCode, String> {
    let dirs = omniglot::search_dirs(data);
    let evaluation = omniglot::load(&dirs, Split::Evaluation).map_err(|e| e.to_string())?;
    let runs = omniglot::load_one_shot_runs_from(&dirs).map_err(|e| e.to_string())?;
    let ev = split::evaluate(model, content_dim, &evaluation, &runs, dev, opts);
    let io = |e: std::io::Error| format!("{}: {e}", out.display());
    std::fs::create_dir_all(out).map_err(io)?;
    let text = serde_json::to_string_pretty(&ev.metrics).expect("metrics serialise");
    std::fs::write(out.join("metrics.json"), &text).map_err(io)?;
    let written = if plots {
        split::plots::write_plots(model, content_dim, &evaluation, &ev, dev, out, opts.seed)
            .map_err(io)?
    } else {
        vec![]
    };
    if json {
        println!(
            "{}",
            serde_json::to_string(&ev.metrics).expect("metrics serialise")
        );
    } else {
        println!(
            "{target} on Omniglot's {} evaluation alphabets ({} drawings, never seen in training) and the 20 one-shot runs:\n{}",
            ev.metrics.alphabets,
            ev.metrics.test_examples,
            split::table(&ev.metrics)
        );
        println!(
            "wrote metrics.json and {} plots in {}",
            written.len(),
            out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
