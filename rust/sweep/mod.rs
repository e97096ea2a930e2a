//! The blocked sweep shared by every search: queries x (a sorted set of base rows) in tiles, with a
//! cheap *screen* value per pair that consumers use to skip candidates safely (see `bounds.rs`).
//!
//! Two screens:
//! - `Engine::F32`: per tile of `COLUMN_TILE` base rows (gathered once per task) and block of
//!   `QUERY_BLOCK` queries, one float32 GEMM (matrixmultiply) computes the dot products transposed
//!   (`tile_rows x queries`), so consumers fold a base row into their per-query state with
//!   contiguous passes.
//! - `Engine::Int8*`: queries and base rows quantised to int8 per row (queries once per task, base
//!   rows once per tile), dot products in exact integer arithmetic by an AVX-512 VNNI (or portable)
//!   micro-kernel, handed over per micro-tile (`PANEL` rows x `QUERY_GROUP` queries) while it is in
//!   L1; four times the multiply-adds per instruction of float32.
//!
//! Either way consumers see the same `TileView` and decide with `Lanes::upper_bounds` (`lanes.rs`)
//! which candidates need a canonical score. Results do not depend on the screen, the tiling or the
//! thread count (consumers select by canonical score, ties by position), so the engine is free to
//! pick any tile order. Memory per task is one tile of scores (float32) or of codes plus the task's
//! packed query codes (int8), whatever n is.
//!
//! Cancellation (`cancel.rs`) is checked before each tile and, within a tile, before each block of
//! queries (float32) or query group (int8), so a cancelled sweep stops within one such block
//! whatever the dimension. A sweep that stopped early leaves its consumer incomplete: callers
//! check the token after the sweep and return `CoreError::Cancelled` instead of a result.

mod gemm;
mod kernel;
mod micro;

use std::ops::Range;

use rayon::prelude::*;

use crate::bounds::{gamma, ColumnTerms, QueryTerms, Screen};
use crate::cancel::Cancel;
use crate::consumer::{consume, TileConsumer};
#[cfg(target_arch = "x86_64")]
use crate::lanes::Avx512;
use crate::matrix::Matrix;
use crate::metric::{column_norms, Metric};
use crate::quantize::{pack_column, pack_query_group, padded, quantize_row, PANEL, QUERY_GROUP};
use crate::tile::TileView;
use gemm::{tile_rows, transposed_product};
pub use kernel::{Engine, Kernel};
use micro::Int8Tile;

/// Queries per float32 GEMM block.
pub const QUERY_BLOCK: usize = 512;
/// Base rows per tile.
pub const COLUMN_TILE: usize = 1024;
/// At most this many query blocks share one gathered tile (amortises the gather).
const MAX_BLOCKS_PER_TASK: usize = 8;
/// The same for the int8 screen, whose tiles cost a quantisation (its per-task state is small).
const MAX_BLOCKS_PER_INT8_TASK: usize = 32;

/// How the work is split into parallel tasks. Only the split changes with the thread count.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Queries per task (a multiple of `QUERY_BLOCK`).
    pub block_rows: usize,
    /// Number of column chunks each query block is split into (1 unless queries are few).
    pub column_chunks: usize,
}

/// A row with a zero norm under cosine (cosine similarity is undefined for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZeroNorm {
    /// The first such searched base row.
    Base(usize),
    /// The first such query row.
    Query(usize),
}

/// The searched base rows, their norms, the queries' norms, and the screen.
pub struct Sweep<'a> {
    queries: Matrix<'a, f32>,
    base: Matrix<'a, f32>,
    metric: Metric,
    /// Base rows searched, ascending.
    columns: Vec<u32>,
    /// `column_norms` of the searched rows.
    norms: Vec<f32>,
    squared: Vec<f32>,
    /// `column_norms` of every query row (computed once: the bars, the screens and the canonical
    /// scores all read these).
    query_norms: Vec<f32>,
    query_squared: Vec<f32>,
    engine: Engine,
    gamma: f64,
    /// The float32 screen's column terms (empty for int8 engines, which make them per tile).
    f32_terms: ColumnTerms,
    cancel: &'a Cancel,
}

