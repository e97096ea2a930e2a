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
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoreError::Shape(msg) | CoreError::Value(msg) => f.write_str(msg),
            CoreError::Cancelled => f.write_str("cancelled"),
        }
    }
}

impl std::error::Error for CoreError {}

pub type CoreResult<T> = Result<T, CoreError>;
