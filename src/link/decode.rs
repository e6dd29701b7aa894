//! Reading a share link: every field parsed on its own, checked against the known models and
//! sane ranges, and replaced by its default (with a message in this module's own words) when it
//! is unusable.

use super::*;

fn parse_floats(text: &str, expected: usize, limit: f32) -> Option<Vec<f32>> {
    let v: Vec<f32> = text
        .split(',')
        .map(|t| {
            t.trim()
                .parse::<f32>()
                .ok()
                .filter(|x| x.is_finite() && x.abs() <= limit)
        })
        .collect::<Option<_>>()?;
    (v.len() == expected).then_some(v)
}

/// Restore a state from a fragment (leading '#' optional). Unknown or unusable parts fall back
/// to defaults and add a message; the first known model is the default model.
pub fn decode(fragment: &str, models: &[KnownModel]) -> (ShareState, Vec<String>) {
    let d = decode_full(fragment, models);
    (d.state, d.problems)
}

/// `decode`, and whether the link waits for a model file from disk (`Decoded::awaits_local`).
pub fn decode_full(fragment: &str, models: &[KnownModel]) -> Decoded {
    let mut awaits_local = false;
    let (state, problems) = decode_fields(fragment, models, &mut awaits_local);
    Decoded {
        state,
        problems,
        awaits_local,
    }
}

