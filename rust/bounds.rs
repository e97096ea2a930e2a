//! Rigorous screening bounds: when may a GEMM (or int8) score discard a candidate without
//! computing its canonical score?
//!
//! Every search maximises the canonical score `s(q, b)` (`Metric::canonical_score`). The sweep
//! does not compute `s` for every pair; it computes a cheap *screen value* `t` per pair and, from
//! per-query and per-column terms, an upper bound `h >= t + w` where `w` bounds two errors:
//!
//! - (F1) `|t - rho| <= E_t`, where `rho` is the exact real value the screen approximates:
//!   `dot(q, b) / |b|` (cosine), `dot(q, b)` (ip), `dot(q, b) - |b|^2 / 2` (euclidean);
//! - (F2) `|psi(s) - rho| <= Delta`, where `psi` maps a canonical score into the same units,
//!   increasing in goodness: `psi(s) = |q| s` (cosine), `s` (ip), `(|q|^2 - s^2) / 2` (euclidean).
//!
//! Then `s(c) >= s*` implies `psi(s(c)) >= psi(s*)`, hence `h(c) >= t(c) + E_t + Delta >= psi(s*)`.
//! So a candidate with `h(c) < psi_low(s*)` (a lower bound of `psi(s*)`) cannot reach the current
//! k-th best `s*` and is skipped; every other candidate gets its canonical score. Results are
//! therefore exactly the argmax of `s`, whatever the screen.
//!
//! `h` is computed per (column c, query i) as
//! `h = raw * scale_c + add_c + k1_i * e1_c + k2_i * e2_c`, and `alpha_i` (a per-query part of `w`)
//! is subtracted from the bar instead: the hot loop compares `h` with `psi_low(s*) - alpha_i`.
//!
//! Error sizes. `u = 2^-24`. A float32 dot product of length d in any summation order, with or
//! without FMA, is within `gamma_d sum|q_j b_j| <= gamma_d |q||b|` of the exact value (at most d
//! roundings per term; Cauchy-Schwarz). The canonical dot (32 lanes, a pairwise tree, a tail) has at
//! most d + 16 roundings per term; norms computed from it carry a relative error of that order,
//! square roots and divisions add a few `u`. Every bound below uses
//! `gamma = 1.05 (d + 32) u / (1 - 2 (d + 32) u)`, which exceeds each individual `gamma_{d+22}` with
//! room for the handful of extra roundings (the products and sums that form `h` and the bars);
//! terms are combined with the weights derived in the comments of each constructor. Subnormal
//! underflow is covered by an absolute slack of `(4d + 64) 2^-149`.
//!
//! Int8 screens are exact in integer arithmetic; their error is the quantisation itself:
//! `|q.b - q~.b~| <= |q| rho_b + rho_q |b~|` (Cauchy-Schwarz on `q.(b - b~) + (q - q~).b~`), with the
//! residual norms `rho` computed per row in float64 and rounded up.

use crate::metric::Metric;
use crate::quantize::Quantized;

const U: f64 = 1.0 / (1u64 << 24) as f64;

/// The relative error allowance for dimension `d` (see the module documentation); infinite when
/// `d` is too large for float32 arithmetic to bound anything (the screen then keeps everything).
pub fn gamma(d: usize) -> f64 {
    let x = (d as f64 + 32.0) * U;
    if x >= 0.25 {
        f64::INFINITY
    } else {
        1.05 * x / (1.0 - 2.0 * x)
    }
}

/// Absolute slack covering subnormal underflow in dot products of length `d`.
fn underflow_slack(d: usize) -> f64 {
    (4.0 * d as f64 + 64.0) * f64::from(f32::from_bits(1)) // 2^-149 per term, generously
}

/// `x` rounded up to a float32 (never below `x`); +inf stays +inf, NaN becomes +inf.
pub fn up(x: f64) -> f32 {
    if x.is_nan() {
        return f32::INFINITY;
    }
    let f = x as f32;
    if (f as f64) < x {
        f.next_up()
    } else {
        f
    }
}

/// `x` rounded down to a float32 (never above `x`); NaN becomes -inf.
pub fn down(x: f64) -> f32 {
    if x.is_nan() {
        return f32::NEG_INFINITY;
    }
    let f = x as f32;
    if (f as f64) > x {
        f.next_down()
    } else {
        f
    }
}

