//! Share-link round trips and hostile links, field by field.

use super::*;
use crate::rng::Rng;

fn models() -> Vec<KnownModel> {
    vec![
        KnownModel {
            name: "fmnist-2d".into(),
            latent_dim: 2,
            clusters: 0,
            conditional: 0,
        },
        KnownModel {
            name: "fmnist-16d".into(),
            latent_dim: 16,
            clusters: 0,
            conditional: 0,
        },
        KnownModel {
            name: "fmnist-clusters".into(),
            latent_dim: 12,
            clusters: 10,
            conditional: 0,
        },
        KnownModel {
            name: "fmnist-cvae".into(),
            latent_dim: 2,
            clusters: 0,
            conditional: 10,
        },
    ]
}

/// The page pans exactly as far as a link holds: the bound itself is a valid centre.
#[test]
fn the_centre_bound_is_a_valid_centre() {
    let (state, problems) = decode(
        &format!("m=fmnist-2d&c={MAX_CENTRE},-{MAX_CENTRE}"),
        &models(),
    );
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(state.center, [MAX_CENTRE, -MAX_CENTRE]);
}

#[test]
fn round_trips_exactly() {
    let mut rng = Rng::new(9);
    for k in 0..500 {
        let m = &models()[k % 4];
        let mut p = || {
            Some(
                (0..m.latent_dim)
                    .map(|_| rng.normal() * 2.0)
                    .collect::<Vec<f32>>(),
            )
        };
        let s = ShareState {
            model: m.name.clone(),
            center: [1.0 / 3.0, -2.5e-3],
            zoom: 0.3 + k as f32 * 0.01,
            a: p(),
            b: if k % 3 == 0 { None } else { p() },
            steps: 2 + (k as u32 % 63),
            mode: if k % 2 == 0 {
                Interpolation::Linear
            } else {
                Interpolation::Spherical
            },
            part: if m.conditional > 0 {
                [Part::All, Part::Code, Part::Class][k % 3]
            } else {
                [Part::All, Part::Content, Part::Style][k % 3]
            },
            mix: 1 + (k as u32 * 7919) % MAX_MIX,
            cluster: (k as u32 % 10) * u32::from(m.clusters > 0),
            label: (k as u32 % 7) * u32::from(m.conditional > 0),
            label_a: (m.conditional > 0 && k % 2 == 0).then_some(k as u32 % 10),
            label_b: (m.conditional > 0 && k % 5 != 0).then_some(k as u32 % 3),
            // Only a model above 2-D without clusters (fmnist-16d) has a choice of plane.
            plane: if m.name == "fmnist-16d" && k % 2 == 1 {
                Plane::Axes
            } else {
                Plane::Pca
            },
            axes: if m.name == "fmnist-16d" {
                [(k as u32 * 5) % 16, (k as u32 * 11 + 1) % 16]
            } else {
                [0, 1]
            },
            anchor: if m.name == "fmnist-16d" && k % 3 != 0 {
                p()
            } else {
                None
            },
            direction: (k % 3 == 1).then_some([(k as u32) % 10, (k as u32 * 3) % 10]),
            along_ends: k % 3 == 2,
            set_means: (k % 6 == 0).then(|| [p().unwrap(), p().unwrap()]),
            shift: [1.0, -0.35, 3.999, 0.0][k % 4],
            compare: (k % 4 != 0).then(|| Comparison {
                model: models()[(k / 4) % 4].name.clone(),
                sync: k % 4 == 1,
                center: [-7.25, 1.0 / 7.0 + (k % 90) as f32],
                zoom: 0.05 + k as f32 * 0.03,
            }),
            image_a: (k % 5 != 0).then_some(k as u32 * 37 % MAX_TEST_IMAGE),
            image_b: None,
        };
        // An end's image is kept with the end only.
        let s = ShareState {
            image_b: s.b.as_ref().map(|_| (k as u32 * 7) % 10_000),
            ..s
        };
        let (back, problems) = decode(&format!("#{}", encode(&s)), &models());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(back, s, "bit-exact floats after a round trip");
    }
}

