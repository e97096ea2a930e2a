//! For every query and every labeling function (LF) j, the best base row among LF j's support
//! (the base rows where LF j voted), for all LFs in one sweep over the union of the supports.

use rayon::prelude::*;

use crate::error::{CoreError, CoreResult};
use crate::matrix::Matrix;
use crate::metric::{squared_norm, Metric};
use crate::sweep::{Sweep, TileConsumer, TileView};
use crate::threads::run_in_pool;
use crate::ABSTAIN;

const NO_CANDIDATE: u32 = u32::MAX;

/// Which LFs voted on each searched base row, in CSR form over the sweep's column list.
struct SupportLists {
    starts: Vec<u32>,
    lfs: Vec<u32>,
}

impl SupportLists {
    /// The union of all supports (ascending base rows) and, for each, the LFs that voted on it.
    fn build(votes: Matrix<'_, i64>) -> CoreResult<(Vec<u32>, SupportLists)> {
        let mut columns = Vec::new();
        let mut starts = vec![0u32];
        let mut lfs = Vec::new();
        for row in 0..votes.rows() {
            let before = lfs.len();
            for (j, &vote) in votes.row(row).iter().enumerate() {
                if vote < ABSTAIN {
                    return Err(CoreError::Value(format!(
                        "L_base: votes must be -1 (abstain) or a class >= 0, got {vote} at [{row}, {j}]"
                    )));
                }
                if vote != ABSTAIN {
                    lfs.push(j as u32);
                }
            }
            if lfs.len() > before {
                columns.push(row as u32);
                starts.push(lfs.len() as u32);
            }
        }
        Ok((columns, SupportLists { starts, lfs }))
    }

    #[inline(always)]
    fn of(&self, column: usize) -> &[u32] {
        &self.lfs[self.starts[column] as usize..self.starts[column + 1] as usize]
    }
}

/// Running best per (LF, query) of one task, LF-major so updates are contiguous over queries.
struct BestPerLf<'s> {
    supports: &'s SupportLists,
    rows: usize,
    value: Vec<f32>,
    position: Vec<u32>,
}

impl<'s> BestPerLf<'s> {
    fn new(supports: &'s SupportLists, lfs: usize, rows: usize) -> Self {
        BestPerLf {
            supports,
            rows,
            value: vec![f32::NEG_INFINITY; lfs * rows],
            position: vec![NO_CANDIDATE; lfs * rows],
        }
    }

    /// Keeps, per entry, the better of two partial results over disjoint column ranges
    /// (higher value, then lower position): associative, so any merge order gives one answer.
    fn merge(mut self, other: Self) -> Self {
        for ((v, p), (&ov, &op)) in self
            .value
            .iter_mut()
            .zip(self.position.iter_mut())
            .zip(other.value.iter().zip(&other.position))
        {
            if op != NO_CANDIDATE && (ov > *v || (ov == *v && op < *p)) {
                *v = ov;
                *p = op;
            }
        }
        self
    }
}

impl TileConsumer for BestPerLf<'_> {
    #[inline(always)]
    fn consume_portable(&mut self, tile: &TileView<'_>) {
        let width = tile.width;
        for (p, scores) in tile.values.chunks_exact(width).enumerate() {
            let column = tile.first_column + p;
            let (scale, offset) = (tile.scale[p], tile.offset[p]);
            for &lf in self.supports.of(column) {
                let start = lf as usize * self.rows + tile.query_offset;
                let best = &mut self.value[start..start + width];
                let position = &mut self.position[start..start + width];
                // Columns arrive in ascending order, so a strict `>` keeps the lowest index on ties.
                for ((b, pos), &raw) in best.iter_mut().zip(position.iter_mut()).zip(scores) {
                    let s = raw * scale + offset;
                    let better = s > *b;
                    *b = if better { s } else { *b };
                    *pos = if better { column as u32 } else { *pos };
                }
            }
        }
    }
}

