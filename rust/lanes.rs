//! The consumers' hot path over 16 queries at a time: the screen's upper bounds `h` of one column
//! and their comparison with 16 bars, as a bitmask. AVX-512 has one instruction for each step
//! (masked loads, FMA, compare into a mask register); the portable version is plain float32.
//!
//! A backend is a zero-sized token; `Avx512` can only be obtained on a CPU that has AVX-512F, so
//! its safe methods may use the instructions. Consumers are generic over the backend and compiled
//! inside a `#[target_feature]` function for the AVX-512 one, where these helpers inline.

use crate::tile::TileView;

/// Queries per comparison.
pub const LANES: usize = 16;

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

/// The 16-lane operations a consumer needs.
pub trait Lanes: Copy {
    /// Bounds of 16 queries.
    type V: Copy;
    /// The per-query terms of 16 queries (loaded once, used for every column).
    type Q: Copy;
    /// The terms of the view's queries `start..start + LANES`.
    fn query_terms(self, tile: &TileView<'_>, start: usize) -> Self::Q;
    /// `h` of column `p` against the view's queries `start..start + LANES` with their `terms`
    /// (lanes past the view's width hold unspecified values: mask them with
    /// `TileView::valid_lanes`).
    fn upper_bounds(self, tile: &TileView<'_>, p: usize, start: usize, terms: Self::Q) -> Self::V;
    /// Bit `l` set where `h[l]` is not below `bar[l]` (NaN is not below: it must be looked at).
    /// `bar` must hold at least `LANES` values.
    fn reach_mask(self, h: Self::V, bar: &[f32]) -> u16;
    /// Lane `l` of `h`.
    fn lane(self, h: Self::V, l: usize) -> f32;
}

/// Plain float32 code (any CPU).
#[derive(Debug, Clone, Copy)]
pub struct Portable;

impl Lanes for Portable {
    type V = [f32; LANES];
    type Q = ([f32; LANES], [f32; LANES]);

    #[inline(always)]
    fn query_terms(self, tile: &TileView<'_>, start: usize) -> Self::Q {
        let at = tile.query_offset + start;
        let n = (tile.width - start).min(LANES);
        let (mut k1, mut k2) = ([0.0; LANES], [0.0; LANES]);
        k1[..n].copy_from_slice(&tile.queries.k1[at..at + n]);
        k2[..n].copy_from_slice(&tile.queries.k2[at..at + n]);
        (k1, k2)
    }

    #[inline(always)]
    fn upper_bounds(self, tile: &TileView<'_>, p: usize, start: usize, terms: Self::Q) -> Self::V {
        let (scale, add, e1, e2) = (tile.scale[p], tile.add[p], tile.e1[p], tile.e2[p]);
        let raw_at = p * tile.stride + start;
        let mut h = [f32::NAN; LANES];
        for (l, h) in h.iter_mut().enumerate().take(tile.width - start) {
            *h = tile.values[raw_at + l] * scale + add + terms.0[l] * e1 + terms.1[l] * e2;
        }
        h
    }

    #[inline(always)]
    fn reach_mask(self, h: [f32; LANES], bar: &[f32]) -> u16 {
        let mut mask = 0u16;
        for (l, (&h, &b)) in h.iter().zip(&bar[..LANES]).enumerate() {
            // Not `h >= b`: a NaN bound must be looked at.
            let reaches = h.partial_cmp(&b) != Some(std::cmp::Ordering::Less);
            mask |= u16::from(reaches) << l;
        }
        mask
    }

    #[inline(always)]
    fn lane(self, h: [f32; LANES], l: usize) -> f32 {
        h[l]
    }
}

/// AVX-512F instructions; only constructible where the CPU has them.
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone, Copy)]
pub struct Avx512(());

#[cfg(target_arch = "x86_64")]
impl Avx512 {
    /// The token, if this CPU supports AVX-512F.
    pub fn detect() -> Option<Self> {
        std::arch::is_x86_feature_detected!("avx512f").then_some(Avx512(()))
    }
}

#[cfg(target_arch = "x86_64")]
impl Lanes for Avx512 {
    type V = std::arch::x86_64::__m512;
    type Q = (std::arch::x86_64::__m512, std::arch::x86_64::__m512);

    // The intrinsics are written inline (not in a `#[target_feature]` helper, which LLVM may
    // decline to inline): these methods inline into consumers compiled with AVX-512, and the
    // intrinsics with them.
    #[inline(always)]
    fn query_terms(self, tile: &TileView<'_>, start: usize) -> Self::Q {
        use std::arch::x86_64::*;
        let at = tile.query_offset + start;
        let n = (tile.width - start).min(LANES);
        let (k1, k2) = (&tile.queries.k1[at..at + n], &tile.queries.k2[at..at + n]);
        let valid = tile.valid_lanes(start);
        // SAFETY: the token proves AVX-512F; the masked loads touch only the `n` checked lanes.
        unsafe {
            (
                _mm512_maskz_loadu_ps(valid, k1.as_ptr()),
                _mm512_maskz_loadu_ps(valid, k2.as_ptr()),
            )
        }
    }

    #[inline(always)]
    fn upper_bounds(self, tile: &TileView<'_>, p: usize, start: usize, terms: Self::Q) -> Self::V {
        use std::arch::x86_64::*;
        let raw_at = p * tile.stride + start;
        let n = (tile.width - start).min(LANES);
        // Bounds check of the lanes the masked load may touch.
        let raw = &tile.values[raw_at..raw_at + n];
        // SAFETY: the token proves AVX-512F; the masked load touches only the `n` checked lanes.
        unsafe {
            let r = _mm512_maskz_loadu_ps(tile.valid_lanes(start), raw.as_ptr());
            let h = _mm512_fmadd_ps(
                r,
                _mm512_set1_ps(tile.scale[p]),
                _mm512_set1_ps(tile.add[p]),
            );
            let h = _mm512_fmadd_ps(terms.0, _mm512_set1_ps(tile.e1[p]), h);
            _mm512_fmadd_ps(terms.1, _mm512_set1_ps(tile.e2[p]), h)
        }
    }

    #[inline(always)]
    fn reach_mask(self, h: Self::V, bar: &[f32]) -> u16 {
        use std::arch::x86_64::*;
        let bar = &bar[..LANES];
        // SAFETY: the token proves AVX-512F; `bar` holds 16 values (checked by the slice).
        unsafe { _mm512_cmp_ps_mask::<_CMP_NLT_UQ>(h, _mm512_loadu_ps(bar.as_ptr())) }
    }

    #[inline(always)]
    fn lane(self, h: Self::V, l: usize) -> f32 {
        // SAFETY: `__m512` and `[f32; 16]` have the same size; any bit pattern is a float.
        let lanes: [f32; LANES] = unsafe { std::mem::transmute(h) };
        lanes[l]
    }
}
