//! `nearest_support` with every screen (float32 GEMM, portable int8, VNNI int8 where the CPU has
//! it, auto) and 1-3 threads: on valid input the result equals the brute-force reference bit for
//! bit; on invalid input (votes < -1, broken CSR, mismatched shapes, zero rows under cosine) an
//! error naming the argument; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liger_core::{nearest_support, Cancel, Matrix, Neighbours, SupportQuery};
use liger_fuzz::input::{embeddings, Source, VoteCase, KERNELS};
use liger_fuzz::reference::{self, check, Dense};

fuzz_target!(|bytes: &[u8]| {
    let mut src = Source::new(bytes);
    let non_finite = src.chance(16);
    let (q, n, d, m) = (
        src.size(8, 40),
        src.size(40, 1100),
        src.size(40, 300),
        src.size(6, 40),
    );
    let metric = src.metric();
    let base = embeddings(&mut src, n, d, non_finite);
    // Queries of another dimension one time in 32; copies of base rows (exact ties) sometimes.
    let dq = if src.chance(8) { d + 1 } else { d };
    let queries = if dq == d && n > 0 && src.chance(48) {
        let rows: Vec<usize> = (0..q).map(|_| src.below(n)).collect();
        rows.iter()
            .flat_map(|&r| base[r * d..(r + 1) * d].iter().copied())
            .collect()
    } else {
        embeddings(&mut src, q, dq, non_finite)
    };
    let vote_rows = if src.chance(8) { n + 1 } else { n };
    let votes = {
        let invalid = src.chance(12);
        VoteCase::decode(&mut src, vote_rows, m, invalid, false)
    };
    let built = match votes.build("L_base") {
        Ok(built) => {
            assert!(
                !votes.broken,
                "a broken vote matrix was accepted: {votes:?}"
            );
            built
        }
        Err(e) => {
            assert!(votes.broken, "a valid vote matrix was rejected: {e:?}");
            assert!(e.to_string().contains("L_base"), "{e:?}");
            return;
        }
    };
    if std::env::var_os("LIGER_FUZZ_DUMP").is_some() {
        eprintln!(
            "base ({n} x {d}) = {base:?}\nqueries ({q} x {dq}) = {queries:?}\nvotes = {votes:?}"
        );
    }
    let (queries_m, base_m) = (
        Matrix::new("queries", &queries[..], q, dq).unwrap(),
        Matrix::new("base", &base[..], n, d).unwrap(),
    );
    let expected = reference::nearest_support(
        Dense {
            data: &queries,
            rows: q,
            cols: dq,
        },
        Dense {
            data: &base,
            rows: n,
            cols: d,
        },
        &votes,
        metric,
    );
    for kernel in KERNELS {
        let threads = src.threads();
        let mut scores = vec![0.0f32; q * m];
        let mut indices = vec![0i64; q * m];
        let out = Neighbours {
            scores: &mut scores,
            indices: &mut indices,
        };
        let query = SupportQuery { metric, kernel };
        let never = Cancel::never();
        let got = nearest_support(queries_m, base_m, &built, query, threads, out, never)
            .map(|()| (scores.iter().map(|s| s.to_bits()).collect(), indices));
        let context = || {
            format!(
                "q={q} n={n} d={d} dq={dq} m={m} {metric:?} {kernel:?} threads={threads} dense={}",
                votes.is_dense()
            )
        };
        check(&expected, got, &context);
    }
});
