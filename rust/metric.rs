//! The three similarity measures, and how each maps onto one GEMM.
//!
//! Every metric is searched as "maximise `dot(q, b) * scale_b + offset_b`" over base rows `b`:
//! - cosine: `scale_b = 1 / |b|`, `offset_b = 0` (the query norm is constant per query);
//! - inner product: `scale_b = 1`, `offset_b = 0`;
//! - euclidean: `scale_b = 1`, `offset_b = -|b|^2 / 2`, since `|q - b|^2 = |q|^2 - 2 (q.b - |b|^2 / 2)`.
//!
//! The winners' reported scores are then recomputed directly from the two rows, so a self-match has
//! distance 0 exactly and no cancellation error from the expansion above leaks into the output.

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

    /// `(scale, offset)` of one base row, see the module documentation.
    #[inline]
    pub fn column_transform(self, squared_norm: f32) -> (f32, f32) {
        match self {
            Metric::Cosine => (1.0 / squared_norm.sqrt(), 0.0),
            Metric::InnerProduct => (1.0, 0.0),
            Metric::Euclidean => (1.0, -0.5 * squared_norm),
        }
    }

    /// The reported score of the pair `(q, b)`; `q_norm` and `b_norm` are only read for cosine.
    #[inline]
    pub fn exact_score(self, q: &[f32], b: &[f32], q_norm: f32, b_norm: f32) -> f32 {
        match self {
            // Clamped: rounding can put a self-match a hair above 1.
            Metric::Cosine => {
                ((dot(q, b) as f64 / (q_norm as f64 * b_norm as f64)) as f32).clamp(-1.0, 1.0)
            }
            Metric::InnerProduct => dot(q, b),
            Metric::Euclidean => squared_distance(q, b).sqrt(),
        }
    }
}

const LANES: usize = 8;

/// Dot product with independent accumulators (vectorises, and is more accurate than one running sum).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    lanewise_sum(a, b, |x, y| x * y)
}

#[inline]
pub fn squared_norm(a: &[f32]) -> f32 {
    dot(a, a)
}

#[inline]
pub fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    lanewise_sum(a, b, |x, y| (x - y) * (x - y))
}

#[inline(always)]
fn lanewise_sum(a: &[f32], b: &[f32], term: impl Fn(f32, f32) -> f32) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [0.0f32; LANES];
    let chunks = a.len() / LANES * LANES;
    for (xa, xb) in a[..chunks]
        .chunks_exact(LANES)
        .zip(b[..chunks].chunks_exact(LANES))
    {
        for l in 0..LANES {
            acc[l] += term(xa[l], xb[l]);
        }
    }
    let mut total: f32 = acc.iter().sum();
    for (&x, &y) in a[chunks..].iter().zip(&b[chunks..]) {
        total += term(x, y);
    }
    total
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
