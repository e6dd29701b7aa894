//! Share links: the explorer's view and interpolation as a URL fragment, and back.
//!
//! `m=fmnist-2d&c=0.5,-1.25&z=2&a=0.1,0.2&b=-1,1.5&n=10&i=slerp` (and `k=3`, the cluster a
//! model with a categorical code shows; `y=4`, the class a conditional model draws; `ya=`/`yb=`,
//! the classes of its interpolation ends; for a model above 2-D, `pl=axes` with `ax=3,7`, the
//! map's plane as two latent axes instead of the test set's PCA, and `f=…`, the fixed point
//! the plane passes through; `d=5,7` a direction from class 5's mean test code to class 7's, or
//! `d=ab` from A to B, and `t=1.5` how far A (or the map's centre) moves along it)
//!
//! Decoding never fails: a link is untrusted input, so every field is parsed on its own, checked
//! against the known models and sane ranges, and replaced by its default when it is unusable.
//! What was wrong comes back as short messages written by this module; they never quote the
//! link's text, so nothing from a link can reach the page as markup.

use std::fmt::Write;

pub const MAX_FRAGMENT: usize = 4096;
pub const MAX_COORD: f32 = 10.0;
/// The map's centre, in either plane coordinate: the page pans no farther, so every view it
/// shows fits in a link.
pub const MAX_CENTRE: f32 = 100.0;
pub const STEPS: std::ops::RangeInclusive<u32> = 2..=64;
pub const ZOOM: std::ops::RangeInclusive<f32> = 0.05..=50.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interpolation {
    Linear,
    Spherical,
}

/// What an interpolation moves: everything, only a content/style model's content or style (the
/// other part stays at A's), or only a conditional model's code or class (the other stays at
/// A's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    #[default]
    All,
    Content,
    Style,
    Code,
    Class,
}

pub const MAX_MIX: u32 = 1_000_000;
/// How far a point may move along a latent direction, in whole directions.
pub const MAX_SHIFT: f32 = 4.0;

/// The page names a model opened from a file on the visitor's disk `local-<the file's model
/// name>` (model names are link-safe, see `bundle`), so a link can say which file it needs.
pub const LOCAL_PREFIX: &str = "local-";

/// A decoded link: the state, what was replaced and why, and whether the link names a model
/// opened from disk that this page has not opened (then `state` is the defaults: the page waits
/// for that file and applies the link again once it is open).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Decoded {
    pub state: ShareState,
    pub problems: Vec<String>,
    pub awaits_local: bool,
}

/// The map's plane for a code above 2-D: the test encodings' first two principal axes, or two
/// latent axes (`ShareState::axes`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plane {
    #[default]
    Pca,
    Axes,
}

/// What a link restores.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ShareState {
    pub model: String,
    /// Centre of the map in plane coordinates.
    pub center: [f32; 2],
    pub zoom: f32,
    /// Interpolation ends as full latent vectors.
    pub a: Option<Vec<f32>>,
    pub b: Option<Vec<f32>>,
    pub steps: u32,
    pub mode: Interpolation,
    #[serde(default)]
    pub part: Part,
    /// Which drawings a content/style model's mixing grid shows (a shuffle number, 1 first).
    #[serde(default = "one")]
    pub mix: u32,
    /// The cluster (0-based) whose style plane a model with a categorical code shows.
    #[serde(default)]
    pub cluster: u32,
    /// The class (0-based) a conditional model draws and encodes as.
    #[serde(default)]
    pub label: u32,
    /// A conditional model's classes at the interpolation ends (`None`: the drawn class).
    #[serde(default)]
    pub label_a: Option<u32>,
    #[serde(default)]
    pub label_b: Option<u32>,
    /// The plane of a model above 2-D, its two latent axes (used when `plane` is `Axes`, kept
    /// either way) and the point it passes through (`None`: the test mean for PCA, else 0).
    #[serde(default)]
    pub plane: Plane,
    #[serde(default = "first_axes")]
    pub axes: [u32; 2],
    #[serde(default)]
    pub anchor: Option<Vec<f32>>,
    /// Latent arithmetic: a direction from one class's mean test code to another's, or (when
    /// `along_ends`) from A to B, and how far the point moves along it.
    #[serde(default)]
    pub direction: Option<[u32; 2]>,
    #[serde(default)]
    pub along_ends: bool,
    #[serde(default = "one_shift")]
    pub shift: f32,
}

fn one_shift() -> f32 {
    1.0
}

fn first_axes() -> [u32; 2] {
    [0, 1]
}