/// Nearest support point of every LF for every query.
///
/// `scores` and `indices` are `queries.rows() x base_votes.cols()`, row-major. For LF j with an
/// empty support, `indices = -1` and `scores = metric.worst_score()`. Ties go to the lowest base
/// index. The result does not depend on `threads`.
pub fn nearest_support(
    queries: Matrix<'_, f32>,
    base: Matrix<'_, f32>,
    base_votes: Matrix<'_, i64>,
    metric: Metric,
    threads: usize,
    scores: &mut [f32],
    indices: &mut [i64],
) -> CoreResult<()> {
    let (q, m) = (queries.rows(), base_votes.cols());
    check_inputs(queries, base, base_votes, scores.len(), indices.len())?;
    let (columns, supports) = SupportLists::build(base_votes)?;
    scores.fill(metric.worst_score());
    indices.fill(-1);
    if q == 0 || m == 0 || columns.is_empty() {
        return Ok(());
    }
    run_in_pool(threads, || {
        let sweep = Sweep::new(queries, base, metric, columns).map_err(|row| {
            CoreError::Value(format!(
                "base: row {row} has zero norm; cosine similarity is undefined for it"
            ))
        })?;
        check_query_norms(queries, metric)?;
        let plan = sweep.plan(threads);
        let chunk = plan.block_rows * m;
        scores
            .par_chunks_mut(chunk)
            .zip(indices.par_chunks_mut(chunk))
            .enumerate()
            .for_each(|(task, (task_scores, task_indices))| {
                let first = task * plan.block_rows;
                let rows = task_scores.len() / m;
                let partial = |chunk_id: usize| {
                    let mut best = BestPerLf::new(&supports, m, rows);
                    sweep.run(
                        first..first + rows,
                        sweep.chunk_tiles(chunk_id, plan.column_chunks),
                        &mut best,
                    );
                    best
                };
                let best = if plan.column_chunks == 1 {
                    partial(0)
                } else {
                    (0..plan.column_chunks)
                        .into_par_iter()
                        .map(partial)
                        .reduce_with(BestPerLf::merge)
                        .expect("at least one column chunk")
                };
                write_results(&sweep, &best, first, task_scores, task_indices);
            });
        Ok(())
    })
}

fn check_inputs(
    queries: Matrix<'_, f32>,
    base: Matrix<'_, f32>,
    base_votes: Matrix<'_, i64>,
    scores_len: usize,
    indices_len: usize,
) -> CoreResult<()> {
    if queries.cols() != base.cols() {
        return Err(CoreError::Shape(format!(
            "queries and base: expected the same number of columns, got {} and {}",
            queries.cols(),
            base.cols()
        )));
    }
    if base_votes.rows() != base.rows() {
        return Err(CoreError::Shape(format!(
            "L_base: expected {} rows (one per base row), got {}",
            base.rows(),
            base_votes.rows()
        )));
    }
    let expected = queries.rows() * base_votes.cols();
    if scores_len != expected || indices_len != expected {
        return Err(CoreError::Shape(format!(
            "outputs: expected {expected} entries, got {scores_len} scores and {indices_len} indices"
        )));
    }
    Ok(())
}

pub(crate) fn check_query_norms(queries: Matrix<'_, f32>, metric: Metric) -> CoreResult<()> {
    if metric != Metric::Cosine {
        return Ok(());
    }
    match (0..queries.rows())
        .into_par_iter()
        .find_first(|&i| squared_norm(queries.row(i)) == 0.0)
    {
        Some(row) => Err(CoreError::Value(format!(
            "queries: row {row} has zero norm; cosine similarity is undefined for it"
        ))),
        None => Ok(()),
    }
}