fn decode_fields(
    fragment: &str,
    models: &[KnownModel],
    awaits_local: &mut bool,
) -> (ShareState, Vec<String>) {
    let fallback = models.first().cloned().unwrap_or(KnownModel {
        name: String::new(),
        latent_dim: 2,
        clusters: 0,
        conditional: 0,
    });
    let mut state = ShareState::defaults(&fallback);
    let mut problems = Vec::new();
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    if fragment.is_empty() {
        return (state, problems);
    }
    if fragment.len() > MAX_FRAGMENT {
        problems.push(format!(
            "The link is longer than {MAX_FRAGMENT} characters; showing the default view."
        ));
        return (state, problems);
    }
    let pairs: Vec<(&str, &str)> = fragment
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    let get = |key: &str| pairs.iter().rev().find(|(k, _)| *k == key).map(|(_, v)| *v);
    let model = match get("m") {
        Some(name) => {
            match models.iter().find(|m| m.name == name) {
                Some(m) => m.clone(),
                // The rest of the link belongs to that model: it is applied once the file is open.
                None if name.starts_with(LOCAL_PREFIX) => {
                    *awaits_local = true;
                    problems.push("The link was made with a model file opened from disk; open the same file here (Open model file…) to see it.".into());
                    return (state, problems);
                }
                None => {
                    problems.push("The link names a model this page does not have; showing the default model.".into());
                    fallback.clone()
                }
            }
        }
        None => fallback.clone(),
    };
    state = ShareState::defaults(&model);
    (state.center, state.zoom) = decode_view(&get, ["c", "z"], "The link's map", &mut problems);
    for (key, slot) in [("a", &mut state.a), ("b", &mut state.b)] {
        if let Some(text) = get(key) {
            match parse_floats(text, model.latent_dim, MAX_COORD) {
                Some(v) => *slot = Some(v),
                None => problems.push(format!(
                    "The link's point {} is not {} finite numbers within ±{MAX_COORD}; it was dropped.",
                    key.to_uppercase(),
                    model.latent_dim
                )),
            }
        }
    }
    if let Some(n) = get("n") {
        match n.parse::<u32>().ok().filter(|n| STEPS.contains(n)) {
            Some(n) => state.steps = n,
            None => problems.push(format!(
                "The link's step count is outside {}..{}; using 10.",
                STEPS.start(),
                STEPS.end()
            )),
        }
    }
    match get("i") {
        None | Some("lerp") => {}
        Some("slerp") => state.mode = Interpolation::Spherical,
        Some(_) => problems.push("The link's interpolation mode is unknown; using linear.".into()),
    }
    match get("p") {
        None | Some("all") => {}
        Some("content") => state.part = Part::Content,
        Some("style") => state.part = Part::Style,
        Some("code" | "class") if model.conditional == 0 => problems.push(
            "The link moves a class, but this model is not conditional; interpolating everything."
                .into(),
        ),
        Some("code") => state.part = Part::Code,
        Some("class") => state.part = Part::Class,
        Some(_) => problems
            .push("The link's interpolation part is unknown; interpolating everything.".into()),
    }
    if let Some(x) = get("x") {
        match x.parse::<u32>().ok().filter(|x| (1..=MAX_MIX).contains(x)) {
            Some(x) => state.mix = x,
            None => problems.push(format!(
                "The link's mixing-grid number is outside 1..{MAX_MIX}; using 1."
            )),
        }
    }
    if let Some(k) = get("k") {
        match k
            .parse::<u32>()
            .ok()
            .filter(|&k| (k as usize) < model.clusters)
        {
            Some(k) => state.cluster = k,
            None if model.clusters == 0 => {
                problems.push("The link names a cluster, but this model has none; ignored.".into())
            }
            None => problems.push(format!(
                "The link's cluster is not one of the model's {} clusters; showing the first.",
                model.clusters
            )),
        }
    }
    // A class field: one of the model's classes, else a message and the default.
    let mut class = |key: &str, what: &str| -> Option<u32> {
        let text = get(key)?;
        let y = text
            .parse::<u32>()
            .ok()
            .filter(|&y| (y as usize) < model.conditional);
        match y {
            None if model.conditional == 0 => problems.push(format!(
                "The link names a {what}, but this model is not conditional; ignored."
            )),
            None => problems.push(format!(
                "The link's {what} is not one of the model's {} classes; using the first.",
                model.conditional
            )),
            Some(_) => {}
        }
        y
    };
    state.label = class("y", "class").unwrap_or(0);
    state.label_a = class("ya", "class for A");
    state.label_b = class("yb", "class for B");
    decode_plane(&get, &model, &mut state, &mut problems);
    match get("d") {
        None => {}
        Some("ab") => state.along_ends = true,
        Some("sets") => {
            let code = |key| get(key).and_then(|t| parse_floats(t, model.latent_dim, MAX_COORD));
            match (code("sf"), code("st")) {
                (Some(from), Some(to)) => state.set_means = Some([from, to]),
                _ => problems.push(format!(
                    "The link's picked sets are not two points of {} finite numbers within ±{MAX_COORD}; no direction is set.",
                    model.latent_dim
                )),
            }
        }
        Some(text) => {
            // Test labels are bytes: a class is below 256 (the page checks the model has it).
            let pair: Option<Vec<u32>> = text.split(',').map(|t| t.trim().parse().ok()).collect();
            match pair.filter(|v| v.len() == 2 && v.iter().all(|&c| c < 256)) {
                Some(v) => state.direction = Some([v[0], v[1]]),
                None => problems.push(
                    "The link's latent direction is not two classes, ab or sets; no direction is set."
                        .into(),
                ),
            }
        }
    }
    if let Some(t) = get("t") {
        match t
            .parse::<f32>()
            .ok()
            .filter(|t| t.is_finite() && t.abs() <= MAX_SHIFT)
        {
            Some(t) => state.shift = t,
            None => problems.push(format!(
                "The link's move along the direction is not a number within ±{MAX_SHIFT}; using 1."
            )),
        }
    }
    state.compare = decode_compare(&get, models, &mut problems);
    for (key, slot, end) in [
        ("ia", &mut state.image_a, &state.a),
        ("ib", &mut state.image_b, &state.b),
    ] {
        let Some(text) = get(key) else { continue };
        match text.parse::<u32>().ok().filter(|&i| i < MAX_TEST_IMAGE) {
            // An end's image only means something with the end.
            Some(i) => *slot = end.is_some().then_some(i),
            None => problems.push(format!(
                "The link's test image for {} is not a number below {MAX_TEST_IMAGE}; ignored.",
                &key[1..].to_uppercase()
            )),
        }
    }
    let known = [
        "m", "c", "z", "a", "b", "n", "i", "p", "x", "k", "y", "ya", "yb", "pl", "ax", "f", "d",
        "sf", "st", "t", "vs", "vsync", "vc", "vz", "ia", "ib",
    ];
    if pairs.iter().any(|(k, _)| !known.contains(k)) {
        problems
            .push("The link has parts this page does not understand; they were ignored.".into());
    }
    (state, problems)
}

