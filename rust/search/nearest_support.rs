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
    out.check_len(q * m)?;
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
mod tests {
    use super::*;
    use crate::testutil::{assert_is_best, cancelled_while_running, embeddings, votes, Rng};

    const KERNELS: [Kernel; 3] = [Kernel::Exact, Kernel::ScreenedPortable, Kernel::Screened];

    #[allow(clippy::type_complexity)]
    fn run(
        queries: &[f32],
        base: &[f32],
        base_votes: &[i64],
        (q, n, d, m): (usize, usize, usize, usize),
        metric: Metric,
        (kernel, threads): (Kernel, usize),
    ) -> CoreResult<(Vec<f32>, Vec<i64>)> {
        let data = (queries, base, base_votes);
        search(
            data,
            (q, n, d, m),
            metric,
            (kernel, threads),
            Cancel::never(),
        )
    }

    /// `nearest_support` into fresh outputs.
    #[allow(clippy::type_complexity)]
    fn search(
        (queries, base, base_votes): (&[f32], &[f32], &[i64]),
        (q, n, d, m): (usize, usize, usize, usize),
        metric: Metric,
        (kernel, threads): (Kernel, usize),
        cancel: &Cancel,
    ) -> CoreResult<(Vec<f32>, Vec<i64>)> {
        let (mut scores, mut indices) = (vec![0.0; q * m], vec![0; q * m]);
        nearest_support(
            Matrix::new("queries", queries, q, d)?,
            Matrix::new("base", base, n, d)?,
            &Votes::dense("L_base", base_votes, n, m)?,
            SupportQuery { metric, kernel },
            threads,
            Neighbours {
                scores: &mut scores,
                indices: &mut indices,
            },
            cancel,
        )?;
        Ok((scores, indices))
    }

    fn same_bits(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    }

    /// Found by the fuzz target `nearest_support`: zero-dimensional rows made the int8 screen
    /// pack rows with `chunks_exact(0)`, a panic. (The Python layer rejects d = 0; the core must
    /// not panic on it either.) Every score is then 0, so the lowest support row wins.
    #[test]
    fn zero_dimensional_rows_do_not_panic() {
        let votes = [-1i64, 0, 1, -1, 1, 1];
        for metric in [Metric::InnerProduct, Metric::Euclidean] {
            for kernel in KERNELS {
                let (scores, indices) =
                    run(&[], &[], &votes, (2, 3, 0, 2), metric, (kernel, 1)).unwrap();
                assert_eq!(indices, [1, 0, 1, 0], "{metric:?} {kernel:?}");
                assert_eq!(scores, [0.0; 4], "{metric:?} {kernel:?}");
            }
        }
        let cosine = run(
            &[],
            &[],
            &votes,
            (2, 3, 0, 2),
            Metric::Cosine,
            (Kernel::Screened, 1),
        );
        assert!(cosine.unwrap_err().to_string().contains("zero norm"));
    }

    #[test]
    fn matches_brute_force_across_tiles_threads_and_kernels() {
        // Sizes cross the tile grid: q > QUERY_BLOCK, n > COLUMN_TILE, a ragged last tile.
        let (q, n, d) = (600, 2500, 19);
        let coverage = [0.0, 0.02, 0.3, 0.9, 1.0, 1.0];
        let m = coverage.len();
        let mut rng = Rng::new(7);
        let base = embeddings(&mut rng, n, d);
        let queries = embeddings(&mut rng, q, d);
        let base_votes = votes(&mut rng, n, &coverage, 3);
        for metric in [Metric::Cosine, Metric::InnerProduct, Metric::Euclidean] {
            let dims = (q, n, d, m);
            let (scores, indices) = run(
                &queries,
                &base,
                &base_votes,
                dims,
                metric,
                (Kernel::Exact, 1),
            )
            .unwrap();
            let qm = Matrix::new("q", &queries[..], q, d).unwrap();
            let bm = Matrix::new("b", &base[..], n, d).unwrap();
            for j in 0..m {
                let support: Vec<usize> = (0..n).filter(|&t| base_votes[t * m + j] != -1).collect();
                for i in 0..q {
                    if support.is_empty() {
                        assert_eq!(indices[i * m + j], -1);
                        assert_eq!(scores[i * m + j], metric.worst_score());
                    } else {
                        let (index, score) = (indices[i * m + j], scores[i * m + j]);
                        assert_is_best(metric, qm, bm, i, &support, index, score);
                    }
                }
            }
            for kernel in KERNELS {
                for threads in [1, 2, 3, 8] {
                    let again = run(
                        &queries,
                        &base,
                        &base_votes,
                        dims,
                        metric,
                        (kernel, threads),
                    )
                    .unwrap();
                    let what = format!("{metric:?} {kernel:?} with {threads} threads");
                    assert_eq!(again.1, indices, "{what}");
                    assert!(same_bits(&again.0, &scores), "{what}");
                }
            }
        }
    }

