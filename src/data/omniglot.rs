//! Omniglot (Lake, Salakhutdinov & Tenenbaum 2015) in its official layout,
//! `images_background/<Alphabet>/characterNN/<id>_<drawer>.png`, read from the official zips or
//! from unpacked folders. Every 105x105 1-bit drawing is reduced to 28x28 by area averaging with
//! ink = 1 (the files draw black ink on white). The structure (alphabets, characters, 20 drawers
//! each) is validated and every problem is reported, so a damaged download is named precisely.

use md5::{Digest, Md5};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

pub const SOURCE_SIDE: usize = 105;
pub const SIDE: usize = 28;
pub const DRAWERS: usize = 20;
pub const ENV_VAR: &str = "LATENT_ATLAS_OMNIGLOT";
const HOW_TO_GET: &str = "Download the zips from https://github.com/brendenlake/omniglot/raw/master/python/<file>.zip \
(images_background, images_evaluation, images_background_small1/2; one-shot-classification/all_runs.zip) into one \
directory and pass --data DIR or set LATENT_ATLAS_OMNIGLOT=DIR.";

/// md5 of the zips this reader knows: the official release and the pixel-identical rebuild in
/// the repository's `data/omniglot`. Other bytes are accepted when the structure is right.
const KNOWN_MD5: [(&str, &str); 6] = [
    (
        "68d2efa1b9178cc56df9314c21c6e718",
        "official images_background.zip",
    ),
    (
        "6b91aef0f799c5bb55b94e3f2daec811",
        "official images_evaluation.zip",
    ),
    (
        "d7e20e44667cf577d6453acb3b393c59",
        "rebuilt images_background.zip",
    ),
    (
        "f1d61c014351b03477e7cdae1874f115",
        "rebuilt images_evaluation.zip",
    ),
    (
        "e704a628b5459e08445c13499850abc4",
        "official images_background_small1.zip",
    ),
    (
        "b75a71a51d3b13f821f212756fe481fd",
        "official images_background_small2.zip",
    ),
];

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

/// A drawing decoded from PNG: `SOURCE_SIDE`² booleans, true = ink.
pub fn decode_drawing(png_bytes: &[u8]) -> Result<Vec<bool>, String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder
        .read_info()
        .map_err(|e| format!("not a readable PNG ({e})"))?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| format!("not a readable PNG ({e})"))?;
    if (info.width as usize, info.height as usize) != (SOURCE_SIDE, SOURCE_SIDE) {
        return Err(format!(
            "image is {}x{}, expected {SOURCE_SIDE}x{SOURCE_SIDE}",
            info.width, info.height
        ));
    }
    let channels = info.color_type.samples();
    Ok(buf[..info.buffer_size()]
        .chunks_exact(channels)
        .map(|px| px[0] < 128)
        .collect())
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

/// Where a split was read from, its PNG files as (path inside the split, bytes), and a note on
/// the source (the checksum verdict for zips).
type SplitFiles = (PathBuf, Vec<(String, Vec<u8>)>, String);

/// The PNG files of a split, from a zip or a folder.
fn read_files(dir: &Path, split: Split) -> Result<SplitFiles, OmniglotError> {
    let zip_path = dir.join(format!("{}.zip", split.stem()));
    let folder = dir.join(split.stem());
    if zip_path.is_file() {
        let bytes = std::fs::read(&zip_path).map_err(|e| OmniglotError::Unreadable {
            path: zip_path.clone(),
            message: e.to_string(),
        })?;
        let md5 = format!("{:x}", Md5::digest(&bytes));
        let verdict = KNOWN_MD5.iter().find(|(h, _)| *h == md5).map_or(
            format!("unrecognised md5 {md5}, structure checked"),
            |(_, what)| format!("md5 matches the {what}"),
        );
        let unreadable = |message: String| OmniglotError::Unreadable {
            path: zip_path.clone(),
            message,
        };
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|e| unreadable(format!("not a readable zip ({e})")))?;
        let mut files = Vec::new();
        for i in 0..zip.len() {
            let mut entry = zip
                .by_index(i)
                .map_err(|e| unreadable(format!("entry {i}: {e}")))?;
            let name = entry.name().to_string();
            if let Some(rest) = name
                .strip_prefix(&format!("{}/", split.stem()))
                .filter(|n| n.ends_with(".png"))
            {
                let mut data = Vec::with_capacity(entry.size() as usize);
                entry
                    .read_to_end(&mut data)
                    .map_err(|e| unreadable(format!("{name}: {e}")))?;
                files.push((rest.to_string(), data));
            }
        }
        return Ok((
            zip_path.clone(),
            files,
            format!("{} ({verdict})", zip_path.display()),
        ));
    }
    if folder.is_dir() {
        let mut files = Vec::new();
        let unreadable = |p: &Path, e: std::io::Error| OmniglotError::Unreadable {
            path: p.to_path_buf(),
            message: e.to_string(),
        };
        let mut stack = vec![folder.clone()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).map_err(|e| unreadable(&d, e))? {
                let p = entry.map_err(|e| unreadable(&d, e))?.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == "png") {
                    let rel = p
                        .strip_prefix(&folder)
                        .expect("below the folder")
                        .to_string_lossy()
                        .replace('\\', "/");
                    files.push((rel, std::fs::read(&p).map_err(|e| unreadable(&p, e))?));
                }
            }
        }
        return Ok((folder.clone(), files, folder.display().to_string()));
    }
    Err(OmniglotError::NotFound {
        split: split.stem(),
        tried: vec![format!("{} or {}/", zip_path.display(), folder.display())],
    })
}

