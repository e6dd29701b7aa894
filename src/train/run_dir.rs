//! The run directory: `config.json` (everything that determines the run), `metrics.jsonl` (one
//! record per finished epoch) and the checkpoint beside them.

use super::TrainConfig;
use super::checkpoint;
use super::records::EpochRecord;
use crate::files::write_atomically;
use std::path::Path;

pub const CONFIG_FILE: &str = "config.json";
pub const METRICS_FILE: &str = "metrics.jsonl";

pub fn read_config(dir: &Path) -> Result<TrainConfig, String> {
    let path = dir.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e} (is this a run directory?)", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn write_metrics(dir: &Path, history: &[EpochRecord]) -> std::io::Result<()> {
    let lines: String = history
        .iter()
        .map(|r| serde_json::to_string(r).expect("record serialises") + "\n")
        .collect();
    write_atomically(&dir.join(METRICS_FILE), lines.as_bytes())
}

/// Replaces the stored configuration (a resumed run that moved to another device).
pub fn write_config(dir: &Path, config: &TrainConfig) -> Result<(), String> {
    let text = serde_json::to_string_pretty(config).expect("config serialises");
    write_atomically(&dir.join(CONFIG_FILE), text.as_bytes())
        .map_err(|e| format!("{}: {e}", dir.display()))
}

/// The configuration of the run in `dir`: a fresh one is written there (refusing to overwrite a
/// run), `None` reads the stored one to resume.
pub fn open_run(dir: &Path, fresh: Option<TrainConfig>) -> Result<TrainConfig, String> {
    let io = |e: std::io::Error| format!("{}: {e}", dir.display());
    match fresh {
        Some(config) => {
            if dir.join(checkpoint::FILE).exists() {
                return Err(format!(
                    "{} already holds a run; pass --resume to continue it or choose another --out",
                    dir.display()
                ));
            }
            // A run stopped before its first checkpoint leaves only its config: a different
            // one is not replaced silently (resuming starts that run from its config).
            let text = serde_json::to_string_pretty(&config).expect("config serialises");
            if dir.join(CONFIG_FILE).exists() {
                let stored = read_config(dir)
                    .map(|c| serde_json::to_string_pretty(&c).expect("config serialises"))
                    .map_err(|e| format!("{e}; it is not replaced: choose another --out"))?;
                if stored != text {
                    return Err(format!(
                        "{} holds the config.json of another run that has no checkpoint yet; pass --resume to start that run, or choose another --out (or remove the folder)",
                        dir.display()
                    ));
                }
            }
            std::fs::create_dir_all(dir).map_err(io)?;
            write_atomically(&dir.join(CONFIG_FILE), text.as_bytes()).map_err(io)?;
            Ok(config)
        }
        None => read_config(dir),
    }
}
