//! The judge on the page: a small classifier of the dataset's classes (the one evaluation uses)
//! that guesses an upload's class, so a conditional model can encode it without being told.

use super::helpers::to_js;
use crate::model::Judge;
use burn::prelude::*;
use burn::tensor::activation::softmax;
use js_sys::{Float32Array, Promise};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// One judge file opened on the CPU (a few images at a time: no GPU needed).
#[wasm_bindgen]
pub struct JudgeSession {
    judge: Rc<Judge>,
    manifest: crate::model::JudgeManifest,
    device: Device,
}

/// Open a judge file; a damaged or foreign file is reported by what is wrong with it.
#[wasm_bindgen(js_name = openJudge)]
pub fn open_judge(bytes: &[u8]) -> Result<JudgeSession, JsError> {
    let device = Device::flex();
    let (judge, manifest) = Judge::from_bytes(bytes, &device).map_err(|e| JsError::new(&e))?;
    Ok(JudgeSession {
        judge: Rc::new(judge),
        manifest,
        device,
    })
}

#[wasm_bindgen]
impl JudgeSession {
    /// The dataset, class names, image side and test accuracy the file records.
    pub fn manifest(&self) -> Result<JsValue, JsError> {
        to_js(&self.manifest)
    }

    /// `x`: n images of side*side values in [0, 1] -> promise of class probabilities, row-major
    /// `[n, k]`.
    pub fn classify(&self, x: Vec<f32>) -> Promise {
        let judge = self.judge.clone();
        let (side, device) = (self.manifest.image_side, self.device.clone());
        future_to_promise(async move {
            let p = probabilities(&judge, side, &device, x).await?;
            Ok(Float32Array::from(p.as_slice()).into())
        })
    }
}

async fn probabilities(
    judge: &Judge,
    s: usize,
    device: &Device,
    x: Vec<f32>,
) -> Result<Vec<f32>, JsError> {
    let n = x.len() / (s * s);
    if n == 0 || n * s * s != x.len() || n > super::MAX_BATCH {
        return Err(JsError::new(&format!(
            "expected 1..={} whole {s}x{s} images",
            super::MAX_BATCH
        )));
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(JsError::new("pixel values must be finite"));
    }
    let x = Tensor::<4>::from_data(TensorData::new(x, [n, 1, s, s]), device);
    softmax(judge.logits(x), 1)
        .into_data_async()
        .await
        .map_err(|e| JsError::new(&format!("reading the judge's output: {e:?}")))?
        .try_into_vec::<f32>()
        .map_err(|e| JsError::new(&format!("the judge's output: {e:?}")))
}