#[test]
fn hostile_links_fall_back_with_messages_that_quote_nothing() {
    let m = models();
    let cases: &[(&str, &str)] = &[
        ("m=fmnist-2d&a=NaN,1", "point A"),
        ("m=fmnist-2d&a=1e308,0", "point A"),
        ("m=fmnist-2d&b=inf,0", "point B"),
        ("m=fmnist-2d&a=1,2,3", "point A"),
        (
            "m=<script>alert(1)</script>",
            "model this page does not have",
        ),
        ("m=fmnist-2d&n=100000000000", "step count"),
        ("m=fmnist-2d&n=-3", "step count"),
        ("m=fmnist-2d&z=0", "zoom"),
        ("m=fmnist-2d&z=1e30", "zoom"),
        ("m=fmnist-2d&c=1", "centre"),
        ("m=fmnist-2d&c=100.5,0", "centre"),
        ("m=fmnist-2d&i=<img src=x onerror=alert(1)>", "mode"),
        ("m=fmnist-2d&<b>=1", "does not understand"),
        ("m=fmnist-2d&p=<b>", "interpolation part"),
        ("m=fmnist-2d&x=0", "mixing-grid number"),
        ("m=fmnist-2d&x=99999999999999", "mixing-grid number"),
        ("m=fmnist-clusters&k=10", "one of the model's 10 clusters"),
        ("m=fmnist-clusters&k=-1", "one of the model's 10 clusters"),
        ("m=fmnist-clusters&k=<b>", "one of the model's 10 clusters"),
        ("m=fmnist-2d&k=3", "this model has none"),
        ("m=fmnist-cvae&y=10", "one of the model's 10 classes"),
        ("m=fmnist-cvae&y=-1", "one of the model's 10 classes"),
        ("m=fmnist-cvae&y=1e9", "one of the model's 10 classes"),
        ("m=fmnist-cvae&y=<script>", "one of the model's 10 classes"),
        ("m=fmnist-2d&y=3", "not conditional"),
        (
            "m=fmnist-cvae&ya=10",
            "class for A is not one of the model's 10",
        ),
        (
            "m=fmnist-cvae&yb=<b>",
            "class for B is not one of the model's 10",
        ),
        ("m=fmnist-2d&yb=1", "not conditional"),
        ("m=fmnist-2d&p=class", "not conditional"),
        ("m=fmnist-16d&pl=<b>", "plane is unknown"),
        (
            "m=fmnist-16d&ax=3,16",
            "not two of the model's 16 dimensions",
        ),
        ("m=fmnist-16d&ax=3", "not two of the model's 16 dimensions"),
        (
            "m=fmnist-16d&ax=-1,2",
            "not two of the model's 16 dimensions",
        ),
        ("m=fmnist-16d&f=1,2", "fixed point is not 16"),
        (
            "m=fmnist-16d&f=NaN,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0",
            "fixed point",
        ),
        ("m=fmnist-2d&pl=axes", "no choice of plane"),
        ("m=fmnist-clusters&ax=1,2", "no choice of plane"),
        ("m=fmnist-2d&d=3", "direction is not two classes"),
        ("m=fmnist-2d&d=1,256", "direction is not two classes"),
        ("m=fmnist-2d&d=<b>", "direction is not two classes"),
        (
            "m=fmnist-2d&d=sets&sf=1,2",
            "picked sets are not two points of 2",
        ),
        ("m=fmnist-2d&d=sets&sf=1,2&st=1,2,3", "picked sets"),
        ("m=fmnist-2d&d=sets&sf=NaN,2&st=1,2", "picked sets"),
        ("m=fmnist-2d&d=sets&sf=11,2&st=1,2", "picked sets"),
        ("m=fmnist-2d&t=4.5", "move along the direction"),
        ("m=fmnist-2d&t=NaN", "move along the direction"),
        (
            "m=fmnist-2d&vs=<b>",
            "compares with a model this page does not have",
        ),
        ("m=fmnist-2d&vs=local-x", "opened from disk"),
        (
            "m=fmnist-2d&vs=fmnist-16d&vsync=<b>",
            "view sync is not 0 or 1",
        ),
        ("m=fmnist-2d&vs=fmnist-16d&vc=NaN,1", "second map's centre"),
        ("m=fmnist-2d&vs=fmnist-16d&vc=1e9,1", "second map's centre"),
        ("m=fmnist-2d&vs=fmnist-16d&vz=0", "second map's zoom"),
        ("m=fmnist-2d&a=1,2&ia=-1", "test image for A"),
        ("m=fmnist-2d&b=1,2&ib=99999999999", "test image for B"),
        ("m=fmnist-2d&ib=<b>", "test image for B"),
    ];
    for (link, needle) in cases {
        let (state, problems) = decode(link, &m);
        assert!(
            problems.iter().any(|p| p.contains(needle)),
            "{link}: {problems:?}"
        );
        for p in &problems {
            assert!(
                !p.contains('<') && !p.contains("script") && !p.contains("NaN"),
                "{link}: message quotes the link: {p}"
            );
        }
        assert!(
            state.center.iter().all(|v| v.is_finite())
                && STEPS.contains(&state.steps)
                && ZOOM.contains(&state.zoom)
        );
        assert!(m.iter().any(|k| k.name == state.model));
        let clusters = m.iter().find(|k| k.name == state.model).unwrap().clusters;
        assert!(state.cluster == 0 || (state.cluster as usize) < clusters);
        let classes = m
            .iter()
            .find(|k| k.name == state.model)
            .unwrap()
            .conditional;
        assert!(state.label == 0 || (state.label as usize) < classes);
        for y in [state.label_a, state.label_b].into_iter().flatten() {
            assert!((y as usize) < classes);
        }
        assert!(classes > 0 || !matches!(state.part, Part::Code | Part::Class));
        let dim = m.iter().find(|k| k.name == state.model).unwrap().latent_dim;
        assert!(state.axes.iter().all(|&a| (a as usize) < dim.max(2)));
        assert!(state.anchor.as_ref().is_none_or(|f| f.len() == dim));
        assert!(state.shift.is_finite() && state.shift.abs() <= MAX_SHIFT);
        assert!(
            state
                .compare
                .as_ref()
                .is_none_or(|c| m.iter().any(|k| k.name == c.model) && ZOOM.contains(&c.zoom))
        );
        assert!(
            state
                .image_a
                .is_none_or(|i| i < MAX_TEST_IMAGE && state.a.is_some())
        );
    }
    let (_, problems) = decode(&"a=1,".repeat(2000), &m);
    assert!(problems[0].contains("longer than"), "{problems:?}");
}

