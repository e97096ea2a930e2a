//! The int8 screen's inner loop: one quantised tile against all query groups of a task, micro-tile
//! by micro-tile (`PANEL` rows x `QUERY_GROUP` queries, in L1), each handed to the consumer.

use crate::bounds::{ColumnTerms, QueryTerms};
use crate::cancel::Cancel;
use crate::consumer::{scan_view, TileConsumer};
use crate::kernel_int8::{self, MicroTile};
#[cfg(target_arch = "x86_64")]
use crate::lanes::Avx512;
use crate::lanes::{Lanes, Portable};
use crate::quantize::{PANEL, QUERY_GROUP};
use crate::tile::TileView;

/// One quantised tile against all query groups of a task.
pub(crate) struct Int8Tile<'t> {
    pub first_column: usize,
    pub count: usize,
    pub dp: usize,
    pub rows: usize,
    pub packed_queries: &'t [u8],
    pub steps: &'t [f32],
    pub packed_tile: &'t [i8],
    pub code_sums: &'t [i32],
    pub terms: &'t ColumnTerms,
    pub queries: &'t QueryTerms,
    pub cancel: &'t Cancel,
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
                scan_view(
                    consumer,
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

    pub(crate) fn run_portable<C: TileConsumer>(&self, consumer: &mut C) {
        let dp = self.dp;
        self.run(consumer, Portable, |q, b, sums, steps, out| {
            kernel_int8::micro_tile_portable(q, b, dp, sums, steps, out)
        })
    }

    /// # Safety
    /// The CPU must support AVX-512F, AVX-512BW and AVX-512 VNNI.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(crate) unsafe fn run_vnni<C: TileConsumer>(&self, consumer: &mut C, lanes: Avx512) {
        let dp = self.dp;
        self.run(consumer, lanes, |q, b, sums, steps, out| {
            // SAFETY: this function only runs on CPUs with the required features.
            unsafe { kernel_int8::micro_tile_vnni(q, b, dp, sums, steps, out) }
        })
    }
}