impl<'a> Sweep<'a> {
    /// `columns` must be ascending base-row indices. Under cosine, fails on the first searched
    /// base row with a zero norm, then on the first such query row. `run` stops early once
    /// `cancel` is set.
    pub fn new(
        queries: Matrix<'a, f32>,
        base: Matrix<'a, f32>,
        metric: Metric,
        columns: Vec<u32>,
        kernel: Kernel,
        cancel: &'a Cancel,
    ) -> Result<Self, ZeroNorm> {
        let (norms, squared) = row_norms(columns.len(), |p| base.row(columns[p] as usize));
        if let Some(p) = first_zero(metric, &squared) {
            return Err(ZeroNorm::Base(columns[p] as usize));
        }
        let (query_norms, query_squared) = row_norms(queries.rows(), |i| queries.row(i));
        if let Some(i) = first_zero(metric, &query_squared) {
            return Err(ZeroNorm::Query(i));
        }
        let d = base.cols();
        let engine = kernel.engine(d);
        let gamma = gamma(d);
        let mut f32_terms = ColumnTerms::default();
        if engine == Engine::F32 {
            f32_terms = ColumnTerms::with_capacity(columns.len());
            for (&norm, &sq) in norms.iter().zip(&squared) {
                f32_terms.push_f32(metric, gamma, norm, sq);
            }
        }
        // Every (query, column) pair is swept once: the progress `run` counts tile by tile.
        cancel.add_total(queries.rows() as u64 * columns.len() as u64);
        Ok(Sweep {
            queries,
            base,
            metric,
            columns,
            norms,
            squared,
            query_norms,
            query_squared,
            engine,
            gamma,
            f32_terms,
            cancel,
        })
    }

    /// The number of query rows.
    pub fn query_count(&self) -> usize {
        self.queries.rows()
    }

    pub fn columns(&self) -> &[u32] {
        &self.columns
    }

    pub fn metric(&self) -> Metric {
        self.metric
    }

    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The canonical score of query row `query` against the searched row at `position`.
    #[inline]
    pub fn canonical(&self, query: usize, position: usize) -> f32 {
        self.metric.canonical_score(
            self.queries.row(query),
            self.base.row(self.columns[position] as usize),
            self.query_norms[query],
            self.norms[position],
        )
    }

    pub fn tiles(&self) -> usize {
        self.columns.len().div_ceil(COLUMN_TILE)
    }

    /// The tiles of column chunk `chunk` out of `chunks`.
    pub fn chunk_tiles(&self, chunk: usize, chunks: usize) -> Range<usize> {
        let tiles = self.tiles();
        (tiles * chunk / chunks)..(tiles * (chunk + 1) / chunks)
    }

    /// The column positions of a range of tiles.
    pub fn tile_columns(&self, tiles: &Range<usize>) -> Range<usize> {
        let end = (tiles.end * COLUMN_TILE).min(self.columns.len());
        (tiles.start * COLUMN_TILE).min(end)..end
    }

    /// Splits the queries over `threads`: equal tasks, few enough to amortise the tile gathers.
    pub fn plan(&self, threads: usize) -> Plan {
        let query_blocks = self.queries.rows().div_ceil(QUERY_BLOCK).max(1);
        let max_blocks = match self.engine {
            Engine::F32 => MAX_BLOCKS_PER_TASK,
            Engine::Int8Portable | Engine::Int8Vnni => MAX_BLOCKS_PER_INT8_TASK,
        };
        // A whole number of rounds of `threads` equal tasks (no straggler round), each task at
        // most `max_blocks` blocks: balance and gather amortisation together.
        let rounds = query_blocks.div_ceil(threads * max_blocks);
        let per_task = query_blocks.div_ceil(threads * rounds).max(1);
        let block_rows = per_task * QUERY_BLOCK;
        let tasks = self.queries.rows().div_ceil(block_rows).max(1);
        let column_chunks = if tasks >= 2 * threads || threads == 1 {
            1
        } else {
            (2 * threads).div_ceil(tasks).min(self.tiles()).max(1)
        };
        Plan {
            block_rows,
            column_chunks,
        }
    }

