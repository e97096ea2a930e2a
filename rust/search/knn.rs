//! Exact k nearest neighbours of every query among all base rows, in the same blocked sweep, the
//! top-k selection fused into it.
//!
//! The contract is the one of `nearest_support`: the k base rows ranking first by canonical score
//! (`Metric::canonical_score`), equal scores by ascending index, and their canonical scores. The
//! screen only decides which candidates are scored (`bounds.rs`): a column is looked at for a
//! query when its upper bound reaches the query's k-th best so far.

use std::ops::Range;

use rayon::prelude::*;

use crate::cancel::Cancel;
use crate::consumer::TileConsumer;
use crate::error::{CoreError, CoreResult};
use crate::lanes::{Lanes, LANES};
use crate::matrix::Matrix;
use crate::metric::Metric;
use crate::search::driver::{tasks, Neighbours, Search};
use crate::sweep::{Kernel, Sweep};
use crate::tile::TileView;

/// What one k-NN call asks for.
#[derive(Debug, Clone, Copy)]
pub struct KnnQuery {
    /// Neighbours per query.
    pub k: usize,
    pub metric: Metric,
    /// The queries are the base rows themselves and row i is never its own neighbour.
    pub exclude_self: bool,
    /// How candidates are screened (the result is the same for every kernel).
    pub kernel: Kernel,
}

/// The k best (canonical score, column position) per query of one task, each list sorted best
/// first.
struct TopK<'s> {
    sweep: &'s Sweep<'s>,
    k: usize,
    first_query: usize,
    /// When set, query `r` of the task is base row `first_query + r` and must not be its own
    /// neighbour.
    exclude_self: bool,
    score: Vec<f32>,
    position: Vec<u32>,
    filled: Vec<u32>,
    /// Per query: the screen bar of its k-th best (-inf while the list is short); padded to
    /// whole `LANES`.
    bar: Vec<f32>,
}

impl<'s> TopK<'s> {
    fn new(sweep: &'s Sweep<'s>, k: usize, queries: Range<usize>, exclude_self: bool) -> Self {
        let rows = queries.len();
        TopK {
            sweep,
            k,
            first_query: queries.start,
            exclude_self,
            score: vec![f32::NAN; k * rows],
            position: vec![u32::MAX; k * rows],
            filled: vec![0; rows],
            bar: vec![f32::NEG_INFINITY; rows.next_multiple_of(LANES)],
        }
    }

    /// Inserts a scored candidate into query `r`'s list if it ranks before the list's last entry
    /// (or the list is short).
    fn insert(&mut self, r: usize, s: f32, position: u32) -> bool {
        let (k, metric) = (self.k, self.sweep.metric());
        let filled = self.filled[r] as usize;
        let scores = &mut self.score[r * k..(r + 1) * k];
        let positions = &mut self.position[r * k..(r + 1) * k];
        if filled == k && !metric.ranks_before(s, position, scores[k - 1], positions[k - 1]) {
            return false;
        }
        let mut at = filled.min(k - 1);
        while at > 0 && metric.ranks_before(s, position, scores[at - 1], positions[at - 1]) {
            scores[at] = scores[at - 1];
            positions[at] = positions[at - 1];
            at -= 1;
        }
        scores[at] = s;
        positions[at] = position;
        self.filled[r] = (filled + 1).min(k) as u32;
        true
    }

    /// The task's lists into its rows of the outputs.
    fn write(&self, scores: &mut [f32], indices: &mut [i64]) {
        for (slot, (s, i)) in scores.iter_mut().zip(indices).enumerate() {
            *s = self.score[slot];
            *i = self.position[slot] as i64;
        }
    }
}

