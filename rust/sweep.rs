//! The blocked sweep shared by every search: queries x (a sorted set of base rows) in fixed tiles.
//!
//! For each tile of `COLUMN_TILE` base rows (gathered into one contiguous buffer once per query
//! block) and each `QUERY_BLOCK` queries, one GEMM computes the dot products *transposed*
//! (`tile_rows x queries`), so that a consumer can fold a base row into its per-query state with
//! contiguous, vectorised passes. Consumers apply the per-base-row transform of `metric.rs`
//! (`raw * scale + offset`) as they read each score, which saves a separate pass over the tile. Memory is one gathered tile plus one score tile per task, whatever n and q are.
//!
//! Reproducibility: the tile grid is fixed (query blocks start at multiples of `QUERY_BLOCK`, column
//! tiles at multiples of `COLUMN_TILE`), so every score is computed by the same operations whatever
//! the thread count, and consumers break ties by base index: results are bit-identical for any
//! number of threads.

use std::ops::Range;

use crate::matrix::Matrix;
use crate::metric::{squared_norm, Metric};

/// Queries per GEMM block.
pub const QUERY_BLOCK: usize = 512;
/// Base rows per tile.
pub const COLUMN_TILE: usize = 1024;
/// At most this many query blocks share one gathered tile (amortises the gather).
const MAX_BLOCKS_PER_TASK: usize = 8;

/// One tile of raw dot products handed to a consumer, with the transform of its rows.
pub struct TileView<'t> {
    /// Position (in the sweep's column list) of the tile's first row.
    pub first_column: usize,
    /// Offset of the tile's first query within the task's query range.
    pub query_offset: usize,
    /// Number of queries in the tile; `values` has `width` entries per column.
    pub width: usize,
    /// `columns x width`, row-major: row `p` is column `first_column + p` against each query.
    pub values: &'t [f32],
    /// Per row `p`: the score is `values[p * width + i] * scale[p] + offset[p]`.
    pub scale: &'t [f32],
    pub offset: &'t [f32],
}

/// Folds score tiles into per-query state. `consume_portable` should be `#[inline(always)]` so
/// that `consume` can compile it for the CPU's widest vector unit.
pub trait TileConsumer {
    fn consume_portable(&mut self, tile: &TileView<'_>);
}

/// Calls the consumer compiled for AVX-512 or AVX2 when the CPU has them (runtime dispatch keeps the
/// wheel portable to any x86-64).
pub fn consume<C: TileConsumer>(consumer: &mut C, tile: &TileView<'_>) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            return unsafe { consume_avx512(consumer, tile) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { consume_avx2(consumer, tile) };
        }
    }
    consumer.consume_portable(tile)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn consume_avx512<C: TileConsumer>(consumer: &mut C, tile: &TileView<'_>) {
    consumer.consume_portable(tile)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn consume_avx2<C: TileConsumer>(consumer: &mut C, tile: &TileView<'_>) {
    consumer.consume_portable(tile)
}

/// How the work is split into parallel tasks. Only the split changes with the thread count; the
/// tile grid never does.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Queries per task (a multiple of `QUERY_BLOCK`).
    pub block_rows: usize,
    /// Number of column chunks each query block is split into (1 unless queries are few).
    pub column_chunks: usize,
}

/// The searched base rows, with the per-row score transform.
pub struct Sweep<'a> {
    queries: Matrix<'a, f32>,
    base: Matrix<'a, f32>,
    metric: Metric,
    /// Base rows searched, ascending.
    columns: Vec<u32>,
    scale: Vec<f32>,
    offset: Vec<f32>,
    /// Euclidean norms of the searched rows (for exact cosine scores).
    norms: Vec<f32>,
}

