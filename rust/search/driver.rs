//! The one driver of every search: the checks they share, the sweep on the thread pool (base and
//! query norms, zero norms under cosine), the plan, the tasks (each task's column chunks swept by
//! fresh consumers and merged), and the cancellation token after the sweep.

use std::ops::Range;

use rayon::prelude::*;

use crate::cancel::Cancel;
use crate::consumer::TileConsumer;
use crate::error::{CoreError, CoreResult};
use crate::matrix::Matrix;
use crate::metric::Metric;
use crate::sweep::{Kernel, Plan, Sweep, ZeroNorm};
use crate::threads::run_in_pool;

/// The outputs of a search with a fixed number of results per query, row-major (`rows x width`).
pub struct Neighbours<'o> {
    pub scores: &'o mut [f32],
    pub indices: &'o mut [i64],
}

impl Neighbours<'_> {
    /// Fails unless both outputs hold `rows x width` entries.
    pub fn check_len(&self, rows: usize, width: usize) -> CoreResult<()> {
        let expected = rows as u128 * width as u128;
        let (scores, indices) = (self.scores.len(), self.indices.len());
        if scores as u128 != expected || indices as u128 != expected {
            return Err(CoreError::Shape(format!(
                "outputs: expected {expected} entries, got {scores} scores and {indices} indices"
            )));
        }
        Ok(())
    }
}

/// What every search is given, its own arguments aside.
#[derive(Clone, Copy)]
pub(crate) struct Search<'a> {
    pub queries: Matrix<'a, f32>,
    pub base: Matrix<'a, f32>,
    /// How error messages name `base` (the caller's argument: "X" or "base").
    pub base_name: &'static str,
    pub metric: Metric,
    pub kernel: Kernel,
    pub threads: usize,
    pub cancel: &'a Cancel,
}

impl<'a> Search<'a> {
    pub fn new(
        (queries, base): (Matrix<'a, f32>, Matrix<'a, f32>),
        base_name: &'static str,
        metric: Metric,
        kernel: Kernel,
        threads: usize,
        cancel: &'a Cancel,
    ) -> Self {
        Search {
            queries,
            base,
            base_name,
            metric,
            kernel,
            threads,
            cancel,
        }
    }

    /// The checks every search starts with: the same dimension and, with `exclude_self`, the
    /// queries being the base rows.
    pub fn check_shapes(&self, exclude_self: bool) -> CoreResult<()> {
        let (queries, base) = (self.queries, self.base);
        if queries.cols() != base.cols() {
            return Err(CoreError::Shape(format!(
                "queries and {}: expected the same number of columns, got {} and {}",
                self.base_name,
                queries.cols(),
                base.cols()
            )));
        }
        if exclude_self && queries.rows() != base.rows() {
            return Err(CoreError::Shape(
                "exclude_self needs the queries to be the base rows".into(),
            ));
        }
        Ok(())
    }

    /// On the pool of `threads` threads: the sweep of the queries over the base rows `columns`
    /// (ascending), its plan, and `body` on them; then `CoreError::Cancelled` if the token was set
    /// (a sweep stopped by it left `body`'s result incomplete).
    pub fn run<R: Send>(
        &self,
        columns: Vec<u32>,
        body: impl FnOnce(&Sweep<'a>, Plan) -> R + Send,
    ) -> CoreResult<R> {
        run_in_pool(self.threads, || {
            let (queries, base) = (self.queries, self.base);
            let sweep = Sweep::new(
                queries,
                base,
                self.metric,
                columns,
                self.kernel,
                self.cancel,
            )
            .map_err(|zero| {
                let (name, row) = match zero {
                    ZeroNorm::Base(row) => (self.base_name, row),
                    ZeroNorm::Query(row) => ("queries", row),
                };
                CoreError::Value(format!(
                    "{name}: row {row} has zero norm; cosine similarity is undefined for it"
                ))
            })?;
            let out = body(&sweep, sweep.plan(self.threads));
            self.cancel.check()?;
            Ok(out)
        })
    }
}

/// The tasks of a sweep's plan in query order, each as its consumer after the sweep: a consumer
/// per column chunk (`new(task's query rows, chunk's tiles)`), swept, merged into one.
pub(crate) fn tasks<'s, C: TileConsumer + Send>(
    sweep: &'s Sweep<'_>,
    plan: Plan,
    new: impl Fn(Range<usize>, &Range<usize>) -> C + Sync + Send + 's,
) -> impl IndexedParallelIterator<Item = C> + 's {
    let q = sweep.query_count();
    (0..q.div_ceil(plan.block_rows))
        .into_par_iter()
        .map(move |task| {
            let first = task * plan.block_rows;
            let rows = first..(first + plan.block_rows).min(q);
            let partial = |chunk: usize| {
                let tiles = sweep.chunk_tiles(chunk, plan.column_chunks);
                let mut consumer = new(rows.clone(), &tiles);
                sweep.run(rows.clone(), tiles, &mut consumer);
                consumer
            };
            if plan.column_chunks == 1 {
                partial(0)
            } else {
                (0..plan.column_chunks)
                    .into_par_iter()
                    .map(partial)
                    .reduce_with(C::merge)
                    .expect("at least one column chunk")
            }
        })
}
