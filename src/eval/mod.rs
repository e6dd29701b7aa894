//! Evaluation of a trained model: likelihood metrics, clustering of the codes, how well they
//! match the prior, and the figures a person looks at. `report` evaluates any kind (what
//! `latent-atlas eval` and `export` call); `images` and `figures` are the single-image models'
//! measures and plots, `content_style` the content/style model's.

pub mod cluster;
pub mod content_style;
pub mod figures;
pub mod images;
pub mod judge;
pub mod metrics;
pub mod oneshot;
pub mod photos;
pub mod placement;
pub mod plot;
pub mod prior_match;
pub mod report;
pub mod tsne;

pub use images::{EvalOptions, Metrics, evaluate, table};
