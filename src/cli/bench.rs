//! `latent-atlas bench`: CPU throughput, as medians of timed windows (paired against Keras by
//! `bench/paired.sh`), or where one training step's time goes, layer by layer.

use latent_atlas::device::Backend;
use latent_atlas::model::Preset;
use latent_atlas::model::conv::{self, Kernels};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value_t = Preset::Keras)]
    arch: Preset,
    #[arg(long, default_value_t = 2)]
    latent_dim: usize,
    #[arg(long, default_value_t = 128)]
    train_batch: usize,
    #[arg(long, default_value_t = 256)]
    decode_batch: usize,
    /// Total seconds for each of the two measurements
    #[arg(long, default_value_t = 20.0)]
    seconds: f64,
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    device: Backend,
    /// Instead: time each layer's forward and backward at --train-batch (where a step goes)
    #[arg(long)]
    ops: bool,
    /// Convolution kernels on the CPU
    #[arg(long, value_enum, default_value_t = Kernels::Own)]
    conv: Kernels,
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    let device = a.device.device()?;
    conv::select(a.conv);
    if a.ops {
        let t = latent_atlas::bench::profile_ops(a.arch, a.latent_dim, a.train_batch, 10, &device);
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
        a.arch,
        a.latent_dim,
        a.train_batch,
        a.decode_batch,
        a.seconds,
        &device,
    );
    println!("{}", serde_json::to_string(&r).expect("bench serialises"));
    Ok(ExitCode::SUCCESS)
}
