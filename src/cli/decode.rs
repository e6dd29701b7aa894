//! `latent-atlas decode`: latent points to images with a model file, rounded as the page rounds
//! them (the browser tests compare the page's pixels against this).

use burn::prelude::{Tensor, TensorData};
use latent_atlas::device::Backend;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// A model file (from `export`)
    file: PathBuf,
    /// One latent point, comma-separated (a conditional model's: the code, then the label's
    /// one-hot or blend); repeat for more
    #[arg(long = "z", required = true, allow_hyphen_values = true)]
    points: Vec<String>,
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    device: Backend,
}

/// Prints `{"side": s, "images": [[bytes...], ...]}`.
pub fn run(a: Args) -> Result<ExitCode, String> {
    let bundle = super::read_bundle(&a.file)?;
    let d = bundle.code_dim();
    let mut z = Vec::with_capacity(a.points.len() * d);
    for p in &a.points {
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
    let device = a.device.device()?;
    let model = bundle.model(&device).map_err(|e| e.to_string())?;
    let n = a.points.len();
    let logits: Vec<f32> = model
        .decoder
        .forward_logits(Tensor::<2>::from_data(TensorData::new(z, [n, d]), &device))
        .into_data()
        .try_into_vec::<f32>()
        .map_err(|e| format!("{e:?}"))?;
    let side = bundle.manifest.preprocessing.side;
    let images: Vec<Vec<u8>> = latent_atlas::explorer::logits_to_grey_bytes(&logits)
        .chunks(side * side)
        .map(<[u8]>::to_vec)
        .collect();
    println!("{}", serde_json::json!({ "side": side, "images": images }));
    Ok(ExitCode::SUCCESS)
}
