//! Brute-force references: every pair scored, the best kept, no screening, no tiling, no threads.
//!
//! The scores follow the core's contract bit for bit, re-implemented here independently of the
//! kernels: the canonical pair score (`rust/metric.rs`, mirrored by `tests/reference.py`) sums
//! float32 terms in 32 lanes over whole blocks of 32, reduces the lanes by a pairwise tree and
//! adds the tail in order; cosine divides in float64 and clamps to [-1, 1]. Candidates rank by
//! that score (NaN, from overflowing inputs, last), equal scores by the lower base index. Each
//! reference also predicts which argument an error must name, in the order the core checks.

use liger_core::{CoreResult, Metric};

use crate::input::{VoteCase, Width};

/// What a call must do.
#[derive(Debug)]
pub enum Expected<T> {
    /// Fail with a message naming this argument.
    Error(&'static str),
    /// Succeed with exactly this.
    Value(T),
    /// Inputs outside the contract (NaN / inf embeddings): anything but a panic.
    Anything,
}

/// Scores as bits (exact comparison, NaN included) and indices.
pub type Ranked = (Vec<u32>, Vec<i64>);

/// Asserts that `got` is what `expected` says; `context` describes the case in the panic message.
pub fn check<T: PartialEq + std::fmt::Debug>(
    expected: &Expected<T>,
    got: CoreResult<T>,
    context: &dyn Fn() -> String,
) {
    match (expected, got) {
        (Expected::Anything, _) => {}
        (Expected::Error(name), Err(e)) => assert!(
            e.to_string().contains(name),
            "the error should name {name:?}, got {e:?} ({})",
            context()
        ),
        (Expected::Value(v), Ok(g)) => {
            if *v != g {
                panic!(
                    "wrong result ({})\nexpected {v:?}\n     got {g:?}",
                    context()
                );
            }
        }
        (Expected::Error(name), Ok(g)) => panic!(
            "expected an error naming {name:?}, got Ok({g:?}) ({})",
            context()
        ),
        (Expected::Value(v), Err(e)) => panic!("expected {v:?}, got {e:?} ({})", context()),
    }
}

const LANES: usize = 32;

/// `sum_j a_j b_j` (or `(a_j - b_j)^2` with `diff`) in the canonical order.
fn lanewise_sum(a: &[f32], b: &[f32], diff: bool) -> f32 {
    let term = |j: usize| {
        if diff {
            let x = a[j] - b[j];
            x * x
        } else {
            a[j] * b[j]
        }
    };
    let whole = a.len() / LANES * LANES;
    let mut acc = [0.0f32; LANES];
    for start in (0..whole).step_by(LANES) {
        for (l, slot) in acc.iter_mut().enumerate() {
            *slot += term(start + l);
        }
    }
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for l in 0..width {
            acc[l] += acc[l + width];
        }
    }
    let mut total = acc[0];
    for j in whole..a.len() {
        total += term(j);
    }
    total
}

pub fn squared_norm(row: &[f32]) -> f32 {
    lanewise_sum(row, row, false)
}

/// The canonical score of a pair: a similarity (cosine, ip) or a distance (euclidean).
pub fn score(metric: Metric, q: &[f32], b: &[f32]) -> f32 {
    match metric {
        Metric::Cosine => {
            let (qn, bn) = (squared_norm(q).sqrt(), squared_norm(b).sqrt());
            ((lanewise_sum(q, b, false) as f64 / (qn as f64 * bn as f64)) as f32).clamp(-1.0, 1.0)
        }
        Metric::InnerProduct => lanewise_sum(q, b, false),
        Metric::Euclidean => lanewise_sum(q, b, true).sqrt(),
    }
}

/// Larger is better; NaN worst.
fn goodness(metric: Metric, s: f32) -> f32 {
    if s.is_nan() {
        f32::NEG_INFINITY
    } else if metric == Metric::Euclidean {
        -s
    } else {
        s
    }
}

/// `(s, i)` ranks before `(t, j)`.
fn before(metric: Metric, (s, i): (f32, usize), (t, j): (f32, usize)) -> bool {
    let (a, b) = (goodness(metric, s), goodness(metric, t));
    a > b || (a == b && i < j)
}

fn worst(metric: Metric) -> f32 {
    if metric == Metric::Euclidean {
        f32::INFINITY
    } else {
        f32::NEG_INFINITY
    }
}