    /// Streams the screen values of `query_rows` x the columns of `tiles` into `consumer`, tile by
    /// tile in ascending order (within a tile, each query sees its columns in ascending order).
    /// Returns early, the consumer incomplete, once the sweep's cancellation token is set.
    pub fn run<C: TileConsumer>(
        &self,
        query_rows: Range<usize>,
        tiles: Range<usize>,
        consumer: &mut C,
    ) {
        debug_assert_eq!(query_rows.start % QUERY_BLOCK, 0);
        if self.cancel.is_cancelled() {
            return;
        }
        let rows = query_rows.len() as u64;
        let mut task = match self.engine {
            Engine::F32 => TaskScreen::F32(F32Task::new(self, query_rows)),
            Engine::Int8Portable | Engine::Int8Vnni => {
                TaskScreen::Int8(Int8Task::new(self, query_rows))
            }
        };
        for tile in tiles {
            if self.cancel.is_cancelled() {
                return;
            }
            match &mut task {
                TaskScreen::F32(t) => t.tile(self, tile, consumer),
                TaskScreen::Int8(t) => t.tile(self, tile, consumer),
            }
            self.cancel
                .advance(rows * self.tile_columns(&(tile..tile + 1)).len() as u64);
        }
    }

    /// Per-query terms of a task's queries for this sweep's screen.
    fn query_terms(&self, rows: Range<usize>, residuals: Option<&[f64]>) -> QueryTerms {
        let d = self.queries.cols();
        let mut terms = QueryTerms::with_capacity(rows.len());
        for (k, i) in rows.enumerate() {
            let (norm, squared) = (self.query_norms[i], self.query_squared[i]);
            let screen = match residuals {
                None => Screen::F32,
                Some(r) => Screen::Int8 { residual: r[k] },
            };
            terms.push(self.metric, self.gamma, d, screen, norm, squared);
        }
        terms
    }
}

/// `column_norms` of `n` rows, in parallel.
fn row_norms<'r>(n: usize, row: impl Fn(usize) -> &'r [f32] + Sync) -> (Vec<f32>, Vec<f32>) {
    (0..n).into_par_iter().map(|i| column_norms(row(i))).unzip()
}

/// The first zero squared norm, where the metric is cosine.
fn first_zero(metric: Metric, squared: &[f32]) -> Option<usize> {
    (metric == Metric::Cosine)
        .then(|| squared.iter().position(|&s| s == 0.0))
        .flatten()
}

enum TaskScreen {
    F32(F32Task),
    Int8(Int8Task),
}

/// The float32 screen of one task.
struct F32Task {
    query_rows: Range<usize>,
    terms: QueryTerms,
    gathered: Vec<f32>,
    scores: Vec<f32>,
}

impl F32Task {
    fn new(sweep: &Sweep<'_>, query_rows: Range<usize>) -> Self {
        F32Task {
            terms: sweep.query_terms(query_rows.clone(), None),
            query_rows,
            gathered: Vec::new(),
            scores: vec![0.0; COLUMN_TILE * QUERY_BLOCK],
        }
    }

    fn tile<C: TileConsumer>(&mut self, sweep: &Sweep<'_>, tile: usize, consumer: &mut C) {
        let d = sweep.queries.cols();
        let columns = sweep.tile_columns(&(tile..tile + 1));
        let rows = &sweep.columns[columns.clone()];
        let tile_data = tile_rows(sweep.base, rows, &mut self.gathered);
        let terms = &sweep.f32_terms;
        for block_start in self.query_rows.clone().step_by(QUERY_BLOCK) {
            if sweep.cancel.is_cancelled() {
                return;
            }
            let block_end = (block_start + QUERY_BLOCK).min(self.query_rows.end);
            let width = block_end - block_start;
            let block = &sweep.queries.data()[block_start * d..block_end * d];
            let out = &mut self.scores[..rows.len() * width];
            transposed_product(tile_data, rows.len(), block, width, d, out);
            consume(
                consumer,
                &TileView {
                    first_column: columns.start,
                    columns: rows.len(),
                    query_offset: block_start - self.query_rows.start,
                    width,
                    stride: width,
                    values: out,
                    scale: &terms.scale[columns.clone()],
                    add: &terms.add[columns.clone()],
                    e1: &terms.e1[columns.clone()],
                    e2: &terms.e2[columns.clone()],
                    queries: &self.terms,
                },
            );
        }
    }
}

