//! Exact k nearest neighbours of every query among all base rows, in the same blocked sweep.

use rayon::prelude::*;

use crate::error::{CoreError, CoreResult};
use crate::matrix::Matrix;
use crate::metric::{squared_norm, Metric};
use crate::nearest_support::check_query_norms;
use crate::sweep::{Sweep, TileConsumer, TileView};
use crate::threads::run_in_pool;

/// The k best (value, column position) per query of one task, each list sorted best first
/// (higher value, then lower position).
struct TopK {
    k: usize,
    /// When set, query `r` of the task is base row `first_query + r` and must not be its own neighbour.
    exclude_self_from: Option<usize>,
    value: Vec<f32>,
    position: Vec<u32>,
    filled: Vec<u32>,
    /// The value a new column must beat per query: the k-th best, or -inf while the list is short.
    bar: Vec<f32>,
}

impl TopK {
    fn new(k: usize, rows: usize, exclude_self_from: Option<usize>) -> Self {
        TopK {
            k,
            exclude_self_from,
            value: vec![f32::NEG_INFINITY; k * rows],
            position: vec![u32::MAX; k * rows],
            filled: vec![0; rows],
            bar: vec![f32::NEG_INFINITY; rows],
        }
    }

    /// Inserts a candidate into query `r`'s list if it beats the list's last entry (or the list is
    /// short). Within one sweep positions only grow, so a new column lands after equal values.
    #[inline]
    fn insert(&mut self, r: usize, value: f32, position: u32) {
        let k = self.k;
        let filled = self.filled[r] as usize;
        let values = &mut self.value[r * k..(r + 1) * k];
        let positions = &mut self.position[r * k..(r + 1) * k];
        if filled == k && !better(value, position, values[k - 1], positions[k - 1]) {
            return;
        }
        let mut at = filled.min(k - 1);
        while at > 0 && better(value, position, values[at - 1], positions[at - 1]) {
            values[at] = values[at - 1];
            positions[at] = positions[at - 1];
            at -= 1;
        }
        values[at] = value;
        positions[at] = position;
        let filled = (filled + 1).min(k);
        self.filled[r] = filled as u32;
        if filled == k {
            self.bar[r] = values[k - 1];
        }
    }

    /// Merges partial lists from disjoint column ranges (used only when queries are few).
    fn merge(mut self, other: Self) -> Self {
        let k = self.k;
        for r in 0..self.filled.len() {
            for slot in 0..other.filled[r] as usize {
                let (v, p) = (other.value[r * k + slot], other.position[r * k + slot]);
                self.insert(r, v, p);
            }
        }
        self
    }
}

#[inline(always)]
fn better(value: f32, position: u32, than_value: f32, than_position: u32) -> bool {
    value > than_value || (value == than_value && position < than_position)
}

impl TileConsumer for TopK {
    #[inline(always)]
    fn consume_portable(&mut self, tile: &TileView<'_>) {
        let width = tile.width;
        for (p, scores) in tile.values.chunks_exact(width).enumerate() {
            let column = tile.first_column + p;
            let (scale, offset) = (tile.scale[p], tile.offset[p]);
            let bars = &self.bar[tile.query_offset..tile.query_offset + width];
            // Branch-free test first (vectorises); most columns beat no query's bar.
            let any = scores.iter().zip(bars).fold(false, |any, (&raw, &bar)| {
                any | (raw * scale + offset > bar)
            });
            if !any {
                continue;
            }
            for (i, &raw) in scores.iter().enumerate() {
                let s = raw * scale + offset;
                let r = tile.query_offset + i;
                if s > self.bar[r] && self.exclude_self_from.map_or(true, |f| f + r != column) {
                    self.insert(r, s, column as u32);
                }
            }
        }
    }
}

