//! For every query and every labeling function (LF) j, the best base row among LF j's support
//! (the base rows where LF j voted), for all LFs in one sweep over the union of the supports.
//!
//! The contract: the winner is the support row maximising the canonical score
//! (`Metric::canonical_score`, minimising the distance for euclidean), exact ties to the lowest
//! base index, and the reported score is that canonical score. Screen values only decide which
//! candidates get a canonical score (`bounds.rs`), so results are identical for every screen,
//! thread count and tiling, and a base set split into row shards gives per-shard winners that
//! merge exactly by (score, lowest index).
//!
//! The selection cost does not grow with the votes per row. LFs with identical supports share a
//! slot (`supports.rs`). A column with few slots (at most `DIRECT_SLOTS`) is compared with each
//! slot's bar. In a column with more, the "dense" slots (support >= 1/16 of the union) are
//! screened together: the column is compared once per query with the lowest bar among them
//! (`min_bar`), and only the rare queries it passes look at the column's slots one by one;
//! "sparse" slots are still checked on their own, which costs in proportion to their few votes.

use std::ops::Range;

use rayon::prelude::*;

use crate::cancel::Cancel;
use crate::consumer::TileConsumer;
use crate::error::{CoreError, CoreResult};
use crate::lanes::{Lanes, LANES};
use crate::matrix::Matrix;
use crate::metric::Metric;
use crate::search::driver::{tasks, Neighbours, Search};
use crate::supports::{Supports, NO_SLOT};
use crate::sweep::{Kernel, Sweep};
use crate::tile::TileView;
use crate::votes::Votes;

const NO_CANDIDATE: u32 = u32::MAX;
/// Columns with at most this many slots compare each slot's bar (cheaper than the events a shared
/// bar lets through when every slot of the column has its own).
const DIRECT_SLOTS: usize = 4;

/// Running best per (slot, query) of one task and column chunk, slot-major.
struct BestPerSlot<'s> {
    sweep: &'s Sweep<'s>,
    supports: &'s Supports,
    dense_slots: &'s [u32],
    /// Per slot: the first column position of its support in this chunk (`usize::MAX` if none).
    first_column: Vec<usize>,
    /// The chunk's first column, and per column of the chunk whether it is the first column of
    /// some dense slot (where that slot is checked on its own).
    chunk_start: usize,
    opens_dense: Vec<bool>,
    first_query: usize,
    rows: usize,
    /// Entries per slot in the per-(slot, query) arrays: `rows` rounded up to whole `LANES`.
    stride: usize,
    score: Vec<f32>,
    position: Vec<u32>,
    /// Screen bar per (slot, query): candidates with `h` below it cannot win (`bounds.rs`).
    bar: Vec<f32>,
    /// Per query: the lowest bar of the dense slots that have a candidate (+inf before any).
    min_bar: Vec<f32>,
}

impl<'s> BestPerSlot<'s> {
    fn new(
        sweep: &'s Sweep<'s>,
        supports: &'s Supports,
        dense_slots: &'s [u32],
        queries: Range<usize>,
        tiles: &Range<usize>,
    ) -> Self {
        let (first_query, rows) = (queries.start, queries.len());
        let slots = supports.n_slots();
        // Each dense slot's first column in the chunk: where it joins `min_bar`.
        let chunk = sweep.tile_columns(tiles);
        let mut first_column = vec![usize::MAX; slots];
        let mut opens_dense = vec![false; chunk.len()];
        let mut missing = dense_slots.len();
        for position in chunk.clone() {
            if missing == 0 {
                break;
            }
            for &g in &supports.of(position)[supports.sparse_of(position).len()..] {
                let g = g as usize;
                if first_column[g] == usize::MAX {
                    first_column[g] = position;
                    opens_dense[position - chunk.start] = true;
                    missing -= 1;
                }
            }
        }
        let stride = rows.next_multiple_of(LANES);
        BestPerSlot {
            sweep,
            supports,
            dense_slots,
            first_column,
            chunk_start: chunk.start,
            opens_dense,
            first_query,
            rows,
            stride,
            score: vec![f32::NAN; slots * stride],
            position: vec![NO_CANDIDATE; slots * stride],
            bar: vec![f32::NEG_INFINITY; slots * stride],
            min_bar: vec![f32::INFINITY; stride],
        }
    }
}