/// The int8 screen of one task: its queries quantised and packed once, each tile per call.
struct Int8Task {
    vnni: bool,
    rows: usize,
    terms: QueryTerms,
    /// `groups x QUERY_GROUP x dp` bytes, `pack_query_group` layout.
    packed_queries: Vec<u8>,
    /// Per query (padded to whole groups): the quantisation step.
    steps: Vec<f32>,
    codes: Vec<i8>,
    packed_tile: Vec<i8>,
    code_sums: Vec<i32>,
    tile_terms: ColumnTerms,
}

impl Int8Task {
    fn new(sweep: &Sweep<'_>, query_rows: Range<usize>) -> Self {
        let d = sweep.queries.cols();
        let dp = padded(d);
        let rows = query_rows.len();
        let groups = rows.div_ceil(QUERY_GROUP);
        let mut packed_queries = vec![0u8; groups * QUERY_GROUP * dp];
        let mut steps = vec![0.0f32; groups * QUERY_GROUP];
        let mut residuals = vec![0.0f64; rows];
        let mut codes = vec![0i8; QUERY_GROUP * d];
        for g in 0..groups {
            let members = (rows - g * QUERY_GROUP).min(QUERY_GROUP);
            for k in 0..members {
                let r = g * QUERY_GROUP + k;
                let q = quantize_row(
                    sweep.queries.row(query_rows.start + r),
                    &mut codes[k * d..(k + 1) * d],
                );
                steps[r] = q.step;
                residuals[r] = q.residual;
            }
            pack_query_group(
                &codes[..members * d],
                d,
                &mut packed_queries[g * QUERY_GROUP * dp..(g + 1) * QUERY_GROUP * dp],
            );
        }
        Int8Task {
            vnni: sweep.engine == Engine::Int8Vnni,
            rows,
            terms: sweep.query_terms(query_rows, Some(&residuals)),
            packed_queries,
            steps,
            codes: vec![0; d],
            packed_tile: vec![0; COLUMN_TILE.div_ceil(PANEL) * PANEL * dp],
            code_sums: vec![0; COLUMN_TILE.div_ceil(PANEL) * PANEL],
            tile_terms: ColumnTerms::with_capacity(COLUMN_TILE),
        }
    }

    fn tile<C: TileConsumer>(&mut self, sweep: &Sweep<'_>, tile: usize, consumer: &mut C) {
        let columns = sweep.tile_columns(&(tile..tile + 1));
        #[cfg(target_arch = "x86_64")]
        if self.vnni {
            // SAFETY: the VNNI engine is only chosen on CPUs with AVX-512F and AVX-512BW.
            unsafe { self.quantize_tile_avx512(sweep, columns.clone()) };
        } else {
            self.quantize_tile(sweep, columns.clone());
        }
        #[cfg(not(target_arch = "x86_64"))]
        self.quantize_tile(sweep, columns.clone());
        let (dp, count) = (padded(sweep.base.cols()), columns.len());
        let tile = Int8Tile {
            first_column: columns.start,
            count,
            dp,
            rows: self.rows,
            packed_queries: &self.packed_queries,
            steps: &self.steps,
            packed_tile: &self.packed_tile,
            code_sums: &self.code_sums,
            terms: &self.tile_terms,
            queries: &self.terms,
            cancel: sweep.cancel,
        };
        #[cfg(target_arch = "x86_64")]
        if let (true, Some(lanes)) = (self.vnni, Avx512::detect()) {
            // SAFETY: the VNNI engine is only chosen when `vnni_available()`.
            return unsafe { tile.run_vnni(consumer, lanes) };
        }
        tile.run_portable(consumer)
    }
}