/// Exact k nearest neighbours of each query among the base rows, best first.
///
/// With `exclude_self`, `queries` must be `base` itself and row i is never its own neighbour.
/// `scores` and `indices` are `queries.rows() x k`. Ties go to the lowest base index. The result
/// does not depend on `threads`.
pub fn knn(
    queries: Matrix<'_, f32>,
    base: Matrix<'_, f32>,
    k: usize,
    metric: Metric,
    exclude_self: bool,
    threads: usize,
    scores: &mut [f32],
    indices: &mut [i64],
) -> CoreResult<()> {
    let q = queries.rows();
    let candidates = base.rows() - usize::from(exclude_self && base.rows() > 0);
    if queries.cols() != base.cols() {
        return Err(CoreError::Shape(format!(
            "queries and X: expected the same number of columns, got {} and {}",
            queries.cols(),
            base.cols()
        )));
    }
    if exclude_self && q != base.rows() {
        return Err(CoreError::Shape(
            "exclude_self needs the queries to be the base rows".into(),
        ));
    }
    if k == 0 || k > candidates {
        return Err(CoreError::Value(format!(
            "k: expected 1 <= k <= {candidates} (the number of candidate neighbours), got {k}"
        )));
    }
    if scores.len() != q * k || indices.len() != q * k {
        return Err(CoreError::Shape(format!(
            "outputs: expected {} entries, got {} scores and {} indices",
            q * k,
            scores.len(),
            indices.len()
        )));
    }
    if q == 0 {
        return Ok(());
    }
    let columns: Vec<u32> = (0..base.rows() as u32).collect();
    run_in_pool(threads, || {
        let sweep = Sweep::new(queries, base, metric, columns).map_err(|row| {
            CoreError::Value(format!(
                "X: row {row} has zero norm; cosine similarity is undefined for it"
            ))
        })?;
        check_query_norms(queries, metric)?;
        let plan = sweep.plan(threads);
        let chunk = plan.block_rows * k;
        scores
            .par_chunks_mut(chunk)
            .zip(indices.par_chunks_mut(chunk))
            .enumerate()
            .for_each(|(task, (task_scores, task_indices))| {
                let first = task * plan.block_rows;
                let rows = task_scores.len() / k;
                let exclude_from = exclude_self.then_some(first);
                let partial = |chunk_id: usize| {
                    let mut top = TopK::new(k, rows, exclude_from);
                    sweep.run(
                        first..first + rows,
                        sweep.chunk_tiles(chunk_id, plan.column_chunks),
                        &mut top,
                    );
                    top
                };
                let top = if plan.column_chunks == 1 {
                    partial(0)
                } else {
                    (0..plan.column_chunks)
                        .into_par_iter()
                        .map(partial)
                        .reduce_with(TopK::merge)
                        .expect("at least one column chunk")
                };
                write_results(&sweep, &top, first, task_scores, task_indices);
            });
        Ok(())
    })
}

/// Exact scores of the winners, re-sorted by them (best first, ties to the lower index).
fn write_results(
    sweep: &Sweep<'_>,
    top: &TopK,
    first_query: usize,
    scores: &mut [f32],
    indices: &mut [i64],
) {
    let k = top.k;
    let (queries, base, metric) = (sweep.queries(), sweep.base(), sweep.metric());
    let mut row: Vec<(f32, i64)> = Vec::with_capacity(k);
    for r in 0..top.filled.len() {
        let query = queries.row(first_query + r);
        let query_norm = squared_norm(query).sqrt();
        row.clear();
        row.extend(top.position[r * k..(r + 1) * k].iter().map(|&position| {
            let b = sweep.columns()[position as usize] as usize;
            let s = metric.exact_score(
                query,
                base.row(b),
                query_norm,
                sweep.column_norm(position as usize),
            );
            (s, b as i64)
        }));
        if metric.higher_is_better() {
            row.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        } else {
            row.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        }
        for (slot, &(s, b)) in row.iter().enumerate() {
            scores[r * k + slot] = s;
            indices[r * k + slot] = b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{embeddings, oriented, reference_score, Rng};

    #[test]
    fn matches_brute_force_with_and_without_self() {
        let (n, d, k) = (1300, 6, 5);
        let mut rng = Rng::new(3);
        let base = embeddings(&mut rng, n, d);
        let bm = Matrix::new("X", &base[..], n, d).unwrap();
        for metric in [Metric::Cosine, Metric::InnerProduct, Metric::Euclidean] {
            let mut reference = None;
            for threads in [1, 2, 5] {
                let mut scores = vec![0.0; n * k];
                let mut indices = vec![0; n * k];
                knn(bm, bm, k, metric, true, threads, &mut scores, &mut indices).unwrap();
                if let Some((s, i)) = &reference {
                    assert_eq!(i, &indices);
                    assert_eq!(s, &scores);
                    continue;
                }
                for q in (0..n).step_by(7) {
                    let mut all: Vec<f64> = (0..n)
                        .filter(|&t| t != q)
                        .map(|t| oriented(metric, reference_score(metric, bm.row(q), bm.row(t))))
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

    #[test]
    fn k_out_of_range_is_an_error() {
        let base = [1.0f32, 0.0, 0.0, 1.0];
        let bm = Matrix::new("X", &base[..], 2, 2).unwrap();
        let (mut s, mut i) = (vec![0.0; 4], vec![0; 4]);
        assert!(knn(bm, bm, 2, Metric::Cosine, true, 1, &mut s, &mut i).is_err());
        assert!(knn(
            bm,
            bm,
            0,
            Metric::Cosine,
            false,
            1,
            &mut s[..0],
            &mut i[..0]
        )
        .is_err());
    }
}
