//! Exact radius search: every base row whose score against a query clears a radius (similarity
//! `>= radius` for cosine / inner product, distance `<= radius` for euclidean), as sparse rows.
//!
//! A consumer of the blocked sweep (`sweep/`): the screen value of each (query, base row) pair
//! (float32 GEMM or int8, `kernel`) only *screens* candidates, against the rigorous bar of
//! `bounds.rs` for the radius (later the k-th best score); every candidate's score is then
//! computed with `Metric::canonical_score` (the canonical pair score that `nearest_support` and
//! `knn` report), and the inclusion decision is made on that score. So a pair is in the result
//! exactly when its canonical score clears the radius, whatever the screen, tiling or thread
//! count, and its reported score is the canonical one.
//!
//! Memory: per task, the candidate lists of its queries (the output, plus the few pairs within
//! the rounding margin of the bar). With `max_neighbors = k`, a query's list is cut back to its k
//! best each time it reaches 2k entries, and the bar rises to the k-th best score, so memory is
//! O(k) per query however many base rows clear the radius.

use std::ops::Range;

use rayon::prelude::*;

use crate::bounds::QueryTerms;
use crate::cancel::Cancel;
use crate::consumer::TileConsumer;
use crate::error::{try_grow, CoreError, CoreResult};
use crate::lanes::{Lanes, LANES};
use crate::matrix::Matrix;
use crate::metric::Metric;
use crate::search::driver::{tasks, Search};
use crate::sweep::{Kernel, Sweep};
use crate::tile::TileView;

/// The neighbours of consecutive queries: `lengths[r]` entries per query, concatenated; within a
/// query, base rows ascending.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RadiusRows {
    pub lengths: Vec<u32>,
    pub indices: Vec<u32>,
    pub scores: Vec<f32>,
}

/// What one call asks for.
#[derive(Debug, Clone, Copy)]
pub struct RadiusQuery {
    pub radius: f32,
    pub metric: Metric,
    /// The queries are the base rows themselves and row i is never its own neighbour.
    pub exclude_self: bool,
    /// Keep only the best `k` per query (higher similarity / smaller distance, then lower index).
    pub max_neighbors: Option<usize>,
    /// How candidates are screened (the result is the same for every kernel).
    pub kernel: Kernel,
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    position: u32,
    /// The exact score, NaN until computed.
    score: f32,
}

/// Candidates per query of one task.
struct Within<'s> {
    query: RadiusQuery,
    sweep: &'s Sweep<'s>,
    first_query: usize,
    /// Per query: the screen bar of the radius, then of the k-th best score (`bounds.rs`);
    /// NaN until the query's first view sets it (the bar needs the task's `QueryTerms`).
    bar: Vec<f32>,
    candidates: Vec<Vec<Candidate>>,
    /// Candidates held (all queries of the task), and the bytes of the candidate lists when one
    /// could not grow (the task then keeps no more and `finish` reports it).
    held: usize,
    out_of_memory: Option<u128>,
}

impl<'s> Within<'s> {
    fn new(query: RadiusQuery, sweep: &'s Sweep<'s>, queries: Range<usize>) -> Self {
        let rows = queries.len();
        Within {
            query,
            sweep,
            first_query: queries.start,
            bar: vec![f32::NAN; rows.next_multiple_of(LANES)],
            candidates: vec![Vec::new(); rows],
            held: 0,
            out_of_memory: None,
        }
    }

    #[inline]
    fn push(&mut self, r: usize, position: u32, queries: &QueryTerms) {
        let list = &mut self.candidates[r];
        // The growth `push` would make (`try_reserve(1)` grows the same way), failing softly.
        if list.len() == list.capacity()
            && self.out_of_memory.is_none()
            && list.try_reserve(1).is_err()
        {
            let bytes = (self.held + list.capacity()) * std::mem::size_of::<Candidate>();
            self.out_of_memory = Some(bytes as u128);
        }
        if list.len() == list.capacity() {
            return; // out of memory: the search fails in `finish`
        }
        list.push(Candidate {
            position,
            score: f32::NAN,
        });
        self.held += 1;
        if let Some(k) = self.query.max_neighbors {
            if self.candidates[r].len() >= 2 * k.max(8) {
                self.prune(r, k, Some(queries));
            }
        }
    }

