//! The adversarial autoencoder: its discriminator learns, each phase of a step moves only its
//! own parameters, and a run through the real binary resumes bit-identically with all three
//! optimisers' state.

mod common;
use burn::prelude::*;
use burn::tensor::activation::softmax;
use common::{categorical_args, read_jsonl, run, scratch, stderr};
use latent_atlas::model::{
    AdversarialNet, Critic, NamedTensor, Preset, Prior, VaeConfig, named_params,
};
use latent_atlas::objective::aae::{Aae, category_imbalance};
use latent_atlas::objective::{Batch, Kind, Optimise, ParamSet, softplus};
use latent_atlas::rng::Rng;
use latent_atlas::tensorfile::TensorFile;
use latent_atlas::train::adam::{Optimisers, Stepper};
use std::path::Path;

/// Which parameters changed between two snapshots.
fn changed(before: &[NamedTensor], after: &[NamedTensor]) -> Vec<String> {
    before
        .iter()
        .zip(after)
        .filter(|(b, a)| b.data != a.data)
        .map(|(b, _)| b.name.clone())
        .collect()
}

/// Passes each update to the real optimisers and records which parameters it moved.
struct Spy<'a> {
    inner: Stepper<'a>,
    log: Vec<(String, Vec<String>)>,
}

impl Optimise for Spy<'_> {
    fn minimise_scaled<M: burn::module::Module>(
        &mut self,
        net: M,
        loss: &Tensor<1>,
        set: &str,
        lr_scale: f64,
    ) -> M {
        let before = named_params(&net);
        let net = self.inner.minimise_scaled(net, loss, set, lr_scale);
        self.log
            .push((set.to_string(), changed(&before, &named_params(&net))));
        net
    }
}

#[test]
fn each_phase_moves_only_its_own_parameters() {
    let device = Device::flex().autodiff();
    for prior in [
        Prior::Mixture {
            components: 10,
            radius: 4.0,
            spread: 0.5,
        },
        Prior::Categorical { classes: 3 },
    ] {
        let mut arch = VaeConfig::preset(Preset::Keras, 5);
        arch.prior = prior.clone();
        // A categorical code gets the balance term too (it joins the encoder's phase).
        let categorical = matches!(prior, Prior::Categorical { .. });
        let kind = Aae {
            balance: if categorical { 5.0 } else { 0.0 },
            ..Aae::default()
        };
        let net: AdversarialNet = kind.net(&arch, Some(3), &device);
        let critics = net.critics.len();
        let mut optimisers = Optimisers::new(kind.param_sets());
        let mut spy = Spy {
            inner: optimisers.at(1e-3),
            log: vec![],
        };
        let x = Tensor::<4>::from_data(
            TensorData::new(Rng::new(4).normals(8 * 28 * 28), [8, 1, 28, 28]),
            &device,
        )
        .clamp(0.0, 1.0);
        let batch = Batch {
            x,
            labels: vec![0; 8],
            seed: 1,
            step: 0,
        };
        let (_, terms) = kind.step(&arch, net, batch, &mut spy);
        let names: Vec<&str> = terms.iter().map(|t| t.0).collect();
        assert_eq!(names, kind.terms());
        assert_eq!(names.contains(&"balance"), categorical);
        let phases: Vec<&str> = spy.log.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(
            phases,
            ["autoencoder", "discriminator", "generator"],
            "{prior:?}"
        );
        let moved = |phase: usize, part: &str| spy.log[phase].1.iter().any(|n| n.starts_with(part));
        let only = |phase: usize, parts: &[&str]| {
            spy.log[phase]
                .1
                .iter()
                .all(|n| parts.iter().any(|p| n.starts_with(p)))
        };
        // Reconstruction: encoder and decoder, never a critic.
        assert!(moved(0, "encoder.") && moved(0, "decoder."));
        assert!(only(0, &["encoder.", "decoder."]), "{:?}", spy.log[0]);
        // Discriminator: every critic, nothing else.
        for i in 0..critics {
            assert!(moved(1, &format!("critics.{i}.")), "{:?}", spy.log[1]);
        }
        assert!(only(1, &["critics."]), "{:?}", spy.log[1]);
        // Generator: the encoder only; the decoder and critics stay as they were.
        assert!(moved(2, "encoder."));
        assert!(only(2, &["encoder."]), "{:?}", spy.log[2]);
        assert_eq!(critics, if prior.components() == 3 { 2 } else { 1 });
    }
}