impl Int8Task {
    /// Quantises the tile's rows straight into the packed panels, with their column terms.
    #[inline(always)]
    fn quantize_tile(&mut self, sweep: &Sweep<'_>, columns: Range<usize>) {
        let d = sweep.base.cols();
        let panel_bytes = PANEL * padded(d);
        self.tile_terms.clear();
        self.code_sums.fill(0);
        let panels = columns.len().div_ceil(PANEL);
        self.packed_tile[..panels * panel_bytes].fill(0);
        let row_codes = &mut self.codes[..d];
        for (p, position) in columns.enumerate() {
            let row = sweep.base.row(sweep.columns[position] as usize);
            let q = quantize_row(row, row_codes);
            let panel = &mut self.packed_tile[(p / PANEL) * panel_bytes..][..panel_bytes];
            pack_column(row_codes, p % PANEL, panel);
            self.code_sums[p] = q.code_sum;
            self.tile_terms.push_int8(
                sweep.metric,
                sweep.gamma,
                &q,
                sweep.norms[position],
                sweep.squared[position],
            );
        }
    }

    /// # Safety
    /// The CPU must support AVX-512F and AVX-512BW.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw")]
    unsafe fn quantize_tile_avx512(&mut self, sweep: &Sweep<'_>, columns: Range<usize>) {
        self.quantize_tile(sweep, columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lanes::Lanes;
    use crate::testutil::{embeddings, Rng};

    /// Counts the views it is given and sets the token during view number `cancel_at`.
    struct CancelAt<'c> {
        cancel: &'c Cancel,
        cancel_at: usize,
        views: usize,
    }

    impl TileConsumer for CancelAt<'_> {
        fn begin_view(&mut self, _tile: &TileView<'_>) {
            self.views += 1;
            if self.views == self.cancel_at {
                self.cancel.cancel();
            }
        }

        fn reach<S: Lanes>(&self, _lanes: S, _position: usize, _at: usize, _h: S::V) -> u16 {
            0
        }

        fn event(&mut self, _tile: &TileView<'_>, _position: usize, _r: usize, _h: f32) {}

        fn merge(self, _other: Self) -> Self {
            self
        }
    }

    #[test]
    fn a_cancelled_sweep_stops_at_its_next_block() {
        let (q, n, d) = (2 * QUERY_BLOCK, 3 * COLUMN_TILE, 16);
        let mut rng = Rng::new(11);
        let (queries, base) = (embeddings(&mut rng, q, d), embeddings(&mut rng, n, d));
        let (qm, bm) = (
            Matrix::new("queries", &queries[..], q, d).unwrap(),
            Matrix::new("base", &base[..], n, d).unwrap(),
        );
        let columns: Vec<u32> = (0..n as u32).collect();
        // Views one block of queries (float32) or query group (int8) hands over between checks.
        let panels_per_tile = COLUMN_TILE.div_ceil(PANEL);
        for (kernel, views_per_check) in [
            (Kernel::Exact, 1),
            (Kernel::ScreenedPortable, panels_per_tile),
        ] {
            let views = |cancel: &Cancel, cancel_at: usize| {
                let sweep =
                    Sweep::new(qm, bm, Metric::Cosine, columns.clone(), kernel, cancel).unwrap();
                let mut consumer = CancelAt {
                    cancel,
                    cancel_at,
                    views: 0,
                };
                sweep.run(0..q, 0..sweep.tiles(), &mut consumer);
                consumer.views
            };
            let all = views(&Cancel::new(), usize::MAX);
            assert!(all > 4 * views_per_check, "{kernel:?}: {all} views");
            let set = Cancel::new();
            set.cancel();
            assert_eq!(views(&set, usize::MAX), 0, "{kernel:?}: a token set before");
            for cancel_at in [1, 3, all / 2] {
                let got = views(&Cancel::new(), cancel_at);
                assert!(
                    got >= cancel_at && got < cancel_at + views_per_check,
                    "{kernel:?}: cancelled at view {cancel_at} of {all}, stopped after {got}"
                );
            }
        }
    }
}