/// The plane fields (`pl`, `ax`, `f`): only a model above 2-D without a categorical code has a
/// choice of plane (a categorical model's map is its clusters' style plane).
fn decode_plane<'a>(
    get: &impl Fn(&str) -> Option<&'a str>,
    model: &KnownModel,
    state: &mut ShareState,
    problems: &mut Vec<String>,
) {
    let (plane, axes, anchor) = (get("pl"), get("ax"), get("f"));
    if plane.is_none() && axes.is_none() && anchor.is_none() {
        return;
    }
    if model.latent_dim <= 2 || model.clusters > 0 {
        problems.push(
            "The link chooses a plane, but this model's map has no choice of plane; ignored."
                .into(),
        );
        return;
    }
    match plane {
        None | Some("pca") => {}
        Some("axes") => state.plane = Plane::Axes,
        Some(_) => problems.push("The link's plane is unknown; showing the PCA plane.".into()),
    }
    if let Some(text) = axes {
        let dim = model.latent_dim as u32;
        let pair: Option<Vec<u32>> = text
            .split(',')
            .map(|t| t.trim().parse::<u32>().ok())
            .collect();
        match pair.filter(|v| v.len() == 2 && v.iter().all(|&a| a < dim)) {
            Some(v) => state.axes = [v[0], v[1]],
            None => problems.push(format!(
                "The link's plane axes are not two of the model's {dim} dimensions; using the first two."
            )),
        }
    }
    if let Some(text) = anchor {
        match parse_floats(text, model.latent_dim, MAX_COORD) {
            Some(v) => state.anchor = Some(v),
            None => problems.push(format!(
                "The link's fixed point is not {} finite numbers within ±{MAX_COORD}; it was dropped.",
                model.latent_dim
            )),
        }
    }
}

/// The comparison fields (`vs`, `vsync`, `vc`, `vz`): a second model the page knows, and its own
/// view when it does not follow the first map's.
fn decode_compare<'a>(
    get: &impl Fn(&str) -> Option<&'a str>,
    models: &[KnownModel],
    problems: &mut Vec<String>,
) -> Option<Comparison> {
    let name = get("vs")?;
    let Some(model) = models.iter().find(|m| m.name == name) else {
        problems.push(if name.starts_with(LOCAL_PREFIX) {
            "The link compares with a model file opened from disk; open the same file here (Open model file…) and choose it to compare.".into()
        } else {
            "The link compares with a model this page does not have; showing one map.".into()
        });
        return None;
    };
    let mut c = Comparison {
        model: model.name.clone(),
        sync: true,
        center: [0.0, 0.0],
        zoom: 1.0,
    };
    match get("vsync") {
        None | Some("1") => {}
        Some("0") => c.sync = false,
        Some(_) => {
            problems.push("The link's view sync is not 0 or 1; the maps move together.".into())
        }
    }
    (c.center, c.zoom) = decode_view(get, ["vc", "vz"], "The second map's", problems);
    Some(c)
}

/// A map's view: its centre and zoom fields (`keys`), each its default when unusable; `what`
/// names the map in the messages.
fn decode_view<'a>(
    get: &impl Fn(&str) -> Option<&'a str>,
    keys: [&str; 2],
    what: &str,
    problems: &mut Vec<String>,
) -> ([f32; 2], f32) {
    let mut view = ([0.0, 0.0], 1.0);
    if let Some(text) = get(keys[0]) {
        match parse_floats(text, 2, MAX_CENTRE) {
            Some(v) => view.0 = [v[0], v[1]],
            None => problems.push(format!(
                "{what} centre is not two finite numbers in range; centring it."
            )),
        }
    }
    if let Some(z) = get(keys[1]) {
        match z.parse::<f32>().ok().filter(|z| ZOOM.contains(z)) {
            Some(z) => view.1 = z,
            None => problems.push(format!(
                "{what} zoom is outside {}..{}; using 1.",
                ZOOM.start(),
                ZOOM.end()
            )),
        }
    }
    view
}
