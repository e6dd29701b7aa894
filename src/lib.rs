//! Latent Atlas: train variational autoencoders natively, explore them in the browser.
//!
//! The pipeline, in module order: `data` (datasets from disk) → `model` (burn modules) →
//! `objective` (losses) → `train` (native loop, checkpoints) → `eval` (metrics, plots) →
//! `bundle` (the model file) → `explorer` (latent planes, grids, interpolation, upload
//! preprocessing) and `link` (share links) for the page. `device`, `rng` and
//! `tensorfile` are small shared utilities; `web` (wasm32 only) is the page's wasm-bindgen surface. Everything but `train`, `eval`, `export` and `bench`
//! (and the dataset file readers) also compiles for wasm32.

pub mod bundle;
pub mod data;
pub mod device;
pub mod explorer;
pub mod link;
pub mod model;
pub mod objective;
pub mod rng;
pub mod tensorfile;

#[cfg(feature = "cli")]
pub mod bench;
#[cfg(feature = "cli")]
pub mod eval;
#[cfg(feature = "cli")]
pub mod export;
#[cfg(feature = "cli")]
pub mod train;
#[cfg(target_arch = "wasm32")]
pub mod web;
