//! What a search folds the sweep's views into: the `TileConsumer` trait, its one 16-lane scan
//! (`scan_view`) and the runtime dispatch that compiles it for the CPU's widest vector unit.
//!
//! A consumer says, per column and 16 queries, which lanes need a look (`reach`, usually one
//! `Lanes::reach_mask` against its bars) and what a look does (`event`, a canonical score and an
//! update of its per-query state). The scan is generic over the consumer and the lane backend, so
//! every search gets its own monomorphised inner loop: no dynamic call per element.

#[cfg(target_arch = "x86_64")]
use crate::lanes::Avx512;
use crate::lanes::{Lanes, Portable, LANES};
use crate::tile::TileView;

/// The per-task state of a search: folds views into per-query state, and merges with the state of
/// the same queries over a disjoint column range.
pub trait TileConsumer: Sized {
    /// Called once per view before its columns (for per-view set-up).
    #[inline(always)]
    fn begin_view(&mut self, _tile: &TileView<'_>) {}

    /// Bit `l` set where the bound `h` of column `position` may matter to query `at + l`
    /// (task-relative). Lanes outside the view are masked off by the caller.
    fn reach<S: Lanes>(&self, lanes: S, position: usize, at: usize, h: S::V) -> u16;

    /// Query `r` (task-relative) passed a bar at column `position` with bound `h`.
    fn event(&mut self, tile: &TileView<'_>, position: usize, r: usize, h: f32);

    /// The state of two disjoint column ranges of the same queries, as one (an associative
    /// choice, so any merge order gives one answer).
    fn merge(self, other: Self) -> Self;
}

/// Column by column (the view's values are contiguous per column), 16 queries at a time: the
/// bounds, the consumer's mask (branch-free; most columns reach no query's bar), then an event
/// per set lane, in ascending query order.
#[inline(always)]
pub fn scan_view<C: TileConsumer, S: Lanes>(consumer: &mut C, lanes: S, tile: &TileView<'_>) {
    consumer.begin_view(tile);
    for p in 0..tile.columns {
        let position = tile.first_column + p;
        for start in (0..tile.width).step_by(LANES) {
            let at = tile.query_offset + start;
            let valid = tile.valid_lanes(start);
            let terms = lanes.query_terms(tile, start);
            let h = lanes.upper_bounds(tile, p, start, terms);
            let mut mask = consumer.reach(lanes, position, at, h) & valid;
            while mask != 0 {
                let l = mask.trailing_zeros() as usize;
                mask &= mask - 1;
                consumer.event(tile, position, at + l, lanes.lane(h, l));
            }
        }
    }
}

/// Scans the view compiled for AVX-512 (or AVX2) when the CPU has it (runtime dispatch keeps the
/// wheel portable to any x86-64).
pub fn consume<C: TileConsumer>(consumer: &mut C, tile: &TileView<'_>) {
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
    scan_view(consumer, Portable, tile)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn consume_avx512<C: TileConsumer>(consumer: &mut C, lanes: Avx512, tile: &TileView<'_>) {
    scan_view(consumer, lanes, tile)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn consume_avx2<C: TileConsumer>(consumer: &mut C, tile: &TileView<'_>) {
    scan_view(consumer, Portable, tile)
}