/// Rows with a norm in `[MIN_MODERATE_NORM, MODERATE_NORM)` are *moderate*. For two of them every
/// partial sum of the canonical score and of a screen is below `(|q| + |b|)^2 < 2^126`, far from
/// float32 overflow, and the underflow of any term (at most `2^-149` each) is below `d 2^-29`
/// relative to `|q||b| >= 2^-120` and to the squared norms, far inside `gamma`: the error analysis
/// above holds. Beyond, a partial sum can overflow to +-inf where the exact value is finite, or a
/// squared norm is subnormal and the computed norm is off by more than rounding, and no bound in
/// float32 units is rigorous; such a row is never screened out. (Found by the fuzz targets: the
/// screens skipped the winning row of a query whose canonical dot product or squared norm
/// overflowed, and, under cosine, of rows near 1e-21 whose squared norms were subnormal.)
pub const MODERATE_NORM: f32 = (1u64 << 62) as f32;
pub const MIN_MODERATE_NORM: f32 = 1.0 / (1u64 << 60) as f32;

/// Not a moderate norm (NaN included).
#[inline]
fn immoderate(norm: f32) -> bool {
    norm.is_nan() || !(MIN_MODERATE_NORM..MODERATE_NORM).contains(&norm)
}

/// The per-column terms of `h` for a run of columns (struct of arrays).
#[derive(Debug, Default, Clone)]
pub struct ColumnTerms {
    pub scale: Vec<f32>,
    pub add: Vec<f32>,
    pub e1: Vec<f32>,
    pub e2: Vec<f32>,
}

impl ColumnTerms {
    pub fn with_capacity(n: usize) -> Self {
        ColumnTerms {
            scale: Vec::with_capacity(n),
            add: Vec::with_capacity(n),
            e1: Vec::with_capacity(n),
            e2: Vec::with_capacity(n),
        }
    }

    pub fn clear(&mut self) {
        self.scale.clear();
        self.add.clear();
        self.e1.clear();
        self.e2.clear();
    }

    /// `h = +inf` (or NaN, which is looked at too) for every query: the column is never skipped.
    fn keep_always(&mut self) {
        self.push(0.0, f32::INFINITY, 0.0, 0.0);
    }

    fn push(&mut self, scale: f32, add: f32, e1: f32, e2: f32) {
        self.scale.push(scale);
        self.add.push(add);
        self.e1.push(e1);
        self.e2.push(e2);
    }

    /// Terms for a float32 GEMM screen (`raw` = the float32 dot product) of a column with
    /// computed norm `norm` and squared norm `squared` (`Metric::column_norms`).
    pub fn push_f32(&mut self, metric: Metric, gamma: f64, norm: f32, squared: f32) {
        if immoderate(norm) {
            return self.keep_always();
        }
        let b = norm as f64 * (1.0 + gamma); // >= |b|
        match metric {
            // t = raw / |b|: E_t <= |q| (1.5 d + 12) u, Delta <= |q| (2 d + 35) u; both go to alpha.
            Metric::Cosine => self.push((1.0 / norm as f64) as f32, 0.0, 0.0, 0.0),
            // t = raw: E_t + Delta <= (2 d + 20) u |q||b| <= 2 gamma |q| |b| = k1 * e1.
            Metric::InnerProduct => self.push(1.0, 0.0, up(b), 0.0),
            // t = raw - |b|^2/2: E_t + Delta <= gamma (|q| + |b|)^2
            //   = alpha (gamma |q|^2) + k1 e1 (2 gamma |q| |b|) + the column's gamma |b|^2 in `add`.
            Metric::Euclidean => {
                self.push(1.0, up(-0.5 * squared as f64 + gamma * b * b), up(b), 0.0)
            }
        }
    }

