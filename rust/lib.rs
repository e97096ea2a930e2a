//! The compiled core of `liger`: exact, blocked, parallel nearest-support search, k-NN and LF vote
//! extension, with int8 screening (AVX-512 VNNI) that never changes a result. The algorithms take
//! plain slices (no Python types) so `cargo test` runs them without Python; `python.rs` is the thin
//! PyO3 layer, built only with the `python` feature.

pub mod bounds;
pub mod cancel;
pub mod consumer;
pub mod error;
pub mod extend;
pub mod kernel_int8;
pub mod lanes;
pub mod matrix;
pub mod metric;
pub mod quantize;
pub mod search;
pub mod supports;
pub mod sweep;
pub mod threads;
pub mod tile;
pub mod validate;
pub mod votes;

#[cfg(feature = "python")]
mod python;

/// The vote of an abstaining labeling function (Snorkel / WRENCH convention).
pub const ABSTAIN: i64 = -1;

pub use cancel::Cancel;
pub use error::{CoreError, CoreResult};
pub use extend::{extend_votes, Extension, VotesOut};
pub use matrix::Matrix;
pub use metric::Metric;
pub use search::driver::Neighbours;
pub use search::knn::{knn, KnnQuery};
pub use search::nearest_support::{nearest_support, SupportQuery};
pub use search::radius::{radius_neighbors, RadiusQuery, RadiusRows};
pub use sweep::Kernel;
pub use votes::{IntSlice, Votes};

#[cfg(test)]
mod testutil;
