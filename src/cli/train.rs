//! `latent-atlas train`: build the run's configuration from flags (or read it to resume), load
//! the training set, and hand both to the one training loop.

use latent_atlas::data::load_train_set;
use latent_atlas::device::Backend;
use latent_atlas::model::conv::{self, Kernels};
use latent_atlas::model::{Preset, Prior, VaeConfig};
use latent_atlas::objective::aae::Aae;
use latent_atlas::objective::content_style::{ContentStyle, Regulariser};
use latent_atlas::objective::gaussian_vae::GaussianVae;
use latent_atlas::objective::{MmdKernel, Objective};
use latent_atlas::train::{self, Outcome, Schedule, Stop, TrainConfig};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

/// The model kinds `--kind` accepts (their settings are the flags below).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KindName {
    /// reconstruction + β·KL, one latent code (the Fashion-MNIST study)
    GaussianVae,
    /// separate content and style codes learned from groups of drawings (the Omniglot study)
    ContentStyle,
    /// adversarial autoencoder: a discriminator matches the codes to --prior
    Aae,
}

/// The priors `--prior` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PriorName {
    /// N(0, I)
    Gaussian,
    /// --components Gaussians on a circle of --radius, sd --spread
    Mixture,
    /// a one-hot category of --components classes, the rest N(0, I) style
    Categorical,
}

#[derive(clap::Args)]
// Negative numbers are values (refused by range checks that name the limit), not flags.
#[command(allow_negative_numbers = true)]
pub struct Args {
    /// Dataset: fashion-mnist or omniglot (its background alphabets)
    #[arg(long, default_value = "fashion-mnist")]
    dataset: String,
    /// Directory with the dataset files (else $LATENT_ATLAS_DATA / $LATENT_ATLAS_OMNIGLOT, then
    /// the usual places)
    #[arg(long)]
    data: Option<PathBuf>,
    /// Model kind [default: content-style for omniglot, else gaussian-vae]
    #[arg(long, value_enum)]
    kind: Option<KindName>,
    /// Architecture preset
    #[arg(long, value_enum, default_value_t = Preset::Atlas)]
    arch: Preset,
    /// Size of the latent code
    #[arg(long, default_value_t = 2)]
    latent_dim: usize,
    /// Passes over the training set
    #[arg(long, default_value_t = 20)]
    epochs: usize,
    /// Images per optimiser step
    #[arg(long, default_value_t = 128)]
    batch_size: usize,
    /// Weight of the KL term (gaussian-vae)
    #[arg(long, default_value_t = 1.0)]
    beta: f64,
    /// A conditional VAE: both networks read each image's class label (one-hot), so samples
    /// can be drawn for a chosen class (gaussian-vae)
    #[arg(long)]
    conditional: bool,
    /// With --conditional: the decoder reads the label at every layer (one-hot planes beside
    /// each transposed convolution's input), not only at its first
    #[arg(long, requires = "conditional")]
    label_every_layer: bool,
    /// Learning rate of Adam
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// Learning-rate schedule
    #[arg(long, value_enum, default_value_t = Schedule::Cosine)]
    schedule: Schedule,
    /// Seed of the initial weights, the shuffles and the noise (same seed, same model)
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Train on the first N training images only
    #[arg(long)]
    train_limit: Option<usize>,
    /// Score only the first N held-out images after each epoch [default: all]
    #[arg(long)]
    test_limit: Option<usize>,
    /// Train on dynamically binarized images (each pixel drawn as 0 or 1 with its grey level as
    /// the probability, afresh every batch): the literature's binarized Fashion-MNIST
    #[arg(long)]
    binarize: bool,
    /// Where to train [default: flex; with --resume: where the run trained last]. A resumed run
    /// may move between devices
    #[arg(long, value_enum)]
    device: Option<Backend>,
    /// Run directory [default: runs/<dataset>-<latent>d]
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue the run in --out from its checkpoint, with its stored configuration
    #[arg(long)]
    resume: bool,
    /// Stop (as Ctrl-C does) after this many optimiser steps in total
    #[arg(long, hide = true)]
    stop_after_steps: Option<usize>,
    /// Convolution kernels on the CPU (the results agree within float rounding)
    #[arg(long, value_enum, default_value_t = Kernels::Own)]
    conv: Kernels,
    #[command(flatten)]
    content_style: ContentStyleArgs,
    #[command(flatten)]
    aae: AaeArgs,
}

