//! A loaded model on one device: decode latent points to greyscale bytes, encode images.

use crate::bundle::Bundle;
use crate::model::Vae;
use crate::rng::Rng;
use burn::prelude::*;
use js_sys::{Float32Array, Promise, Uint8Array};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::MAX_BATCH;

struct Inner {
    bundle: Bundle,
    model: Vae,
    device: Device,
    backend: &'static str,
}

/// One model file opened on one backend.
#[wasm_bindgen]
pub struct Session {
    inner: Rc<Inner>,
}

/// Open a model file (`bytes`) on `backend` ("webgpu" or "cpu"). Validates the file first, so a
/// damaged download is reported by what is wrong with it; a missing WebGPU adapter is an error
/// the page answers by opening the CPU session instead.
#[wasm_bindgen(js_name = openSession)]
pub async fn open_session(bytes: Vec<u8>, backend: String) -> Result<Session, JsError> {
    let bundle = Bundle::from_bytes(&bytes).map_err(|e| JsError::new(&e.to_string()))?;
    let (device, backend) = match backend.as_str() {
        "webgpu" => (webgpu_device().await?, "webgpu"),
        "cpu" => (Device::flex(), "cpu"),
        _ => return Err(JsError::new("unknown backend (expected webgpu or cpu)")),
    };
    let model = bundle
        .model(&device)
        .map_err(|e| JsError::new(&e.to_string()))?;
    let inner = Rc::new(Inner {
        bundle,
        model,
        device,
        backend,
    });
    // On WebGPU, one tiny decode compiles the shaders and proves the device works before the
    // page commits to it. Not on the CPU, where it cannot fail once the file has validated: the
    // page's CPU session lives on the main thread, and a first decode there compiles the
    // decoder's wasm (lazily, function by function) while the first grid is still coming.
    if backend == "webgpu" {
        decode_bytes(&inner, vec![0.0; inner.bundle.code_dim()]).await?;
    }
    Ok(Session { inner })
}

#[cfg(feature = "webgpu")]
thread_local! {
    // burn registers one runtime per WebGPU device and refuses a second registration, so the
    // page initialises the adapter once and every later session (other models) shares it.
    static WEBGPU: std::cell::RefCell<Option<Device>> = const { std::cell::RefCell::new(None) };
}

#[cfg(feature = "webgpu")]
async fn webgpu_device() -> Result<Device, JsError> {
    if let Some(device) = WEBGPU.with(|d| d.borrow().clone()) {
        return Ok(device);
    }
    let device = Device::wgpu_options()
        .graphics_api(burn::tensor::wgpu::WgpuBackend::WebGpu)
        .init_async()
        .await
        .map_err(|e| JsError::new(&format!("WebGPU could not start: {e:?}")))?;
    WEBGPU.with(|d| *d.borrow_mut() = Some(device.clone()));
    Ok(device)
}

/// The CPU module has no burn-wgpu: the page opens WebGPU sessions with the WebGPU module.
#[cfg(not(feature = "webgpu"))]
async fn webgpu_device() -> Result<Device, JsError> {
    Err(JsError::new(
        "this module runs on the CPU only; WebGPU sessions open in the WebGPU module",
    ))
}

/// A tensor's values on the host. Asynchronous because WebGPU reads cannot block.
async fn read_back<const D: usize>(t: Tensor<D>, what: &str) -> Result<Vec<f32>, JsError> {
    t.into_data_async()
        .await
        .map_err(|e| JsError::new(&format!("reading {what} failed: {e:?}")))?
        .try_into_vec::<f32>()
        .map_err(|e| JsError::new(&format!("{what}: {e:?}")))
}

/// How many items of `per_item` values `len` holds: at least one, whole, and at most MAX_BATCH.
fn batch_size(len: usize, per_item: usize, what: &str) -> Result<usize, JsError> {
    if len == 0 || !len.is_multiple_of(per_item) {
        return Err(JsError::new(&format!("expected one or more whole {what}")));
    }
    let n = len / per_item;
    if n > MAX_BATCH {
        return Err(JsError::new(&format!(
            "at most {MAX_BATCH} images per call"
        )));
    }
    Ok(n)
}

