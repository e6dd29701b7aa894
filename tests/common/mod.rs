//! Helpers shared by the integration tests: run the real binary, make scratch directories.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_latent-atlas"))
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("spawn latent-atlas")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// A fresh scratch directory under the target dir (kept after the test for inspection).
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn read_jsonl(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Omniglot as the project's readers find it: `$LATENT_ATLAS_OMNIGLOT`, then the repository's
/// own copy (`data/omniglot`); the first of them holding the evaluation split.
pub fn omniglot_dir() -> PathBuf {
    let dirs = latent_atlas::data::omniglot::search_dirs(None);
    dirs.iter()
        .find(|d| d.join("images_evaluation.zip").is_file())
        .cloned()
        .unwrap_or_else(|| panic!("Omniglot is in none of {dirs:?}"))
}

/// Start `train_args` (a run into `dir` long enough not to finish), press Ctrl-C (SIGINT) after
/// its first epoch, and check that it saves a checkpoint, says how to continue, and resumes from
/// there (stopped again one step later by a step limit). The child is killed if it takes longer
/// than two minutes, so a hang fails the test instead of stalling the suite.
pub fn ctrl_c_then_resume(train_args: &[&str], dir: &std::path::Path, steps_per_epoch: u64) {
    use std::io::{BufRead, BufReader};
    let mut child = bin()
        .args(train_args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let watchdog = {
        let pid = pid.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs(120));
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
        })
    };
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen += &line;
        if line.starts_with("epoch   1/") {
            break;
        }
    }
    let kill = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(kill.success());
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{seen}\n{rest:?}");
    assert!(!watchdog.is_finished(), "the run hung and was killed");
    assert!(
        rest.iter()
            .any(|l| l.contains("checkpoint saved") && l.contains("--resume")),
        "{rest:?}"
    );
    let meta = latent_atlas::tensorfile::TensorFile::from_bytes(
        &std::fs::read(dir.join("checkpoint.safetensors")).unwrap(),
    )
    .unwrap()
    .metadata;
    let pos: serde_json::Value = serde_json::from_str(&meta["position"]).unwrap();
    assert!(pos["epoch"].as_u64().unwrap() >= 1, "{pos}");
    let step =
        pos["epoch"].as_u64().unwrap() * steps_per_epoch + pos["batch"].as_u64().unwrap() + 1;
    let o = run(&[
        "train",
        "--resume",
        "--out",
        dir.to_str().unwrap(),
        "--stop-after-steps",
        &step.to_string(),
    ]);
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(stderr(&o).contains("resuming"), "{}", stderr(&o));
}

/// One epoch of a small clustering AAE (10 categories + 2-D style) into `out`.
pub fn categorical_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "train",
        "--kind",
        "aae",
        "--prior",
        "categorical",
        "--components",
        "10",
        "--arch",
        "keras",
        "--latent-dim",
        "12",
        "--batch-size",
        "64",
        "--critic-width",
        "32",
        "--epochs",
        "1",
        "--out",
        out,
    ];
    a.extend_from_slice(extra);
    a
}