/// The balance term is 0 for a batch that uses the categories evenly (confidently or not) and
/// ln K for one that uses a single category; descending it spreads a collapsed batch out.
#[test]
fn the_balance_term_measures_and_undoes_a_collapse_onto_one_category() {
    let device = Device::flex().autodiff();
    let probs = |v: Vec<f32>, n: usize| Tensor::<2>::from_data(TensorData::new(v, [n, 4]), &device);
    let value = |t: Tensor<1>| t.into_scalar::<f32>() as f64;
    let even: Vec<f32> = (0..8)
        .flat_map(|i| (0..4).map(move |c| f32::from(u8::from(c == i % 4))))
        .collect();
    assert!(value(category_imbalance(probs(even, 8))).abs() < 1e-5);
    assert!(value(category_imbalance(probs(vec![0.25; 32], 8))).abs() < 1e-5);
    let one: Vec<f32> = (0..8).flat_map(|_| [1.0, 0.0, 0.0, 0.0]).collect();
    assert!((value(category_imbalance(probs(one, 8))) - 4f64.ln()).abs() < 1e-4);

    // Gradient descent on the term from logits that favour category 0 for every row (different
    // rows by different amounts, as an encoder's would).
    let start: Vec<f32> = (0..8)
        .flat_map(|i| [3.0 + i as f32 * 0.1, 0.0, 0.1 * i as f32, -0.2])
        .collect();
    let mut logits = Tensor::<2>::from_data(TensorData::new(start, [8, 4]), &device).require_grad();
    let first = value(category_imbalance(softmax(logits.clone(), 1)));
    for _ in 0..200 {
        let loss = category_imbalance(softmax(logits.clone(), 1));
        let grads = loss.backward();
        let g = logits.grad(&grads).unwrap();
        logits = Tensor::from_inner(logits.inner() - g * 2.0).require_grad();
    }
    let last = value(category_imbalance(softmax(logits, 1)));
    assert!(first > 0.9 && last < 0.05, "imbalance {first} -> {last}");
}

/// A critic trained with the discriminator's loss on two known distributions tells them apart.
#[test]
fn the_discriminator_learns_to_separate_two_distributions() {
    let inner = Device::flex();
    let device = inner.clone().autodiff();
    // One parameter set over the critic; the loss is the discriminator phase's.
    let sets = [ParamSet {
        name: "critic",
        prefixes: &[""],
    }];
    let mut net = Critic::new(2, 32, 9, &device);
    let mut opt = Optimisers::new(&sets);
    let mut rng = Rng::new(8);
    let sample = |rng: &mut Rng, shift: f32, n: usize| {
        let v: Vec<f32> = rng.normals(n * 2).iter().map(|x| x + shift).collect();
        Tensor::<2>::from_data(TensorData::new(v, [n, 2]), &device)
    };
    for _ in 0..300 {
        let (real, fake) = (sample(&mut rng, 0.0, 64), sample(&mut rng, 2.0, 64));
        let loss = softplus(net.forward(real).neg()).mean() + softplus(net.forward(fake)).mean();
        net = opt.at(3e-3).minimise(net, &loss, "critic");
    }
    let (real, fake) = (sample(&mut rng, 0.0, 1000), sample(&mut rng, 2.0, 1000));
    let right = |t: Tensor<2>, sign: f32| {
        t.into_data()
            .try_into_vec::<f32>()
            .unwrap()
            .iter()
            .filter(|&&l| l * sign > 0.0)
            .count()
    };
    let acc = (right(net.forward(real), 1.0) + right(net.forward(fake), -1.0)) as f64 / 2000.0;
    // The Bayes-optimal rule (x + y < 2) is right 92% of the time on these two.
    assert!(acc > 0.85, "critic accuracy {acc}");
}

fn args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "train",
        "--kind",
        "aae",
        "--prior",
        "mixture",
        "--arch",
        "keras",
        "--latent-dim",
        "2",
        "--batch-size",
        "64",
        "--train-limit",
        "640",
        "--test-limit",
        "500",
        "--critic-width",
        "64",
        "--seed",
        "4",
        "--out",
        out,
    ];
    a.extend_from_slice(extra);
    a
}

fn checkpoint(dir: &Path) -> TensorFile {
    let mut f = TensorFile::from_bytes(&std::fs::read(dir.join("checkpoint.safetensors")).unwrap())
        .unwrap();
    f.metadata
        .retain(|k, _| k.starts_with("adam.") && k.ends_with(".step"));
    f
}