    #[test]
    fn winners_are_canonical_argmax_with_lowest_index() {
        // Near-ties: rows that differ in the last ulp, duplicates, a clustered cloud.
        let (q, n, d) = (70, 1500, 24);
        let mut rng = Rng::new(21);
        let center: Vec<f32> = (0..d).map(|_| rng.unit()).collect();
        let mut base = Vec::with_capacity(n * d);
        for r in 0..n {
            for (k, &c) in center.iter().enumerate() {
                let x = match r % 3 {
                    0 => c + 1e-3 * rng.unit(),
                    1 => f32::from_bits(c.to_bits().wrapping_add((r % 5) as u32)),
                    _ => c,
                };
                base.push(if k == 0 && r % 7 == 0 { -x } else { x });
            }
        }
        let queries = base[..q * d].to_vec();
        let coverage = [0.5, 1.0, 0.1];
        let base_votes = votes(&mut rng, n, &coverage, 2);
        let m = coverage.len();
        for metric in [Metric::Cosine, Metric::InnerProduct, Metric::Euclidean] {
            let bm = Matrix::new("b", &base[..], n, d).unwrap();
            let qm = Matrix::new("q", &queries[..], q, d).unwrap();
            let reference: Vec<(f32, i64)> = (0..q * m)
                .map(|cell| {
                    let (i, j) = (cell / m, cell % m);
                    let (qn, _) = crate::metric::column_norms(qm.row(i));
                    let mut best: Option<(f32, u32)> = None;
                    for r in (0..n).filter(|&r| base_votes[r * m + j] != -1) {
                        let (bn, _) = crate::metric::column_norms(bm.row(r));
                        let s = metric.canonical_score(qm.row(i), bm.row(r), qn, bn);
                        if best.is_none_or(|(bs, bi)| metric.ranks_before(s, r as u32, bs, bi)) {
                            best = Some((s, r as u32));
                        }
                    }
                    best.map_or((metric.worst_score(), -1), |(s, r)| (s, r as i64))
                })
                .collect();
            for kernel in KERNELS {
                let (scores, indices) = run(
                    &queries,
                    &base,
                    &base_votes,
                    (q, n, d, m),
                    metric,
                    (kernel, 2),
                )
                .unwrap();
                for (cell, &(s, r)) in reference.iter().enumerate() {
                    assert_eq!(indices[cell], r, "{metric:?} {kernel:?} cell {cell}");
                    assert_eq!(scores[cell].to_bits(), s.to_bits(), "{metric:?} {kernel:?}");
                }
            }
        }
    }

    #[test]
    fn extreme_magnitudes_agree_across_kernels() {
        // Zero rows, subnormals, and rows so large that their squared norms overflow float32
        // (every bound is then infinite and every candidate is scored: slower, never wrong).
        let (q, n, d) = (40, 300, 20);
        let mut rng = Rng::new(5);
        let mut base = embeddings(&mut rng, n, d);
        for r in 0..n {
            let scale = [0.0f32, 1e-40, 1e-30, 1.0, 1e20, 3e30][r % 6];
            for x in &mut base[r * d..(r + 1) * d] {
                *x *= scale;
            }
        }
        let queries = base[..q * d].to_vec();
        let base_votes = votes(&mut rng, n, &[0.5, 1.0], 2);
        for metric in [Metric::InnerProduct, Metric::Euclidean] {
            let dims = (q, n, d, 2);
            let exact = run(
                &queries,
                &base,
                &base_votes,
                dims,
                metric,
                (Kernel::Exact, 2),
            )
            .unwrap();
            for kernel in KERNELS {
                let got = run(&queries, &base, &base_votes, dims, metric, (kernel, 3)).unwrap();
                assert_eq!(got.1, exact.1, "{metric:?} {kernel:?}");
                assert!(same_bits(&got.0, &exact.0), "{metric:?} {kernel:?}");
            }
        }
    }

