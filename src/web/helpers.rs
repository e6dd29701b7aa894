//! Pure explorer functions for the page: share links, map planes, interpolation paths and
//! upload preprocessing. Thin wrappers: the logic lives in `explorer` and `link`, tested natively.

use crate::explorer;
use crate::link::{self, KnownModel, ShareState};
use crate::pca::Pca;
use serde::Serialize;
use wasm_bindgen::prelude::*;

pub(super) fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsError> {
    // Plain objects (not Maps) so the page can read fields directly.
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

/// Parse a share-link fragment against the page's models. Never fails: unusable fields fall back
/// to defaults and `problems` says what was replaced, in words that quote nothing from the link.
#[wasm_bindgen(js_name = decodeLink)]
pub fn decode_link(fragment: &str, models: JsValue) -> Result<JsValue, JsError> {
    let models: Vec<KnownModel> = serde_wasm_bindgen::from_value(models)
        .map_err(|e| JsError::new(&format!("model list: {e}")))?;
    to_js(&link::decode_full(fragment, &models))
}

/// The fragment (without '#') for a view.
#[wasm_bindgen(js_name = encodeLink)]
pub fn encode_link(state: JsValue) -> Result<String, JsError> {
    let state: ShareState = serde_wasm_bindgen::from_value(state)
        .map_err(|e| JsError::new(&format!("view state: {e}")))?;
    Ok(link::encode(&state))
}

#[derive(Serialize)]
struct PcaPlane {
    mean: Vec<f32>,
    u: Vec<f32>,
    v: Vec<f32>,
    /// Variance of the encodings along u and v.
    variances: [f64; 2],
}

/// The plane of the two principal axes of `means` (row-major, `dim` columns).
#[wasm_bindgen(js_name = pcaPlane)]
pub fn pca_plane(means: &[f32], dim: usize) -> Result<JsValue, JsError> {
    if dim < 2 || means.len() < 2 * dim || !means.len().is_multiple_of(dim) {
        return Err(JsError::new(
            "need at least two encodings of two or more dimensions",
        ));
    }
    let pca = Pca::fit(means, dim);
    let f = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
    to_js(&PcaPlane {
        mean: f(&pca.mean),
        u: f(&pca.axes[0]),
        v: f(&pca.axes[1]),
        variances: [pca.variances[0], pca.variances[1]],
    })
}

/// `steps` latent points from `a` to `b` (flattened), linear or spherical.
#[wasm_bindgen]
pub fn interpolate(
    a: &[f32],
    b: &[f32],
    steps: usize,
    spherical: bool,
) -> Result<Vec<f32>, JsError> {
    interpolate_part(a, b, steps, spherical, 0, a.len())
}

/// Like `interpolate`, moving only coordinates `from..to` (content or style); the rest stay at A.
#[wasm_bindgen(js_name = interpolatePart)]
pub fn interpolate_part(
    a: &[f32],
    b: &[f32],
    steps: usize,
    spherical: bool,
    from: usize,
    to: usize,
) -> Result<Vec<f32>, JsError> {
    if a.len() != b.len() || a.is_empty() || from >= to || to > a.len() {
        return Err(JsError::new(
            "interpolation ends must have the same dimension and the part must lie inside it",
        ));
    }
    let steps = steps.clamp(*link::STEPS.start() as usize, *link::STEPS.end() as usize);
    Ok(explorer::interpolate_part(a, b, steps, spherical, from, to)
        .into_iter()
        .flatten()
        .collect())
}

/// Each content code with each style code (see `explorer::mix`), flattened row-major.
#[wasm_bindgen(js_name = mixCodes)]
pub fn mix_codes(
    contents: &[f32],
    styles: &[f32],
    dim: usize,
    content_dim: usize,
) -> Result<Vec<f32>, JsError> {
    if dim == 0
        || content_dim >= dim
        || !contents.len().is_multiple_of(dim)
        || !styles.len().is_multiple_of(dim)
    {
        return Err(JsError::new(
            "codes do not match the model's content/style split",
        ));
    }
    Ok(explorer::mix(contents, styles, dim, content_dim))
}

/// A conditional model's decoder input: each `dim`-wide code followed by its label vector (one
/// for all codes, or one per code), see `explorer::with_labels`.
#[wasm_bindgen(js_name = withLabels)]
pub fn with_labels(
    z: &[f32],
    dim: usize,
    labels: &[f32],
    classes: usize,
) -> Result<Vec<f32>, JsError> {
    explorer::with_labels(z, dim, labels, classes)
        .ok_or_else(|| JsError::new("codes and labels do not match the model's sizes"))
}

/// Decoder inputs for each code of `z` under every class (see `explorer::every_class`): the
/// "same style, every class" table, code-major.
#[wasm_bindgen(js_name = everyClass)]
pub fn every_class(z: &[f32], dim: usize, classes: usize) -> Result<Vec<f32>, JsError> {
    if z.len() / dim.max(1) * classes > super::MAX_BATCH {
        return Err(JsError::new("too many codes for one table"));
    }
    explorer::every_class(z, dim, classes)
        .ok_or_else(|| JsError::new("codes do not match the model's latent size"))
}

/// Label vectors for an interpolation that moves the class (see `explorer::class_blend`).
#[wasm_bindgen(js_name = classBlend)]
pub fn class_blend(
    from: usize,
    to: usize,
    steps: usize,
    classes: usize,
) -> Result<Vec<f32>, JsError> {
    let steps = steps.clamp(*link::STEPS.start() as usize, *link::STEPS.end() as usize);
    explorer::class_blend(from, to, steps, classes)
        .ok_or_else(|| JsError::new("the interpolation's classes are not the model's"))
}

/// An uploaded file's bytes -> its `[width, height]` from the header; throws the page's message
/// when the file is not a readable PNG, JPEG, GIF or WebP or claims more than 40 megapixels.
#[wasm_bindgen(js_name = checkUploadHeader)]
pub fn check_upload_header(bytes: &[u8]) -> Result<Vec<u32>, JsError> {
    let (w, h) = crate::data::upload::check_upload_header(bytes).map_err(|e| JsError::new(&e))?;
    Ok(vec![w as u32, h as u32])
}

/// RGBA pixels of an upload or drawing -> one `side` x `side` model input in [0, 1], ink bright,
/// cropped to the drawing and scaled so its longer side spans `fit` pixels.
#[wasm_bindgen(js_name = prepareImage)]
pub fn prepare_image(
    rgba: &[u8],
    width: usize,
    height: usize,
    side: usize,
    fit: usize,
) -> Result<Vec<f32>, JsError> {
    crate::data::upload::prepare_image(rgba, width, height, side, fit).map_err(|e| JsError::new(&e))
}

/// The mean test code of each class (`classes * dim` values; a class without test images has a
/// zero mean and is not offered), see `explorer::arithmetic`.
#[wasm_bindgen(js_name = classMeans)]
pub fn class_means(means: &[f32], labels: &[u8], dim: usize) -> Result<JsValue, JsError> {
    if dim == 0 || means.len() != labels.len() * dim {
        return Err(JsError::new("test codes and labels do not match"));
    }
    let (means, counts) = explorer::arithmetic::class_means(means, labels, dim);
    to_js(&serde_json::json!({ "means": means, "counts": counts }))
}

/// The mean of `points` (`n * dim` values): an end of a direction between two picked sets.
#[wasm_bindgen]
pub fn centroid(points: &[f32], dim: usize) -> Result<Vec<f32>, JsError> {
    explorer::arithmetic::centroid(points, dim)
        .ok_or_else(|| JsError::new("a set of points needs at least one whole point"))
}

/// `z + t (to − from)`: a point moved along a direction (t = 1: the analogy from : to :: z : ?).
#[wasm_bindgen(js_name = movePoint)]
pub fn move_point(z: &[f32], from: &[f32], to: &[f32], t: f32) -> Result<Vec<f32>, JsError> {
    explorer::arithmetic::moved(z, from, to, t)
        .ok_or_else(|| JsError::new("the point and the direction have different sizes"))
}

/// The share-link limits, so the page's controls offer exactly what a link can hold.
#[wasm_bindgen(js_name = linkLimits)]
pub fn link_limits() -> Result<JsValue, JsError> {
    to_js(&serde_json::json!({
        "maxCoord": link::MAX_COORD,
        "maxCentre": link::MAX_CENTRE,
        "maxMix": link::MAX_MIX,
        "localPrefix": link::LOCAL_PREFIX,
        "maxShift": link::MAX_SHIFT,
        "steps": [link::STEPS.start(), link::STEPS.end()],
        "zoom": [link::ZOOM.start(), link::ZOOM.end()],
    }))
}

/// Where the page finds test image `index` of `dataset`: `{ file, position }`, the file relative
/// to pkg/ (see `bundle::test_image_file`).
#[wasm_bindgen(js_name = testImageFile)]
pub fn test_image_file(dataset: &str, index: usize) -> Result<JsValue, JsError> {
    let (file, position) = crate::bundle::test_image_file(dataset, index);
    to_js(&serde_json::json!({ "file": file, "position": position }))
}

/// An animated GIF of an interpolation strip, written frame by frame (a decode worker reports
/// progress between frames); see `explorer::animation`.
#[wasm_bindgen(js_name = GifExport)]
pub struct GifExport(Option<explorer::animation::GifWriter>);

#[wasm_bindgen(js_class = GifExport)]
impl GifExport {
    #[wasm_bindgen(constructor)]
    pub fn new(
        side: usize,
        scale: usize,
        delay_ms: u32,
        comment: &str,
    ) -> Result<GifExport, JsError> {
        explorer::animation::GifWriter::new(side, scale, delay_ms, comment)
            .map(|w| GifExport(Some(w)))
            .map_err(|e| JsError::new(&e))
    }

    /// One frame of `side * side` grey bytes.
    #[wasm_bindgen(js_name = addFrame)]
    pub fn add_frame(&mut self, grey: &[u8]) -> Result<(), JsError> {
        self.0
            .as_mut()
            .ok_or_else(|| JsError::new("the GIF is already finished"))?
            .add_frame(grey)
            .map_err(|e| JsError::new(&e))
    }

    /// The file's bytes (the writer is used up).
    pub fn finish(&mut self) -> Result<Vec<u8>, JsError> {
        self.0
            .take()
            .ok_or_else(|| JsError::new("the GIF is already finished"))?
            .finish()
            .map_err(|e| JsError::new(&e))
    }
}
