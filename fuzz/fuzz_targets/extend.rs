//! `extend_votes` with dense and CSR votes of every width, every output width, NaN / inf scores
//! and thresholds, out-of-range indices and mismatched shapes: the reference rule exactly, or an
//! error naming the argument (a vote that does not fit the output dtype included); never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liger_core::{extend_votes, Cancel, Extension, Matrix, VotesOut};
use liger_fuzz::input::{Source, VoteCase, Width};
use liger_fuzz::reference::{self, check};

const SCORES: [f32; 10] = [
    0.0,
    0.25,
    0.5,
    1.0,
    -1.0,
    3.0,
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    -0.0,
];

fuzz_target!(|bytes: &[u8]| {
    let mut src = Source::new(bytes);
    let (q, n, m) = (src.size(12, 300), src.size(12, 300), src.size(6, 40));
    let metric = src.metric();
    let wide = src.chance(64);
    let votes = {
        let invalid = src.chance(8);
        VoteCase::decode(&mut src, q, m, invalid, wide)
    };
    let base_cols = if src.chance(8) { m + 1 } else { m };
    let base_votes = {
        let invalid = src.chance(8);
        VoteCase::decode(&mut src, n, base_cols, invalid, wide)
    };
    let (built, built_base) = match (votes.build("L"), base_votes.build("L_base")) {
        (Ok(a), Ok(b)) => {
            assert!(
                !votes.broken && !base_votes.broken,
                "a broken vote matrix was accepted"
            );
            (a, b)
        }
        (a, b) => {
            assert!(
                a.is_ok() || votes.broken,
                "a valid L was rejected: {:?}",
                a.err()
            );
            assert!(
                b.is_ok() || base_votes.broken,
                "a valid L_base was rejected: {:?}",
                b.err()
            );
            return;
        }
    };
    let mut shape = |rows: usize, cols: usize| match src.below(24) {
        0 => (rows + 1, cols),
        1 => (rows, cols + 1),
        _ => (rows, cols),
    };
    let (s_shape, i_shape) = (shape(q, m), shape(q, m));
    let scores: Vec<f32> = (0..s_shape.0 * s_shape.1)
        .map(|_| {
            if src.chance(64) {
                src.pick(&SCORES)
            } else {
                f32::from(src.byte() as i8) / 64.0
            }
        })
        .collect();
    let bad_index = src.chance(12);
    let indices: Vec<i64> = (0..i_shape.0 * i_shape.1)
        .map(|_| {
            if bad_index && src.chance(32) {
                src.pick(&[-2, n as i64, i64::MIN, i64::MAX])
            } else {
                src.below(n + 1) as i64 - 1
            }
        })
        .collect();
    let t_len = if src.chance(8) { m + 1 } else { m };
    let thresholds: Vec<f32> = (0..t_len)
        .map(|_| {
            if src.chance(64) {
                src.pick(&SCORES)
            } else {
                f32::from(src.byte() as i8) / 64.0
            }
        })
        .collect();
    let out_width = src.pick(&[Width::I8, Width::I16, Width::I32, Width::I64]);
    let out_len = if src.chance(8) { q * m + 1 } else { q * m };
    let expected = reference::extend(
        &votes,
        (&scores, s_shape.0, s_shape.1),
        (&indices, i_shape.0, i_shape.1),
        &base_votes,
        &thresholds,
        metric,
        (out_width, out_len),
    );
    let threads = src.threads();
    let scores_m = Matrix::new("scores", &scores[..], s_shape.0, s_shape.1).unwrap();
    let indices_m = Matrix::new("indices", &indices[..], i_shape.0, i_shape.1).unwrap();
    let (mut o8, mut o16, mut o32, mut o64) = (
        vec![0i8; out_len],
        vec![0i16; out_len],
        vec![0i32; out_len],
        vec![0i64; out_len],
    );
    let out = match out_width {
        Width::I8 => VotesOut::I8(&mut o8),
        Width::I16 => VotesOut::I16(&mut o16),
        Width::I32 => VotesOut::I32(&mut o32),
        Width::I64 => VotesOut::I64(&mut o64),
    };
    let job = Extension {
        votes: &built,
        scores: scores_m,
        indices: indices_m,
        base_votes: &built_base,
        thresholds: &thresholds,
        metric,
    };
    let got = extend_votes(&job, threads, out, Cancel::never()).map(|()| match out_width {
        Width::I8 => o8.iter().map(|&v| i64::from(v)).collect(),
        Width::I16 => o16.iter().map(|&v| i64::from(v)).collect(),
        Width::I32 => o32.iter().map(|&v| i64::from(v)).collect(),
        Width::I64 => o64,
    });
    let context = || {
        format!(
            "q={q} n={n} m={m} {metric:?} out={out_width:?} dense L={} dense L_base={}",
            votes.is_dense(),
            base_votes.is_dense()
        )
    };
    check(&expected, got, &context);
});
