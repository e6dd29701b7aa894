//! A split's PNG files from a zip or an unpacked folder, and one drawing decoded. Every size is
//! checked before anything is allocated for it, so a damaged or hostile archive (a zip bomb, an
//! entry that claims gigabytes, a PNG header that claims a huge image) costs bounded memory.

use super::{Omniglot, OmniglotError, SOURCE_SIDE, Split};
use md5::{Digest, Md5};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest archive read (the official background set is 9.5 MB, the one-shot runs 0.5 MB).
pub const MAX_ARCHIVE_BYTES: u64 = 256 << 20;
/// The largest file read from an archive or folder (a drawing's PNG is a few hundred bytes).
pub const MAX_ENTRY_BYTES: u64 = 1 << 20;

/// A whole archive's bytes, refusing (before reading) one larger than `MAX_ARCHIVE_BYTES`.
pub(super) fn read_archive(path: &Path) -> Result<Vec<u8>, String> {
    let len = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if len > MAX_ARCHIVE_BYTES {
        return Err(format!(
            "the file is {len} bytes; archives up to {MAX_ARCHIVE_BYTES} bytes are read"
        ));
    }
    std::fs::read(path).map_err(|e| e.to_string())
}

/// One file's bytes, inflated at most one byte past `MAX_ENTRY_BYTES` (whatever size its header
/// claims).
pub(super) fn read_entry(entry: impl Read, name: &str) -> Result<Vec<u8>, String> {
    let mut data = Vec::new();
    entry
        .take(MAX_ENTRY_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(|e| format!("{name}: {e}"))?;
    if data.len() as u64 > MAX_ENTRY_BYTES {
        return Err(format!(
            "{name} is larger than {MAX_ENTRY_BYTES} bytes (a drawing is a few hundred)"
        ));
    }
    Ok(data)
}

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

/// A drawing decoded from PNG: `SOURCE_SIDE`² booleans, true = ink.
pub fn decode_drawing(png_bytes: &[u8]) -> Result<Vec<bool>, String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder
        .read_info()
        .map_err(|e| format!("not a readable PNG ({e})"))?;
    // The header's size is checked before the frame buffer is allocated.
    let (width, height) = (reader.info().width, reader.info().height);
    if (width as usize, height as usize) != (SOURCE_SIDE, SOURCE_SIDE) {
        return Err(format!(
            "image is {width}x{height}, expected {SOURCE_SIDE}x{SOURCE_SIDE}"
        ));
    }
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| format!("not a readable PNG ({e})"))?;
    let channels = info.color_type.samples();
    Ok(buf[..info.buffer_size()]
        .chunks_exact(channels)
        .map(|px| px[0] < 128)
        .collect())
}

/// Where a split was read from, its PNG files as (path inside the split, bytes), and a note on
/// the source (the checksum verdict for zips).
type SplitFiles = (PathBuf, Vec<(String, Vec<u8>)>, String);

/// The PNG files of a split, from a zip or a folder.
fn read_files(dir: &Path, split: Split) -> Result<SplitFiles, OmniglotError> {
    let zip_path = dir.join(format!("{}.zip", split.stem()));
    let folder = dir.join(split.stem());
    if zip_path.is_file() {
        let bytes = read_archive(&zip_path).map_err(|message| OmniglotError::Unreadable {
            path: zip_path.clone(),
            message,
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
            let entry = zip
                .by_index(i)
                .map_err(|e| unreadable(format!("entry {i}: {e}")))?;
            let name = entry.name().to_string();
            if let Some(rest) = name
                .strip_prefix(&format!("{}/", split.stem()))
                .filter(|n| n.ends_with(".png"))
            {
                files.push((
                    rest.to_string(),
                    read_entry(entry, &name).map_err(unreadable)?,
                ));
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
                    let file = std::fs::File::open(&p).map_err(|e| unreadable(&p, e))?;
                    let data =
                        read_entry(file, &rel).map_err(|message| OmniglotError::Unreadable {
                            path: p.clone(),
                            message,
                        })?;
                    files.push((rel, data));
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

/// The drawer of a file named `<id>_<drawer>.png` (not checked against the 20 drawers).
pub(super) fn drawer_of(file: &str) -> Option<u8> {
    file.strip_suffix(".png")
        .and_then(|s| s.split_once('_'))
        .and_then(|(_, d)| d.parse::<u8>().ok())
}

/// The PNG files of `split` from the first of `dirs` that has it (zip preferred over folder);
/// when none has it, every place tried.
pub(super) fn find_split(dirs: &[PathBuf], split: Split) -> Result<SplitFiles, OmniglotError> {
    let mut tried = Vec::new();
    for dir in dirs {
        match read_files(dir, split) {
            Err(OmniglotError::NotFound { tried: t, .. }) => tried.extend(t),
            found => return found,
        }
    }
    Err(OmniglotError::NotFound {
        split: split.stem(),
        tried,
    })
}

/// The 105x105 ink masks of `data`'s drawings (in its order), read again from the first of
/// `dirs` holding its split: what the page's upload path starts from (`data` keeps only 28x28).
/// A drawing the files lack is reported by name.
pub fn ink_masks(dirs: &[PathBuf], data: &Omniglot) -> Result<Vec<Vec<bool>>, OmniglotError> {
    let (path, files, _) = find_split(dirs, data.split)?;
    // "Alphabet/characterNN" and drawer -> the file's bytes, for the alphabets `data` holds.
    let mut by_drawing = std::collections::HashMap::new();
    for (name, bytes) in &files {
        let Some((character, file)) = name.rsplit_once('/') else {
            continue;
        };
        if let Some(drawer) = drawer_of(file) {
            by_drawing.insert((character, drawer), bytes);
        }
    }
    let problem = |p: String| OmniglotError::Structure {
        path: path.clone(),
        split: data.split.stem(),
        problems: vec![p],
    };
    (0..data.len())
        .map(|i| {
            let character = &data.characters[data.character[i] as usize];
            let drawer = data.drawer[i];
            let bytes = by_drawing
                .get(&(character.as_str(), drawer))
                .ok_or_else(|| problem(format!("{character}: no drawing by drawer {drawer:02}")))?;
            decode_drawing(bytes)
                .map_err(|e| problem(format!("{character}, drawer {drawer:02}: {e}")))
        })
        .collect()
}