async fn decode_bytes(inner: &Inner, z: Vec<f32>) -> Result<Vec<u8>, JsError> {
    // A conditional model's decoder reads the code and then the label (see `codeDim`).
    let d = inner.bundle.code_dim();
    let n = batch_size(z.len(), d, &format!("latent vectors of {d} values"))?;
    if z.iter().any(|v| !v.is_finite()) {
        return Err(JsError::new("latent values must be finite"));
    }
    // WebGPU compiles kernels per tensor shape: rounding the batch up (powers of two, then
    // multiples of 256) keeps the set of shapes small, so an odd-sized batch does not stall on
    // shader compilation.
    let padded = if inner.backend == "webgpu" {
        if n <= 256 {
            n.next_power_of_two()
        } else {
            n.div_ceil(256) * 256
        }
    } else {
        n
    };
    let mut z = z;
    z.resize(padded * d, 0.0);
    let z = Tensor::<2>::from_data(TensorData::new(z, [padded, d]), &inner.device);
    let v = read_back(inner.model.decoder.forward_logits(z), "the decoded images").await?;
    let s = inner.bundle.manifest.preprocessing.side;
    Ok(crate::explorer::logits_to_grey_bytes(&v[..n * s * s]))
}

async fn encode_means(
    inner: &Inner,
    x: Vec<f32>,
    labels: Option<Vec<u32>>,
) -> Result<Vec<f32>, JsError> {
    let s = inner.bundle.manifest.preprocessing.side;
    let n = batch_size(x.len(), s * s, &format!("{s}x{s} images"))?;
    let classes = inner.model.condition_classes();
    let y = match (classes, labels) {
        (0, _) => None,
        (k, Some(l)) if l.len() == n && l.iter().all(|&c| (c as usize) < k) => {
            let l: Vec<usize> = l.iter().map(|&c| c as usize).collect();
            Some(crate::model::one_hot(&l, k, &inner.device))
        }
        (k, _) => {
            return Err(JsError::new(&format!(
                "a conditional model encodes each image with its class: one of 0..{k} per image"
            )));
        }
    };
    let x = Tensor::<4>::from_data(TensorData::new(x, [n, 1, s, s]), &inner.device);
    read_back(inner.model.encoder.forward_given(x, y).mean, "the encoding").await
}

