//! The three similarity measures, and how each maps onto one GEMM.
//!
//! Every metric is searched as "maximise `dot(q, b) * scale_b + offset_b`" over base rows `b`:
//! - cosine: `scale_b = 1 / |b|`, `offset_b = 0` (the query norm is constant per query);
//! - inner product: `scale_b = 1`, `offset_b = 0`;
//! - euclidean: `scale_b = 1`, `offset_b = -|b|^2 / 2`, since `|q - b|^2 = |q|^2 - 2 (q.b - |b|^2 / 2)`.
//!
//! That GEMM value only *screens* candidates (see `bounds.rs`). What a search maximises, and what it
//! reports, is the canonical score `Metric::canonical_score`: a deterministic function of the two
//! rows alone (float32 arithmetic in a fixed order, the same on every code path and CPU), so a
//! self-match has distance 0 exactly and results do not depend on tiling, threads, the screen, or
//! which other base rows are present.

use crate::error::{CoreError, CoreResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Cosine,
    InnerProduct,
    Euclidean,
}

impl Metric {
    pub fn parse(name: &str) -> CoreResult<Metric> {
        match name {
            "cosine" => Ok(Metric::Cosine),
            "ip" => Ok(Metric::InnerProduct),
            "euclidean" => Ok(Metric::Euclidean),
            other => Err(CoreError::Value(format!(
                "metric: expected one of 'cosine', 'ip', 'euclidean', got {other:?}"
            ))),
        }
    }

    /// True for similarities (cosine, inner product), false for distances (euclidean).
    #[inline]
    pub fn higher_is_better(self) -> bool {
        !matches!(self, Metric::Euclidean)
    }

    /// The score reported when there is no candidate at all (an empty support).
    #[inline]
    pub fn worst_score(self) -> f32 {
        if self.higher_is_better() {
            f32::NEG_INFINITY
        } else {
            f32::INFINITY
        }
    }

    /// True when `score` clears `threshold` (`>=` for similarities, `<=` for distances).
    /// A NaN threshold never passes: it means "do not extend".
    #[inline]
    pub fn passes(self, score: f32, threshold: f32) -> bool {
        if self.higher_is_better() {
            score >= threshold
        } else {
            score <= threshold
        }
    }

    /// The canonical score of the pair `(q, b)`; `q_norm` and `b_norm` (the first value of
    /// `column_norms` of each row) are only read for cosine.
    ///
    /// Runs the same float32 operations in the same order on every CPU (only the register width
    /// that holds the lanes of `lanewise_sum` changes), so the value is bit-identical everywhere.
    #[inline]
    pub fn canonical_score(self, q: &[f32], b: &[f32], q_norm: f32, b_norm: f32) -> f32 {
        match self {
            // Clamped: rounding can put a self-match a hair above 1.
            Metric::Cosine => {
                ((dot(q, b) as f64 / (q_norm as f64 * b_norm as f64)) as f32).clamp(-1.0, 1.0)
            }
            Metric::InnerProduct => dot(q, b),
            Metric::Euclidean => squared_distance(q, b).sqrt(),
        }
    }
    /// True when candidate `(s, index)` ranks before `(than_s, than_index)`: a better canonical score,
    /// or an equal one and a lower index. NaN (from overflowing inputs) ranks last, so the order is
    /// total and every merge order gives one answer.
    #[inline]
    pub fn ranks_before(self, s: f32, index: u32, than_s: f32, than_index: u32) -> bool {
        let (a, b) = (self.goodness(s), self.goodness(than_s));
        a > b || (a == b && index < than_index)
    }

    /// `s` oriented so that larger is better, NaN as the worst value.
    #[inline]
    fn goodness(self, s: f32) -> f32 {
        if s.is_nan() {
            f32::NEG_INFINITY
        } else if self.higher_is_better() {
            s
        } else {
            -s
        }
    }
}

/// `(norm, squared norm)` of a row, as every canonical score and bound computes them.
#[inline]
pub fn column_norms(row: &[f32]) -> (f32, f32) {
    let squared = squared_norm(row);
    (squared.sqrt(), squared)
}