    /// Terms for an int8 screen: `raw = (q~ . b~) / scale_b` exactly up to float32 rounding, for a
    /// column with quantisation step `step`, residual norm `residual` (`|b - b~|`), quantised
    /// norm `quantised` (`|b~|`) and computed norm / squared norm.
    pub fn push_int8(
        &mut self,
        metric: Metric,
        gamma: f64,
        quantized: &Quantized,
        norm: f32,
        squared: f32,
    ) {
        let (step, residual, quantised) = (quantized.step, quantized.residual, quantized.quantised);
        if immoderate(norm) {
            return self.keep_always();
        }
        let big_b = quantised + residual; // >= |b| (triangle inequality)
        match metric {
            // t = raw * step / |b|. With nu >= 1/|b|: w <= |q| (rho_b nu + 2 gamma (|b~| nu + 1))
            // + rho_q |b~| nu (1 + gamma), covering the quantisation error, the float32 rounding of
            // t (relative (d/2 + 14) u of |q~||b~|/|b|) and the canonical error (2 d + 35) u |q|.
            Metric::Cosine => {
                let nu = (1.0 / norm as f64) * (1.0 + gamma);
                self.push(
                    (step as f64 / norm as f64) as f32,
                    0.0,
                    up(residual * nu + 2.0 * gamma * (quantised * nu + 1.0)),
                    up(quantised * nu * (1.0 + gamma)),
                )
            }
            // t = raw * step: w <= |q| (rho_b + gamma B) + rho_q (|b~| + gamma B), B = |b~| + rho_b.
            Metric::InnerProduct => self.push(
                step,
                0.0,
                up(residual + gamma * big_b),
                up(quantised + gamma * big_b),
            ),
            // t = raw * step - |b|^2/2: w <= |q| rho_b + rho_q |b~| + gamma (|q| + rho_q) B
            //   + gamma (|q| + B)^2 = alpha + k1 (rho_b + 3 gamma B) + k2 (|b~| + gamma B) + gamma B^2.
            Metric::Euclidean => self.push(
                step,
                up(-0.5 * squared as f64 + gamma * big_b * big_b),
                up(residual + 3.0 * gamma * big_b),
                up(quantised + gamma * big_b),
            ),
        }
    }
}

/// The per-query terms of `h` and of the bars, for one task's queries.
#[derive(Debug, Default, Clone)]
pub struct QueryTerms {
    pub k1: Vec<f32>,
    pub k2: Vec<f32>,
    pub alpha: Vec<f32>,
    /// Computed norm and squared norm (`Metric::column_norms` of the query row).
    pub norm: Vec<f32>,
    pub squared: Vec<f32>,
}

/// Which screen produced `raw`, for the per-query terms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Screen {
    F32,
    /// The query's quantisation residual norm `|q - q~|`.
    Int8 {
        residual: f64,
    },
}

impl QueryTerms {
    pub fn with_capacity(n: usize) -> Self {
        QueryTerms {
            k1: Vec::with_capacity(n),
            k2: Vec::with_capacity(n),
            alpha: Vec::with_capacity(n),
            norm: Vec::with_capacity(n),
            squared: Vec::with_capacity(n),
        }
    }

    pub fn push(
        &mut self,
        metric: Metric,
        gamma: f64,
        d: usize,
        screen: Screen,
        norm: f32,
        squared: f32,
    ) {
        let q = norm as f64 * (1.0 + gamma); // >= |q|
        let slack = underflow_slack(d);
        let (k1, k2, alpha) = match (screen, metric) {
            (Screen::F32, Metric::Cosine) => (0.0, 0.0, 4.0 * gamma * q + slack),
            (Screen::F32, Metric::InnerProduct) => (2.0 * gamma * q, 0.0, slack),
            (Screen::F32, Metric::Euclidean) => (2.0 * gamma * q, 0.0, gamma * q * q + slack),
            (Screen::Int8 { residual }, Metric::Euclidean) => (q, residual, gamma * q * q + slack),
            (Screen::Int8 { residual }, _) => (q, residual, slack),
        };
        // An immoderate query: alpha = +inf puts its bar at -inf, so no candidate is skipped.
        let alpha = if immoderate(norm) {
            f64::INFINITY
        } else {
            alpha
        };
        self.k1.push(up(k1));
        self.k2.push(up(k2));
        self.alpha.push(up(alpha));
        self.norm.push(norm);
        self.squared.push(squared);
    }