#[wasm_bindgen]
impl Session {
    /// "webgpu" or "cpu".
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.inner.backend.into()
    }

    #[wasm_bindgen(getter, js_name = latentDim)]
    pub fn latent_dim(&self) -> usize {
        self.inner.bundle.latent_dim()
    }

    /// Width of what `decode` reads per image: the latent code, then a conditional model's
    /// label (one-hot, or a blend of one-hots).
    #[wasm_bindgen(getter, js_name = codeDim)]
    pub fn code_dim(&self) -> usize {
        self.inner.bundle.code_dim()
    }

    /// A conditional model's number of classes; 0 for an unconditional model.
    #[wasm_bindgen(getter, js_name = conditionClasses)]
    pub fn condition_classes(&self) -> usize {
        self.inner.model.condition_classes()
    }

    #[wasm_bindgen(getter)]
    pub fn side(&self) -> usize {
        self.inner.bundle.manifest.preprocessing.side
    }

    /// The manifest (architecture, dataset and class names, training, metrics) as an object.
    pub fn manifest(&self) -> Result<JsValue, JsError> {
        super::helpers::to_js(&self.inner.bundle.manifest)
    }

    /// `n` samples of the model's prior, row-major `[n, latentDim]`: the same seed gives the
    /// same samples on every machine.
    #[wasm_bindgen(js_name = samplePrior)]
    pub fn sample_prior(&self, n: usize, seed: u32) -> Result<Float32Array, JsError> {
        if n == 0 || n > MAX_BATCH {
            return Err(JsError::new(&format!(
                "asked for {n} samples; 1..={MAX_BATCH}"
            )));
        }
        let arch = &self.inner.bundle.manifest.architecture;
        let z = arch
            .prior
            .sample(n, arch.latent_dim, &mut Rng::new(seed as u64));
        Ok(Float32Array::from(z.as_slice()))
    }

    /// Half the width of the square around 0 that holds the prior's mass in the first two
    /// coordinates: the map's default view.
    #[wasm_bindgen(getter, js_name = priorExtent)]
    pub fn prior_extent(&self) -> f64 {
        self.inner.bundle.manifest.architecture.prior.extent()
    }

    /// For a model with a categorical code: the plane of its first two style coordinates with
    /// the category fixed at `cluster` (the style grid of one cluster), `{origin, u, v}`.
    #[wasm_bindgen(js_name = clusterPlane)]
    pub fn cluster_plane(&self, cluster: usize) -> Result<JsValue, JsError> {
        let arch = &self.inner.bundle.manifest.architecture;
        let crate::model::Prior::Categorical { classes } = arch.prior else {
            return Err(JsError::new("this model has no categorical code"));
        };
        if cluster >= classes {
            return Err(JsError::new(&format!(
                "cluster {cluster} is not one of 0..{classes}"
            )));
        }
        let center: Vec<f32> = arch
            .prior
            .center(cluster, arch.latent_dim)
            .into_iter()
            .map(|v| v as f32)
            .collect();
        let plane = crate::explorer::Plane::axes(center, classes, classes + 1);
        super::helpers::to_js(&serde_json::json!({
            "origin": plane.origin, "u": plane.u, "v": plane.v,
        }))
    }

    /// How the model was trained and what its prior is, in words.
    #[wasm_bindgen(getter)]
    pub fn regularisation(&self) -> String {
        let m = &self.inner.bundle.manifest;
        m.training.objective.describe(&m.architecture)
    }

    /// Test-set latent means, row-major `[count, latentDim]`.
    #[wasm_bindgen(js_name = testMeans)]
    pub fn test_means(&self) -> Float32Array {
        Float32Array::from(self.inner.bundle.test_means.as_slice())
    }

    /// For a model with a categorical code: each test image's category (the argmax of its
    /// code's category part); empty otherwise.
    #[wasm_bindgen(js_name = testCategories)]
    pub fn test_categories(&self) -> Uint8Array {
        Uint8Array::from(self.categories().as_slice())
    }

    /// For a model with a categorical code: what each category holds among the test images,
    /// `[{ size, top: [label, count] | null }]` (`explorer::clusters`); empty otherwise.
    #[wasm_bindgen(js_name = clusterMakeup)]
    pub fn cluster_makeup(&self) -> Result<JsValue, JsError> {
        let b = &self.inner.bundle;
        let k = match b.manifest.architecture.prior {
            crate::model::Prior::Categorical { classes } => classes,
            _ => 0,
        };
        super::helpers::to_js(&crate::explorer::clusters::makeup(
            &self.categories(),
            &b.test_labels,
            k,
        ))
    }

    #[wasm_bindgen(js_name = testLabels)]
    pub fn test_labels(&self) -> Uint8Array {
        Uint8Array::from(self.inner.bundle.test_labels.as_slice())
    }

    /// `z`: n vectors of `codeDim` values, row-major -> promise of n side*side greyscale images
    /// (bytes, ink bright, rounded exactly as the native `decode` command rounds).
    pub fn decode(&self, z: Vec<f32>) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let bytes = decode_bytes(&inner, z).await?;
            Ok(Uint8Array::from(bytes.as_slice()).into())
        })
    }

    /// `x`: n images of side*side values in [0, 1] -> promise of their latent means. A
    /// conditional model needs each image's class in `labels`.
    pub fn encode(&self, x: Vec<f32>, labels: Option<Vec<u32>>) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let means = encode_means(&inner, x, labels).await?;
            Ok(Float32Array::from(means.as_slice()).into())
        })
    }
}

impl Session {
    /// Each test image's category (the argmax of its code's category part), for a model with a
    /// categorical code; empty otherwise.
    fn categories(&self) -> Vec<u8> {
        let b = &self.inner.bundle;
        let arch = &b.manifest.architecture;
        b.test_means
            .chunks_exact(arch.latent_dim)
            .filter_map(|z| arch.prior.category(z).map(|c| c as u8))
            .collect()
    }
}