/// Independent accumulators of the canonical sums: enough to hide the add latency on any vector
/// unit, reduced by a fixed pairwise tree.
const LANES: usize = 32;

/// Dot product in the canonical order (`lanewise_sum`).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    lanewise_sum::<false>(a, b)
}

#[inline]
pub fn squared_norm(a: &[f32]) -> f32 {
    lanewise_sum::<false>(a, a)
}

#[inline]
pub fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    lanewise_sum::<true>(a, b)
}

/// `sum_j t_j` with `t_j = a_j b_j`, or `(a_j - b_j)^2` when `DIFF`, in one fixed order: 32 lane
/// sums over whole blocks of 32 (lane `l` adds the terms `32 i + l` in turn), a pairwise tree over
/// the lanes (`acc[l] += acc[l + w]` for w = 16, 8, 4, 2, 1), then the tail in order. Every term goes
/// through at most `d + 16` roundings. The AVX-512 and AVX2 versions perform exactly these float32
/// operations (lanes in registers instead of an array; no FMA), so all give the same bits.
#[inline]
fn lanewise_sum<const DIFF: bool>(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked just above; the lengths are equal.
            return unsafe { lanewise_sum_avx512::<DIFF>(a, b) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above; the lengths are equal.
            return unsafe { lanewise_sum_avx2::<DIFF>(a, b) };
        }
    }
    lanewise_sum_portable::<DIFF>(a, b)
}

#[inline(always)]
fn term<const DIFF: bool>(x: f32, y: f32) -> f32 {
    if DIFF {
        (x - y) * (x - y)
    } else {
        x * y
    }
}

/// The tail after the lane sums, in order.
#[inline(always)]
fn add_tail<const DIFF: bool>(mut total: f32, a: &[f32], b: &[f32]) -> f32 {
    for (&x, &y) in a.iter().zip(b) {
        total += term::<DIFF>(x, y);
    }
    total
}

fn lanewise_sum_portable<const DIFF: bool>(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let chunks = a.len() / LANES * LANES;
    for (xa, xb) in a[..chunks]
        .chunks_exact(LANES)
        .zip(b[..chunks].chunks_exact(LANES))
    {
        for l in 0..LANES {
            acc[l] += term::<DIFF>(xa[l], xb[l]);
        }
    }
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for l in 0..width {
            acc[l] += acc[l + width];
        }
    }
    add_tail::<DIFF>(acc[0], &a[chunks..], &b[chunks..])
}

/// # Safety
/// The CPU must support AVX-512F; `a` and `b` must have the same length.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn lanewise_sum_avx512<const DIFF: bool>(a: &[f32], b: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let chunks = a.len() / LANES * LANES;
    let term = |x: __m512, y: __m512| {
        if DIFF {
            let d = _mm512_sub_ps(x, y);
            _mm512_mul_ps(d, d)
        } else {
            _mm512_mul_ps(x, y)
        }
    };
    let (mut z0, mut z1) = (_mm512_setzero_ps(), _mm512_setzero_ps());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    for i in (0..chunks).step_by(LANES) {
        // SAFETY: i + 32 <= chunks <= len of both slices.
        z0 = _mm512_add_ps(
            z0,
            term(_mm512_loadu_ps(pa.add(i)), _mm512_loadu_ps(pb.add(i))),
        );
        let (x, y) = (
            _mm512_loadu_ps(pa.add(i + 16)),
            _mm512_loadu_ps(pb.add(i + 16)),
        );
        z1 = _mm512_add_ps(z1, term(x, y));
    }
    let z = _mm512_add_ps(z0, z1); // w = 16
    let high = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(z)));
    let y = _mm256_add_ps(_mm512_castps512_ps256(z), high); // w = 8
    add_tail::<DIFF>(reduce8(y), &a[chunks..], &b[chunks..])
}