    #[test]
    fn exact_ties_go_to_the_lowest_index() {
        // Base rows 1, 3 and 4 are identical; both LFs vote on 3 and 4, LF 1 also on 1.
        let d = 3;
        let base = [
            0.0, 0.0, 1.0, 1.0, 2.0, 0.5, 0.0, 0.0, 1.0, 1.0, 2.0, 0.5, 1.0, 2.0, 0.5,
        ];
        let base_votes = [-1, -1, -1, 1, 1, 1, 0, 0, 0, 0];
        let queries = [1.0, 2.0, 0.5];
        for kernel in KERNELS {
            let (_, indices) = run(
                &queries,
                &base,
                &base_votes,
                (1, 5, d, 2),
                Metric::Cosine,
                (kernel, 2),
            )
            .unwrap();
            assert_eq!(indices, vec![3, 1]);
        }
    }

    #[test]
    fn few_queries_split_columns_without_changing_results() {
        let (q, n, d) = (3, 5000, 5);
        let coverage = [0.5, 0.1];
        let mut rng = Rng::new(11);
        let base = embeddings(&mut rng, n, d);
        let queries = embeddings(&mut rng, q, d);
        let base_votes = votes(&mut rng, n, &coverage, 2);
        let with = |kernel, threads| {
            run(
                &queries,
                &base,
                &base_votes,
                (q, n, d, 2),
                Metric::Euclidean,
                (kernel, threads),
            )
            .unwrap()
        };
        let one = with(Kernel::Exact, 1);
        for kernel in KERNELS {
            let many = with(kernel, 6);
            assert_eq!(one.1, many.1);
            assert!(same_bits(&one.0, &many.0));
        }
    }

    #[test]
    fn a_cancelled_search_returns_cancelled_and_an_unset_token_changes_nothing() {
        let (q, n, d) = (600, 2100, 16);
        let mut rng = Rng::new(5);
        let (queries, base) = (embeddings(&mut rng, q, d), embeddings(&mut rng, n, d));
        let base_votes = votes(&mut rng, n, &[0.3, 0.05, 1.0], 3);
        let data = (&queries[..], &base[..], &base_votes[..]);
        let set = Cancel::new();
        set.cancel();
        for kernel in KERNELS {
            let plain = run(
                &queries,
                &base,
                &base_votes,
                (q, n, d, 3),
                Metric::Cosine,
                (kernel, 2),
            );
            let (scores, indices) = plain.unwrap();
            let (got_scores, got_indices) = search(
                data,
                (q, n, d, 3),
                Metric::Cosine,
                (kernel, 2),
                &Cancel::new(),
            )
            .unwrap();
            assert_eq!(indices, got_indices, "{kernel:?}");
            assert!(same_bits(&scores, &got_scores), "{kernel:?}");
            let before = search(data, (q, n, d, 3), Metric::Cosine, (kernel, 2), &set);
            assert_eq!(before.unwrap_err(), CoreError::Cancelled, "{kernel:?}");
        }
        // Set 20 ms into a search that takes seconds (far longer in a debug build).
        for kernel in [Kernel::Exact, Kernel::ScreenedPortable] {
            let (q, n, d) = (8192, 8192, 128);
            let mut rng = Rng::new(6);
            let (queries, base) = (embeddings(&mut rng, q, d), embeddings(&mut rng, n, d));
            let base_votes = votes(&mut rng, n, &[0.5, 1.0], 2);
            let got = cancelled_while_running(move |cancel| {
                let data = (&queries[..], &base[..], &base_votes[..]);
                search(data, (q, n, d, 2), Metric::Cosine, (kernel, 2), cancel).map(|_| ())
            });
            assert_eq!(got, Err(CoreError::Cancelled), "{kernel:?}");
        }
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let base = [1.0, 0.0, 0.0, 0.0];
        let queries = [1.0, 1.0];
        let k = (Kernel::Exact, 1);
        let err = run(&queries, &base, &[-2, 0], (1, 2, 2, 1), Metric::Cosine, k).unwrap_err();
        assert!(err.to_string().contains("-2"), "{err}");
        let err = run(&queries, &base, &[0, 0], (1, 2, 2, 1), Metric::Cosine, k).unwrap_err();
        assert!(err.to_string().contains("zero norm"), "{err}");
        let mut scores = vec![0.0; 1];
        let mut indices = vec![0; 1];
        let err = nearest_support(
            Matrix::new("queries", &queries[..], 1, 2).unwrap(),
            Matrix::new("base", &base[..], 2, 2).unwrap(),
            &Votes::dense("L_base", &[0i64, 0, 0][..], 3, 1).unwrap(),
            SupportQuery {
                metric: Metric::Cosine,
                kernel: Kernel::Exact,
            },
            1,
            Neighbours {
                scores: &mut scores,
                indices: &mut indices,
            },
            Cancel::never(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("L_base"), "{err}");
    }
}
