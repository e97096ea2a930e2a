//! Tests of `search::radius`.

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
    // Values that do not fit the index type are an error, not a panic.
    let err = to_csr::<u8>(vec![RadiusRows {
        lengths: vec![300],
        indices: vec![0; 300],
        scores: vec![0.0; 300],
    }]);
    assert!(err.unwrap_err().to_string().contains("300 pairs overflow"));
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