#[test]
fn an_adversarial_run_resumes_bit_identically_with_all_three_optimisers() {
    let root = scratch("aae-resume");
    let (whole, split) = (root.join("whole"), root.join("split"));
    let o = run(&args(whole.to_str().unwrap(), &["--epochs", "2"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let records = read_jsonl(&whole.join("metrics.jsonl"));
    for key in [
        "recon",
        "d_loss",
        "g_loss",
        "d_real",
        "d_fake",
        "test_recon",
    ] {
        assert!(
            records[1][key].as_f64().is_some_and(f64::is_finite),
            "{key}: {records:?}"
        );
    }
    assert!(
        records[1].get("test_nelbo").is_none(),
        "a deterministic code has no ELBO"
    );
    let meta = checkpoint(&whole).metadata;
    for set in ["autoencoder", "discriminator", "generator"] {
        assert_eq!(meta[&format!("adam.{set}.step")], "20", "{meta:?}");
    }
    let o = run(&args(
        split.to_str().unwrap(),
        &["--epochs", "2", "--stop-after-steps", "7"],
    ));
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let o = run(&["train", "--resume", "--out", split.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        checkpoint(&whole) == checkpoint(&split),
        "resumed weights or optimiser moments differ from an uninterrupted run"
    );
    let strip = |v: Vec<serde_json::Value>| -> Vec<serde_json::Value> {
        v.into_iter()
            .map(|mut e| {
                for k in ["seconds", "images_per_s"] {
                    e.as_object_mut().unwrap().remove(k);
                }
                e
            })
            .collect()
    };
    assert_eq!(
        strip(records),
        strip(read_jsonl(&split.join("metrics.jsonl")))
    );
}

#[test]
fn aae_settings_that_cannot_work_are_refused() {
    let root = scratch("aae-refused");
    let out = root.join("run");
    let out = out.to_str().unwrap();
    for (extra, needle) in [
        (
            vec!["--prior", "categorical", "--components", "2"],
            "leaves at least one style dimension",
        ),
        (vec!["--class-prior"], "mixture"),
        (vec!["--generator-lr", "-1"], "--generator-lr -1"),
        (vec!["--critic-width", "2"], "--critic-width 2"),
        (vec!["--prior", "mixture", "--balance", "1"], "categorical"),
        (vec!["--balance", "-1"], "--balance -1"),
    ] {
        let mut a = vec!["train", "--kind", "aae", "--latent-dim", "2", "--out", out];
        a.extend(extra);
        let o = run(&a);
        assert!(!o.status.success());
        assert!(stderr(&o).contains(needle), "{a:?}: {}", stderr(&o));
    }
    let o = run(&["train", "--prior", "mixture", "--out", out]);
    assert!(
        stderr(&o).contains("--prior applies to --kind aae"),
        "{}",
        stderr(&o)
    );
}

/// `eval` of an adversarial model reports what it can measure: reconstruction, the codes' match
/// to its prior beside the noise floor, clustering — and no ELBO (its codes are deterministic);
/// with a categorical code, the category's own clustering accuracy; and it plots over the prior.
#[test]
fn eval_of_an_adversarial_model_reports_prior_match_and_clusters() {
    let root = scratch("aae-eval");
    let dir = root.join("run");
    let o = run(&categorical_args(
        dir.to_str().unwrap(),
        &["--train-limit", "640", "--test-limit", "500"],
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = root.join("eval");
    let o = run(&[
        "eval",
        dir.to_str().unwrap(),
        "--json",
        "--draws",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m: serde_json::Value = serde_json::from_str(common::stdout(&o).trim()).unwrap();
    for key in [
        "recon_bce",
        "mmd_prior",
        "mmd_noise",
        "kmeans_acc",
        "nmi",
        "cluster_acc",
        "cluster_majority_acc",
    ] {
        assert!(m[key].as_f64().is_some_and(f64::is_finite), "{key}: {m}");
    }
    for key in ["nelbo", "kl", "iwae_ll"] {
        assert!(
            m[key].is_null(),
            "{key} has no meaning for a deterministic code: {m}"
        );
    }
    assert!(m.get("kl_aggregate").is_none(), "only under N(0, I): {m}");
    // Majority mapping can only do as well as or better than a one-to-one matching.
    assert!(m["cluster_majority_acc"].as_f64() >= m["cluster_acc"].as_f64());
    for png in [
        "latent_scatter.png",
        "samples.png",
        "samples_per_cluster.png",
    ] {
        assert!(
            std::fs::read(out.join(png))
                .unwrap()
                .starts_with(b"\x89PNG"),
            "{png}"
        );
    }
}