impl TileConsumer for BestPerSlot<'_> {
    #[inline(always)]
    fn reach<S: Lanes>(&self, lanes: S, position: usize, at: usize, h: S::V) -> u16 {
        let supports = self.supports;
        let slots = supports.of(position);
        let mut mask = 0;
        if slots.len() <= DIRECT_SLOTS {
            for &g in slots {
                mask |= lanes.reach_mask(h, &self.bar[g as usize * self.stride + at..]);
            }
            return mask;
        }
        // The dense slots through their lowest bar; sparse slots, and dense ones at their first
        // column (bar -inf until then), on their own.
        mask = lanes.reach_mask(h, &self.min_bar[at..]);
        for &g in supports.sparse_of(position) {
            mask |= lanes.reach_mask(h, &self.bar[g as usize * self.stride + at..]);
        }
        if self.opens_dense[position - self.chunk_start] {
            for &g in &slots[supports.sparse_of(position).len()..] {
                if self.first_column[g as usize] == position {
                    mask |= lanes.reach_mask(h, &self.bar[g as usize * self.stride + at..]);
                }
            }
        }
        mask
    }

    /// Query `i` (task-relative) passed a bar at column `position`: score the column canonically
    /// (once) for every slot whose bar it passes, and keep it where it ranks first.
    #[inline(never)]
    fn event(&mut self, tile: &TileView<'_>, position: usize, i: usize, h: f32) {
        let (sweep, supports) = (self.sweep, self.supports);
        let metric = sweep.metric();
        let queries = tile.queries;
        let mut score = None;
        let mut recompute_min = false;
        for &g in supports.of(position) {
            let k = g as usize * self.stride + i;
            if h < self.bar[k] {
                continue;
            }
            let s = *score.get_or_insert_with(|| sweep.canonical(self.first_query + i, position));
            let p = position as u32;
            let first = self.position[k] == NO_CANDIDATE;
            if first || metric.ranks_before(s, p, self.score[k], self.position[k]) {
                let old_bar = self.bar[k];
                self.score[k] = s;
                self.position[k] = p;
                self.bar[k] = queries.bar(metric, sweep.gamma(), i, s);
                if supports.dense[g as usize] {
                    // A slot's bar only rises, so `min_bar` changes only when the slot joins
                    // it or held its value.
                    if first {
                        self.min_bar[i] = self.min_bar[i].min(self.bar[k]);
                    } else if old_bar <= self.min_bar[i] {
                        recompute_min = true;
                    }
                }
            }
        }
        if recompute_min {
            let mut lowest = f32::INFINITY;
            for &g in self.dense_slots {
                let k = g as usize * self.stride + i;
                if self.position[k] != NO_CANDIDATE {
                    lowest = lowest.min(self.bar[k]);
                }
            }
            self.min_bar[i] = lowest;
        }
    }

    /// Keeps, per entry, the better of two partial results over disjoint column ranges: an
    /// associative choice, so any merge order gives one answer.
    fn merge(mut self, other: Self) -> Self {
        let metric = self.sweep.metric();
        for k in 0..self.score.len() {
            let (os, op) = (other.score[k], other.position[k]);
            if op != NO_CANDIDATE
                && (self.position[k] == NO_CANDIDATE
                    || metric.ranks_before(os, op, self.score[k], self.position[k]))
            {
                self.score[k] = os;
                self.position[k] = op;
            }
        }
        self
    }
}

/// What one nearest-support call asks for (besides the base rows' votes).
#[derive(Debug, Clone, Copy)]
pub struct SupportQuery {
    pub metric: Metric,
    /// How candidates are screened (the result is the same for every kernel).
    pub kernel: Kernel,
}

/// Nearest support point of every LF for every query.
///
/// `out` is `queries.rows() x base_votes.cols()`, row-major. For LF j with an empty support,
/// `indices = -1` and `scores = metric.worst_score()`. Stops early with `CoreError::Cancelled`
/// once `cancel` is set (the outputs then hold no result; pass `Cancel::never()` for a call nobody
/// cancels). See the module documentation for the contract; the result does not depend on
/// `threads` or `kernel`.
pub fn nearest_support(
    queries: Matrix<'_, f32>,
    base: Matrix<'_, f32>,
    base_votes: &Votes<'_>,
    query: SupportQuery,
    threads: usize,
    out: Neighbours<'_>,
    cancel: &Cancel,
) -> CoreResult<()> {
    let (metric, kernel) = (query.metric, query.kernel);
    let search = Search::new((queries, base), "base", metric, kernel, threads, cancel);
    search.check_shapes(false)?;
    if base_votes.rows() != base.rows() {
        return Err(CoreError::Shape(format!(
            "L_base: expected {} rows (one per base row), got {}",
            base.rows(),
            base_votes.rows()
        )));
    }
    let (q, m) = (queries.rows(), base_votes.cols());
    out.check_len(q, m)?;
    let supports = Supports::build("L_base", base_votes, cancel)?;
    out.scores.fill(metric.worst_score());
    out.indices.fill(-1);
    if q == 0 || m == 0 || supports.columns.is_empty() {
        return Ok(());
    }
    let dense_slots: Vec<u32> = (0..supports.n_slots() as u32)
        .filter(|&g| supports.dense[g as usize])
        .collect();
    let (supports, dense_slots) = (&supports, &dense_slots[..]);
    search.run(supports.columns.clone(), |sweep, plan| {
        let chunk = plan.block_rows * m;
        tasks(sweep, plan, |rows, tiles| {
            BestPerSlot::new(sweep, supports, dense_slots, rows, tiles)
        })
        .zip(out.scores.par_chunks_mut(chunk))
        .zip(out.indices.par_chunks_mut(chunk))
        .for_each(|((best, scores), indices)| write_results(&best, scores, indices));
    })
}

/// Each LF's result is its slot's: the winning base row and its canonical score.
fn write_results(best: &BestPerSlot<'_>, scores: &mut [f32], indices: &mut [i64]) {
    let m = best.supports.lf_slot.len();
    let columns = best.sweep.columns();
    for r in 0..best.rows {
        for (j, &g) in best.supports.lf_slot.iter().enumerate() {
            if g == NO_SLOT {
                continue;
            }
            let k = g as usize * best.stride + r;
            if best.position[k] != NO_CANDIDATE {
                scores[r * m + j] = best.score[k];
                indices[r * m + j] = columns[best.position[k] as usize] as i64;
            }
        }
    }
}

#[cfg(test)]
mod tests;
