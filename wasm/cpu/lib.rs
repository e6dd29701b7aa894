//! The page's CPU module: the library's wasm-bindgen surface (`latent_atlas::web`) on the CPU
//! only, its matrix product on relaxed SIMD's fused multiply-add (the `relaxed-simd` feature;
//! browsers without relaxed SIMD get `wasm/cpu-baseline`). Linking it is all this crate does.

pub use latent_atlas::web::*;