/// Settings of the adversarial autoencoder (`--kind aae`); the critic flags also serve a
/// content-style model's adversarial parts.
#[derive(clap::Args)]
#[command(next_help_heading = "Adversarial autoencoders (and adversarial content/style parts)")]
struct AaeArgs {
    /// The prior codes are matched to (and samples drawn from)
    #[arg(long, value_enum, default_value_t = PriorName::Gaussian)]
    prior: PriorName,
    /// Mixture components or categories
    #[arg(long, default_value_t = 10)]
    components: usize,
    /// Radius of the circle the mixture's means sit on
    #[arg(long, default_value_t = 4.0)]
    radius: f64,
    /// Standard deviation of each mixture component
    #[arg(long, default_value_t = 0.5)]
    spread: f64,
    /// Learning rate of the discriminators' phase, times --lr
    #[arg(long, default_value_t = 0.2)]
    discriminator_lr: f64,
    /// Learning rate of the encoder's phase against the discriminators, times --lr
    #[arg(long, default_value_t = 1.0)]
    generator_lr: f64,
    /// Units in each of a discriminator's two hidden layers
    #[arg(long, default_value_t = 512)]
    critic_width: usize,
    /// Show the discriminator each image's class and match it to that class's mixture component
    #[arg(long)]
    class_prior: bool,
    /// Weight of the term that keeps a categorical code using all its categories
    /// [default: 5 for --prior categorical]
    #[arg(long)]
    balance: Option<f64>,
}

impl AaeArgs {
    fn prior(&self) -> Prior {
        match self.prior {
            PriorName::Gaussian => Prior::Gaussian,
            PriorName::Mixture => Prior::Mixture {
                components: self.components,
                radius: self.radius,
                spread: self.spread,
            },
            PriorName::Categorical => Prior::Categorical {
                classes: self.components,
            },
        }
    }

    fn settings(&self) -> Aae {
        Aae {
            discriminator_lr: self.discriminator_lr,
            generator_lr: self.generator_lr,
            critic_width: self.critic_width,
            class_prior: self.class_prior,
            balance: self.balance.unwrap_or(match self.prior {
                PriorName::Categorical => 5.0,
                _ => 0.0,
            }),
        }
    }
}

/// Settings of the content-style kind; see README "Omniglot: content and style".
#[derive(clap::Args)]
#[command(next_help_heading = "Content-style models")]
struct ContentStyleArgs {
    /// The first N latent dimensions are content, the rest style (required for content-style)
    #[arg(long)]
    content_dim: Option<usize>,
    /// Drawings of one character per group; a group shares one content code
    #[arg(long, default_value_t = 4)]
    group_size: usize,
    /// Regulariser of the content code
    #[arg(long, value_enum, default_value_t = Regulariser::Mmd)]
    content_reg: Regulariser,
    /// Regulariser of the style code
    #[arg(long, value_enum, default_value_t = Regulariser::Both)]
    style_reg: Regulariser,
    /// KL weight on content (when its regulariser includes KL)
    #[arg(long, default_value_t = 1.0)]
    content_beta: f64,
    /// KL weight on style (when its regulariser includes KL)
    #[arg(long, default_value_t = 1.0)]
    style_beta: f64,
    /// Weight of MMD² (where a regulariser includes it)
    #[arg(long, default_value_t = 100.0)]
    mmd_weight: f64,
    /// MMD kernel (bandwidth 2 x the part's dimension)
    #[arg(long, value_enum, default_value_t = MmdKernel::Imq)]
    kernel: MmdKernel,
    /// Weight of the prototype term on content means (0 turns it off)
    #[arg(long, default_value_t = 20.0)]
    proto_weight: f64,
    /// The prototype term's logits are minus this times the squared distance: above 1 the
    /// softmax sharpens onto the nearest wrong prototypes, below 1 it pulls against all of them
    #[arg(long, default_value_t = 1.0)]
    proto_scale: f64,
    /// Weight of the cluster term: within-character scatter of content means over the batch's
    /// (0 = logged only)
    #[arg(long, default_value_t = 0.0)]
    cluster_weight: f64,
    /// Random shift of each training drawing, in pixels
    #[arg(long, default_value_t = 2)]
    max_shift: usize,
    /// Share of training drawings cropped to their ink and scaled as the page prepares a
    /// person's drawing (0 = none)
    #[arg(long, default_value_t = 0.0)]
    page_crops: f64,
    /// Hold the first N of the fixed validation alphabets out of training; `eval` then reports
    /// one-shot error and clustering on them (choose settings there, not on the test alphabets)
    #[arg(long, default_value_t = 0)]
    validation_alphabets: usize,
    /// Also train on every character turned by 90°, 180° and 270°, each turn a new character
    /// (four times the images per epoch)
    #[arg(long)]
    quarter_turns: bool,
    /// Random turn of each training drawing, up to this many degrees either way (0 = none)
    #[arg(long, default_value_t = 0.0)]
    max_turn: f64,
    /// Random scaling of each training drawing, up to this share either way (0 = none)
    #[arg(long, default_value_t = 0.0)]
    max_scale: f64,
    /// Fill each batch with characters of as few alphabets as possible (the prototype term then
    /// tells a script's characters apart, as its one-shot episodes must)
    #[arg(long)]
    alphabet_batches: bool,
}

