//! Symmetric per-row int8 quantisation for the screened search, and the packed layouts the int8
//! micro-kernels read.
//!
//! A row `x` becomes `x~ = step * code` with `code` in [-127, 127] and `step = max|x_j| / 127`. The
//! screen's error bound needs, per row, the exact residual norm `|x - x~|` and `|x~|`; both are
//! computed in float64 from the codes actually chosen and rounded up, so the bound holds whatever
//! rounding produced the codes.

/// Quantisation of one row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantized {
    /// `x~ = step * code` exactly (the product of a small integer and a float32).
    pub step: f32,
    /// An upper bound of `|x - x~|` (Euclidean norm).
    pub residual: f64,
    /// An upper bound of `|x~|`.
    pub quantised: f64,
    /// `sum_j code_j` (the int8 kernels' unsigned-offset correction).
    pub code_sum: i32,
}

/// Rows whose largest magnitude is below this quantise to zero (their step would be subnormal).
const TINY: f32 = 1e-30;
/// Relative upward rounding of the float64 norms (their own error is about 1e-16).
const ROUND_UP: f64 = 1.0 + 1e-12;

/// Quantises `row` into `codes` (same length).
///
/// Written with explicit independent lanes (maxima, float64 residual sums, integer sums) so that
/// it vectorises; any summation order is fine here since the norms are rounded up generously.
#[inline(always)]
pub fn quantize_row(row: &[f32], codes: &mut [i8]) -> Quantized {
    const W: usize = 16;
    debug_assert_eq!(row.len(), codes.len());
    let mut lane_max = [0.0f32; W];
    for block in row.chunks(W) {
        for (m, &x) in lane_max.iter_mut().zip(block) {
            *m = m.max(x.abs());
        }
    }
    let max = lane_max.iter().fold(0.0f32, |m, &x| m.max(x));
    if max < TINY {
        codes.fill(0);
        let residual = row.iter().map(|&x| (x as f64).powi(2)).sum::<f64>().sqrt();
        return Quantized {
            step: 0.0,
            residual: residual * ROUND_UP,
            quantised: 0.0,
            code_sum: 0,
        };
    }
    let step = max / 127.0;
    let inverse = 127.0 / max;
    let (step64, mut residual, mut squares, mut sums) =
        (step as f64, [0.0f64; W], [0i32; W], [0i32; W]);
    for (block, out) in row.chunks(W).zip(codes.chunks_mut(W)) {
        for l in 0..block.len() {
            let x = block[l];
            // Round half away from zero without libm (any rounding is valid: the residual is
            // computed from the code actually chosen); the cast truncates and saturates.
            let y = x * inverse;
            let code = ((y + 0.5f32.copysign(y)) as i32).clamp(-127, 127);
            out[l] = code as i8;
            let r = x as f64 - code as f64 * step64;
            residual[l] += r * r;
            squares[l] += code * code; // <= 127^2 * 65536 / 16: no overflow
            sums[l] += code;
        }
    }
    let residual: f64 = residual.iter().sum();
    let squares: i64 = squares.iter().map(|&s| s as i64).sum();
    Quantized {
        step,
        residual: residual.sqrt() * ROUND_UP,
        quantised: step64 * (squares as f64).sqrt() * ROUND_UP,
        code_sum: sums.iter().sum(),
    }
}

/// Queries per packed group: two 512-bit registers of 16 queries x 4 bytes.
pub const QUERY_GROUP: usize = 32;
/// Columns per packed panel (the micro-kernel's register block).
pub const PANEL: usize = 12;

/// Bytes of one packed row: the dimension rounded up to a multiple of 4 (zero padded).
pub fn padded(d: usize) -> usize {
    d.div_ceil(4) * 4
}

/// Writes the codes of query `q` (of a group) as unsigned bytes `code + 128` into the group's
/// packed layout `[k / 4][query][k % 4]` (`out` holds `QUERY_GROUP * padded(d)` bytes; padding and
/// missing queries must already be 128, i.e. code 0).
#[inline(always)]
pub fn pack_query(codes: &[i8], q: usize, out: &mut [u8]) {
    for (kq, quad) in codes.chunks(4).enumerate() {
        let at = (kq * QUERY_GROUP + q) * 4;
        for (o, &c) in out[at..at + quad.len()].iter_mut().zip(quad) {
            *o = (c as u8) ^ 0x80; // c + 128 for c in [-128, 127]
        }
    }
}

/// Writes the codes of column `p` (of a panel) into the panel's packed layout
/// `[k / 4][column][k % 4]` (`out` holds `PANEL * padded(d)` bytes; padding and missing columns
/// must already be 0).
#[inline(always)]
pub fn pack_column(codes: &[i8], p: usize, out: &mut [i8]) {
    for (kq, quad) in codes.chunks(4).enumerate() {
        let at = (kq * PANEL + p) * 4;
        out[at..at + quad.len()].copy_from_slice(quad);
    }
}

/// Packs the codes of up to `QUERY_GROUP` queries (row-major, `d` each), see `pack_query`.
pub fn pack_query_group(codes: &[i8], d: usize, out: &mut [u8]) {
    debug_assert_eq!(out.len(), QUERY_GROUP * padded(d));
    out.fill(128);
    if d == 0 {
        return; // no codes (and `chunks_exact(0)` would panic)
    }
    for (q, row) in codes.chunks_exact(d).enumerate() {
        pack_query(row, q, out);
    }
}

/// Packs the codes of up to `PANEL` columns (row-major, `d` each), see `pack_column`.
pub fn pack_panel(codes: &[i8], d: usize, out: &mut [i8]) {
    debug_assert_eq!(out.len(), PANEL * padded(d));
    out.fill(0);
    if d == 0 {
        return; // no codes (and `chunks_exact(0)` would panic)
    }
    for (p, row) in codes.chunks_exact(d).enumerate() {
        pack_column(row, p, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantisation_residuals_are_upper_bounds() {
        let row = [0.3f32, -1.7, 2.0, 1e-3, 0.0, -2.0];
        let mut codes = [0i8; 6];
        let q = quantize_row(&row, &mut codes);
        assert_eq!(codes[2], 127);
        assert_eq!(codes[5], -127);
        let exact: f64 = row
            .iter()
            .zip(&codes)
            .map(|(&x, &c)| (x as f64 - c as f64 * q.step as f64).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!(q.residual >= exact && q.residual <= exact * 1.000001 + 1e-300);
        assert_eq!(q.code_sum, codes.iter().map(|&c| c as i32).sum::<i32>());
        let zero = quantize_row(&[0.0, 1e-35], &mut codes[..2]);
        assert_eq!((zero.step, codes[0], codes[1]), (0.0, 0, 0));
        assert!(zero.residual >= 1e-35);
    }

    #[test]
    fn packing_layouts() {
        let d = 5; // padded to 8
        let codes: Vec<i8> = (0..2 * d as i8).collect();
        let mut q = vec![0u8; QUERY_GROUP * 8];
        pack_query_group(&codes, d, &mut q);
        assert_eq!(q[0], 128); // query 0, k 0: code 0
        assert_eq!(q[4 + 1], 128 + 6); // query 1, k 1
        assert_eq!(q[QUERY_GROUP * 4], 128 + 4); // k 4 of query 0
        assert_eq!(q[QUERY_GROUP * 4 + 1], 128); // padding
        let mut p = vec![0i8; PANEL * 8];
        pack_panel(&codes, d, &mut p);
        assert_eq!(p[4 + 3], 8); // column 1, k 3
        assert_eq!(p[PANEL * 4 + 4], 9); // column 1, k 4
    }
}
