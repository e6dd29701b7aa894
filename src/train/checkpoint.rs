//! Checkpoints: model weights, Adam moments and loop position in one safetensors file, written
//! atomically (temp file, fsync, rename) so an interruption at any moment leaves the previous
//! checkpoint intact.

use super::adam::Adam;
use super::{EpochRecord, Position};
use crate::model::{NamedTensor, Vae, VaeConfig, load_params, named_params};
use crate::tensorfile::TensorFile;
use burn::prelude::*;
use std::path::Path;

pub const FILE: &str = "checkpoint.safetensors";

pub struct Checkpoint<H = EpochRecord> {
    pub model: Vae,
    pub adam: Adam,
    pub position: Position,
    pub history: Vec<H>,
}

pub fn save<H: serde::Serialize>(
    dir: &Path,
    model: &Vae,
    adam: &Adam,
    position: &Position,
    history: &[H],
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
    for t in named_params(model) {
        f.put_f32(format!("model.{}", t.name), t.shape, t.data);
    }
    adam.save(&mut f);
    write_atomically(&dir.join(FILE), &f.to_bytes())
}

pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Read a checkpoint onto the autodiff `device` (`inner` is its non-autodiff counterpart).
pub fn load<H: serde::de::DeserializeOwned>(
    dir: &Path,
    config: &VaeConfig,
    device: &Device,
    inner: &Device,
) -> Result<Checkpoint<H>, String> {
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
    let history: Vec<H> =
        serde_json::from_str(&json("history")?).map_err(|e| ctx(e.to_string()))?;
    let adam = Adam::load(&mut f, inner).map_err(ctx)?;
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
    let model = load_params(Vae::uninitialised(config, device), weights, device)
        .map_err(|e| ctx(e.to_string()))?;
    Ok(Checkpoint {
        model,
        adam,
        position,
        history,
    })
}