impl<'a> Sweep<'a> {
    /// `columns` must be ascending base-row indices. Returns the first base row with a zero norm
    /// under cosine as `Err(row)`.
    pub fn new(
        queries: Matrix<'a, f32>,
        base: Matrix<'a, f32>,
        metric: Metric,
        columns: Vec<u32>,
    ) -> Result<Self, usize> {
        use rayon::prelude::*;
        let squared: Vec<f32> = columns
            .par_iter()
            .map(|&row| squared_norm(base.row(row as usize)))
            .collect();
        if metric == Metric::Cosine {
            if let Some(p) = squared.iter().position(|&s| s == 0.0) {
                return Err(columns[p] as usize);
            }
        }
        let (scale, offset) = squared.iter().map(|&s| metric.column_transform(s)).unzip();
        let norms = squared.iter().map(|s| s.sqrt()).collect();
        Ok(Sweep {
            queries,
            base,
            metric,
            columns,
            scale,
            offset,
            norms,
        })
    }

    pub fn columns(&self) -> &[u32] {
        &self.columns
    }

    pub fn queries(&self) -> Matrix<'a, f32> {
        self.queries
    }

    pub fn base(&self) -> Matrix<'a, f32> {
        self.base
    }

    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// Norm of the searched row at `position` in the column list.
    pub fn column_norm(&self, position: usize) -> f32 {
        self.norms[position]
    }

    pub fn tiles(&self) -> usize {
        self.columns.len().div_ceil(COLUMN_TILE)
    }

    /// The tiles of column chunk `chunk` out of `chunks`.
    pub fn chunk_tiles(&self, chunk: usize, chunks: usize) -> Range<usize> {
        let tiles = self.tiles();
        (tiles * chunk / chunks)..(tiles * (chunk + 1) / chunks)
    }

    /// Splits the queries over `threads`: equal tasks, few enough to amortise the tile gathers.
    pub fn plan(&self, threads: usize) -> Plan {
        let query_blocks = self.queries.rows().div_ceil(QUERY_BLOCK).max(1);
        // A whole number of rounds of `threads` equal tasks (no straggler round), each task at
        // most MAX_BLOCKS_PER_TASK blocks: balance and gather amortisation together.
        let rounds = query_blocks.div_ceil(threads * MAX_BLOCKS_PER_TASK);
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

    /// Streams the score tiles of `query_rows` x the columns of `tiles` into `consumer`, in
    /// ascending column order.
    pub fn run<C: TileConsumer>(
        &self,
        query_rows: Range<usize>,
        tiles: Range<usize>,
        consumer: &mut C,
    ) {
        debug_assert_eq!(query_rows.start % QUERY_BLOCK, 0);
        let d = self.queries.cols();
        let mut gathered: Vec<f32> = Vec::new();
        let mut scores = vec![0.0f32; COLUMN_TILE * QUERY_BLOCK];
        for tile in tiles {
            let first = tile * COLUMN_TILE;
            let rows = &self.columns[first..(first + COLUMN_TILE).min(self.columns.len())];
            let tile_data = self.tile_rows(rows, &mut gathered);
            for block_start in query_rows.clone().step_by(QUERY_BLOCK) {
                let block_end = (block_start + QUERY_BLOCK).min(query_rows.end);
                let width = block_end - block_start;
                let block = &self.queries.data()[block_start * d..block_end * d];
                let out = &mut scores[..rows.len() * width];
                transposed_product(tile_data, rows.len(), block, width, d, out);
                consume(
                    consumer,
                    &TileView {
                        first_column: first,
                        query_offset: block_start - query_rows.start,
                        width,
                        values: out,
                        scale: &self.scale[first..first + rows.len()],
                        offset: &self.offset[first..first + rows.len()],
                    },
                );
            }
        }
    }

    /// The tile's rows as one contiguous slice: borrowed when they are consecutive, else gathered.
    fn tile_rows<'s>(&'s self, rows: &[u32], gathered: &'s mut Vec<f32>) -> &'s [f32] {
        let d = self.base.cols();
        let (first, last) = (rows[0] as usize, rows[rows.len() - 1] as usize);
        if last - first + 1 == rows.len() {
            return &self.base.data()[first * d..(last + 1) * d];
        }
        gathered.clear();
        for &row in rows {
            gathered.extend_from_slice(self.base.row(row as usize));
        }
        gathered
    }
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