impl TileConsumer for TopK<'_> {
    #[inline(always)]
    fn reach<S: Lanes>(&self, lanes: S, _position: usize, at: usize, h: S::V) -> u16 {
        lanes.reach_mask(h, &self.bar[at..])
    }

    /// Query `r` (task-relative) passed its bar at column `position`.
    #[inline(never)]
    fn event(&mut self, tile: &TileView<'_>, position: usize, r: usize, _h: f32) {
        let sweep = self.sweep;
        // Every base row is a column here, so the position is the base row.
        if self.exclude_self && self.first_query + r == position {
            return;
        }
        let s = sweep.canonical(self.first_query + r, position);
        if self.insert(r, s, position as u32) && self.filled[r] as usize == self.k {
            let kth = self.score[r * self.k + self.k - 1];
            self.bar[r] = tile.queries.bar(sweep.metric(), sweep.gamma(), r, kth);
        }
    }

    /// Merges partial lists from disjoint column ranges (used only when queries are few).
    fn merge(mut self, other: Self) -> Self {
        let k = self.k;
        for r in 0..self.filled.len() {
            for slot in 0..other.filled[r] as usize {
                self.insert(r, other.score[r * k + slot], other.position[r * k + slot]);
            }
        }
        self
    }
}

/// Exact k nearest neighbours of each query among the base rows, best first.
///
/// With `query.exclude_self`, `queries` must be `base` itself and row i is never its own
/// neighbour. `out` is `queries.rows() x k`. A set `cancel` token stops the search early with
/// `CoreError::Cancelled`, the outputs then holding no result (`Cancel::never()`: uncancellable).
/// See the module documentation for the contract; the result does not depend on `threads` or
/// `kernel`.
pub fn knn(
    queries: Matrix<'_, f32>,
    base: Matrix<'_, f32>,
    query: KnnQuery,
    threads: usize,
    out: Neighbours<'_>,
    cancel: &Cancel,
) -> CoreResult<()> {
    let KnnQuery {
        k, exclude_self, ..
    } = query;
    let (metric, kernel) = (query.metric, query.kernel);
    let search = Search::new((queries, base), "X", metric, kernel, threads, cancel);
    search.check_shapes(exclude_self)?;
    let q = queries.rows();
    let candidates = base.rows() - usize::from(exclude_self && base.rows() > 0);
    if candidates == 0 {
        let least = if exclude_self {
            "2 rows of X (a row's neighbours are the others)"
        } else {
            "1 row of X"
        };
        return Err(CoreError::Value(format!(
            "k: k-NN needs at least {least}, got {} (k={k})",
            base.rows()
        )));
    }
    if k == 0 || k > candidates {
        return Err(CoreError::Value(format!(
            "k: expected 1 <= k <= {candidates} (the number of candidate neighbours), got {k}"
        )));
    }
    out.check_len(q, k)?;
    if q == 0 {
        return Ok(());
    }
    let columns: Vec<u32> = (0..base.rows() as u32).collect();
    search.run(columns, |sweep, plan| {
        let chunk = plan.block_rows * k;
        tasks(sweep, plan, |rows, _| {
            TopK::new(sweep, k, rows, exclude_self)
        })
        .zip(out.scores.par_chunks_mut(chunk))
        .zip(out.indices.par_chunks_mut(chunk))
        .for_each(|((top, scores), indices)| top.write(scores, indices));
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::column_norms;
    use crate::testutil::{cancelled_while_running, embeddings, oriented, reference_score, Rng};

    const KERNELS: [Kernel; 3] = [Kernel::Exact, Kernel::ScreenedPortable, Kernel::Screened];

    /// `knn` into fresh outputs.
    fn run(
        queries: Matrix<'_, f32>,
        base: Matrix<'_, f32>,
        query: KnnQuery,
        threads: usize,
        cancel: &Cancel,
    ) -> CoreResult<(Vec<f32>, Vec<i64>)> {
        let len = queries.rows() * query.k;
        let (mut scores, mut indices) = (vec![0.0; len], vec![0; len]);
        let out = Neighbours {
            scores: &mut scores,
            indices: &mut indices,
        };
        knn(queries, base, query, threads, out, cancel).map(|()| (scores, indices))
    }

    fn knn_query(k: usize, metric: Metric, exclude_self: bool, kernel: Kernel) -> KnnQuery {
        KnnQuery {
            k,
            metric,
            exclude_self,
            kernel,
        }
    }

    #[test]
    fn matches_brute_force_with_and_without_self() {
        let (n, d, k) = (1300, 20, 5);
        let mut rng = Rng::new(3);
        let base = embeddings(&mut rng, n, d);
        let bm = Matrix::new("X", &base[..], n, d).unwrap();
        for metric in [Metric::Cosine, Metric::InnerProduct, Metric::Euclidean] {
            let mut reference = None;
            for kernel in KERNELS {
                for threads in [1, 2, 5] {
                    let never = Cancel::never();
                    let (scores, indices) =
                        run(bm, bm, knn_query(k, metric, true, kernel), threads, never).unwrap();
                    if let Some((s, i)) = &reference {
                        assert_eq!(i, &indices, "{metric:?} {kernel:?} {threads}");
                        let bits = |v: &Vec<f32>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                        assert_eq!(bits(s), bits(&scores), "{metric:?} {kernel:?} {threads}");
                        continue;
                    }
                    for q in (0..n).step_by(7) {
                        let mut all: Vec<f64> = (0..n)
                            .filter(|&t| t != q)
                            .map(|t| {
                                oriented(metric, reference_score(metric, bm.row(q), bm.row(t)))
                            })
                            .collect();
                        all.sort_by(|a, b| b.total_cmp(a));
                        for slot in 0..k {
                            let index = indices[q * k + slot];
                            assert_ne!(index as usize, q, "self is excluded");
                            let got = reference_score(metric, bm.row(q), bm.row(index as usize));
                            assert!(
                                (oriented(metric, got) - all[slot]).abs() < 1e-4,
                                "{metric:?} q={q} slot={slot}"
                            );
                            assert!((got - scores[q * k + slot] as f64).abs() < 1e-4);
                        }
                    }
                    reference = Some((scores, indices));
                }
            }
        }
    }

    /// Found by the fuzz targets: with rows of huge (or tiny) norm, float32 sums overflow (or
    /// underflow), so the canonical score (the contract) is not within any relative error of the
    /// exact value the screens bound, and the screens skipped the true winner: a base row whose
    /// squared norm overflows (euclidean), a dot product whose first term overflows to +inf
    /// (inner product), rows whose squared norms are subnormal (cosine). Such rows are never
    /// screened out (`bounds::MODERATE_NORM`, `bounds::MIN_MODERATE_NORM`).
    #[test]
    fn rows_with_overflowing_sums_can_win() {
        let check = |metric: Metric, query: &[f32], base: &[f32], winner: i64| {
            let d = query.len();
            let n = base.len() / d;
            let bm = Matrix::new("X", base, n, d).unwrap();
            let qm = Matrix::new("queries", query, 1, d).unwrap();
            for kernel in KERNELS {
                let (s, i) = run(
                    qm,
                    bm,
                    knn_query(1, metric, false, kernel),
                    1,
                    Cancel::never(),
                )
                .unwrap();
                assert_eq!(i, [winner], "{metric:?} {kernel:?}");
                let best = bm.row(winner as usize);
                let (qn, bn) = (column_norms(query).0, column_norms(best).0);
                let canonical = metric.canonical_score(query, best, qn, bn);
                assert_eq!(s[0].to_bits(), canonical.to_bits(), "{metric:?} {kernel:?}");
            }
        };
        // Euclidean: |2a|^2 overflows, yet 2a is the nearest row to a (distance |a| = 1.27e19,
        // against 1.5e19 for `far`). The overflowing row comes last, after the bar is set.
        let a = vec![3e18f32; 18];
        let mut far = a.clone();
        far[0] = -1.2e19;
        let twice: Vec<f32> = a.iter().map(|x| 2.0 * x).collect();
        check(Metric::Euclidean, &a, &[far, twice].concat(), 1);
        // Inner product: 4 * 1e38 overflows, so the canonical dot of [4, -3] with [1e38, 1e38]
        // is +inf and beats [5e37, 0] (2e38), although the exact value (1e38) does not.
        check(
            Metric::InnerProduct,
            &[4.0, -3.0],
            &[5e37, 0.0, 1e38, 1e38],
            1,
        );
        // Cosine of tiny rows (squared norms subnormal, so the computed norms are off by more than
        // rounding): q against copies of q scores 0.99999994, against 2q exactly 1, and 2q
        // (last) was skipped as "no better than the copies".
        let q = vec![-6.25e-22f32; 16];
        let twice: Vec<f32> = q.iter().map(|x| 2.0 * x).collect();
        check(
            Metric::Cosine,
            &q,
            &[q.clone(), q.clone(), q.clone(), twice].concat(),
            3,
        );
    }

    #[test]
    fn a_cancelled_search_returns_cancelled_and_an_unset_token_changes_nothing() {
        let search = |base: &[f32], (n, d, k): (usize, usize, usize), kernel, cancel: &Cancel| {
            let bm = Matrix::new("X", base, n, d)?;
            run(
                bm,
                bm,
                knn_query(k, Metric::Euclidean, true, kernel),
                2,
                cancel,
            )
        };
        let (n, d, k) = (1100, 16, 4);
        let base = embeddings(&mut Rng::new(8), n, d);
        let set = Cancel::new();
        set.cancel();
        for kernel in KERNELS {
            let bm = Matrix::new("X", &base[..], n, d).unwrap();
            let euclidean = knn_query(k, Metric::Euclidean, true, kernel);
            let (scores, indices) = run(bm, bm, euclidean, 2, Cancel::never()).unwrap();
            let got = search(&base, (n, d, k), kernel, &Cancel::new()).unwrap();
            assert_eq!(indices, got.1, "{kernel:?}");
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&scores), bits(&got.0), "{kernel:?}");
            let before = search(&base, (n, d, k), kernel, &set);
            assert_eq!(before.unwrap_err(), CoreError::Cancelled, "{kernel:?}");
        }
        // Set 20 ms into a search that takes seconds (far longer in a debug build).
        for kernel in [Kernel::Exact, Kernel::ScreenedPortable] {
            let (n, d, k) = (8192, 128, 5);
            let base = embeddings(&mut Rng::new(9), n, d);
            let got = cancelled_while_running(move |cancel| {
                search(&base, (n, d, k), kernel, cancel).map(|_| ())
            });
            assert_eq!(got, Err(CoreError::Cancelled), "{kernel:?}");
        }
    }

    #[test]
    fn one_row_is_too_few_for_k_nn_without_self() {
        let base = [1.0f32, 2.0];
        let bm = Matrix::new("X", &base[..], 1, 2).unwrap();
        let err = run(
            bm,
            bm,
            knn_query(1, Metric::Euclidean, true, Kernel::Exact),
            1,
            Cancel::never(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("at least 2 rows of X"), "{err}");
        let empty = Matrix::new("X", &[][..], 0, 2).unwrap();
        let err = run(
            bm,
            empty,
            knn_query(1, Metric::Euclidean, false, Kernel::Exact),
            1,
            Cancel::never(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("at least 1 row of X"), "{err}");
        // With the queries apart, one row is enough.
        run(
            bm,
            bm,
            knn_query(1, Metric::Euclidean, false, Kernel::Exact),
            1,
            Cancel::never(),
        )
        .unwrap();
    }

    #[test]
    fn k_out_of_range_is_an_error() {
        let base = [1.0f32, 0.0, 0.0, 1.0];
        let bm = Matrix::new("X", &base[..], 2, 2).unwrap();
        let (exact, never) = (Kernel::Exact, Cancel::never());
        assert!(run(bm, bm, knn_query(2, Metric::Cosine, true, exact), 1, never).is_err());
        assert!(run(bm, bm, knn_query(0, Metric::Cosine, false, exact), 1, never).is_err());
    }
}
