//! Errors of the core. The Python layer validates first and raises precise `ValueError`s; these
//! are the second line of defence, so the core never panics on bad input.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoreError {
    /// An argument has the wrong shape or length.
    Shape(String),
    /// An argument holds a value outside its domain (a vote < -1, an index out of range, ...).
    Value(String),
    /// The call was cancelled (`cancel.rs`) before it finished; it produced no result.
    Cancelled,
    /// A buffer of `bytes` bytes (`what`: the output it holds) could not be allocated. (In
    /// `u128`: a size computed from the shapes may not fit a `usize`.)
    OutOfMemory { what: String, bytes: u128 },
}

impl CoreError {
    /// `OutOfMemory` for `count` values of `T` (an output named by `what`).
    pub fn out_of_memory<T>(what: impl Into<String>, count: u128) -> CoreError {
        CoreError::OutOfMemory {
            what: what.into(),
            bytes: count.saturating_mul(std::mem::size_of::<T>() as u128),
        }
    }
}

/// A vector of `count` values of `T`, or `CoreError::OutOfMemory` (naming `what`) where it cannot
/// be allocated, instead of the abort of a failed infallible allocation.
pub fn try_vec<T: Clone>(what: &str, count: usize, value: T) -> CoreResult<Vec<T>> {
    let mut v = Vec::new();
    try_grow(&mut v, count, what)?;
    v.resize(count, value);
    Ok(v)
}

/// Reserves room for `additional` more values in `v` (exactly), or `CoreError::OutOfMemory`
/// naming `what` and the bytes of the whole buffer asked for.
pub fn try_grow<T>(v: &mut Vec<T>, additional: usize, what: &str) -> CoreResult<()> {
    v.try_reserve_exact(additional)
        .map_err(|_| CoreError::out_of_memory::<T>(what, v.len() as u128 + additional as u128))
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoreError::Shape(msg) | CoreError::Value(msg) => f.write_str(msg),
            CoreError::Cancelled => f.write_str("cancelled"),
            CoreError::OutOfMemory { what, bytes } => {
                write!(f, "{what}: out of memory allocating {bytes} bytes")
            }
        }
    }
}

impl std::error::Error for CoreError {}

pub type CoreResult<T> = Result<T, CoreError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_allocation_too_large_is_an_error_naming_its_bytes() {
        // More than the address space (a capacity overflow), and more than any machine's memory.
        for count in [usize::MAX / 4, 1 << 58] {
            let err = try_vec("knn: the output", count, 0u64).unwrap_err();
            let bytes = count as u128 * 8;
            assert_eq!(
                err,
                CoreError::OutOfMemory {
                    what: "knn: the output".into(),
                    bytes
                }
            );
            assert_eq!(
                err.to_string(),
                format!("knn: the output: out of memory allocating {bytes} bytes")
            );
        }
        assert_eq!(try_vec("small", 3, 7i32).unwrap(), vec![7, 7, 7]);
        let mut v = vec![1u8];
        try_grow(&mut v, 10, "v").unwrap();
        assert!(v.capacity() >= 11);
    }
}
