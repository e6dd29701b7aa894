//! Writing files so that an interruption at any moment leaves either the old file or the new
//! one, never a torn mix: checkpoints, run records, model files and the model index use it.

use std::io::Write;
use std::path::Path;

/// Write `bytes` to a temporary file beside `path`, flush it to disk, then rename it over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}
