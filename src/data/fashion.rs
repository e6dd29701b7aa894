//! Fashion-MNIST from the four official IDX files, looked for in a fixed order so that a missing
//! dataset produces one message listing every place that was tried.

use super::idx::{self, IdxError};
use super::{Dataset, ImageSet};
use std::path::{Path, PathBuf};

pub const CLASS_NAMES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// The Debian package `dataset-fashion-mnist` installs the files here.
pub const DEBIAN_DIR: &str = "/usr/share/datasets/fashion-mnist";
pub const ENV_VAR: &str = "LATENT_ATLAS_DATA";

const FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

const HOW_TO_GET: &str = "Get the four files with `apt-get install dataset-fashion-mnist` (Debian) or from \
https://github.com/zalandoresearch/fashion-mnist (data/fashion/*.gz), then pass --data DIR or set LATENT_ATLAS_DATA=DIR.";

#[derive(Debug, thiserror::Error)]
pub enum FashionError {
    #[error("Fashion-MNIST not found. Looked in:\n{}\n{HOW_TO_GET}", .tried.iter().map(|t| format!("  - {t}")).collect::<Vec<_>>().join("\n"))]
    NotFound { tried: Vec<String> },
    #[error("{path}: {source}")]
    Malformed { path: PathBuf, source: IdxError },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{images} holds {n_images} images but {labels} holds {n_labels} labels")]
    CountMismatch {
        images: PathBuf,
        n_images: usize,
        labels: PathBuf,
        n_labels: usize,
    },
    #[error("{path}: label {label} at index {index} is not a class (0..=9)")]
    BadLabel {
        path: PathBuf,
        label: u8,
        index: usize,
    },
}

/// Directories to search, in order: an explicit one, then `$LATENT_ATLAS_DATA`, then Debian's.
pub fn search_dirs(explicit: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = explicit {
        dirs.push(d.to_path_buf());
    }
    if let Some(d) = std::env::var_os(ENV_VAR).filter(|v| !v.is_empty()) {
        dirs.push(PathBuf::from(d));
    }
    dirs.push(PathBuf::from(DEBIAN_DIR));
    dirs
}

/// The first directory holding all four files (gzipped or not), or every path that was tried.
fn locate(dirs: &[PathBuf]) -> Result<[PathBuf; 4], FashionError> {
    let mut tried = Vec::new();
    for dir in dirs {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for stem in FILES {
            let candidates = [dir.join(format!("{stem}.gz")), dir.join(stem)];
            match candidates.iter().find(|p| p.is_file()) {
                Some(p) => found.push(p.clone()),
                None => missing.push(format!("{stem}[.gz]")),
            }
        }
        if missing.is_empty() {
            return Ok(found.try_into().expect("four files"));
        }
        let why = if !dir.is_dir() {
            "directory does not exist".to_string()
        } else {
            format!("missing {}", missing.join(", "))
        };
        tried.push(format!("{} ({why})", dir.display()));
    }
    Err(FashionError::NotFound { tried })
}

/// The file's bytes, refusing (before reading) one larger than any IDX file can be.
fn read(path: &Path) -> Result<Vec<u8>, FashionError> {
    let io = |source| FashionError::Io {
        path: path.to_path_buf(),
        source,
    };
    if std::fs::metadata(path).map_err(io)?.len() > idx::MAX_IDX_BYTES as u64 {
        return Err(FashionError::Malformed {
            path: path.to_path_buf(),
            source: idx::IdxError::TooLarge {
                limit: idx::MAX_IDX_BYTES,
            },
        });
    }
    std::fs::read(path).map_err(io)
}

fn load_split(images: &Path, labels: &Path) -> Result<ImageSet, FashionError> {
    let imgs =
        idx::parse_images(&read(images)?, (28, 28)).map_err(|source| FashionError::Malformed {
            path: images.to_path_buf(),
            source,
        })?;
    let labs = idx::parse_labels(&read(labels)?).map_err(|source| FashionError::Malformed {
        path: labels.to_path_buf(),
        source,
    })?;
    if imgs.count != labs.len() {
        return Err(FashionError::CountMismatch {
            images: images.to_path_buf(),
            n_images: imgs.count,
            labels: labels.to_path_buf(),
            n_labels: labs.len(),
        });
    }
    if let Some((index, &label)) = labs
        .iter()
        .enumerate()
        .find(|(_, l)| **l as usize >= CLASS_NAMES.len())
    {
        return Err(FashionError::BadLabel {
            path: labels.to_path_buf(),
            label,
            index,
        });
    }
    Ok(ImageSet {
        side: 28,
        pixels: imgs.pixels,
        labels: labs,
    })
}

/// Load both splits, searching `explicit`, `$LATENT_ATLAS_DATA` and the Debian location in turn.
pub fn load(explicit: Option<&Path>) -> Result<Dataset, FashionError> {
    load_from(&search_dirs(explicit))
}

/// Load both splits from the first of `dirs` that holds all four files.
pub fn load_from(dirs: &[PathBuf]) -> Result<Dataset, FashionError> {
    let [tr_i, tr_l, te_i, te_l] = locate(dirs)?;
    let train = load_split(&tr_i, &tr_l)?;
    let test = load_split(&te_i, &te_l)?;
    Ok(Dataset {
        name: "fashion-mnist".into(),
        train,
        test,
        class_names: CLASS_NAMES.iter().map(|s| s.to_string()).collect(),
        source: tr_i
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    })
}
