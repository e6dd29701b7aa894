//! Omniglot (Lake, Salakhutdinov & Tenenbaum 2015) in its official layout,
//! `images_background/<Alphabet>/characterNN/<id>_<drawer>.png`, read from the official zips or
//! from unpacked folders. Every 105x105 1-bit drawing is reduced to 28x28 by area averaging with
//! ink = 1 (the files draw black ink on white). The structure (alphabets, characters, 20 drawers
//! each) is validated and every problem is reported, so a damaged download is named precisely.

mod files;
mod one_shot;

pub use files::{MAX_ARCHIVE_BYTES, MAX_ENTRY_BYTES, decode_drawing, ink_masks};
pub use one_shot::{OneShotRun, load_one_shot_runs, load_one_shot_runs_from};

use files::{drawer_of, find_split};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const SOURCE_SIDE: usize = 105;
pub const SIDE: usize = 28;
pub const DRAWERS: usize = 20;
pub const ENV_VAR: &str = "LATENT_ATLAS_OMNIGLOT";
const HOW_TO_GET: &str = "Download the zips from https://github.com/brendenlake/omniglot/raw/master/python/<file>.zip \
(images_background, images_evaluation, images_background_small1/2; one-shot-classification/all_runs.zip) into one \
directory and pass --data DIR or set LATENT_ATLAS_OMNIGLOT=DIR.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// 30 alphabets, 964 characters: the training split.
    Background,
    /// 20 alphabets, 659 characters, never seen in training.
    Evaluation,
    /// The official 5-alphabet subsets of the background split.
    Small1,
    Small2,
}

