//! Latent Atlas: train variational autoencoders natively, explore them in the browser.
//!
//! The pipeline, in module order; each module imports only those before it:
//! `data` (datasets from disk) → `model` (burn modules) → `objective` (the model kinds: their
//! loss terms and training steps) → `train` (the one training loop, checkpoints) → `eval`
//! (metrics, plots) → `bundle` (the model file) and `export` (writing one) → `explorer` (latent
//! planes, grids, interpolation, upload preprocessing) and `link` (share links) for the page →
//! `web` (wasm32 only: the page's wasm-bindgen surface). `bench` measures speed.
//!
//! Small shared pieces any module may use: `device` (backends by name), `rng` (seeded streams),
//! `pca`, `tensorfile` (safetensors I/O) and `files` (atomic writes).
//! Everything but `train`, `eval`, `export`, `bench` and the dataset readers compiles for wasm32.

pub mod bundle;
pub mod data;
pub mod device;
pub mod explorer;
pub mod link;
pub mod model;
pub mod objective;
pub mod pca;
pub mod rng;
pub mod tensorfile;

#[cfg(feature = "cli")]
pub mod bench;
#[cfg(feature = "cli")]
pub mod eval;
#[cfg(feature = "cli")]
pub mod export;
#[cfg(not(target_arch = "wasm32"))]
pub mod files;
#[cfg(feature = "cli")]
pub mod train;
#[cfg(target_arch = "wasm32")]
pub mod web;

#[cfg(feature = "cli")]
mod allocator;
