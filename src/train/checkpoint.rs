//! Checkpoints: the network's weights, every optimiser's moments, the loop's position and the
//! epoch history in one safetensors file, written atomically (temp file, fsync, rename) so an
//! interruption at any moment leaves the previous checkpoint intact.

use super::adam::Optimisers;
use super::records::{EpochRecord, Position};
use crate::files::write_atomically;
use crate::model::{NamedTensor, load_params, named_params};
use crate::objective::ParamSet;
use crate::tensorfile::TensorFile;
use burn::module::Module;
use burn::prelude::*;
use std::path::Path;

pub const FILE: &str = "checkpoint.safetensors";

pub struct Checkpoint<M> {
    pub net: M,
    pub optimisers: Optimisers,
    pub position: Position,
    pub history: Vec<EpochRecord>,
}

pub fn save<M: Module>(
    dir: &Path,
    net: &M,
    optimisers: &Optimisers,
    position: &Position,
    history: &[EpochRecord],
) -> std::io::Result<()> {
    let mut f = TensorFile::default();
    f.metadata.insert(
        "position".into(),
        serde_json::to_string(position).expect("position serialises"),
    );
    f.metadata.insert(
        "history".into(),
        serde_json::to_string(history).expect("history serialises"),
    );
    for t in named_params(net) {
        f.put_f32(format!("model.{}", t.name), t.shape, t.data);
    }
    optimisers.save(&mut f);
    write_atomically(&dir.join(FILE), &f.to_bytes())
}

/// Read a checkpoint into `skeleton` (the network's structure) on the autodiff `device`; the
/// optimisers' moments go to `inner`, its non-autodiff counterpart.
pub fn load<M: Module>(
    dir: &Path,
    skeleton: M,
    sets: &[ParamSet],
    device: &Device,
    inner: &Device,
) -> Result<Checkpoint<M>, String> {
    let path = dir.join(FILE);
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let ctx = |e: String| format!("{}: {e}", path.display());
    let mut f = TensorFile::from_bytes(&bytes).map_err(ctx)?;
    let json = |key: &str| {
        f.metadata
            .get(key)
            .cloned()
            .ok_or_else(|| ctx(format!("missing '{key}' metadata")))
    };
    let position: Position =
        serde_json::from_str(&json("position")?).map_err(|e| ctx(e.to_string()))?;
    let history: Vec<EpochRecord> =
        serde_json::from_str(&json("history")?).map_err(|e| ctx(e.to_string()))?;
    let optimisers = Optimisers::load(&mut f, sets, inner).map_err(ctx)?;
    let names: Vec<String> = f
        .entries
        .keys()
        .filter(|k| k.starts_with("model."))
        .cloned()
        .collect();
    let mut weights = Vec::new();
    for name in names {
        let (shape, data) = f.take_f32(&name).map_err(ctx)?;
        weights.push(NamedTensor {
            name: name["model.".len()..].to_string(),
            shape,
            data,
        });
    }
    let net = load_params(skeleton, weights, device).map_err(|e| ctx(e.to_string()))?;
    Ok(Checkpoint {
        net,
        optimisers,
        position,
        history,
    })
}
