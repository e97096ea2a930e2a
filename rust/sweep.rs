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

use std::ops::Range;

use crate::bounds::{gamma, ColumnTerms, QueryTerms, Screen};
use crate::cancel::Cancel;
use crate::error::{CoreError, CoreResult};
use crate::kernel_int8::{self, MicroTile, MAX_DIM};
#[cfg(target_arch = "x86_64")]
use crate::lanes::Avx512;
use crate::lanes::{Lanes, Portable, LANES};
use crate::matrix::Matrix;
use crate::metric::{column_norms, Metric};
use crate::quantize::{pack_column, pack_query_group, padded, quantize_row, PANEL, QUERY_GROUP};

/// Queries per float32 GEMM block.
pub const QUERY_BLOCK: usize = 512;
/// Base rows per tile.
pub const COLUMN_TILE: usize = 1024;
/// At most this many query blocks share one gathered tile (amortises the gather).
const MAX_BLOCKS_PER_TASK: usize = 8;
/// The same for the int8 screen, whose tiles cost a quantisation (its per-task state is small).
const MAX_BLOCKS_PER_INT8_TASK: usize = 32;
/// `Kernel::Auto` screens in int8 from this dimension on (below it the quantisation error is large
/// relative to the work saved).
const AUTO_INT8_MIN_DIM: usize = 16;

/// Which screen a search uses (the results are the same for all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// Int8 with AVX-512 VNNI where the CPU has it, else float32.
    Auto,
    /// Float32 GEMM screen.
    Exact,
    /// Int8 screen (the portable kernel where the CPU lacks AVX-512 VNNI).
    Screened,
    /// Int8 screen with the portable kernel (tests compare it with the VNNI one).
    ScreenedPortable,
}

/// The screen a sweep runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    F32,
    Int8Portable,
    Int8Vnni,
}

impl Kernel {
    pub fn parse(name: &str) -> CoreResult<Kernel> {
        match name {
            "auto" => Ok(Kernel::Auto),
            "exact" => Ok(Kernel::Exact),
            "screened" => Ok(Kernel::Screened),
            other => Err(CoreError::Value(format!(
                "kernel: expected one of 'auto', 'exact', 'screened', got {other:?}"
            ))),
        }
    }

    /// The engine for dimension `d` on this CPU. Int8 needs `d <= MAX_DIM` (i32 accumulators).
    pub fn engine(self, d: usize) -> Engine {
        let vnni = kernel_int8::vnni_available();
        match self {
            _ if d > MAX_DIM => Engine::F32,
            Kernel::Exact => Engine::F32,
            Kernel::Auto if vnni && d >= AUTO_INT8_MIN_DIM => Engine::Int8Vnni,
            Kernel::Auto => Engine::F32,
            Kernel::Screened if vnni => Engine::Int8Vnni,
            Kernel::Screened | Kernel::ScreenedPortable => Engine::Int8Portable,
        }
    }
}

/// Screen values of some columns x some queries of a task, with what turns them into bounds.
pub struct TileView<'t> {
    /// Position (in the sweep's column list) of the view's first column.
    pub first_column: usize,
    /// Number of columns in the view.
    pub columns: usize,
    /// Offset of the view's first query within the task's query range.
    pub query_offset: usize,
    /// Number of queries in the view.
    pub width: usize,
    /// Column `p`, query `i` is `values[p * stride + i]`.
    pub stride: usize,
    pub values: &'t [f32],
    /// Per column of the view (`bounds::ColumnTerms`).
    pub scale: &'t [f32],
    pub add: &'t [f32],
    pub e1: &'t [f32],
    pub e2: &'t [f32],
    /// The task's per-query terms (index `query_offset + i`).
    pub queries: &'t QueryTerms,
}

impl TileView<'_> {
    /// Bit `l` set for the lanes of `start..start + LANES` inside the view.
    #[inline(always)]
    pub fn valid_lanes(&self, start: usize) -> u16 {
        let n = (self.width - start).min(LANES);
        if n == LANES {
            u16::MAX
        } else {
            (1u16 << n) - 1
        }
    }
}

