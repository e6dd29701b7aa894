//! The page's WebGPU module: the same surface as the CPU module, built with burn-wgpu. The page
//! imports it only when a WebGPU session is wanted (after the first grid), so a first visit never
//! downloads the WebGPU kernel compiler.

pub use latent_atlas::web::*;
