//! The searches over the blocked sweep (`sweep/`): k nearest neighbours (`knn`), the nearest
//! support point of every labeling function (`nearest_support`) and radius search (`radius`).
//! Each is a `TileConsumer` (`consumer.rs`) run by the one driver (`driver`).

pub mod driver;
pub mod knn;
pub mod nearest_support;
pub mod radius;
