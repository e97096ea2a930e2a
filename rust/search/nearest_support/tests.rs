//! Tests of `search::nearest_support`.

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
