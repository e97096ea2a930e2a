//! Exact radius search: every base row whose score against a query clears a radius (similarity
//! `>= radius` for cosine / inner product, distance `<= radius` for euclidean), as sparse rows.
//!
//! A consumer of the blocked sweep (`sweep/`): the screen value of each (query, base row) pair
//! (float32 GEMM or int8, `kernel`) only *screens* candidates, against the rigorous bar of
//! `bounds.rs` for the radius (later the k-th best score); every candidate's score is then
//! computed with `Metric::canonical_score` (the canonical pair score that `nearest_support` and
//! `knn` report), and the inclusion decision is made on that score. So a pair is in the result
//! exactly when its canonical score clears the radius, whatever the screen, tiling or thread
//! count, and its reported score is the canonical one.
//!
//! Memory: per task, the candidate lists of its queries (the output, plus the few pairs within
//! the rounding margin of the bar). With `max_neighbors = k`, a query's list is cut back to its k
//! best each time it reaches 2k entries, and the bar rises to the k-th best score, so memory is
//! O(k) per query however many base rows clear the radius.

use std::ops::Range;

use rayon::prelude::*;

use crate::bounds::QueryTerms;
use crate::cancel::Cancel;
use crate::consumer::TileConsumer;
use crate::error::{CoreError, CoreResult};
use crate::lanes::{Lanes, LANES};
use crate::matrix::Matrix;
use crate::metric::Metric;
use crate::search::driver::{tasks, Search};
use crate::sweep::{Kernel, Sweep};
use crate::tile::TileView;

/// The neighbours of consecutive queries: `lengths[r]` entries per query, concatenated; within a
/// query, base rows ascending.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RadiusRows {
    pub lengths: Vec<u32>,
    pub indices: Vec<u32>,
    pub scores: Vec<f32>,
}

/// What one call asks for.
#[derive(Debug, Clone, Copy)]
pub struct RadiusQuery {
    pub radius: f32,
    pub metric: Metric,
    /// The queries are the base rows themselves and row i is never its own neighbour.
    pub exclude_self: bool,
    /// Keep only the best `k` per query (higher similarity / smaller distance, then lower index).
    pub max_neighbors: Option<usize>,
    /// How candidates are screened (the result is the same for every kernel).
    pub kernel: Kernel,
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    position: u32,
    /// The exact score, NaN until computed.
    score: f32,
}

/// Candidates per query of one task.
struct Within<'s> {
    query: RadiusQuery,
    sweep: &'s Sweep<'s>,
    first_query: usize,
    /// Per query: the screen bar of the radius, then of the k-th best score (`bounds.rs`);
    /// NaN until the query's first view sets it (the bar needs the task's `QueryTerms`).
    bar: Vec<f32>,
    candidates: Vec<Vec<Candidate>>,
}

impl<'s> Within<'s> {
    fn new(query: RadiusQuery, sweep: &'s Sweep<'s>, queries: Range<usize>) -> Self {
        let rows = queries.len();
        Within {
            query,
            sweep,
            first_query: queries.start,
            bar: vec![f32::NAN; rows.next_multiple_of(LANES)],
            candidates: vec![Vec::new(); rows],
        }
    }

    #[inline]
    fn push(&mut self, r: usize, position: u32, queries: &QueryTerms) {
        self.candidates[r].push(Candidate {
            position,
            score: f32::NAN,
        });
        if let Some(k) = self.query.max_neighbors {
            if self.candidates[r].len() >= 2 * k.max(8) {
                self.prune(r, k, Some(queries));
            }
        }
    }

    /// Scores query `r`'s new candidates, drops those outside the radius and, with
    /// `max_neighbors = k`, all but the k best; then (given the task's terms) raises the bar to
    /// the k-th best score.
    fn prune(&mut self, r: usize, k: usize, queries: Option<&QueryTerms>) {
        let metric = self.query.metric;
        let list = self.settled(r, Some(k));
        if let (true, Some(queries)) = (list.len() == k, queries) {
            let worst = list
                .iter()
                .copied()
                .max_by(|a, b| ranking(metric, a, b))
                .expect("k >= 1 entries");
            let bar = queries.bar(metric, self.sweep.gamma(), r, worst.score);
            self.bar[r] = self.bar[r].max(bar);
        }
        self.candidates[r] = list;
    }

