//! Cooperative cancellation of a long call: a flag that one thread sets and the workers read at
//! coarse points (per tile of a sweep, per block of queries, per chunk of rows). A cancelled call
//! stops early and returns `CoreError::Cancelled`, never a partial result.
//!
//! The Python layer sets the flag when the interpreter has a pending signal (Ctrl-C); a pure-Rust
//! caller passes `Cancel::never()` (or its own token) and sees no difference in the results.
//!
//! The token also carries the call's progress: the sweeps add the work they will do (`add_total`,
//! in query x column pairs) and count what they did (`advance`, once per tile); the Python layer
//! reads both (`progress`) while it polls for signals. Counting never changes a result.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::error::{CoreError, CoreResult};

/// A cancellation token, shared by reference with every worker of one call.
#[derive(Debug, Default)]
pub struct Cancel {
    cancelled: AtomicBool,
    done: AtomicU64,
    total: AtomicU64,
}

/// The token of calls that are never cancelled.
static NEVER: Cancel = Cancel::new();

impl Cancel {
    pub const fn new() -> Self {
        Cancel {
            cancelled: AtomicBool::new(false),
            done: AtomicU64::new(0),
            total: AtomicU64::new(0),
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

    /// Adds `units` to the work this call will do (a sweep, when it starts).
    pub fn add_total(&self, units: u64) {
        self.total.fetch_add(units, Ordering::Relaxed);
    }

    /// Counts `units` of work done (a sweep, per tile). Relaxed: a progress report may lag.
    #[inline]
    pub fn advance(&self, units: u64) {
        self.done.fetch_add(units, Ordering::Relaxed);
    }

    /// `(done, total)` so far: `done` never decreases; `total` grows when another sweep starts.
    pub fn progress(&self) -> (u64, u64) {
        let total = self.total.load(Ordering::Relaxed);
        let done = self.done.load(Ordering::Relaxed);
        (done, total.max(done))
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

    #[test]
    fn progress_adds_up() {
        let token = Cancel::new();
        assert_eq!(token.progress(), (0, 0));
        token.add_total(10);
        token.advance(3);
        token.advance(4);
        assert_eq!(token.progress(), (7, 10));
        token.add_total(5);
        assert_eq!(token.progress(), (7, 15));
    }
}
