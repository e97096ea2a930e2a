//! Cooperative cancellation of a long call: a flag that one thread sets and the workers read at
//! coarse points (per tile of a sweep, per block of queries, per chunk of rows). A cancelled call
//! stops early and returns `CoreError::Cancelled`, never a partial result.
//!
//! The Python layer sets the flag when the interpreter has a pending signal (Ctrl-C); a pure-Rust
//! caller passes `Cancel::never()` (or its own token) and sees no difference in the results.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{CoreError, CoreResult};

/// A cancellation token, shared by reference with every worker of one call.
#[derive(Debug, Default)]
pub struct Cancel {
    cancelled: AtomicBool,
}

/// The token of calls that are never cancelled.
static NEVER: Cancel = Cancel::new();

impl Cancel {
    pub const fn new() -> Self {
        Cancel {
            cancelled: AtomicBool::new(false),
        }
    }

    /// A token that nobody sets.
    pub fn never() -> &'static Cancel {
        &NEVER
    }

    /// Asks every worker reading this token to stop at its next check.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// One relaxed load: cheap enough for per-block checks. (Relaxed suffices: the flag carries no
    /// data, and the call's result is only read after its workers have joined.)
    #[inline]
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// `Err(CoreError::Cancelled)` once the token is set.
    #[inline]
    pub fn check(&self) -> CoreResult<()> {
        if self.is_cancelled() {
            Err(CoreError::Cancelled)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_stays_set_and_never_is_never_set() {
        let token = Cancel::new();
        assert_eq!(token.check(), Ok(()));
        token.cancel();
        assert!(token.is_cancelled());
        assert_eq!(token.check(), Err(CoreError::Cancelled));
        assert!(!Cancel::never().is_cancelled());
    }
}