fn row(data: &[f32], cols: usize, i: usize) -> &[f32] {
    &data[i * cols..(i + 1) * cols]
}

fn finite(data: &[f32]) -> bool {
    data.iter().all(|v| v.is_finite())
}

/// A row-major matrix with its shape.
#[derive(Clone, Copy)]
pub struct Dense<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
}

impl Dense<'_> {
    fn row(&self, i: usize) -> &[f32] {
        row(self.data, self.cols, i)
    }

    fn zero_row(&self, rows: impl IntoIterator<Item = usize>) -> bool {
        rows.into_iter().any(|i| squared_norm(self.row(i)) == 0.0)
    }
}

/// Per (query, LF): the best-ranked base row among those where the LF votes.
pub fn nearest_support(
    queries: Dense<'_>,
    base: Dense<'_>,
    votes: &VoteCase,
    metric: Metric,
) -> Expected<Ranked> {
    let (q, m) = (queries.rows, votes.cols);
    if queries.cols != base.cols {
        return Expected::Error("queries and base");
    }
    if votes.rows != base.rows || votes.has_invalid_vote() {
        return Expected::Error("L_base");
    }
    let union: Vec<usize> = (0..base.rows)
        .filter(|&r| (0..m).any(|j| votes.get(r, j) != -1))
        .collect();
    let empty = || {
        let scores = vec![worst(metric).to_bits(); q * m];
        Expected::Value((scores, vec![-1; q * m]))
    };
    if q == 0 || m == 0 || union.is_empty() {
        return empty();
    }
    if metric == Metric::Cosine {
        if base.zero_row(union.iter().copied()) {
            return Expected::Error("base");
        }
        if queries.zero_row(0..q) {
            return Expected::Error("queries");
        }
    }
    if !finite(queries.data) || !finite(base.data) {
        return Expected::Anything;
    }
    let (mut scores, mut indices) = (Vec::with_capacity(q * m), Vec::with_capacity(q * m));
    let mut row_scores = vec![0.0f32; base.rows];
    for i in 0..q {
        for &r in &union {
            row_scores[r] = score(metric, queries.row(i), base.row(r));
        }
        for j in 0..m {
            let mut best: Option<(f32, usize)> = None;
            for &r in union.iter().filter(|&&r| votes.get(r, j) != -1) {
                let candidate = (row_scores[r], r);
                if best.is_none_or(|b| before(metric, candidate, b)) {
                    best = Some(candidate);
                }
            }
            let (s, r) = best.map_or((worst(metric), -1), |(s, r)| (s, r as i64));
            scores.push(s.to_bits());
            indices.push(r);
        }
    }
    Expected::Value((scores, indices))
}

/// The base rows a query may get: all of them, but itself with `exclude_self`.
fn candidates(i: usize, n: usize, exclude_self: bool) -> impl Iterator<Item = usize> {
    (0..n).filter(move |&r| !(exclude_self && r == i))
}

