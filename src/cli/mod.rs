//! The commands, one file each: an `Args` struct (clap derive; its doc comment is the command's
//! help) and a `run`.

pub mod bench;
pub mod decode;
pub mod eval;
pub mod export;
pub mod index;
pub mod info;
pub mod judge;
pub mod train;
pub mod uploads;

use latent_atlas::bundle::Bundle;
use std::path::Path;

/// A model file, validated, or what is wrong with it.
pub fn read_bundle(path: &Path) -> Result<Bundle, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Bundle::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// `--draws` of `eval` and `export`: at least one z sample, and a bound that keeps an
/// evaluation to hours, not years.
pub fn check_draws(draws: usize) -> Result<(), String> {
    if draws == 0 || draws > 100_000 {
        return Err(format!("--draws {draws} is outside 1..=100000"));
    }
    Ok(())
}
