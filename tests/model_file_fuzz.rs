//! Hostile model files, built from the shipped ones: every manifest field (and every object and
//! list in it) replaced by hostile values or removed, and the file cut at points across its whole
//! length. Each is refused with an error or loads into a model that the page and the CLI can use
//! as they do; none panics.

use burn::prelude::*;
use latent_atlas::bundle::{Bundle, check_model_name};
use latent_atlas::tensorfile::TensorFile;
use serde_json::{Value, json};

/// Small shipped files of two kinds (a Gaussian VAE, an AAE with a mixture prior).
const FILES: [&str; 2] = [
    "pkg/fmnist-2d-keras.safetensors",
    "pkg/fmnist-aae-mixture.safetensors",
];

fn hostile_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(0),
        json!(-1),
        json!(-0.0),
        json!(1.5),
        json!(1e308),
        json!(u64::MAX),
        json!(""),
        json!("x".repeat(10_000)),
        json!("<img src=x onerror=alert(1)>"),
        json!(true),
        json!([]),
        json!({}),
    ]
}

/// Paths (keys and list indices) of every node below the root.
fn paths(v: &Value, here: Vec<Value>, out: &mut Vec<Vec<Value>>) {
    let children: Vec<(Value, &Value)> = match v {
        Value::Object(m) => m.iter().map(|(k, c)| (json!(k), c)).collect(),
        Value::Array(a) => a.iter().enumerate().map(|(i, c)| (json!(i), c)).collect(),
        _ => vec![],
    };
    for (key, child) in children {
        let mut p = here.clone();
        p.push(key);
        out.push(p.clone());
        paths(child, p, out);
    }
}

/// The node at `path`'s parent, and the last key.
fn parent<'a>(root: &'a mut Value, path: &'a [Value]) -> (&'a mut Value, &'a Value) {
    let (last, up) = path.split_last().unwrap();
    let mut node = root;
    for k in up {
        node = match k {
            Value::String(s) => &mut node[s.as_str()],
            k => &mut node[k.as_u64().unwrap() as usize],
        };
    }
    (node, last)
}

/// What the page and the CLI do with a loaded model: encode one image of `preprocessing.side`,
/// decode two codes of the model's code size. Panics if the manifest lets them disagree.
fn use_model(b: &Bundle) {
    let m = &b.manifest;
    check_model_name(&m.name).expect("a loaded model's name is link-safe");
    let side = m.preprocessing.side;
    assert_eq!(side, m.architecture.image_side);
    let device = Device::flex();
    let model = b.model(&device).unwrap();
    let x = Tensor::<4>::zeros([1, 1, side, side], &device);
    let y = model.label_input(&[0], &device);
    let q = model.encoder.forward_given(x, y);
    assert_eq!(q.mean.dims(), [1, m.architecture.latent_dim]);
    let z = Tensor::<2>::zeros([2, b.code_dim()], &device);
    let images = model.decoder.forward(z).into_data();
    assert_eq!(images.num_elements(), 2 * side * side);
}

fn manifest_of(f: &TensorFile) -> Value {
    serde_json::from_str(&f.metadata["manifest"]).unwrap()
}

fn with_manifest(f: &TensorFile, manifest: &Value) -> Vec<u8> {
    let mut f = f.clone();
    f.metadata.insert("manifest".into(), manifest.to_string());
    f.to_bytes()
}

/// Loads without panicking; what loads is usable. Returns whether it loaded.
fn survives(bytes: &[u8], what: &str) -> bool {
    let outcome = std::panic::catch_unwind(|| match Bundle::from_bytes(bytes) {
        Ok(b) => {
            use_model(&b);
            true
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            false
        }
    });
    outcome.unwrap_or_else(|_| panic!("{what}: panicked"))
}

#[test]
fn every_manifest_field_hostile_or_missing_is_refused_or_harmless() {
    for file in FILES {
        let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let f = TensorFile::from_bytes(&bytes).unwrap();
        let manifest = manifest_of(&f);
        assert!(survives(&bytes, file), "{file} itself loads");
        let mut all = Vec::new();
        paths(&manifest, vec![], &mut all);
        assert!(all.len() > 40, "{file}: {} fields", all.len());
        let (mut cases, mut refused) = (0, 0);
        for path in &all {
            let mut variants: Vec<(String, Value)> = hostile_values()
                .into_iter()
                .map(|v| {
                    let mut m = manifest.clone();
                    let (node, key) = parent(&mut m, path);
                    match key {
                        Value::String(k) => node[k.as_str()] = v.clone(),
                        k => node[k.as_u64().unwrap() as usize] = v.clone(),
                    }
                    (
                        format!(
                            "{path:?} = {}",
                            &v.to_string()[..v.to_string().len().min(40)]
                        ),
                        m,
                    )
                })
                .collect();
            let mut m = manifest.clone();
            let (node, key) = parent(&mut m, path);
            match (node, key) {
                (Value::Object(o), Value::String(k)) => {
                    o.remove(k);
                }
                (Value::Array(a), k) => {
                    a.remove(k.as_u64().unwrap() as usize);
                }
                _ => unreachable!(),
            }
            variants.push((format!("{path:?} removed"), m));
            for (what, m) in variants {
                cases += 1;
                if !survives(&with_manifest(&f, &m), &format!("{file}: {what}")) {
                    refused += 1;
                }
            }
        }
        eprintln!("{file}: {refused} of {cases} hostile manifests refused, the rest usable");
        // Most hostile values are refused (the rest are harmless, e.g. a metric set to 0).
        assert!(
            refused * 2 > cases,
            "{file}: only {refused} of {cases} refused"
        );
        // The fields the page computes with are among the refused.
        for (field, value) in [
            (vec!["preprocessing", "side"], json!(0)),
            (vec!["preprocessing", "side"], json!(27)),
            (vec!["preprocessing", "fit"], json!(1000)),
            (vec!["name"], json!("<b>x</b>")),
            (vec!["architecture", "dec_hidden"], json!(1_000_000)),
        ] {
            let mut m = manifest.clone();
            let path: Vec<Value> = field.iter().map(|k| json!(k)).collect();
            let (node, key) = parent(&mut m, &path);
            node[key.as_str().unwrap()] = value.clone();
            assert!(
                Bundle::from_bytes(&with_manifest(&f, &m)).is_err(),
                "{file}: {field:?} = {value} was accepted"
            );
        }
    }
}

#[test]
fn a_file_cut_anywhere_is_refused() {
    for file in FILES {
        let bytes = std::fs::read(file).unwrap();
        // Every cut in the header's first bytes, then 97 points spread over the whole file (the
        // manifest, the weights, the test means and labels at the end).
        let spread = (1..98).map(|k| bytes.len() * k / 98);
        for cut in (0..256).chain(spread).chain([bytes.len() - 1]) {
            let outcome = std::panic::catch_unwind(|| Bundle::from_bytes(&bytes[..cut]));
            match outcome {
                Ok(Err(_)) => {}
                Ok(Ok(_)) => panic!("{file} cut at {cut} of {} loaded", bytes.len()),
                Err(_) => panic!("{file} cut at {cut} panicked"),
            }
        }
    }
}