/// Folds views into per-query state, with the 16-lane operations of backend `S` (`lanes.rs`).
/// `consume` should be `#[inline(always)]` so that the engines compile it for the CPU's widest
/// vector unit.
pub trait TileConsumer {
    fn consume<S: Lanes>(&mut self, lanes: S, tile: &TileView<'_>);
}

/// Calls the consumer compiled for AVX-512 (or AVX2) when the CPU has it (runtime dispatch keeps
/// the wheel portable to any x86-64).
fn consume<C: TileConsumer>(consumer: &mut C, tile: &TileView<'_>) {
    #[cfg(target_arch = "x86_64")]
    {
        if let Some(avx512) = Avx512::detect() {
            // SAFETY: the token proves the CPU supports AVX-512F.
            return unsafe { consume_avx512(consumer, avx512, tile) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { consume_avx2(consumer, tile) };
        }
    }
    consumer.consume(Portable, tile)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn consume_avx512<C: TileConsumer>(consumer: &mut C, lanes: Avx512, tile: &TileView<'_>) {
    consumer.consume(lanes, tile)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn consume_avx2<C: TileConsumer>(consumer: &mut C, tile: &TileView<'_>) {
    consumer.consume(Portable, tile)
}

/// How the work is split into parallel tasks. Only the split changes with the thread count.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Queries per task (a multiple of `QUERY_BLOCK`).
    pub block_rows: usize,
    /// Number of column chunks each query block is split into (1 unless queries are few).
    pub column_chunks: usize,
}

/// The searched base rows, their norms, and the screen.
pub struct Sweep<'a> {
    queries: Matrix<'a, f32>,
    base: Matrix<'a, f32>,
    metric: Metric,
    /// Base rows searched, ascending.
    columns: Vec<u32>,
    /// `column_norms` of the searched rows.
    norms: Vec<f32>,
    squared: Vec<f32>,
    engine: Engine,
    gamma: f64,
    /// The float32 screen's column terms (empty for int8 engines, which make them per tile).
    f32_terms: ColumnTerms,
    cancel: &'a Cancel,
}

impl<'a> Sweep<'a> {
    /// `columns` must be ascending base-row indices. Returns the first base row with a zero norm
    /// under cosine as `Err(row)`. `run` stops early once `cancel` is set.
    pub fn new(
        queries: Matrix<'a, f32>,
        base: Matrix<'a, f32>,
        metric: Metric,
        columns: Vec<u32>,
        kernel: Kernel,
        cancel: &'a Cancel,
    ) -> Result<Self, usize> {
        use rayon::prelude::*;
        let (norms, squared): (Vec<f32>, Vec<f32>) = columns
            .par_iter()
            .map(|&row| column_norms(base.row(row as usize)))
            .unzip();
        if metric == Metric::Cosine {
            if let Some(p) = squared.iter().position(|&s| s == 0.0) {
                return Err(columns[p] as usize);
            }
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
        Ok(Sweep {
            queries,
            base,
            metric,
            columns,
            norms,
            squared,
            engine,
            gamma,
            f32_terms,
            cancel,
        })
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
    pub fn canonical(&self, query: usize, query_norm: f32, position: usize) -> f32 {
        self.metric.canonical_score(
            self.queries.row(query),
            self.base.row(self.columns[position] as usize),
            query_norm,
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
        }
    }

    /// Per-query terms of a task's queries for this sweep's screen.
    fn query_terms(&self, rows: Range<usize>, residuals: Option<&[f64]>) -> QueryTerms {
        let d = self.queries.cols();
        let mut terms = QueryTerms::with_capacity(rows.len());
        for (k, i) in rows.enumerate() {
            let (norm, squared) = column_norms(self.queries.row(i));
            let screen = match residuals {
                None => Screen::F32,
                Some(r) => Screen::Int8 { residual: r[k] },
            };
            terms.push(self.metric, self.gamma, d, screen, norm, squared);
        }
        terms
    }
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
                q.step,
                q.residual,
                q.quantised,
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

/// One quantised tile against all query groups of a task.
struct Int8Tile<'t> {
    first_column: usize,
    count: usize,
    dp: usize,
    rows: usize,
    packed_queries: &'t [u8],
    steps: &'t [f32],
    packed_tile: &'t [i8],
    code_sums: &'t [i32],
    terms: &'t ColumnTerms,
    queries: &'t QueryTerms,
    cancel: &'t Cancel,
}

impl Int8Tile<'_> {
    /// Query group by query group (each stays in L1), panel by panel: micro-kernel, then the
    /// consumer on the micro-tile.
    #[inline(always)]
    fn run<C: TileConsumer, S: Lanes>(
        &self,
        consumer: &mut C,
        lanes: S,
        kernel: impl Fn(&[u8], &[i8], &[i32; PANEL], &[f32; QUERY_GROUP], &mut MicroTile),
    ) {
        let dp = self.dp;
        let mut micro: MicroTile = [0.0; PANEL * QUERY_GROUP];
        for g in 0..self.rows.div_ceil(QUERY_GROUP) {
            if self.cancel.is_cancelled() {
                return;
            }
            let queries = &self.packed_queries[g * QUERY_GROUP * dp..(g + 1) * QUERY_GROUP * dp];
            let steps: &[f32; QUERY_GROUP] = self.steps[g * QUERY_GROUP..(g + 1) * QUERY_GROUP]
                .try_into()
                .expect("whole query groups");
            let width = (self.rows - g * QUERY_GROUP).min(QUERY_GROUP);
            for panel in 0..self.count.div_ceil(PANEL) {
                let sums: &[i32; PANEL] = self.code_sums[panel * PANEL..(panel + 1) * PANEL]
                    .try_into()
                    .expect("whole panels");
                let packed = &self.packed_tile[panel * PANEL * dp..(panel + 1) * PANEL * dp];
                kernel(queries, packed, sums, steps, &mut micro);
                let first = panel * PANEL;
                let columns = (self.count - first).min(PANEL);
                consumer.consume(
                    lanes,
                    &TileView {
                        first_column: self.first_column + first,
                        columns,
                        query_offset: g * QUERY_GROUP,
                        width,
                        stride: QUERY_GROUP,
                        values: &micro,
                        scale: &self.terms.scale[first..first + columns],
                        add: &self.terms.add[first..first + columns],
                        e1: &self.terms.e1[first..first + columns],
                        e2: &self.terms.e2[first..first + columns],
                        queries: self.queries,
                    },
                );
            }
        }
    }

    fn run_portable<C: TileConsumer>(&self, consumer: &mut C) {
        let dp = self.dp;
        self.run(consumer, Portable, |q, b, sums, steps, out| {
            kernel_int8::micro_tile_portable(q, b, dp, sums, steps, out)
        })
    }

    /// # Safety
    /// The CPU must support AVX-512F, AVX-512BW and AVX-512 VNNI.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn run_vnni<C: TileConsumer>(&self, consumer: &mut C, lanes: Avx512) {
        let dp = self.dp;
        self.run(consumer, lanes, |q, b, sums, steps, out| {
            // SAFETY: this function only runs on CPUs with the required features.
            unsafe { kernel_int8::micro_tile_vnni(q, b, dp, sums, steps, out) }
        })
    }
}

/// The tile's rows as one contiguous slice: borrowed when they are consecutive, else gathered.
fn tile_rows<'s>(base: Matrix<'s, f32>, rows: &[u32], gathered: &'s mut Vec<f32>) -> &'s [f32] {
    let d = base.cols();
    let (first, last) = (rows[0] as usize, rows[rows.len() - 1] as usize);
    if last - first + 1 == rows.len() {
        return &base.data()[first * d..(last + 1) * d];
    }
    gathered.clear();
    for &row in rows {
        gathered.extend_from_slice(base.row(row as usize));
    }
    gathered
}

/// `out (rows x width) = tile (rows x d) * block (width x d)^T`, both inputs row-major.
fn transposed_product(
    tile: &[f32],
    rows: usize,
    block: &[f32],
    width: usize,
    d: usize,
    out: &mut [f32],
) {
    assert!(tile.len() >= rows * d && block.len() >= width * d && out.len() >= rows * width);
    // SAFETY: the pointers and strides describe in-bounds matrices (checked above); `out` does not
    // alias the inputs, and beta = 0 means it is written, never read.
    unsafe {
        matrixmultiply::sgemm(
            rows,
            d,
            width,
            1.0,
            tile.as_ptr(),
            d as isize,
            1,
            block.as_ptr(),
            1,
            d as isize,
            0.0,
            out.as_mut_ptr(),
            width as isize,
            1,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{embeddings, Rng};

    /// Counts the views it is given and sets the token during view number `cancel_at`.
    struct CancelAt<'c> {
        cancel: &'c Cancel,
        cancel_at: usize,
        views: usize,
    }

    impl TileConsumer for CancelAt<'_> {
        fn consume<S: Lanes>(&mut self, _lanes: S, _tile: &TileView<'_>) {
            self.views += 1;
            if self.views == self.cancel_at {
                self.cancel.cancel();
            }
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
