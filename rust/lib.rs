//! The compiled core of `liger`: exact, blocked, parallel nearest-support search and LF vote
//! extension. The algorithms take plain slices (no Python types) so `cargo test` runs them without
//! Python; `python.rs` is the thin PyO3 layer, built only with the `python` feature.

pub mod error;
pub mod extend;
pub mod knn;
pub mod matrix;
pub mod metric;
pub mod nearest_support;
pub mod radius;
pub mod sweep;
pub mod threads;
pub mod validate;

#[cfg(feature = "python")]
mod python;

/// The vote of an abstaining labeling function (Snorkel / WRENCH convention).
pub const ABSTAIN: i64 = -1;

pub use error::{CoreError, CoreResult};
pub use extend::extend_votes;
pub use knn::knn;
pub use matrix::Matrix;
pub use metric::Metric;
pub use nearest_support::nearest_support;
pub use radius::{radius_neighbors, RadiusQuery, RadiusRows};

#[cfg(test)]
mod testutil;
