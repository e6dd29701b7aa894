//! Training on burn-wgpu (`train --device wgpu`) through the real binary: every model kind trains
//! there as it does on the CPU, a run moves between the two through its checkpoint, and a machine
//! without an adapter gets a message. Here the adapter is lavapipe, Mesa's software Vulkan
//! (scripts/setup.sh installs it): slow, but the same wgpu/CubeCL code path a GPU runs, so this
//! checks correctness; speed on a real GPU is BENCHMARKS.md's business.

mod common;
use common::{read_jsonl, run, scratch, stderr};
use latent_atlas::tensorfile::{Array, TensorFile};
use std::path::Path;

/// 128 images in batches of 32: 4 optimiser steps an epoch, 2 epochs.
const SMALL: [&str; 8] = [
    "--batch-size",
    "32",
    "--train-limit",
    "128",
    "--test-limit",
    "100",
    "--epochs",
    "2",
];

/// Every number a run records per epoch that the device could change (not wall-clock ones).
fn terms(dir: &Path) -> Vec<Vec<(String, f64)>> {
    read_jsonl(&dir.join("metrics.jsonl"))
        .into_iter()
        .map(|r| {
            r.as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| !["seconds", "images_per_s", "device"].contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.as_f64().unwrap()))
                .collect()
        })
        .collect()
}

fn devices(dir: &Path) -> Vec<String> {
    read_jsonl(&dir.join("metrics.jsonl"))
        .iter()
        .map(|r| r["device"].as_str().unwrap_or("none").to_string())
        .collect()
}

/// The curves agree within what float rounding (another summation order on the GPU) lets drift
/// over 8 steps (seen: 1e-7 relative).
fn assert_same_curve(what: &str, gpu: &Path, cpu: &Path) {
    let (a, b) = (terms(gpu), terms(cpu));
    assert_eq!(a.len(), b.len(), "{what}: epochs recorded");
    assert!(!a.is_empty(), "{what}: no epoch recorded");
    for (ea, eb) in a.iter().zip(&b) {
        let names = |e: &Vec<(String, f64)>| e.iter().map(|t| t.0.clone()).collect::<Vec<_>>();
        assert_eq!(names(ea), names(eb), "{what}: the same terms");
        for ((k, x), (_, y)) in ea.iter().zip(eb) {
            assert!(
                (x - y).abs() <= 1e-4 * y.abs().max(1.0),
                "{what}: {k} {x} on the GPU vs {y} on the CPU"
            );
        }
    }
}

/// The checkpoints hold the same tensors (names, shapes, Adam state) with values that agree.
fn assert_same_checkpoint(what: &str, gpu: &Path, cpu: &Path) {
    let read = |d: &Path| {
        TensorFile::from_bytes(&std::fs::read(d.join("checkpoint.safetensors")).unwrap()).unwrap()
    };
    let (a, b) = (read(gpu), read(cpu));
    assert!(
        a.entries.keys().eq(b.entries.keys()),
        "{what}: the same tensors"
    );
    let step = |f: &TensorFile| {
        let mut m = f.metadata.clone();
        m.retain(|k, _| k.ends_with(".step"));
        m
    };
    assert_eq!(step(&a), step(&b), "{what}: the same optimiser steps");
    // Compared as a whole (relative L2 over all weights, then over all Adam moments), not
    // tensor by tensor: where a gradient is rounding noise around zero (a dead unit, an unused
    // head), Adam turns its sign into a full step on either device, so single small tensors
    // differ while the network computes the same function (the curves above). A collapsed
    // code (this short run's conditional VAE) has many such weights: 8e-4 there, 2e-7 for the
    // VAE.
    let mut sums: std::collections::BTreeMap<&str, (f64, f64)> = Default::default();
    for (name, ea) in &a.entries {
        let eb = &b.entries[name];
        assert_eq!(ea.shape, eb.shape, "{what}: {name}'s shape");
        let (Array::F32(x), Array::F32(y)) = (&ea.array, &eb.array) else {
            continue;
        };
        let group = if name.starts_with("adam.") {
            "Adam moments"
        } else {
            "weights"
        };
        let s = sums.entry(group).or_default();
        for (&p, &q) in x.iter().zip(y) {
            s.0 += f64::from(p - q).powi(2);
            s.1 += f64::from(q).powi(2);
        }
    }
    assert_eq!(sums.len(), 2, "{what}: weights and moments compared");
    for (group, (diff, size)) in sums {
        let off = (diff / size).sqrt();
        let limit = if group == "weights" { 1e-2 } else { 1e-3 };
        assert!(
            off <= limit,
            "{what}: the {group} differ by {off} (relative, L2)"
        );
    }
}

/// The same run on the CPU and on the GPU device, from the same seed.
fn train_both(root: &Path, what: &str, args: &[&str]) {
    let dir = root.join(what);
    for device in ["flex", "wgpu"] {
        let out = dir.join(device);
        let out = out.to_str().unwrap();
        let mut a = vec!["train", "--device", device, "--out", out];
        a.extend_from_slice(args);
        a.extend_from_slice(&SMALL);
        let o = run(&a);
        assert!(o.status.success(), "{what} on {device}: {}", stderr(&o));
        if device == "wgpu" {
            assert!(
                stderr(&o).contains("device: wgpu on "),
                "{what}: the log names the adapter: {}",
                stderr(&o)
            );
        }
        assert_eq!(devices(&dir.join(device)), [device, device], "{what}");
    }
    assert_same_curve(what, &dir.join("wgpu"), &dir.join("flex"));
    assert_same_checkpoint(what, &dir.join("wgpu"), &dir.join("flex"));
}

