//! The view a sweep hands to its consumer: screen values of some columns x some queries of a
//! task, with what turns them into bounds (`bounds.rs`). Plain data, so that the lane backends
//! (`lanes.rs`), the consumers (`consumer.rs`) and the sweep (`sweep/`) can all read it.

use crate::bounds::QueryTerms;

/// Screen values of some columns x some queries of a task, with what turns them into bounds.
pub struct TileView<'t> {
    /// Position (in the sweep's column list) of the view's first column.
    pub first_column: usize,
    /// Number of columns in the view.
    pub columns: usize,
    /// Offset of the view's first query within the task's query range.
    pub query_offset: usize,
    /// Number of queries in the view.
    pub width: usize,
    /// Column `p`, query `i` is `values[p * stride + i]`.
    pub stride: usize,
    pub values: &'t [f32],
    /// Per column of the view (`bounds::ColumnTerms`).
    pub scale: &'t [f32],
    pub add: &'t [f32],
    pub e1: &'t [f32],
    pub e2: &'t [f32],
    /// The task's per-query terms (index `query_offset + i`).
    pub queries: &'t QueryTerms,
}