impl ContentStyleArgs {
    /// The settings; an adversarial part's critics take the `aae` flags.
    fn settings(&self, aae: &AaeArgs) -> ContentStyle {
        ContentStyle {
            per_group: self.group_size,
            content_reg: self.content_reg,
            style_reg: self.style_reg,
            content_beta: self.content_beta,
            style_beta: self.style_beta,
            mmd_weight: self.mmd_weight,
            kernel: self.kernel,
            proto_weight: self.proto_weight,
            proto_scale: self.proto_scale,
            cluster_weight: self.cluster_weight,
            max_shift: self.max_shift,
            page_crops: self.page_crops,
            critic_width: aae.critic_width,
            discriminator_lr: aae.discriminator_lr,
            generator_lr: aae.generator_lr,
            validation_alphabets: self.validation_alphabets,
            quarter_turns: self.quarter_turns,
            max_turn: self.max_turn,
            max_scale: self.max_scale,
            alphabet_batches: self.alphabet_batches,
        }
    }
}

/// The command line that started the run, for the model file's provenance.
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

impl Args {
    /// The run's configuration; `classes` is the number of label classes of the training data.
    fn config(&self, classes: usize) -> Result<TrainConfig, String> {
        let kind = self.kind.unwrap_or(if self.dataset == "omniglot" {
            KindName::ContentStyle
        } else {
            KindName::GaussianVae
        });
        if kind != KindName::Aae && self.aae.prior != PriorName::Gaussian {
            return Err("--prior applies to --kind aae (a VAE's prior is N(0, I))".into());
        }
        let mut architecture = VaeConfig::preset(self.arch, self.latent_dim);
        if self.conditional {
            if kind != KindName::GaussianVae {
                return Err("--conditional trains a conditional VAE (--kind gaussian-vae)".into());
            }
            architecture.conditional = Some(classes);
            architecture.label_every_layer = self.label_every_layer;
        }
        let objective = match kind {
            KindName::GaussianVae => Objective::GaussianVae(GaussianVae { beta: self.beta }),
            KindName::ContentStyle => {
                architecture.content_dim = Some(self.content_style.content_dim.ok_or(
                    "a content-style model (the kind omniglot trains) needs --content-dim",
                )?);
                Objective::ContentStyle(self.content_style.settings(&self.aae))
            }
            KindName::Aae => {
                architecture.prior = self.aae.prior();
                Objective::Aae(self.aae.settings())
            }
        };
        Ok(TrainConfig {
            dataset: self.dataset.clone(),
            architecture,
            objective,
            epochs: self.epochs,
            batch_size: self.batch_size,
            learning_rate: self.lr,
            schedule: self.schedule,
            seed: self.seed,
            train_limit: self.train_limit,
            test_limit: self.test_limit,
            binarize: self.binarize,
            backend: self.device.unwrap_or(Backend::Flex),
            command: command_line(),
        })
    }
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    conv::select(args.conv);
    let (fresh, dir, data) = if args.resume {
        let dir = args.out.clone().unwrap_or_else(|| {
            PathBuf::from(format!("runs/{}-{}d", args.dataset, args.latent_dim))
        });
        let dataset = train::read_config(&dir)?.dataset;
        let data = load_train_set(&dataset, args.data.as_deref())?;
        (None, dir, data)
    } else {
        // Flags are checked before the data is read, so a bad flag fails fast (with any valid
        // class count: a conditional model's real count comes from the data, checked again).
        args.config(2)?.check()?;
        let data = load_train_set(&args.dataset, args.data.as_deref())?;
        let config = args.config(data.class_names.len())?;
        config.check()?;
        let dir = args
            .out
            .clone()
            .unwrap_or_else(|| train::default_run_dir(&config));
        (Some(config), dir, data)
    };
    ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            std::process::exit(130); // second Ctrl-C: leave now
        }
        eprintln!(
            "\ninterrupt: saving a checkpoint after this step (Ctrl-C again to quit at once)"
        );
    })
    .map_err(|e| e.to_string())?;
    let stop = Stop {
        flag: &STOP,
        after_steps: args.stop_after_steps,
    };
    match train::run(&dir, fresh, args.device, data, stop)? {
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
