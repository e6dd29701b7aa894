//! The page's first module: the library's wasm-bindgen surface (`latent_atlas::web`) on the CPU
//! only. The exports are the library's own; linking it is all this crate does.

pub use latent_atlas::web::*;
