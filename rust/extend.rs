//! Liger's extension rule: an abstaining LF takes the vote of its nearest support point when that
//! point is close enough. Votes that were cast never change.

use rayon::prelude::*;

use crate::cancel::Cancel;
use crate::error::{CoreError, CoreResult};
use crate::matrix::Matrix;
use crate::metric::Metric;
use crate::threads::run_in_pool;
use crate::votes::Votes;
use crate::ABSTAIN;

/// Rows per parallel task (the work per entry is tiny).
const ROWS_PER_TASK: usize = 4096;

/// The output vote matrix, in one of the vote dtypes.
pub enum VotesOut<'a> {
    I8(&'a mut [i8]),
    I16(&'a mut [i16]),
    I32(&'a mut [i32]),
    I64(&'a mut [i64]),
}

/// What one extension call works on.
pub struct Extension<'a, 'v> {
    /// The queries' own votes `L` (`q x m`).
    pub votes: &'a Votes<'v>,
    /// Per query and LF: the nearest support point's score and base row (-1 for none).
    pub scores: Matrix<'a, f32>,
    pub indices: Matrix<'a, i64>,
    /// The base rows' votes `L_base` (`n x m`).
    pub base_votes: &'a Votes<'v>,
    /// Per LF: how close the support point must be (NaN: never extend this LF).
    pub thresholds: &'a [f32],
    pub metric: Metric,
}

/// `out[i, j] = votes[i, j]` if it is not -1, else `base_votes[indices[i, j], j]` when
/// `indices[i, j] >= 0` and `scores[i, j]` passes `thresholds[j]` under `metric`, else -1.
/// A NaN threshold means "never extend this LF". Fails if a vote does not fit the output dtype.
/// Stops early with `CoreError::Cancelled` once `cancel` is set (checked per block of rows; the
/// output then holds no result; pass `Cancel::never()` for a call nobody cancels).
pub fn extend_votes(
    job: &Extension<'_, '_>,
    threads: usize,
    out: VotesOut<'_>,
    cancel: &Cancel,
) -> CoreResult<()> {
    let Extension {
        votes,
        scores,
        indices,
        base_votes,
        thresholds,
        ..
    } = *job;
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
    let out_len = match &out {
        VotesOut::I8(o) => o.len(),
        VotesOut::I16(o) => o.len(),
        VotesOut::I32(o) => o.len(),
        VotesOut::I64(o) => o.len(),
    };
    if base_votes.cols() != m || thresholds.len() != m || out_len != q * m {
        return Err(CoreError::Shape(format!(
            "L_base, thresholds and output: expected {m} LFs and {} entries, got {}, {} and {}",
            q * m,
            base_votes.cols(),
            thresholds.len(),
            out_len
        )));
    }
    let n = base_votes.rows() as i64;
    // In blocks, each after a look at the token (a serial pass over q x m indices).
    for block in indices.data().chunks(ROWS_PER_TASK * 256) {
        cancel.check()?;
        if let Some(bad) = block.iter().find(|&&i| i < -1 || i >= n) {
            return Err(CoreError::Value(format!(
                "indices: expected -1 or a row of L_base in [0, {n}), got {bad}"
            )));
        }
    }
    if m == 0 {
        return Ok(());
    }
    run_in_pool(threads, || match out {
        VotesOut::I8(o) => job.fill(o, cancel),
        VotesOut::I16(o) => job.fill(o, cancel),
        VotesOut::I32(o) => job.fill(o, cancel),
        VotesOut::I64(o) => job.fill(o, cancel),
    })
}

impl Extension<'_, '_> {
    fn vote(&self, i: usize, j: usize) -> i64 {
        let own = self.votes.get(i, j);
        let index = self.indices.row(i)[j];
        if own != ABSTAIN {
            own
        } else if index >= 0
            && self
                .metric
                .passes(self.scores.row(i)[j], self.thresholds[j])
        {
            self.base_votes.get(index as usize, j)
        } else {
            ABSTAIN
        }
    }

    fn fill<T: Copy + Send + TryFrom<i64>>(
        &self,
        out: &mut [T],
        cancel: &Cancel,
    ) -> CoreResult<()> {
        let m = self.votes.cols();
        out.par_chunks_mut(ROWS_PER_TASK * m)
            .enumerate()
            .try_for_each(|(task, chunk)| {
                cancel.check()?;
                let first = task * ROWS_PER_TASK;
                for (r, out_row) in chunk.chunks_exact_mut(m).enumerate() {
                    for (j, slot) in out_row.iter_mut().enumerate() {
                        let v = self.vote(first + r, j);
                        *slot = T::try_from(v).map_err(|_| {
                            CoreError::Value(format!(
                                "L_base: vote {v} does not fit the output dtype (the dtype of L)"
                            ))
                        })?;
                    }
                }
                Ok(())
            })
    }
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
        let mut out = vec![0i64; 4];
        extend_votes(
            &Extension {
                votes: &Votes::dense("L", &votes[..], 2, 2).unwrap(),
                scores: Matrix::new("scores", &scores[..], 2, 2).unwrap(),
                indices: Matrix::new("indices", &indices[..], 2, 2).unwrap(),
                base_votes: &Votes::dense("L_base", &base_votes[..], 2, 2).unwrap(),
                thresholds: &thresholds,
                metric: Metric::Cosine,
            },
            2,
            VotesOut::I64(&mut out),
            Cancel::never(),
        )
        .unwrap();
        // [0,0]: extended from base row 0; [0,1]: own vote kept; [1,0]: below threshold; [1,1]: none.
        assert_eq!(out, vec![0, 1, -1, -1]);
    }

    #[test]
    fn a_cancelled_extension_returns_cancelled_and_an_unset_token_changes_nothing() {
        let (q, n, m) = (3 * ROWS_PER_TASK + 5, 50, 3);
        let code = |i: usize| ((i * 2_654_435_761) >> 7) % 1000;
        let votes: Vec<i64> = (0..q * m).map(|i| code(i) as i64 % 4 - 1).collect();
        let scores: Vec<f32> = (0..q * m).map(|i| code(i + 1) as f32 / 1000.0).collect();
        let indices: Vec<i64> = (0..q * m)
            .map(|i| (code(i + 2) % (n + 1)) as i64 - 1)
            .collect();
        let base_votes: Vec<i64> = (0..n * m).map(|i| code(i + 3) as i64 % 3 - 1).collect();
        let thresholds = [0.3f32, 0.8, f32::NAN];
        let extend = |cancel: &Cancel| {
            let mut out = vec![0i16; q * m];
            extend_votes(
                &Extension {
                    votes: &Votes::dense("L", &votes[..], q, m).unwrap(),
                    scores: Matrix::new("scores", &scores[..], q, m).unwrap(),
                    indices: Matrix::new("indices", &indices[..], q, m).unwrap(),
                    base_votes: &Votes::dense("L_base", &base_votes[..], n, m).unwrap(),
                    thresholds: &thresholds,
                    metric: Metric::Euclidean,
                },
                2,
                VotesOut::I16(&mut out),
                cancel,
            )
            .map(|()| out)
        };
        let plain = extend(Cancel::never()).unwrap();
        assert_eq!(extend(&Cancel::new()).unwrap(), plain);
        let set = Cancel::new();
        set.cancel();
        assert_eq!(extend(&set).unwrap_err(), CoreError::Cancelled);
    }

    /// Extends the one abstention of `L = [[-1]]` (score 1, threshold 0.5) from row `index` of
    /// `L_base = [[base_vote]]` into `out`.
    fn extend_one(index: i64, base_vote: i64, out: VotesOut<'_>) -> CoreResult<()> {
        let (indices, base_votes) = ([index], [base_vote]);
        let job = Extension {
            votes: &Votes::dense("L", &[-1i64][..], 1, 1)?,
            scores: Matrix::new("scores", &[1.0f32][..], 1, 1)?,
            indices: Matrix::new("indices", &indices[..], 1, 1)?,
            base_votes: &Votes::dense("L_base", &base_votes[..], 1, 1)?,
            thresholds: &[0.5],
            metric: Metric::Cosine,
        };
        extend_votes(&job, 1, out, Cancel::never())
    }

    #[test]
    fn out_of_range_index_is_an_error() {
        let mut out = vec![0i64; 1];
        let err = extend_one(5, 0, VotesOut::I64(&mut out)).unwrap_err();
        assert!(err.to_string().contains("indices"));
        extend_one(0, 0, VotesOut::I64(&mut out)).unwrap();
        assert_eq!(out, [0]);
    }

    #[test]
    fn a_vote_that_does_not_fit_the_output_is_an_error() {
        let mut out = vec![0i8; 1];
        let err = extend_one(0, 300, VotesOut::I8(&mut out)).unwrap_err();
        assert!(err.to_string().contains("300"), "{err}");
    }
}