/// All candidates of query `i`, best first.
fn ranked(
    metric: Metric,
    queries: Dense<'_>,
    base: Dense<'_>,
    i: usize,
    exclude_self: bool,
) -> Vec<(f32, usize)> {
    let mut all: Vec<(f32, usize)> = candidates(i, base.rows, exclude_self)
        .map(|r| (score(metric, queries.row(i), base.row(r)), r))
        .collect();
    all.sort_by(|&a, &b| {
        if before(metric, a, b) {
            std::cmp::Ordering::Less
        } else if before(metric, b, a) {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    });
    all
}

/// Errors shared by knn and radius searches, in the core's order, after the argument checks.
fn search_errors(queries: Dense<'_>, base: Dense<'_>, metric: Metric) -> Option<Expected<()>> {
    if metric == Metric::Cosine {
        if base.zero_row(0..base.rows) {
            return Some(Expected::Error("X"));
        }
        if queries.zero_row(0..queries.rows) {
            return Some(Expected::Error("queries"));
        }
    }
    if !finite(queries.data) || !finite(base.data) {
        return Some(Expected::Anything);
    }
    None
}

fn relay<T>(e: Expected<()>) -> Expected<T> {
    match e {
        Expected::Error(name) => Expected::Error(name),
        _ => Expected::Anything,
    }
}

/// The k best base rows of every query, best first.
pub fn knn(
    queries: Dense<'_>,
    base: Dense<'_>,
    k: usize,
    metric: Metric,
    exclude_self: bool,
) -> Expected<Ranked> {
    let q = queries.rows;
    if queries.cols != base.cols {
        return Expected::Error("queries and X");
    }
    if exclude_self && q != base.rows {
        return Expected::Error("exclude_self");
    }
    let available = base.rows - usize::from(exclude_self && base.rows > 0);
    if k == 0 || k > available {
        return Expected::Error("k");
    }
    if q == 0 {
        return Expected::Value((Vec::new(), Vec::new()));
    }
    if let Some(e) = search_errors(queries, base, metric) {
        return relay(e);
    }
    let (mut scores, mut indices) = (Vec::new(), Vec::new());
    for i in 0..q {
        for &(s, r) in ranked(metric, queries, base, i, exclude_self)
            .iter()
            .take(k)
        {
            scores.push(s.to_bits());
            indices.push(r as i64);
        }
    }
    Expected::Value((scores, indices))
}

/// Per query, the base rows whose score clears `radius` (at most the `max_neighbors` best),
/// ascending: `(lengths, indices, score bits)`.
pub type Neighbourhoods = (Vec<u32>, Vec<u32>, Vec<u32>);

pub fn radius(
    queries: Dense<'_>,
    base: Dense<'_>,
    radius: f32,
    max_neighbors: Option<usize>,
    metric: Metric,
    exclude_self: bool,
) -> Expected<Neighbourhoods> {
    let q = queries.rows;
    if queries.cols != base.cols {
        return Expected::Error("queries and X");
    }
    if exclude_self && q != base.rows {
        return Expected::Error("exclude_self");
    }
    if radius.is_nan() {
        return Expected::Error("radius");
    }
    if max_neighbors == Some(0) {
        return Expected::Error("max_neighbors");
    }
    if q == 0 || base.rows == 0 {
        return Expected::Value((vec![0; q], Vec::new(), Vec::new()));
    }
    if let Some(e) = search_errors(queries, base, metric) {
        return relay(e);
    }
    let clears = |s: f32| {
        if metric == Metric::Euclidean {
            s <= radius
        } else {
            s >= radius
        }
    };
    let (mut lengths, mut indices, mut scores) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..q {
        let mut kept: Vec<(f32, usize)> = ranked(metric, queries, base, i, exclude_self)
            .into_iter()
            .filter(|&(s, _)| clears(s))
            .take(max_neighbors.unwrap_or(usize::MAX))
            .collect();
        kept.sort_by_key(|&(_, r)| r);
        lengths.push(kept.len() as u32);
        for (s, r) in kept {
            indices.push(r as u32);
            scores.push(s.to_bits());
        }
    }
    Expected::Value((lengths, indices, scores))
}

/// Liger's rule: a cast vote stays; an abstention takes the nearest support row's vote when its
/// score passes the LF's threshold (never for a NaN threshold or index -1).
#[allow(clippy::too_many_arguments)]
pub fn extend(
    votes: &VoteCase,
    scores: (&[f32], usize, usize),
    indices: (&[i64], usize, usize),
    base_votes: &VoteCase,
    thresholds: &[f32],
    metric: Metric,
    out: (Width, usize),
) -> Expected<Vec<i64>> {
    let (q, m) = (votes.rows, votes.cols);
    if (scores.1, scores.2) != (q, m) {
        return Expected::Error("scores");
    }
    if (indices.1, indices.2) != (q, m) {
        return Expected::Error("indices");
    }
    if base_votes.cols != m || thresholds.len() != m || out.1 != q * m {
        return Expected::Error("L_base");
    }
    let n = base_votes.rows as i64;
    if indices.0.iter().any(|&i| i < -1 || i >= n) {
        return Expected::Error("indices");
    }
    let mut result = Vec::with_capacity(q * m);
    for i in 0..q {
        for (j, &t) in thresholds.iter().enumerate() {
            let own = votes.get(i, j);
            let (s, index) = (scores.0[i * m + j], indices.0[i * m + j]);
            let passes = if metric == Metric::Euclidean {
                s <= t
            } else {
                s >= t
            };
            let v = if own != -1 {
                own
            } else if index >= 0 && passes {
                base_votes.get(index as usize, j)
            } else {
                -1
            };
            if !out.0.holds(v) {
                return Expected::Error("L_base");
            }
            result.push(v);
        }
    }
    Expected::Value(result)
}