    /// Query `r`'s candidates, taken: every one scored, those outside the radius dropped and,
    /// with `keep = Some(k)`, all but the k best.
    fn settled(&mut self, r: usize, keep: Option<usize>) -> Vec<Candidate> {
        let metric = self.query.metric;
        let mut list = std::mem::take(&mut self.candidates[r]);
        for c in list.iter_mut().filter(|c| c.score.is_nan()) {
            c.score = self
                .sweep
                .canonical(self.first_query + r, c.position as usize);
        }
        list.retain(|c| metric.passes(c.score, self.query.radius));
        if let Some(k) = keep {
            if list.len() > k {
                list.select_nth_unstable_by(k - 1, |a, b| ranking(metric, a, b));
                list.truncate(k);
            }
        }
        list
    }

    /// The final rows: exact scores, the radius test on them, the k best, base rows ascending.
    fn finish(mut self) -> RadiusRows {
        let mut out = RadiusRows::default();
        // Exact capacity (candidates are at most a few more than the output): no doubling slack.
        let total: usize = self.candidates.iter().map(Vec::len).sum();
        let total = self
            .query
            .max_neighbors
            .map_or(total, |k| total.min(k * self.candidates.len()));
        out.lengths.reserve_exact(self.candidates.len());
        out.indices.reserve_exact(total);
        out.scores.reserve_exact(total);
        for r in 0..self.candidates.len() {
            let mut list = self.settled(r, self.query.max_neighbors);
            list.sort_unstable_by_key(|c| c.position);
            out.lengths.push(list.len() as u32);
            for c in list {
                out.indices.push(self.sweep.columns()[c.position as usize]);
                out.scores.push(c.score);
            }
        }
        out
    }
}

/// Best first: higher similarity (smaller distance), then lower base row.
#[inline]
fn ranking(metric: Metric, a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    let by_score = if metric.higher_is_better() {
        b.score.partial_cmp(&a.score)
    } else {
        a.score.partial_cmp(&b.score)
    };
    by_score
        .unwrap_or(std::cmp::Ordering::Equal)
        .then(a.position.cmp(&b.position))
}

impl TileConsumer for Within<'_> {
    /// Sets the bars of the view's queries that have none yet (they need the task's terms).
    #[inline(always)]
    fn begin_view(&mut self, tile: &TileView<'_>) {
        let (metric, gamma) = (self.query.metric, self.sweep.gamma());
        for r in tile.query_offset..tile.query_offset + tile.width {
            if self.bar[r].is_nan() {
                self.bar[r] = tile.queries.bar(metric, gamma, r, self.query.radius);
            }
        }
    }

    #[inline(always)]
    fn reach<S: Lanes>(&self, lanes: S, _position: usize, at: usize, h: S::V) -> u16 {
        lanes.reach_mask(h, &self.bar[at..])
    }

    #[inline]
    fn event(&mut self, tile: &TileView<'_>, column: usize, r: usize, _h: f32) {
        if !(self.query.exclude_self && self.first_query + r == column) {
            self.push(r, column as u32, tile.queries);
        }
    }

    /// Adds the candidates of a disjoint column range of the same queries.
    fn merge(mut self, other: Self) -> Self {
        for (r, list) in other.candidates.into_iter().enumerate() {
            self.candidates[r].extend(list);
            if let Some(k) = self.query.max_neighbors {
                if self.candidates[r].len() > k {
                    self.prune(r, k, None);
                }
            }
        }
        self
    }
}

/// All base rows within `query.radius` of each query (see the module documentation).
///
/// Returns the rows of consecutive blocks of queries, in query order. Stops early with
/// `CoreError::Cancelled` once `cancel` is set (pass `Cancel::never()` for a call nobody
/// cancels). The result does not depend on `threads`.
pub fn radius_neighbors(
    queries: Matrix<'_, f32>,
    base: Matrix<'_, f32>,
    query: RadiusQuery,
    threads: usize,
    cancel: &Cancel,
) -> CoreResult<Vec<RadiusRows>> {
    let (metric, kernel) = (query.metric, query.kernel);
    let search = Search::new((queries, base), "X", metric, kernel, threads, cancel);
    search.check_shapes(query.exclude_self)?;
    if query.radius.is_nan() {
        return Err(CoreError::Value(
            "radius: expected a number, got NaN".into(),
        ));
    }
    if query.max_neighbors == Some(0) {
        return Err(CoreError::Value(
            "max_neighbors: expected None or an int >= 1, got 0".into(),
        ));
    }
    if u32::try_from(base.rows()).is_err() {
        return Err(CoreError::Value(format!(
            "X: at most {} rows are supported, got {}",
            u32::MAX,
            base.rows()
        )));
    }
    let q = queries.rows();
    if q == 0 || base.rows() == 0 {
        return Ok(vec![RadiusRows {
            lengths: vec![0; q],
            ..RadiusRows::default()
        }]);
    }
    let columns: Vec<u32> = (0..base.rows() as u32).collect();
    search.run(columns, |sweep, plan| {
        tasks(sweep, plan, |rows, _| Within::new(query, sweep, rows))
            .map(Within::finish)
            .collect()
    })
}