#[test]
fn every_model_kind_trains_on_the_gpu_device_as_on_the_cpu() {
    let root = scratch("gpu-kinds");
    let keras = ["--arch", "keras", "--seed", "4"];
    train_both(&root, "vae", &[&keras[..], &["--latent-dim", "2"]].concat());
    train_both(
        &root,
        "cvae-binarized",
        &[
            &keras[..],
            &["--latent-dim", "2", "--conditional", "--binarize"],
        ]
        .concat(),
    );
    for prior in ["mixture", "categorical"] {
        train_both(
            &root,
            &format!("aae-{prior}"),
            &[
                &keras[..],
                &["--kind", "aae", "--prior", prior, "--critic-width", "32"],
                &["--latent-dim", "12", "--components", "10"],
            ]
            .concat(),
        );
    }
    let omniglot = common::omniglot_dir();
    train_both(
        &root,
        "content-style",
        &[
            "--dataset",
            "omniglot",
            "--data",
            omniglot.to_str().unwrap(),
            "--latent-dim",
            "6",
            "--content-dim",
            "4",
            "--seed",
            "5",
        ],
    );
}

/// A checkpoint is the same file on either device: a run started on the CPU continues on the GPU
/// and comes back, and ends where the run that never moved does. Each epoch's record names the
/// device it ended on, the config the device the run trains on now.
#[test]
fn a_run_moves_between_the_cpu_and_the_gpu_through_its_checkpoint() {
    let root = scratch("gpu-move");
    let (still, moved) = (root.join("still"), root.join("moved"));
    let args = |out: &Path, extra: &[&'static str]| {
        let mut a: Vec<String> = [
            "train",
            "--arch",
            "keras",
            "--latent-dim",
            "2",
            "--seed",
            "6",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(SMALL.iter().map(|s| s.to_string()));
        a.extend(["--out".into(), out.to_str().unwrap().into()]);
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let go = |a: Vec<String>| run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let o = go(args(&still, &[]));
    assert!(o.status.success(), "{}", stderr(&o));

    // Steps 0-2 on the CPU, 3-5 on the GPU (the first epoch ends there), then back.
    let o = go(args(&moved, &["--stop-after-steps", "3"]));
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let resume = |extra: &[&str]| {
        let mut a = vec!["train", "--resume", "--out", moved.to_str().unwrap()];
        a.extend_from_slice(extra);
        run(&a)
    };
    let o = resume(&["--device", "wgpu", "--stop-after-steps", "6"]);
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("resuming on --device wgpu (this run trained on flex until now)"),
        "{}",
        stderr(&o)
    );
    let config = || -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(moved.join("config.json")).unwrap()).unwrap()
    };
    assert_eq!(
        config()["backend"],
        "wgpu",
        "a plain --resume continues there"
    );
    let o = resume(&["--device", "flex"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(config()["backend"], "flex");
    assert_eq!(devices(&moved), ["wgpu", "flex"]);
    assert_same_curve("moved", &moved, &still);
    assert_same_checkpoint("moved", &moved, &still);

    // Its model file is like any other.
    let model = root.join("moved.safetensors");
    let o = run(&[
        "export",
        moved.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["decode", model.to_str().unwrap(), "--z", "0.5,-0.5"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// No adapter of the kind asked for (cubecl's own override asks for a discrete GPU the machine
/// lacks): a message that says what to do, exit status 1, no panic.
#[test]
fn no_gpu_adapter_is_a_message_not_a_panic() {
    let dir = scratch("gpu-none").join("run");
    let o = common::bin()
        .env("CUBECL_WGPU_DEFAULT_DEVICE", "DiscreteGpu(7)")
        .args(["train", "--arch", "keras", "--latent-dim", "2"])
        .args(["--device", "wgpu", "--out", dir.to_str().unwrap()])
        .args(SMALL)
        .output()
        .unwrap();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("--device wgpu: no usable GPU adapter") && e.contains("--device flex"),
        "{e}"
    );
    assert!(!e.contains("panicked"), "{e}");
    assert!(!dir.join("checkpoint.safetensors").exists());

    // A CPU run asked to continue there is left as it was, still resumable on the CPU.
    let cpu = scratch("gpu-none").join("cpu");
    let cpu = cpu.to_str().unwrap();
    let o = run(&[
        &[
            "train",
            "--arch",
            "keras",
            "--latent-dim",
            "2",
            "--out",
            cpu,
        ][..],
        &SMALL,
        &["--stop-after-steps", "2"],
    ]
    .concat());
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let config = || std::fs::read_to_string(Path::new(cpu).join("config.json")).unwrap();
    let before = config();
    let o = common::bin()
        .env("CUBECL_WGPU_DEFAULT_DEVICE", "DiscreteGpu(7)")
        .args(["train", "--resume", "--device", "wgpu", "--out", cpu])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no usable GPU adapter"),
        "{}",
        stderr(&o)
    );
    assert_eq!(config(), before, "config.json still names the CPU");
    let o = run(&["train", "--resume", "--out", cpu]);
    assert!(o.status.success(), "{}", stderr(&o));
}