impl Split {
    pub fn stem(self) -> &'static str {
        match self {
            Self::Background => "images_background",
            Self::Evaluation => "images_evaluation",
            Self::Small1 => "images_background_small1",
            Self::Small2 => "images_background_small2",
        }
    }

    /// (alphabets, characters) of the official release.
    pub fn expected(self) -> (usize, usize) {
        match self {
            Self::Background => (30, 964),
            Self::Evaluation => (20, 659),
            Self::Small1 => (5, 136),
            Self::Small2 => (5, 156),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OmniglotError {
    #[error("Omniglot {split} not found. Looked for:\n{}\n{HOW_TO_GET}", .tried.iter().map(|t| format!("  - {t}")).collect::<Vec<_>>().join("\n"))]
    NotFound {
        split: &'static str,
        tried: Vec<String>,
    },
    #[error("{path}: {message}")]
    Unreadable { path: PathBuf, message: String },
    #[error("{path} does not have the structure of Omniglot's {split}:\n{}", .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Structure {
        path: PathBuf,
        split: &'static str,
        problems: Vec<String>,
    },
}

/// One split, 28x28 images with their alphabet, character and drawer.
#[derive(Debug, Clone)]
pub struct Omniglot {
    pub split: Split,
    /// `len() * 28 * 28` bytes, 0 = background, 255 = fully inked.
    pub pixels: Vec<u8>,
    /// Index into `alphabets`.
    pub alphabet: Vec<u16>,
    /// Index into `characters` (0-based within this split).
    pub character: Vec<u16>,
    /// The person who drew it, 1..=20.
    pub drawer: Vec<u8>,
    pub alphabets: Vec<String>,
    /// "Alphabet/characterNN", in order.
    pub characters: Vec<String>,
    /// Where the data came from, with the checksum verdict for zips.
    pub source: String,
}

impl Omniglot {
    pub fn len(&self) -> usize {
        self.character.len()
    }

    pub fn is_empty(&self) -> bool {
        self.character.is_empty()
    }

    pub fn image(&self, i: usize) -> &[u8] {
        &self.pixels[i * SIDE * SIDE..(i + 1) * SIDE * SIDE]
    }

    /// The drawings as an image set labelled by alphabet (what model files store).
    pub fn image_set(&self) -> super::ImageSet {
        super::ImageSet {
            side: SIDE,
            pixels: self.pixels.clone(),
            labels: self.alphabet.iter().map(|&a| a as u8).collect(),
        }
    }

    /// The drawings for training, grouped by character.
    pub fn into_train_set(self) -> super::TrainSet {
        super::TrainSet {
            name: "omniglot".into(),
            images: super::ImageSet {
                side: SIDE,
                labels: self.alphabet.iter().map(|&a| a as u8).collect(),
                pixels: self.pixels,
            },
            class_names: self.alphabets,
            groups: Some(self.character.iter().map(|&c| c as u32).collect()),
            held_out: None,
            source: self.source,
        }
    }

    /// Only the drawings of the alphabets named (in this split's order; `alphabet` renumbered
    /// into the kept ones, `character` still indexing the whole split's `characters`), or the
    /// first name this split lacks.
    pub fn only_alphabets(&self, names: &[&str]) -> Result<Self, String> {
        if let Some(missing) = names
            .iter()
            .find(|n| !self.alphabets.iter().any(|a| a == *n))
        {
            return Err(format!(
                "Omniglot's {} has no alphabet '{missing}'",
                self.split.stem()
            ));
        }
        let kept: Vec<usize> = (0..self.alphabets.len())
            .filter(|&a| names.contains(&self.alphabets[a].as_str()))
            .collect();
        let mut out = Self {
            split: self.split,
            pixels: vec![],
            alphabet: vec![],
            character: vec![],
            drawer: vec![],
            alphabets: kept.iter().map(|&a| self.alphabets[a].clone()).collect(),
            characters: self.characters.clone(),
            source: self.source.clone(),
        };
        for i in 0..self.len() {
            if let Some(a) = kept.iter().position(|&k| k == self.alphabet[i] as usize) {
                out.pixels.extend_from_slice(self.image(i));
                out.alphabet.push(a as u16);
                out.character.push(self.character[i]);
                out.drawer.push(self.drawer[i]);
            }
        }
        Ok(out)
    }

    /// The first `n` drawings (the split is ordered by character, so whole characters come
    /// first when `n` is a multiple of 20): quick experiments and tests.
    pub fn truncated(mut self, n: usize) -> Self {
        let n = n.min(self.len());
        self.pixels.truncate(n * SIDE * SIDE);
        self.alphabet.truncate(n);
        self.character.truncate(n);
        self.drawer.truncate(n);
        self
    }
}

/// Background alphabets that `train --validation-alphabets N` holds out of training, the first N
/// in this order: settings are chosen on them, so the evaluation alphabets and the official runs
/// stay a test set. Each has at least 20 characters, so a validation episode is 20-way within one
/// alphabet like an official run; the order mixes script families and sizes.
pub const VALIDATION_ALPHABETS: [&str; 10] = [
    "Korean",
    "Greek",
    "Bengali",
    "Early_Aramaic",
    "Armenian",
    "Futurama",
    "Japanese_(katakana)",
    "Syriac_(Estrangelo)",
    "Grantha",
    "Cyrillic",
];

/// The first `n` of `VALIDATION_ALPHABETS`, or why there are not that many.
pub fn validation_alphabets(n: usize) -> Result<&'static [&'static str], String> {
    VALIDATION_ALPHABETS.get(..n).ok_or_else(|| {
        format!(
            "--validation-alphabets {n}: at most {} background alphabets are set aside for validation",
            VALIDATION_ALPHABETS.len()
        )
    })
}

/// Directories to search: an explicit one, then `$LATENT_ATLAS_OMNIGLOT`, then `data/omniglot`
/// (the repository's own copy, when run from the repository).
pub fn search_dirs(explicit: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = explicit.map(Path::to_path_buf).into_iter().collect();
    if let Some(d) = std::env::var_os(ENV_VAR).filter(|v| !v.is_empty()) {
        dirs.push(PathBuf::from(d));
    }
    dirs.push(PathBuf::from("data/omniglot"));
    dirs
}

