//! `knn` and `radius_neighbors` with every screen and 1-3 threads, with and without self-exclusion:
//! on valid input the brute-force result bit for bit; an error naming the argument for k = 0,
//! k > candidates, a NaN radius, max_neighbors = 0, mismatched shapes and zero rows under
//! cosine; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liger_core::{knn, radius_neighbors, Cancel, KnnQuery, Matrix, Neighbours, RadiusQuery};
use liger_fuzz::input::{embeddings, Source, KERNELS};
use liger_fuzz::reference::{self, check, Dense};

const RADII: [f32; 12] = [
    0.0,
    0.5,
    -0.5,
    1.0,
    -1.0,
    2.0,
    1e30,
    -1e30,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NAN,
    1e-7,
];

fuzz_target!(|bytes: &[u8]| {
    let mut src = Source::new(bytes);
    let non_finite = src.chance(16);
    let (n, d) = (src.size(40, 1100), src.size(40, 200));
    let metric = src.metric();
    let base = embeddings(&mut src, n, d, non_finite);
    let exclude_self = src.chance(128);
    // The queries are X itself (n of them: only for small n, the reference costs n^2 d).
    let (q, dq, queries) = if exclude_self && n <= 80 && !src.chance(6) {
        (n, d, base.clone())
    } else {
        let q = src.size(8, 40);
        let dq = if src.chance(8) { d + 1 } else { d };
        (q, dq, embeddings(&mut src, q, dq, non_finite))
    };
    if std::env::var_os("LIGER_FUZZ_DUMP").is_some() {
        eprintln!("base ({n} x {d}) = {base:?}\nqueries ({q} x {dq}) = {queries:?}");
    }
    let queries_m = Matrix::new("queries", &queries[..], q, dq).unwrap();
    let base_m = Matrix::new("X", &base[..], n, d).unwrap();
    let queries_d = Dense {
        data: &queries,
        rows: q,
        cols: dq,
    };
    let base_d = Dense {
        data: &base,
        rows: n,
        cols: d,
    };
    let context = |what: &str, kernel, threads| {
        format!("{what} q={q} n={n} d={d} dq={dq} {metric:?} self={exclude_self} {kernel:?} threads={threads}")
    };

    let k = if src.chance(16) {
        src.pick(&[0, n + 1, usize::MAX])
    } else {
        1 + src.below(n.max(1))
    };
    let expected = reference::knn(queries_d, base_d, k, metric, exclude_self);
    for kernel in KERNELS {
        let threads = src.threads();
        // k = usize::MAX must fail before any output is looked at.
        let size = if k <= n + 1 { q * k } else { 0 };
        let (mut scores, mut indices) = (vec![0.0f32; size], vec![0i64; size]);
        let query = KnnQuery {
            k,
            metric,
            exclude_self,
            kernel,
        };
        let out = Neighbours {
            scores: &mut scores,
            indices: &mut indices,
        };
        let got = knn(queries_m, base_m, query, threads, out, Cancel::never())
            .map(|()| (scores.iter().map(|s| s.to_bits()).collect(), indices));
        check(&expected, got, &|| {
            context(&format!("knn k={k}"), kernel, threads)
        });
    }

    let radius = if src.chance(128) {
        src.pick(&RADII)
    } else {
        // Near the scores that occur: from the data's own scale.
        f32::from(src.byte() as i8) / 64.0
    };
    let max_neighbors = if src.chance(128) {
        None
    } else {
        Some(src.below(n + 2))
    };
    let expected = reference::radius(
        queries_d,
        base_d,
        radius,
        max_neighbors,
        metric,
        exclude_self,
    );
    for kernel in KERNELS {
        let threads = src.threads();
        let query = RadiusQuery {
            radius,
            metric,
            exclude_self,
            max_neighbors,
            kernel,
        };
        let got =
            radius_neighbors(queries_m, base_m, query, threads, Cancel::never()).map(|blocks| {
                let mut flat = (Vec::new(), Vec::new(), Vec::new());
                for block in blocks {
                    flat.0.extend(block.lengths);
                    flat.1.extend(block.indices);
                    flat.2.extend(block.scores.iter().map(|s| s.to_bits()));
                }
                flat
            });
        let what = format!("radius r={radius} max={max_neighbors:?}");
        check(&expected, got, &|| context(&what, kernel, threads));
    }
});