/// # Safety
/// The CPU must support AVX2; `a` and `b` must have the same length.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn lanewise_sum_avx2<const DIFF: bool>(a: &[f32], b: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let chunks = a.len() / LANES * LANES;
    let term = |x: __m256, y: __m256| {
        if DIFF {
            let d = _mm256_sub_ps(x, y);
            _mm256_mul_ps(d, d)
        } else {
            _mm256_mul_ps(x, y)
        }
    };
    let mut acc = [_mm256_setzero_ps(); 4];
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    for i in (0..chunks).step_by(LANES) {
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: i + 8 r + 8 <= chunks <= len of both slices.
            let (x, y) = (
                _mm256_loadu_ps(pa.add(i + 8 * r)),
                _mm256_loadu_ps(pb.add(i + 8 * r)),
            );
            *acc = _mm256_add_ps(*acc, term(x, y));
        }
    }
    // w = 16 pairs lanes 0-7 with 16-23 and 8-15 with 24-31; w = 8 adds the two results.
    let y = _mm256_add_ps(_mm256_add_ps(acc[0], acc[2]), _mm256_add_ps(acc[1], acc[3]));
    add_tail::<DIFF>(reduce8(y), &a[chunks..], &b[chunks..])
}

/// The tree's last steps (w = 4, 2, 1) over 8 lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[inline]
fn reduce8(y: std::arch::x86_64::__m256) -> f32 {
    use std::arch::x86_64::*;
    let x = _mm_add_ps(_mm256_castps256_ps128(y), _mm256_extractf128_ps::<1>(y)); // w = 4
    let x = _mm_add_ps(x, _mm_movehl_ps(x, x)); // w = 2: lanes 0 + 2, 1 + 3
    _mm_cvtss_f32(_mm_add_ss(x, _mm_shuffle_ps::<1>(x, x))) // w = 1: lane 0 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_names() {
        assert_eq!(Metric::parse("cosine").unwrap(), Metric::Cosine);
        assert_eq!(Metric::parse("ip").unwrap(), Metric::InnerProduct);
        assert_eq!(Metric::parse("euclidean").unwrap(), Metric::Euclidean);
        assert!(Metric::parse("l1").is_err());
    }

    #[test]
    fn canonical_sums_are_identical_on_every_vector_unit() {
        let mut state = 12345u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 20) as f32 - 8.0
        };
        for len in [0usize, 1, 5, 31, 32, 33, 64, 100, 384, 767] {
            let a: Vec<f32> = (0..len).map(|_| next()).collect();
            let b: Vec<f32> = (0..len).map(|_| next() * 1e-3).collect();
            for diff in [false, true] {
                let portable = if diff {
                    lanewise_sum_portable::<true>(&a, &b)
                } else {
                    lanewise_sum_portable::<false>(&a, &b)
                };
                let dispatched = if diff {
                    squared_distance(&a, &b)
                } else {
                    dot(&a, &b)
                };
                assert_eq!(portable.to_bits(), dispatched.to_bits(), "len {len}");
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: AVX2 checked just above.
                    let avx2 = unsafe {
                        if diff {
                            lanewise_sum_avx2::<true>(&a, &b)
                        } else {
                            lanewise_sum_avx2::<false>(&a, &b)
                        }
                    };
                    assert_eq!(portable.to_bits(), avx2.to_bits(), "len {len}");
                }
            }
        }
    }

    #[test]
    fn dot_matches_naive_on_odd_lengths() {
        for len in [0usize, 1, 7, 8, 9, 33] {
            let a: Vec<f32> = (0..len).map(|i| i as f32 * 0.5 - 3.0).collect();
            let b: Vec<f32> = (0..len).map(|i| 1.0 - i as f32 * 0.25).collect();
            let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - naive).abs() < 1e-4, "len {len}");
        }
    }

    #[test]
    fn nan_threshold_never_passes() {
        assert!(!Metric::Cosine.passes(1.0, f32::NAN));
        assert!(!Metric::Euclidean.passes(0.0, f32::NAN));
        assert!(Metric::Euclidean.passes(0.5, 0.5));
        assert!(Metric::Cosine.passes(0.5, 0.5));
    }
}
