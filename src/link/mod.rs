//! Share links: the explorer's view and interpolation as a URL fragment, and back.
//!
//! `m=fmnist-2d&c=0.5,-1.25&z=2&a=0.1,0.2&b=-1,1.5&n=10&i=slerp` (and `k=3`, the cluster a
//! model with a categorical code shows; `y=4`, the class a conditional model draws; `ya=`/`yb=`,
//! the classes of its interpolation ends; for a model above 2-D, `pl=axes` with `ax=3,7`, the
//! map's plane as two latent axes instead of the test set's PCA, and `f=…`, the fixed point
//! the plane passes through; `d=5,7` a direction from class 5's mean test code to class 7's, or
//! `d=ab` from A to B, or `d=sets` with `sf=…` and `st=…`, the means of two sets of points picked
//! on the map, and `t=1.5` how far A (or the map's centre) moves along it; `vs=fmnist-16d` a
//! second model shown beside the first, its map's own view `vc=…&vz=…`, and `vsync=0` when it
//! does not follow the first map's view; `ia=12&ib=345`, the test images the ends are the codes of, so
//! that the second model interpolates between its own codes of the same images)
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
/// Test image numbers a link may name (the page checks the model's test set has the image).
pub const MAX_TEST_IMAGE: u32 = 1 << 20;
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

/// A second model shown beside the first: its name, and whether its map follows the first
/// one's view (`sync`; only where the two maps show the same coordinates) or has its own.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Comparison {
    pub model: String,
    pub sync: bool,
    pub center: [f32; 2],
    pub zoom: f32,
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
    /// Or from the mean of one picked set of points to the mean of another (full codes).
    #[serde(default)]
    pub set_means: Option<[Vec<f32>; 2]>,
    #[serde(default = "one_shift")]
    pub shift: f32,
    /// A second model beside the first (`None`: one map).
    #[serde(default)]
    pub compare: Option<Comparison>,
    /// The test images (by number) whose codes the ends are, when they are (the second model of
    /// a comparison interpolates between its own codes of the same images).
    #[serde(default)]
    pub image_a: Option<u32>,
    #[serde(default)]
    pub image_b: Option<u32>,
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
            set_means: None,
            shift: one_shift(),
            compare: None,
            image_a: None,
            image_b: None,
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
    } else if let Some([from, to]) = &s.set_means {
        out.push_str("&d=sets&sf=");
        list(&mut out, from);
        out.push_str("&st=");
        list(&mut out, to);
    }
    if s.shift != one_shift() {
        out.push_str("&t=");
        num(&mut out, s.shift);
    }
    if let Some(c) = &s.compare {
        let _ = write!(out, "&vs={}", c.model);
        if !c.sync {
            out.push_str("&vsync=0");
        }
        // The second map's own view, kept even while it follows the first map: the views go
        // apart again where the two maps stop showing the same coordinates.
        out.push_str("&vc=");
        list(&mut out, &c.center);
        out.push_str("&vz=");
        num(&mut out, c.zoom);
    }
    for (key, image, end) in [("ia", s.image_a, &s.a), ("ib", s.image_b, &s.b)] {
        if let (Some(i), Some(_)) = (image, end) {
            let _ = write!(out, "&{key}={i}");
        }
    }
    out
}

mod decode;
pub use decode::{decode, decode_full};

#[cfg(test)]
mod tests;
