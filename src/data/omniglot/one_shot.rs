//! The official 20-way one-shot runs (`one-shot-classification/all_runs.zip`).

use super::files::{read_archive, read_entry};
use super::{HOW_TO_GET, OmniglotError, decode_drawing};
use std::path::{Path, PathBuf};

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
    let bytes = read_archive(zip_path).map_err(|e| err(format!("{e}. {HOW_TO_GET}")))?;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| err(format!("not a readable zip ({e})")))?;
    let mut read = |name: &str| -> Result<Vec<u8>, OmniglotError> {
        let entry = zip.by_name(name).map_err(|e| err(format!("{name}: {e}")))?;
        read_entry(entry, name).map_err(err)
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
