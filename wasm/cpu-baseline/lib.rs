//! The page's CPU module for browsers that cannot compile relaxed SIMD (`wasm/cpu` uses its
//! fused multiply-add): the same library surface (`latent_atlas::web`), SIMD128 only. boot.js
//! loads it when `WebAssembly.validate` refuses a relaxed-SIMD instruction.

pub use latent_atlas::web::*;