/// Area-average a 105x105 drawing to 28x28 (each output pixel covers 3.75 source pixels a side).
pub fn downsample(ink: &[bool]) -> Vec<u8> {
    let scale = SOURCE_SIDE as f64 / SIDE as f64;
    // Per output index, the source indices it overlaps and by how much.
    let weights: Vec<Vec<(usize, f64)>> = (0..SIDE)
        .map(|o| {
            let (lo, hi) = (o as f64 * scale, (o + 1) as f64 * scale);
            (lo.floor() as usize..(hi.ceil() as usize).min(SOURCE_SIDE))
                .map(|s| (s, (hi.min(s as f64 + 1.0) - lo.max(s as f64)) / scale))
                .filter(|&(_, w)| w > 0.0)
                .collect()
        })
        .collect();
    let mut out = Vec::with_capacity(SIDE * SIDE);
    for wy in &weights {
        for wx in &weights {
            let v: f64 = wy
                .iter()
                .flat_map(|&(y, a)| {
                    wx.iter()
                        .map(move |&(x, b)| if ink[y * SOURCE_SIDE + x] { a * b } else { 0.0 })
                })
                .sum();
            out.push((v * 255.0).round() as u8);
        }
    }
    out
}

/// Load a split from the first of `dirs` that has it (zip preferred over folder).
pub fn load(dirs: &[PathBuf], split: Split) -> Result<Omniglot, OmniglotError> {
    let (path, files, source) = find_split(dirs, split)?;
    build(path, split, files, source)
}

fn build(
    path: PathBuf,
    split: Split,
    mut files: Vec<(String, Vec<u8>)>,
    source: String,
) -> Result<Omniglot, OmniglotError> {
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut problems = Vec::new();
    // character folder -> drawer -> decoded drawing
    let mut by_character: BTreeMap<(String, String), BTreeMap<u8, Vec<u8>>> = BTreeMap::new();
    for (name, bytes) in &files {
        let parts: Vec<&str> = name.split('/').collect();
        let [alphabet, character, file] = parts[..] else {
            problems.push(format!(
                "{name}: expected <Alphabet>/characterNN/<id>_<drawer>.png"
            ));
            continue;
        };
        let Some(drawer) = drawer_of(file).filter(|d| (1..=DRAWERS as u8).contains(d)) else {
            problems.push(format!("{name}: file name is not <id>_<drawer 01-20>.png"));
            continue;
        };
        match decode_drawing(bytes) {
            Ok(ink) => {
                let slot = by_character
                    .entry((alphabet.to_string(), character.to_string()))
                    .or_default();
                if slot.insert(drawer, downsample(&ink)).is_some() {
                    problems.push(format!(
                        "{alphabet}/{character}: drawer {drawer:02} appears twice"
                    ));
                }
            }
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    let (want_alphabets, want_characters) = split.expected();
    let alphabets: Vec<String> = by_character
        .keys()
        .map(|(a, _)| a.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if alphabets.len() != want_alphabets {
        problems.push(format!(
            "{} alphabets, expected {want_alphabets}",
            alphabets.len()
        ));
    }
    if by_character.len() != want_characters {
        problems.push(format!(
            "{} characters, expected {want_characters}",
            by_character.len()
        ));
    }
    for ((a, c), drawings) in &by_character {
        if drawings.len() != DRAWERS {
            problems.push(format!(
                "{a}/{c} has {} drawings, expected {DRAWERS}",
                drawings.len()
            ));
        }
    }
    if !problems.is_empty() {
        problems.truncate(20);
        return Err(OmniglotError::Structure {
            path,
            split: split.stem(),
            problems,
        });
    }
    let mut out = Omniglot {
        split,
        pixels: Vec::with_capacity(files.len() * SIDE * SIDE),
        alphabet: vec![],
        character: vec![],
        drawer: vec![],
        characters: vec![],
        alphabets: alphabets.clone(),
        source,
    };
    for (ci, ((a, c), drawings)) in by_character.into_iter().enumerate() {
        let ai = alphabets
            .iter()
            .position(|x| *x == a)
            .expect("collected above");
        out.characters.push(format!("{a}/{c}"));
        for (drawer, img) in drawings {
            out.pixels.extend(img);
            out.alphabet.push(ai as u16);
            out.character.push(ci as u16);
            out.drawer.push(drawer);
        }
    }
    Ok(out)
}