fn one() -> u32 {
    1
}

/// A model a link may name, with its latent size and the clusters of its categorical code
/// (0: none).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct KnownModel {
    pub name: String,
    pub latent_dim: usize,
    #[serde(default)]
    pub clusters: usize,
    /// A conditional model's number of classes (0: not conditional).
    #[serde(default)]
    pub conditional: usize,
}

impl ShareState {
    pub fn defaults(model: &KnownModel) -> Self {
        Self {
            model: model.name.clone(),
            center: [0.0, 0.0],
            zoom: 1.0,
            a: None,
            b: None,
            steps: 10,
            mode: Interpolation::Linear,
            part: Part::All,
            mix: 1,
            cluster: 0,
            label: 0,
            label_a: None,
            label_b: None,
            plane: Plane::Pca,
            axes: first_axes(),
            anchor: None,
            direction: None,
            along_ends: false,
            shift: one_shift(),
        }
    }
}

/// Shortest decimal that reads back to the same f32 (Rust's float formatting guarantees it).
fn num(out: &mut String, v: f32) {
    let _ = write!(out, "{v}");
}

fn list(out: &mut String, v: &[f32]) {
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        num(out, *x);
    }
}

/// The fragment (without '#') for `s`.
pub fn encode(s: &ShareState) -> String {
    let mut out = format!("m={}", s.model);
    out.push_str("&c=");
    list(&mut out, &s.center);
    out.push_str("&z=");
    num(&mut out, s.zoom);
    for (key, v) in [("a", &s.a), ("b", &s.b)] {
        if let Some(v) = v {
            let _ = write!(out, "&{key}=");
            list(&mut out, v);
        }
    }
    let _ = write!(
        out,
        "&n={}&i={}",
        s.steps,
        if s.mode == Interpolation::Spherical {
            "slerp"
        } else {
            "lerp"
        }
    );
    match s.part {
        Part::All => {}
        Part::Content => out.push_str("&p=content"),
        Part::Style => out.push_str("&p=style"),
        Part::Code => out.push_str("&p=code"),
        Part::Class => out.push_str("&p=class"),
    }
    if s.mix != 1 {
        let _ = write!(out, "&x={}", s.mix);
    }
    if s.cluster != 0 {
        let _ = write!(out, "&k={}", s.cluster);
    }
    if s.label != 0 {
        let _ = write!(out, "&y={}", s.label);
    }
    for (key, label) in [("ya", s.label_a), ("yb", s.label_b)] {
        if let Some(y) = label {
            let _ = write!(out, "&{key}={y}");
        }
    }
    if s.plane == Plane::Axes {
        out.push_str("&pl=axes");
    }
    if s.axes != first_axes() {
        let _ = write!(out, "&ax={},{}", s.axes[0], s.axes[1]);
    }
    if let Some(f) = &s.anchor {
        out.push_str("&f=");
        list(&mut out, f);
    }
    if let Some([from, to]) = s.direction {
        let _ = write!(out, "&d={from},{to}");
    } else if s.along_ends {
        out.push_str("&d=ab");
    }
    if s.shift != one_shift() {
        out.push_str("&t=");
        num(&mut out, s.shift);
    }
    out
}

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
    if let Some(c) = get("c") {
        match parse_floats(c, 2, MAX_CENTRE) {
            Some(v) => state.center = [v[0], v[1]],
            None => problems.push(
                "The link's map centre is not two finite numbers in range; centring the map."
                    .into(),
            ),
        }
    }
    if let Some(z) = get("z") {
        match z.parse::<f32>().ok().filter(|z| ZOOM.contains(z)) {
            Some(z) => state.zoom = z,
            None => problems.push(format!(
                "The link's zoom is outside {}..{}; using 1.",
                ZOOM.start(),
                ZOOM.end()
            )),
        }
    }
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
        Some(text) => {
            // Test labels are bytes: a class is below 256 (the page checks the model has it).
            let pair: Option<Vec<u32>> = text.split(',').map(|t| t.trim().parse().ok()).collect();
            match pair.filter(|v| v.len() == 2 && v.iter().all(|&c| c < 256)) {
                Some(v) => state.direction = Some([v[0], v[1]]),
                None => problems.push(
                    "The link's latent direction is not two classes or ab; no direction is set."
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
    let known = [
        "m", "c", "z", "a", "b", "n", "i", "p", "x", "k", "y", "ya", "yb", "pl", "ax", "f", "d",
        "t",
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

#[cfg(test)]
mod tests;
