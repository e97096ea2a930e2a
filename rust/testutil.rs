//! Deterministic test data and brute-force references for the unit tests (no extra crates).

use std::sync::{mpsc, Arc};
use std::time::Duration;

use crate::cancel::Cancel;
use crate::matrix::Matrix;
use crate::metric::Metric;

/// A tiny xorshift generator: reproducible data without a `rand` dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [-1, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Random embeddings where every third row repeats an earlier one (exact ties).
pub fn embeddings(rng: &mut Rng, rows: usize, d: usize) -> Vec<f32> {
    let mut data: Vec<f32> = (0..rows * d).map(|_| rng.unit()).collect();
    for r in (2..rows).step_by(3) {
        let source = rng.below(r as u64) as usize;
        let copy: Vec<f32> = data[source * d..(source + 1) * d].to_vec();
        data[r * d..(r + 1) * d].copy_from_slice(&copy);
    }
    data
}

/// Random votes: LF j votes with probability `coverage[j]`, classes `0..k`.
pub fn votes(rng: &mut Rng, rows: usize, coverage: &[f64], k: u64) -> Vec<i64> {
    let mut out = Vec::with_capacity(rows * coverage.len());
    for _ in 0..rows {
        for &c in coverage {
            let hit = (rng.below(1_000_000) as f64) < c * 1e6;
            out.push(if hit { rng.below(k) as i64 } else { -1 });
        }
    }
    out
}

/// Score of a pair in f64 (the reference the kernels are checked against).
pub fn reference_score(metric: Metric, a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(&x, &y)| x as f64 * y as f64).sum();
    let na: f64 = a.iter().map(|&x| (x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|&x| (x as f64).powi(2)).sum::<f64>().sqrt();
    match metric {
        Metric::Cosine => dot / (na * nb),
        Metric::InnerProduct => dot,
        Metric::Euclidean => a
            .iter()
            .zip(b)
            .map(|(&x, &y)| (x as f64 - y as f64).powi(2))
            .sum::<f64>()
            .sqrt(),
    }
}

/// Scores in "higher is better" orientation.
pub fn oriented(metric: Metric, score: f64) -> f64 {
    if metric.higher_is_better() {
        score
    } else {
        -score
    }
}

/// Checks that `index` is a best candidate for query `q` among `candidates` (within float32
/// rounding) and that `score` is its score.
pub fn assert_is_best(
    metric: Metric,
    queries: Matrix<'_, f32>,
    base: Matrix<'_, f32>,
    q: usize,
    candidates: &[usize],
    index: i64,
    score: f32,
) {
    let best = candidates
        .iter()
        .map(|&c| oriented(metric, reference_score(metric, queries.row(q), base.row(c))))
        .fold(f64::NEG_INFINITY, f64::max);
    assert!(
        index >= 0,
        "query {q}: no winner among {} candidates",
        candidates.len()
    );
    assert!(
        candidates.contains(&(index as usize)),
        "query {q}: {index} is not a candidate"
    );
    let got = reference_score(metric, queries.row(q), base.row(index as usize));
    assert!(
        oriented(metric, got) >= best - 1e-4,
        "query {q}: picked {index} with {got}, best is {best}"
    );
    assert!(
        (got - score as f64).abs() <= 1e-4 * (1.0 + got.abs()),
        "query {q}: score {score} vs {got}"
    );
}

/// Runs `work` on its own thread and sets its cancellation token 20 ms later, while it runs (the
/// caller makes it long enough); its result. Panics if it has not returned two minutes after the
/// token was set (a token that is never looked at would otherwise hang the test run).
pub fn cancelled_while_running<R: Send + 'static>(
    work: impl FnOnce(&Cancel) -> R + Send + 'static,
) -> R {
    let cancel = Arc::new(Cancel::new());
    let token = Arc::clone(&cancel);
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(work(&token));
    });
    std::thread::sleep(Duration::from_millis(20));
    cancel.cancel();
    receiver
        .recv_timeout(Duration::from_secs(120))
        .expect("the call did not stop within two minutes of its cancellation")
}