#[test]
fn random_garbage_never_panics_and_always_gives_a_usable_state() {
    let alphabet: Vec<char> = "m=&abcinz,.-+eE0123456789#%<>\"'/ ;fmnist-2d16NaN\u{0}\u{202e}é"
        .chars()
        .collect();
    let mut rng = Rng::new(1);
    for _ in 0..20_000 {
        let len = rng.below(60);
        let text: String = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        let (s, _) = decode(&text, &models());
        let dim = models()
            .iter()
            .find(|m| m.name == s.model)
            .unwrap()
            .latent_dim;
        assert!(s.a.as_ref().is_none_or(
            |v| v.len() == dim && v.iter().all(|x| x.is_finite() && x.abs() <= MAX_COORD)
        ));
        assert!(STEPS.contains(&s.steps));
    }
}

#[test]
fn points_must_match_the_named_models_latent_size() {
    let (s, problems) = decode("m=fmnist-16d&a=1,2", &models());
    assert_eq!(s.model, "fmnist-16d");
    assert!(
        s.a.is_none() && problems[0].contains("16 finite numbers"),
        "{problems:?}"
    );
}

/// A link made with a model opened from disk waits for that file: only the one message, defaults
/// meanwhile, and once the page knows the model the same link restores everything.
#[test]
fn a_link_to_a_model_from_disk_waits_for_its_file() {
    let s = ShareState {
        a: Some(vec![0.5, -1.0]),
        zoom: 2.0,
        ..ShareState::defaults(&KnownModel {
            name: format!("{LOCAL_PREFIX}my-vae"),
            latent_dim: 2,
            clusters: 0,
            conditional: 0,
        })
    };
    let link = encode(&s);
    let d = decode_full(&link, &models());
    assert!(d.awaits_local);
    assert_eq!(d.problems.len(), 1, "{:?}", d.problems);
    assert!(d.problems[0].contains("opened from disk"));
    assert_eq!(d.state, ShareState::defaults(&models()[0]));
    let mut known = models();
    known.push(KnownModel {
        name: format!("{LOCAL_PREFIX}my-vae"),
        latent_dim: 2,
        clusters: 0,
        conditional: 0,
    });
    let d = decode_full(&link, &known);
    assert!(!d.awaits_local && d.problems.is_empty(), "{:?}", d.problems);
    assert_eq!(d.state, s);
    // Any other unknown model is not waited for.
    assert!(!decode_full("m=elsewhere", &models()).awaits_local);
}

/// A comparison with a model the page has not got is dropped with one message; its view fields
/// then mean nothing and are not reported again; an end's image without the end is dropped.
#[test]
fn a_comparison_needs_a_known_model_and_images_need_their_ends() {
    let (s, problems) = decode("m=fmnist-2d&vs=gone&vsync=0&vc=1,2&vz=3", &models());
    assert!(s.compare.is_none());
    assert_eq!(problems.len(), 1, "{problems:?}");
    let (s, problems) = decode("m=fmnist-2d&vs=fmnist-16d&vsync=0&vc=1,2&vz=3", &models());
    assert!(problems.is_empty(), "{problems:?}");
    let c = s.compare.unwrap();
    assert_eq!(
        (c.model.as_str(), c.sync, c.center, c.zoom),
        ("fmnist-16d", false, [1.0, 2.0], 3.0)
    );
    let (s, problems) = decode("m=fmnist-2d&a=1,2&ia=7&ib=8", &models());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!((s.image_a, s.image_b), (Some(7), None));
    assert!(
        !encode(&ShareState {
            image_b: Some(3),
            ..s
        })
        .contains("ib=")
    );
}