    /// Scores query `r`'s new candidates, drops those outside the radius and, with
    /// `max_neighbors = k`, all but the k best; then (given the task's terms) raises the bar to
    /// the k-th best score.
    fn prune(&mut self, r: usize, k: usize, queries: Option<&QueryTerms>) {
        let metric = self.query.metric;
        let before = self.candidates[r].len();
        let list = self.settled(r, Some(k));
        self.held = self.held + list.len() - before;
        if let (true, Some(queries)) = (list.len() == k, queries) {
            let worst = list
                .iter()
                .copied()
                .max_by(|a, b| ranking(metric, a, b))
                .expect("k >= 1 entries");
            let bar = queries.bar(metric, self.sweep.gamma(), r, worst.score);
            self.bar[r] = self.bar[r].max(bar);
        }
        self.candidates[r] = list;
    }

    /// Query `r`'s candidates, taken: every one scored, those outside the radius dropped and,
    /// with `keep = Some(k)`, all but the k best.
    fn settled(&mut self, r: usize, keep: Option<usize>) -> Vec<Candidate> {
        let metric = self.query.metric;
        let mut list = std::mem::take(&mut self.candidates[r]);
        for c in list.iter_mut().filter(|c| c.score.is_nan()) {
            c.score = self
                .sweep
                .canonical(self.first_query + r, c.position as usize);
        }
        list.retain(|c| metric.passes(c.score, self.query.radius));
        if let Some(k) = keep {
            if list.len() > k {
                list.select_nth_unstable_by(k - 1, |a, b| ranking(metric, a, b));
                list.truncate(k);
            }
        }
        list
    }

    /// The final rows: exact scores, the radius test on them, the k best, base rows ascending.
    fn finish(mut self) -> CoreResult<RadiusRows> {
        let rows = self.candidates.len();
        let what = format!(
            "radius_neighbors: the neighbours of queries {}..{} ({} pairs so far)",
            self.first_query,
            self.first_query + rows,
            self.held
        );
        if let Some(bytes) = self.out_of_memory {
            return Err(CoreError::OutOfMemory { what, bytes });
        }
        let mut out = RadiusRows::default();
        // Exact capacity (candidates are at most a few more than the output): no doubling slack.
        let total: usize = self.candidates.iter().map(Vec::len).sum();
        let total = self
            .query
            .max_neighbors
            .map_or(total, |k| total.min(k * rows));
        try_grow(&mut out.lengths, rows, &what)?;
        try_grow(&mut out.indices, total, &what)?;
        try_grow(&mut out.scores, total, &what)?;
        for r in 0..rows {
            let mut list = self.settled(r, self.query.max_neighbors);
            list.sort_unstable_by_key(|c| c.position);
            out.lengths.push(list.len() as u32);
            for c in list {
                out.indices.push(self.sweep.columns()[c.position as usize]);
                out.scores.push(c.score);
            }
        }
        Ok(out)
    }
}

/// Best first: higher similarity (smaller distance), then lower base row.
#[inline]
fn ranking(metric: Metric, a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    let by_score = if metric.higher_is_better() {
        b.score.partial_cmp(&a.score)
    } else {
        a.score.partial_cmp(&b.score)
    };
    by_score
        .unwrap_or(std::cmp::Ordering::Equal)
        .then(a.position.cmp(&b.position))
}

impl TileConsumer for Within<'_> {
    /// Sets the bars of the view's queries that have none yet (they need the task's terms).
    #[inline(always)]
    fn begin_view(&mut self, tile: &TileView<'_>) {
        let (metric, gamma) = (self.query.metric, self.sweep.gamma());
        for r in tile.query_offset..tile.query_offset + tile.width {
            if self.bar[r].is_nan() {
                self.bar[r] = tile.queries.bar(metric, gamma, r, self.query.radius);
            }
        }
    }

    #[inline(always)]
    fn reach<S: Lanes>(&self, lanes: S, _position: usize, at: usize, h: S::V) -> u16 {
        lanes.reach_mask(h, &self.bar[at..])
    }

    #[inline]
    fn event(&mut self, tile: &TileView<'_>, column: usize, r: usize, _h: f32) {
        if !(self.query.exclude_self && self.first_query + r == column) {
            self.push(r, column as u32, tile.queries);
        }
    }

    /// Adds the candidates of a disjoint column range of the same queries.
    fn merge(mut self, other: Self) -> Self {
        self.out_of_memory = self.out_of_memory.max(other.out_of_memory);
        self.held += other.held;
        for (r, list) in other.candidates.into_iter().enumerate() {
            let into = &mut self.candidates[r];
            if self.out_of_memory.is_none() && into.try_reserve(list.len()).is_err() {
                let bytes = (self.held + list.len()) * std::mem::size_of::<Candidate>();
                self.out_of_memory = Some(bytes as u128);
            }
            if self.out_of_memory.is_some() {
                continue; // the search fails in `finish`
            }
            self.candidates[r].extend(list);
            if let Some(k) = self.query.max_neighbors {
                if self.candidates[r].len() > k {
                    self.prune(r, k, None);
                }
            }
        }
        self
    }
}