    /// The bar of query `i` for a current k-th best canonical score `s`: `psi_low(s) - alpha_i`,
    /// rounded down. A candidate whose `h` is below it cannot score `>= s`.
    pub fn bar(&self, metric: Metric, gamma: f64, i: usize, s: f32) -> f32 {
        if s.is_nan() {
            return f32::NEG_INFINITY; // anything beats a NaN
        }
        let s = s as f64;
        let psi_low = match metric {
            Metric::Cosine => {
                let q = self.norm[i] as f64;
                s * if s >= 0.0 {
                    q * (1.0 - gamma)
                } else {
                    q * (1.0 + gamma)
                }
            }
            Metric::InnerProduct => s,
            Metric::Euclidean => (self.squared[i] as f64 * (1.0 - gamma) - s * s) / 2.0,
        };
        let bar = down(psi_low - self.alpha[i] as f64);
        // An infinite bar would also stop an infinite candidate that ties: keep it finite.
        bar.min(f32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::column_norms;
    use crate::quantize::quantize_row;
    use crate::testutil::Rng;

    /// h(c) >= psi(s(c)) - alpha must hold for every pair (that is what makes skipping safe);
    /// checked on rows with wildly different norms, near-duplicates and large dimensions.
    fn check(metric: Metric, d: usize, int8: bool, seed: u64) {
        let mut rng = Rng::new(seed);
        let g = gamma(d);
        let row = |rng: &mut Rng, scale: f32| -> Vec<f32> {
            (0..d).map(|_| rng.unit() * scale).collect()
        };
        for trial in 0..200 {
            let scale_q = [1e-3f32, 1.0, 37.0][trial % 3];
            let q = row(&mut rng, scale_q);
            let mut b = if trial % 4 == 0 {
                q.clone()
            } else {
                row(&mut rng, [1e-2f32, 1.0, 900.0][trial % 3])
            };
            if trial % 5 == 0 {
                b[0] = f32::from_bits(b[0].to_bits() + 1); // one ulp from q
            }
            let (qn, qsq) = column_norms(&q);
            let (bn, bsq) = column_norms(&b);
            let mut cols = ColumnTerms::default();
            let mut qt = QueryTerms::default();
            let raw = if int8 {
                let (mut cq, mut cb) = (vec![0i8; d], vec![0i8; d]);
                let sq = quantize_row(&q, &mut cq);
                let sb = quantize_row(&b, &mut cb);
                cols.push_int8(metric, g, &sb, bn, bsq);
                qt.push(
                    metric,
                    g,
                    d,
                    Screen::Int8 {
                        residual: sq.residual,
                    },
                    qn,
                    qsq,
                );
                let dot: i64 = cq.iter().zip(&cb).map(|(&x, &y)| x as i64 * y as i64).sum();
                dot as f32 * sq.step
            } else {
                cols.push_f32(metric, g, bn, bsq);
                qt.push(metric, g, d, Screen::F32, qn, qsq);
                // A deliberately different summation order from the canonical dot.
                q.iter()
                    .zip(&b)
                    .rev()
                    .fold(0.0f32, |acc, (&x, &y)| x.mul_add(y, acc))
            };
            let h =
                raw * cols.scale[0] + cols.add[0] + qt.k1[0] * cols.e1[0] + qt.k2[0] * cols.e2[0];
            let s = metric.canonical_score(&q, &b, qn, bn);
            let bar = qt.bar(metric, g, 0, s);
            assert!(
                h >= bar,
                "{metric:?} d={d} int8={int8} trial {trial}: h {h} < bar {bar}"
            );
        }
    }

    #[test]
    fn screen_bounds_hold() {
        for metric in [Metric::Cosine, Metric::InnerProduct, Metric::Euclidean] {
            for (d, seed) in [(1, 1), (7, 2), (64, 3), (384, 4), (3000, 5)] {
                check(metric, d, false, seed);
                check(metric, d, true, seed + 100);
            }
        }
    }

    #[test]
    fn rounding_directions() {
        let x = 0.1f64;
        assert!(up(x) as f64 >= x && down(x) as f64 <= x);
        assert!(up(x) > down(x));
        assert_eq!(up(0.5), 0.5);
        assert_eq!(down(f64::NAN), f32::NEG_INFINITY);
        assert!(gamma(384) < 1e-4 && gamma(1 << 30).is_infinite());
    }
}