/// Load a split from the first of `dirs` that has it (zip preferred over folder).
pub fn load(dirs: &[PathBuf], split: Split) -> Result<Omniglot, OmniglotError> {
    let mut tried = Vec::new();
    for dir in dirs {
        match read_files(dir, split) {
            Ok((path, files, source)) => return build(path, split, files, source),
            Err(OmniglotError::NotFound { tried: t, .. }) => tried.extend(t),
            Err(e) => return Err(e),
        }
    }
    Err(OmniglotError::NotFound {
        split: split.stem(),
        tried,
    })
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
        let drawer = file
            .strip_suffix(".png")
            .and_then(|s| s.split_once('_'))
            .and_then(|(_, d)| d.parse::<u8>().ok());
        let Some(drawer) = drawer.filter(|d| (1..=DRAWERS as u8).contains(d)) else {
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

/// One run of the official 20-way one-shot benchmark: 20 training drawings (one per class) and
/// 20 test drawings, each of which belongs to exactly one training class.
#[derive(Debug, Clone)]
pub struct OneShotRun {
    pub name: String,
    /// 105x105 ink masks, `training[j]` is class j.
    pub training: Vec<Vec<bool>>,
    pub test: Vec<Vec<bool>>,
    /// `answer[i]` = the training class of test item i.
    pub answer: Vec<usize>,
}

/// The official one-shot runs from the first of `dirs` that has them.
pub fn load_one_shot_runs_from(dirs: &[PathBuf]) -> Result<Vec<OneShotRun>, OmniglotError> {
    let candidates: Vec<PathBuf> = dirs
        .iter()
        .map(|d| d.join("one-shot-classification").join("all_runs.zip"))
        .collect();
    match candidates.iter().find(|p| p.is_file()) {
        Some(path) => load_one_shot_runs(path),
        None => Err(OmniglotError::NotFound {
            split: "one-shot runs",
            tried: candidates.iter().map(|p| p.display().to_string()).collect(),
        }),
    }
}

/// Read `all_runs.zip` (`runNN/{training/classKK.png,test/itemKK.png,class_labels.txt}`).
pub fn load_one_shot_runs(zip_path: &Path) -> Result<Vec<OneShotRun>, OmniglotError> {
    let err = |message: String| OmniglotError::Unreadable {
        path: zip_path.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(zip_path).map_err(|e| err(format!("{e}. {HOW_TO_GET}")))?;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| err(format!("not a readable zip ({e})")))?;
    let mut read = |name: &str| -> Result<Vec<u8>, OmniglotError> {
        let mut entry = zip.by_name(name).map_err(|e| err(format!("{name}: {e}")))?;
        let mut data = Vec::new();
        entry
            .read_to_end(&mut data)
            .map_err(|e| err(format!("{name}: {e}")))?;
        Ok(data)
    };
    let mut runs = Vec::new();
    for r in 1..=20 {
        let name = format!("run{r:02}");
        let labels = String::from_utf8(read(&format!("{name}/class_labels.txt"))?)
            .map_err(|e| err(format!("{name}/class_labels.txt: {e}")))?;
        let mut run = OneShotRun {
            name: name.clone(),
            training: vec![],
            test: vec![],
            answer: vec![],
        };
        for k in 1..=20 {
            for (dir, out) in [
                ("training/class", &mut run.training),
                ("test/item", &mut run.test),
            ] {
                let file = format!("{name}/{dir}{k:02}.png");
                out.push(decode_drawing(&read(&file)?).map_err(|e| err(format!("{file}: {e}")))?);
            }
        }
        // Lines are "runNN/test/itemKK.png runNN/training/classMM.png".
        let number = |s: &str, prefix: &str| {
            s.strip_prefix(prefix)
                .and_then(|s| s.strip_suffix(".png"))
                .and_then(|s| s.parse::<usize>().ok())
        };
        let mut answer = vec![usize::MAX; 20];
        for line in labels.lines().filter(|l| !l.trim().is_empty()) {
            let parsed = line.split_once(' ').and_then(|(t, c)| {
                Some((
                    number(t.trim(), &format!("{name}/test/item"))?,
                    number(c.trim(), &format!("{name}/training/class"))?,
                ))
            });
            match parsed {
                Some((t @ 1..=20, c @ 1..=20)) => answer[t - 1] = c - 1,
                _ => {
                    return Err(err(format!(
                        "{name}/class_labels.txt: cannot read line '{line}'"
                    )));
                }
            }
        }
        if let Some(t) = answer.iter().position(|&a| a == usize::MAX) {
            return Err(err(format!(
                "{name}/class_labels.txt names no class for test item {}",
                t + 1
            )));
        }
        run.answer = answer;
        runs.push(run);
    }
    Ok(runs)
}