/// Converts one task's running bests into base indices and exactly recomputed scores.
fn write_results(
    sweep: &Sweep<'_>,
    best: &BestPerLf<'_>,
    first_query: usize,
    scores: &mut [f32],
    indices: &mut [i64],
) {
    let m = scores.len() / best.rows;
    let (queries, base, metric) = (sweep.queries(), sweep.base(), sweep.metric());
    // Several LFs often share a query's nearest row: score each distinct row once.
    let mut winners: Vec<(u32, u32)> = Vec::with_capacity(m);
    for r in 0..best.rows {
        let query = queries.row(first_query + r);
        let query_norm = squared_norm(query).sqrt();
        winners.clear();
        winners.extend(
            (0..m)
                .map(|lf| (best.position[lf * best.rows + r], lf as u32))
                .filter(|&(position, _)| position != NO_CANDIDATE),
        );
        winners.sort_unstable();
        let mut previous: Option<(u32, f32)> = None;
        for &(position, lf) in &winners {
            let score = match previous {
                Some((p, s)) if p == position => s,
                _ => {
                    let row = sweep.columns()[position as usize] as usize;
                    let s = metric.exact_score(
                        query,
                        base.row(row),
                        query_norm,
                        sweep.column_norm(position as usize),
                    );
                    previous = Some((position, s));
                    s
                }
            };
            scores[r * m + lf as usize] = score;
            indices[r * m + lf as usize] = sweep.columns()[position as usize] as i64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_is_best, embeddings, votes, Rng};

    fn run(
        queries: &[f32],
        base: &[f32],
        base_votes: &[i64],
        (q, n, d, m): (usize, usize, usize, usize),
        metric: Metric,
        threads: usize,
    ) -> CoreResult<(Vec<f32>, Vec<i64>)> {
        let mut scores = vec![0.0; q * m];
        let mut indices = vec![0; q * m];
        nearest_support(
            Matrix::new("queries", queries, q, d)?,
            Matrix::new("base", base, n, d)?,
            Matrix::new("L_base", base_votes, n, m)?,
            metric,
            threads,
            &mut scores,
            &mut indices,
        )?;
        Ok((scores, indices))
    }

    #[test]
    fn matches_brute_force_across_tiles_and_threads() {
        // Sizes cross the tile grid: q > QUERY_BLOCK, n > COLUMN_TILE, a ragged last tile.
        let (q, n, d) = (600, 2500, 7);
        let coverage = [0.0, 0.02, 0.3, 0.9, 1.0];
        let m = coverage.len();
        let mut rng = Rng::new(7);
        let base = embeddings(&mut rng, n, d);
        let queries = embeddings(&mut rng, q, d);
        let base_votes = votes(&mut rng, n, &coverage, 3);
        for metric in [Metric::Cosine, Metric::InnerProduct, Metric::Euclidean] {
            let (scores, indices) =
                run(&queries, &base, &base_votes, (q, n, d, m), metric, 1).unwrap();
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
            for threads in [2, 3, 8] {
                let again =
                    run(&queries, &base, &base_votes, (q, n, d, m), metric, threads).unwrap();
                assert_eq!(again.1, indices, "{metric:?} with {threads} threads");
                let same_bits = again
                    .0
                    .iter()
                    .zip(&scores)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same_bits, "{metric:?} with {threads} threads");
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
        let (_, indices) = run(
            &queries,
            &base,
            &base_votes,
            (1, 5, d, 2),
            Metric::Cosine,
            2,
        )
        .unwrap();
        assert_eq!(indices, vec![3, 1]);
    }

    #[test]
    fn few_queries_split_columns_without_changing_results() {
        let (q, n, d) = (3, 5000, 5);
        let coverage = [0.5, 0.1];
        let mut rng = Rng::new(11);
        let base = embeddings(&mut rng, n, d);
        let queries = embeddings(&mut rng, q, d);
        let base_votes = votes(&mut rng, n, &coverage, 2);
        let with_threads = |threads| {
            run(
                &queries,
                &base,
                &base_votes,
                (q, n, d, 2),
                Metric::Euclidean,
                threads,
            )
            .unwrap()
        };
        let (one, many) = (with_threads(1), with_threads(6));
        assert_eq!(one.1, many.1);
        assert_eq!(one.0, many.0);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let base = [1.0, 0.0, 0.0, 0.0];
        let queries = [1.0, 1.0];
        let err = run(&queries, &base, &[-2, 0], (1, 2, 2, 1), Metric::Cosine, 1).unwrap_err();
        assert!(err.to_string().contains("-2"), "{err}");
        let err = run(&queries, &base, &[0, 0], (1, 2, 2, 1), Metric::Cosine, 1).unwrap_err();
        assert!(err.to_string().contains("zero norm"), "{err}");
        let mut scores = vec![0.0; 1];
        let mut indices = vec![0; 1];
        let err = nearest_support(
            Matrix::new("queries", &queries[..], 1, 2).unwrap(),
            Matrix::new("base", &base[..], 2, 2).unwrap(),
            Matrix::new("L_base", &[0i64, 0, 0][..], 3, 1).unwrap(),
            Metric::Cosine,
            1,
            &mut scores,
            &mut indices,
        )
        .unwrap_err();
        assert!(err.to_string().contains("L_base"), "{err}");
    }
}