/// All base rows within `query.radius` of each query (see the module documentation).
///
/// Returns the rows of consecutive blocks of queries, in query order. Stops early with
/// `CoreError::Cancelled` once `cancel` is set (pass `Cancel::never()` for a call nobody
/// cancels). The result does not depend on `threads`.
pub fn radius_neighbors(
    queries: Matrix<'_, f32>,
    base: Matrix<'_, f32>,
    query: RadiusQuery,
    threads: usize,
    cancel: &Cancel,
) -> CoreResult<Vec<RadiusRows>> {
    let (metric, kernel) = (query.metric, query.kernel);
    let search = Search::new((queries, base), "X", metric, kernel, threads, cancel);
    search.check_shapes(query.exclude_self)?;
    if query.radius.is_nan() {
        return Err(CoreError::Value(
            "radius: expected a number, got NaN".into(),
        ));
    }
    if query.max_neighbors == Some(0) {
        return Err(CoreError::Value(
            "max_neighbors: expected None or an int >= 1, got 0".into(),
        ));
    }
    if u32::try_from(base.rows()).is_err() {
        return Err(CoreError::Value(format!(
            "X: at most {} rows are supported, got {}",
            u32::MAX,
            base.rows()
        )));
    }
    let q = queries.rows();
    if q == 0 || base.rows() == 0 {
        return Ok(vec![RadiusRows {
            lengths: vec![0; q],
            ..RadiusRows::default()
        }]);
    }
    let columns: Vec<u32> = (0..base.rows() as u32).collect();
    search.run(columns, |sweep, plan| {
        tasks(sweep, plan, |rows, _| Within::new(query, sweep, rows))
            .map(Within::finish)
            .collect::<CoreResult<Vec<_>>>()
    })?
}

/// The rows as CSR arrays `(indptr, indices, scores)` with index type `I`, consuming the blocks
/// one by one (peak memory: the output plus one block). Fails where a value does not fit in `I`
/// (`CoreError::Value`) or the arrays cannot be allocated (`CoreError::OutOfMemory`).
pub fn to_csr<I: TryFrom<usize> + Copy>(
    blocks: Vec<RadiusRows>,
) -> CoreResult<(Vec<I>, Vec<I>, Vec<f32>)> {
    let nnz: usize = blocks.iter().map(|b| b.indices.len()).sum();
    let q: usize = blocks.iter().map(|b| b.lengths.len()).sum();
    let too_many = |_| CoreError::Value(format!("radius_neighbors: {nnz} pairs overflow"));
    let bytes = (q as u128 + 1 + nnz as u128) * std::mem::size_of::<I>() as u128
        + nnz as u128 * std::mem::size_of::<f32>() as u128;
    let out_of_memory = |_| CoreError::OutOfMemory {
        what: format!("radius_neighbors: the output ({nnz} pairs of {q} queries, as CSR)"),
        bytes,
    };
    let (mut indptr, mut indices, mut scores) = (Vec::new(), Vec::new(), Vec::new());
    try_grow(&mut indptr, q + 1, "").map_err(out_of_memory)?;
    try_grow(&mut indices, nnz, "").map_err(out_of_memory)?;
    try_grow(&mut scores, nnz, "").map_err(out_of_memory)?;
    let mut total = 0usize;
    indptr.push(I::try_from(0).map_err(too_many)?);
    for block in blocks {
        for &length in &block.lengths {
            total += length as usize;
            indptr.push(I::try_from(total).map_err(too_many)?);
        }
        for &index in &block.indices {
            indices.push(I::try_from(index as usize).map_err(too_many)?);
        }
        scores.extend_from_slice(&block.scores);
    }
    Ok((indptr, indices, scores))
}

#[cfg(test)]
mod tests;
