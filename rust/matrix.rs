//! A borrowed, row-major, C-contiguous matrix: the only array type the algorithms see.

use crate::error::{CoreError, CoreResult};

#[derive(Debug, Clone, Copy)]
pub struct Matrix<'a, T> {
    data: &'a [T],
    rows: usize,
    cols: usize,
}

impl<'a, T> Matrix<'a, T> {
    /// Wraps `data` as a `rows x cols` matrix; `name` is used in the error message.
    pub fn new(name: &str, data: &'a [T], rows: usize, cols: usize) -> CoreResult<Self> {
        match rows.checked_mul(cols) {
            Some(len) if len == data.len() => Ok(Matrix { data, rows, cols }),
            _ => Err(CoreError::Shape(format!(
                "{name}: expected {rows} x {cols} = {} values, got {}",
                rows.saturating_mul(cols),
                data.len()
            ))),
        }
    }

    #[inline]
    pub fn rows(&self) -> usize {
        self.rows
    }

    #[inline]
    pub fn cols(&self) -> usize {
        self.cols
    }

    #[inline]
    pub fn data(&self) -> &'a [T] {
        self.data
    }

    #[inline]
    pub fn row(&self, i: usize) -> &'a [T] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
}
