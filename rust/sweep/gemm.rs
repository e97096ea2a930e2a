//! The float32 screen's pieces: a tile's rows as one slice, and the transposed GEMM.

use crate::matrix::Matrix;

/// The tile's rows as one contiguous slice: borrowed when they are consecutive, else gathered.
pub(crate) fn tile_rows<'s>(
    base: Matrix<'s, f32>,
    rows: &[u32],
    gathered: &'s mut Vec<f32>,
) -> &'s [f32] {
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
pub(crate) fn transposed_product(
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
