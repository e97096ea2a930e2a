//! Int8 micro-kernels of the screened search: the dot products of one packed query group
//! (`QUERY_GROUP` queries, unsigned `code + 128`) with one packed panel (`PANEL` columns, signed
//! codes), in exact integer arithmetic, written as float32 `raw = (q~ . b~) / step_b`.
//!
//! `sum_k (q_k + 128) b_k = q . b + 128 sum_k b_k`, so subtracting `128 * code_sum` of the column
//! recovers the signed dot exactly (|q . b| <= 127 * 127 * d fits an i32 for d <= 65536).
//! Runtime dispatch picks AVX-512 VNNI (`vpdpbusd`: 64 byte products per instruction) when the CPU
//! has it; the portable kernel gives the same integers everywhere else.

use crate::quantize::{PANEL, QUERY_GROUP};

/// Largest dimension whose int8 dot products cannot overflow an i32 accumulator.
pub const MAX_DIM: usize = 65536;

/// One micro-tile of raw screen values: `[column][query]`.
pub type MicroTile = [f32; PANEL * QUERY_GROUP];

/// True when this CPU runs the AVX-512 VNNI kernel.
pub fn vnni_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Portable kernel: `queries` is one packed group, `panel` one packed panel, both with `dp / 4`
/// blocks of 4 bytes per query / column; `code_sums` and `steps` are per column / per query.
#[inline(always)]
pub fn micro_tile_portable(
    queries: &[u8],
    panel: &[i8],
    dp: usize,
    code_sums: &[i32; PANEL],
    steps: &[f32; QUERY_GROUP],
    out: &mut MicroTile,
) {
    let mut acc = [[0i32; QUERY_GROUP]; PANEL];
    for kq in 0..dp / 4 {
        let q = &queries[kq * QUERY_GROUP * 4..(kq + 1) * QUERY_GROUP * 4];
        let b = &panel[kq * PANEL * 4..(kq + 1) * PANEL * 4];
        for (c, acc_c) in acc.iter_mut().enumerate() {
            let bc = &b[c * 4..c * 4 + 4];
            for (i, a) in acc_c.iter_mut().enumerate() {
                let qi = &q[i * 4..i * 4 + 4];
                *a += (0..4).map(|l| qi[l] as i32 * bc[l] as i32).sum::<i32>();
            }
        }
    }
    for c in 0..PANEL {
        for i in 0..QUERY_GROUP {
            out[c * QUERY_GROUP + i] = (acc[c][i] - 128 * code_sums[c]) as f32 * steps[i];
        }
    }
}

/// The AVX-512 VNNI kernel: 24 accumulators (2 registers of 16 queries x 12 columns).
///
/// # Safety
/// The CPU must support AVX-512F, AVX-512BW and AVX-512 VNNI (`vnni_available`); `queries` must hold
/// `QUERY_GROUP * dp` bytes and `panel` `PANEL * dp` bytes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
#[inline]
pub unsafe fn micro_tile_vnni(
    queries: &[u8],
    panel: &[i8],
    dp: usize,
    code_sums: &[i32; PANEL],
    steps: &[f32; QUERY_GROUP],
    out: &mut MicroTile,
) {
    use std::arch::x86_64::*;
    assert!(queries.len() >= QUERY_GROUP * dp && panel.len() >= PANEL * dp);
    let (qp, bp) = (queries.as_ptr(), panel.as_ptr());
    let mut acc = [[_mm512_setzero_si512(); 2]; PANEL];
    for kq in 0..dp / 4 {
        // SAFETY: kq * 128 + 128 <= QUERY_GROUP * dp and kq * 48 + 48 <= PANEL * dp (asserted).
        let a0 = _mm512_loadu_si512(qp.add(kq * 128) as *const __m512i);
        let a1 = _mm512_loadu_si512(qp.add(kq * 128 + 64) as *const __m512i);
        let b = bp.add(kq * PANEL * 4) as *const i32;
        for (c, acc_c) in acc.iter_mut().enumerate() {
            let bc = _mm512_set1_epi32(b.add(c).read_unaligned());
            acc_c[0] = _mm512_dpbusd_epi32(acc_c[0], a0, bc);
            acc_c[1] = _mm512_dpbusd_epi32(acc_c[1], a1, bc);
        }
    }
    let s0 = _mm512_loadu_ps(steps.as_ptr());
    let s1 = _mm512_loadu_ps(steps.as_ptr().add(16));
    let o = out.as_mut_ptr();
    for (c, acc_c) in acc.iter().enumerate() {
        let correction = _mm512_set1_epi32(128 * code_sums[c]);
        let v0 = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc_c[0], correction));
        let v1 = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc_c[1], correction));
        // SAFETY: c * 32 + 32 <= PANEL * QUERY_GROUP.
        _mm512_storeu_ps(o.add(c * QUERY_GROUP), _mm512_mul_ps(v0, s0));
        _mm512_storeu_ps(o.add(c * QUERY_GROUP + 16), _mm512_mul_ps(v1, s1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quantize::{pack_panel, pack_query_group, padded};
    use crate::testutil::Rng;

    #[test]
    fn kernels_compute_exact_integer_dots() {
        let d = 37;
        let dp = padded(d);
        let mut rng = Rng::new(9);
        let code = |rng: &mut Rng| (rng.below(255) as i64 - 127) as i8;
        let q: Vec<i8> = (0..QUERY_GROUP * d).map(|_| code(&mut rng)).collect();
        let b: Vec<i8> = (0..PANEL * d).map(|_| code(&mut rng)).collect();
        let (mut qp, mut bp) = (vec![0u8; QUERY_GROUP * dp], vec![0i8; PANEL * dp]);
        pack_query_group(&q, d, &mut qp);
        pack_panel(&b, d, &mut bp);
        let mut sums = [0i32; PANEL];
        for c in 0..PANEL {
            sums[c] = b[c * d..(c + 1) * d].iter().map(|&x| x as i32).sum();
        }
        let steps = [1.0f32; QUERY_GROUP];
        let mut portable = [0.0; PANEL * QUERY_GROUP];
        micro_tile_portable(&qp, &bp, dp, &sums, &steps, &mut portable);
        for c in 0..PANEL {
            for i in 0..QUERY_GROUP {
                let exact: i32 = (0..d)
                    .map(|k| q[i * d + k] as i32 * b[c * d + k] as i32)
                    .sum();
                assert_eq!(portable[c * QUERY_GROUP + i], exact as f32);
            }
        }
        #[cfg(target_arch = "x86_64")]
        if vnni_available() {
            let mut fast = [0.0; PANEL * QUERY_GROUP];
            // SAFETY: checked by vnni_available; buffer sizes match.
            unsafe { micro_tile_vnni(&qp, &bp, dp, &sums, &steps, &mut fast) };
            assert_eq!(fast, portable);
        }
    }
}
