//! The wasm-bindgen surface the page calls: a model session on WebGPU or the CPU, and the pure
//! explorer helpers (share links, planes, interpolation, upload preprocessing), and the judge
//! that guesses an upload's class.
//!
//! Everything heavy returns a promise: WebGPU reads are asynchronous, and the page must stay
//! responsive while a batch decodes. Errors come back as `Error` objects with a message written
//! here, never as panics.

mod helpers;
mod judge;
mod session;

pub use helpers::*;
pub use judge::*;
pub use session::*;

use wasm_bindgen::prelude::*;

/// The most images one call decodes or classifies: bounds memory on both backends (a 64x64
/// grid fits).
pub const MAX_BATCH: usize = 4096;

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// Gets the decoders' kernels optimised before the first grid needs them (see
/// `model::conv::warm_up`); the page calls it while the model file downloads.
#[wasm_bindgen(js_name = warmKernels)]
pub fn warm_kernels() {
    crate::model::conv::warm_up();
}
