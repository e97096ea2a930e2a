//! Liger's extension rule: an abstaining LF takes the vote of its nearest support point when that
//! point is close enough. Votes that were cast never change.

use rayon::prelude::*;

use crate::error::{CoreError, CoreResult};
use crate::matrix::Matrix;
use crate::metric::Metric;
use crate::threads::run_in_pool;
use crate::ABSTAIN;

/// Rows per parallel task (the work per entry is tiny).
const ROWS_PER_TASK: usize = 4096;

/// `out[i, j] = votes[i, j]` if it is not -1, else `base_votes[indices[i, j], j]` when
/// `indices[i, j] >= 0` and `scores[i, j]` passes `thresholds[j]` under `metric`, else -1.
/// A NaN threshold means "never extend this LF".
pub fn extend_votes(
    votes: Matrix<'_, i64>,
    scores: Matrix<'_, f32>,
    indices: Matrix<'_, i64>,
    base_votes: Matrix<'_, i64>,
    thresholds: &[f32],
    metric: Metric,
    threads: usize,
    out: &mut [i64],
) -> CoreResult<()> {
    let (q, m) = (votes.rows(), votes.cols());
    for (name, matrix_rows, matrix_cols) in [
        ("scores", scores.rows(), scores.cols()),
        ("indices", indices.rows(), indices.cols()),
    ] {
        if (matrix_rows, matrix_cols) != (q, m) {
            return Err(CoreError::Shape(format!(
                "{name}: expected shape ({q}, {m}) like L, got ({matrix_rows}, {matrix_cols})"
            )));
        }
    }
    if base_votes.cols() != m || thresholds.len() != m || out.len() != q * m {
        return Err(CoreError::Shape(format!(
            "L_base, thresholds and output: expected {m} LFs and {} entries, got {}, {} and {}",
            q * m,
            base_votes.cols(),
            thresholds.len(),
            out.len()
        )));
    }
    let n = base_votes.rows() as i64;
    if let Some(bad) = indices.data().iter().find(|&&i| i < -1 || i >= n) {
        return Err(CoreError::Value(format!(
            "indices: expected -1 or a row of L_base in [0, {n}), got {bad}"
        )));
    }
    if m == 0 {
        return Ok(());
    }
    run_in_pool(threads, || {
        out.par_chunks_mut(ROWS_PER_TASK * m)
            .enumerate()
            .for_each(|(task, chunk)| {
                let first = task * ROWS_PER_TASK;
                for (r, out_row) in chunk.chunks_exact_mut(m).enumerate() {
                    let i = first + r;
                    let (own, score, index) = (votes.row(i), scores.row(i), indices.row(i));
                    for j in 0..m {
                        out_row[j] = if own[j] != ABSTAIN {
                            own[j]
                        } else if index[j] >= 0 && metric.passes(score[j], thresholds[j]) {
                            base_votes.row(index[j] as usize)[j]
                        } else {
                            ABSTAIN
                        };
                    }
                }
            });
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extends_only_abstentions_that_clear_the_threshold() {
        let votes = [-1i64, 1, -1, -1];
        let scores = [0.9f32, 0.9, 0.4, 0.95];
        let indices = [0i64, 1, 1, -1];
        let base_votes = [0i64, 0, 1, 1];
        let thresholds = [0.5f32, f32::NAN];
        let mut out = vec![0; 4];
        extend_votes(
            Matrix::new("L", &votes[..], 2, 2).unwrap(),
            Matrix::new("scores", &scores[..], 2, 2).unwrap(),
            Matrix::new("indices", &indices[..], 2, 2).unwrap(),
            Matrix::new("L_base", &base_votes[..], 2, 2).unwrap(),
            &thresholds,
            Metric::Cosine,
            2,
            &mut out,
        )
        .unwrap();
        // [0,0]: extended from base row 0; [0,1]: own vote kept; [1,0]: below threshold; [1,1]: none.
        assert_eq!(out, vec![0, 1, -1, -1]);
    }

    #[test]
    fn out_of_range_index_is_an_error() {
        let mut out = vec![0; 1];
        let err = extend_votes(
            Matrix::new("L", &[-1i64][..], 1, 1).unwrap(),
            Matrix::new("scores", &[1.0f32][..], 1, 1).unwrap(),
            Matrix::new("indices", &[5i64][..], 1, 1).unwrap(),
            Matrix::new("L_base", &[0i64][..], 1, 1).unwrap(),
            &[0.0],
            Metric::Cosine,
            1,
            &mut out,
        )
        .unwrap_err();
        assert!(err.to_string().contains("indices"));
    }
}