/// The rows as CSR arrays `(indptr, indices, scores)` with index type `I`, consuming the blocks
/// one by one (peak memory: the output plus one block). `None` when a value does not fit in `I`.
pub fn to_csr<I: TryFrom<usize> + Copy>(
    blocks: Vec<RadiusRows>,
) -> Option<(Vec<I>, Vec<I>, Vec<f32>)> {
    let nnz: usize = blocks.iter().map(|b| b.indices.len()).sum();
    let q: usize = blocks.iter().map(|b| b.lengths.len()).sum();
    let mut indptr = Vec::with_capacity(q + 1);
    let mut indices = Vec::with_capacity(nnz);
    let mut scores = Vec::with_capacity(nnz);
    let mut total = 0usize;
    indptr.push(I::try_from(0).ok()?);
    for block in blocks {
        for &length in &block.lengths {
            total += length as usize;
            indptr.push(I::try_from(total).ok()?);
        }
        for &index in &block.indices {
            indices.push(I::try_from(index as usize).ok()?);
        }
        scores.extend_from_slice(&block.scores);
    }
    Some((indptr, indices, scores))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::squared_norm;
    use crate::testutil::{cancelled_while_running, embeddings, Rng};

    /// Brute force over all pairs with the canonical score.
    fn reference(
        queries: Matrix<'_, f32>,
        base: Matrix<'_, f32>,
        query: RadiusQuery,
    ) -> Vec<Vec<(u32, f32)>> {
        let metric = query.metric;
        let norms: Vec<f32> = (0..base.rows())
            .map(|t| squared_norm(base.row(t)).sqrt())
            .collect();
        (0..queries.rows())
            .map(|i| {
                let qrow = queries.row(i);
                let qn = squared_norm(qrow).sqrt();
                let hits: Vec<(u32, f32)> = (0..base.rows())
                    .filter(|&t| !(query.exclude_self && t == i))
                    .map(|t| {
                        (
                            t as u32,
                            metric.canonical_score(qrow, base.row(t), qn, norms[t]),
                        )
                    })
                    .filter(|&(_, s)| metric.passes(s, query.radius))
                    .collect();
                hits
            })
            .collect()
    }

    /// The `k` best of each row of `rows` (ties to the lower index), base rows ascending.
    fn capped(metric: Metric, rows: &[Vec<(u32, f32)>], k: usize) -> Vec<Vec<(u32, f32)>> {
        rows.iter()
            .map(|hits| {
                let mut hits = hits.clone();
                hits.sort_by(|a, b| {
                    let (a, b) = (
                        Candidate {
                            position: a.0,
                            score: a.1,
                        },
                        Candidate {
                            position: b.0,
                            score: b.1,
                        },
                    );
                    ranking(metric, &a, &b)
                });
                hits.truncate(k);
                hits.sort_by_key(|h| h.0);
                hits
            })
            .collect()
    }

    fn flatten(blocks: &[RadiusRows]) -> Vec<Vec<(u32, f32)>> {
        let mut out = Vec::new();
        for block in blocks {
            let mut at = 0;
            for &length in &block.lengths {
                let end = at + length as usize;
                out.push(
                    block.indices[at..end]
                        .iter()
                        .copied()
                        .zip(block.scores[at..end].iter().copied())
                        .collect(),
                );
                at = end;
            }
        }
        out
    }

    /// `n` base rows and `q` queries of dimension `d`, from `seed`.
    fn base_and_queries(seed: u64, n: usize, q: usize, d: usize) -> (Vec<f32>, Vec<f32>) {
        let mut rng = Rng::new(seed);
        let base = embeddings(&mut rng, n, d);
        (base, embeddings(&mut rng, q, d))
    }

    #[test]
    fn matches_brute_force_across_tiles_threads_and_caps() {
        // Sizes cross the tile grid; every third row repeats an earlier one (exact ties).
        let (q, n, d) = (530, 1100, 6);
        let (base, queries) = base_and_queries(5, n, q, d);
        let bm = Matrix::new("X", &base[..], n, d).unwrap();
        let qm = Matrix::new("queries", &queries[..], q, d).unwrap();
        for (metric, radius) in [
            (Metric::Cosine, 0.8),
            (Metric::InnerProduct, 1.5),
            (Metric::Euclidean, 0.9),
        ] {
            for (queries, exclude_self) in [(qm, false), (bm, true)] {
                let query = RadiusQuery {
                    radius,
                    metric,
                    exclude_self,
                    max_neighbors: None,
                    kernel: Kernel::Exact,
                };
                let all = reference(queries, bm, query);
                // Every screen gives the canonical result.
                for kernel in [Kernel::ScreenedPortable, Kernel::Screened] {
                    let got = radius_neighbors(
                        queries,
                        bm,
                        RadiusQuery { kernel, ..query },
                        2,
                        Cancel::never(),
                    );
                    assert_eq!(flatten(&got.unwrap()), all, "{query:?} {kernel:?}");
                }
                // The radius leaves some queries more neighbours than any cap tested.
                let most = all.iter().map(Vec::len).max();
                assert!(most > Some(7), "{query:?}: most {most:?}");
                for max_neighbors in [None, Some(1), Some(7)] {
                    let query = RadiusQuery {
                        max_neighbors,
                        ..query
                    };
                    let expected = max_neighbors.map_or(all.clone(), |k| capped(metric, &all, k));
                    // Thread counts change the task split (and column chunks), never the result.
                    let thread_counts: &[usize] = if max_neighbors.is_none() {
                        &[1, 3]
                    } else {
                        &[2]
                    };
                    for &threads in thread_counts {
                        let got =
                            radius_neighbors(queries, bm, query, threads, Cancel::never()).unwrap();
                        assert_eq!(flatten(&got), expected, "{query:?} threads {threads}");
                    }
                }
            }
        }
    }

    #[test]
    fn pairs_exactly_at_the_radius_are_included() {
        // The GEMM score of a pair and its exact score differ in the last bits; the screening
        // margin must let every pair whose exact score equals the radius through.
        let (n, d) = (200, 67);
        let mut rng = Rng::new(9);
        let base = embeddings(&mut rng, n, d);
        let bm = Matrix::new("X", &base[..], n, d).unwrap();
        for metric in [Metric::Cosine, Metric::InnerProduct, Metric::Euclidean] {
            for _ in 0..60 {
                let (a, b) = (rng.below(n as u64) as usize, rng.below(n as u64) as usize);
                if a == b {
                    continue;
                }
                let radius = metric.canonical_score(
                    bm.row(a),
                    bm.row(b),
                    squared_norm(bm.row(a)).sqrt(),
                    squared_norm(bm.row(b)).sqrt(),
                );
                let query = RadiusQuery {
                    radius,
                    metric,
                    exclude_self: true,
                    max_neighbors: None,
                    kernel: Kernel::Exact,
                };
                let qm = Matrix::new("queries", bm.row(a), 1, d).unwrap();
                let got = flatten(
                    &radius_neighbors(
                        qm,
                        bm,
                        RadiusQuery {
                            exclude_self: false,
                            ..query
                        },
                        1,
                        Cancel::never(),
                    )
                    .unwrap(),
                );
                assert!(
                    got[0].iter().any(|&(t, s)| t == b as u32 && s == radius),
                    "{metric:?}: pair ({a}, {b}) at radius {radius} is missing"
                );
                assert_eq!(
                    got,
                    reference(
                        qm,
                        bm,
                        RadiusQuery {
                            exclude_self: false,
                            ..query
                        }
                    )
                );
            }
        }
    }

    #[test]
    fn few_queries_split_columns_without_changing_results() {
        let (q, n, d) = (3, 5000, 5);
        let (base, queries) = base_and_queries(13, n, q, d);
        let bm = Matrix::new("X", &base[..], n, d).unwrap();
        let qm = Matrix::new("queries", &queries[..], q, d).unwrap();
        for max_neighbors in [None, Some(5)] {
            let query = RadiusQuery {
                radius: 1.0,
                metric: Metric::Euclidean,
                exclude_self: false,
                max_neighbors,
                kernel: Kernel::Exact,
            };
            let one = radius_neighbors(qm, bm, query, 1, Cancel::never()).unwrap();
            let many = radius_neighbors(qm, bm, query, 6, Cancel::never()).unwrap();
            assert_eq!(flatten(&one), flatten(&many));
            let all = reference(qm, bm, query);
            let expected = max_neighbors.map_or(all.clone(), |k| capped(query.metric, &all, k));
            assert!(
                all.iter().all(|h| h.len() > 5),
                "every query has more than the cap"
            );
            assert_eq!(flatten(&one), expected);
        }
    }

    #[test]
    fn a_cancelled_search_returns_cancelled_and_an_unset_token_changes_nothing() {
        let query = |kernel| RadiusQuery {
            radius: 0.3,
            metric: Metric::Cosine,
            exclude_self: true,
            max_neighbors: Some(7),
            kernel,
        };
        let (n, d) = (1100, 16);
        let base = embeddings(&mut Rng::new(12), n, d);
        let bm = Matrix::new("X", &base[..], n, d).unwrap();
        let set = Cancel::new();
        set.cancel();
        for kernel in [Kernel::Exact, Kernel::ScreenedPortable, Kernel::Screened] {
            let plain =
                to_csr::<i64>(radius_neighbors(bm, bm, query(kernel), 2, Cancel::never()).unwrap());
            let with = radius_neighbors(bm, bm, query(kernel), 2, &Cancel::new());
            let with = to_csr::<i64>(with.unwrap());
            let (plain, with) = (plain.unwrap(), with.unwrap());
            assert_eq!((&plain.0, &plain.1), (&with.0, &with.1), "{kernel:?}");
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&plain.2), bits(&with.2), "{kernel:?}");
            let before = radius_neighbors(bm, bm, query(kernel), 2, &set);
            assert_eq!(before.unwrap_err(), CoreError::Cancelled, "{kernel:?}");
        }
        // Set 20 ms into a search that takes seconds (far longer in a debug build).
        for kernel in [Kernel::Exact, Kernel::ScreenedPortable] {
            let (n, d) = (8192, 128);
            let base = embeddings(&mut Rng::new(13), n, d);
            let got = cancelled_while_running(move |cancel| {
                let bm = Matrix::new("X", &base[..], n, d).unwrap();
                radius_neighbors(bm, bm, query(kernel), 2, cancel).map(|_| ())
            });
            assert_eq!(got, Err(CoreError::Cancelled), "{kernel:?}");
        }
    }

    #[test]
    fn csr_assembly_and_bad_input() {
        let base = [1.0f32, 0.0, 0.0, 1.0, 1.0, 1.0];
        let bm = Matrix::new("X", &base[..], 3, 2).unwrap();
        let query = RadiusQuery {
            radius: 0.5,
            metric: Metric::Cosine,
            exclude_self: true,
            max_neighbors: None,
            kernel: Kernel::Exact,
        };
        let blocks = radius_neighbors(bm, bm, query, 1, Cancel::never()).unwrap();
        let (indptr, indices, scores) = to_csr::<i32>(blocks).unwrap();
        assert_eq!(indptr, vec![0, 1, 2, 4]);
        assert_eq!(indices, vec![2, 2, 0, 1]);
        assert!((scores[0] - 0.5f32.sqrt()).abs() < 1e-6);
        let zero = [0.0f32, 0.0];
        let zm = Matrix::new("queries", &zero[..], 1, 2).unwrap();
        let keep_self = RadiusQuery {
            exclude_self: false,
            ..query
        };
        let no_neighbours = RadiusQuery {
            max_neighbors: Some(0),
            ..query
        };
        let nan = RadiusQuery {
            radius: f32::NAN,
            ..query
        };
        for (queries, bad, expected) in [
            (zm, keep_self, "zero norm"),
            (bm, no_neighbours, "max_neighbors"),
            (bm, nan, "radius"),
        ] {
            let err = radius_neighbors(queries, bm, bad, 1, Cancel::never()).unwrap_err();
            assert!(err.to_string().contains(expected), "{err}");
        }
    }
}
