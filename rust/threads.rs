//! The rayon thread pools the kernels run in.
//!
//! Pools are built lazily, one per requested size, and reused (a few sizes are cached, so Python
//! threads asking for different `n_jobs` do not rebuild a pool on every call). Two hazards come
//! with `fork()`:
//! - a pool does not survive it (its worker threads stay behind in the parent), so every cached
//!   pool remembers the process id it was built in and a forked child builds its own instead of
//!   waiting forever on threads that do not exist;
//! - the cache lock may be copied into the child *locked*, if another thread of the parent held it
//!   at the moment of the fork, and no thread of the child will ever release it. The lock records
//!   the process of its holder; a child that finds it taken by its parent does not wait but uses
//!   an uncached pool of its own.
//!
//! `run_watched` runs a call on a pool worker while the calling thread watches it (the Python
//! layer polls for Ctrl-C there) and can cancel it; it returns only once the call has finished, so
//! no worker is left running and nothing the call borrows outlives it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::Duration;

use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::cancel::Cancel;

/// Distinct pool sizes kept at once; the least recently used one is dropped beyond that.
const CACHED_SIZES: usize = 4;

struct CachedPool {
    pid: u32,
    threads: usize,
    pool: Arc<ThreadPool>,
}

/// Most recently used last.
static POOLS: Mutex<Vec<CachedPool>> = Mutex::new(Vec::new());
/// The process whose thread took `POOLS` last (0 before the first use).
static POOLS_HOLDER_PID: AtomicU32 = AtomicU32::new(0);

/// The number of threads `n_jobs` asks for: `None`/0 or -1 = every available core, `k > 0` = k,
/// `-k` = all cores but `k - 1` (the joblib / scikit-learn convention), never fewer than one.
pub fn resolve_threads(n_jobs: Option<i64>) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as i64;
    let wanted = match n_jobs {
        None | Some(0) => cores,
        Some(k) if k > 0 => k,
        Some(k) => cores + 1 + k,
    };
    wanted.max(1) as usize
}

/// Runs `work` inside a pool of `threads` workers (in place when this thread already is a worker
/// of such a pool, as in a call started by `run_watched`).
pub fn run_in_pool<R: Send>(threads: usize, work: impl FnOnce() -> R + Send) -> R {
    let threads = threads.max(1);
    if rayon::current_thread_index().is_some() && rayon::current_num_threads() == threads {
        return work();
    }
    pool_of_size(threads).install(work)
}

/// A call started by `run_watched`, as its watcher sees it.
pub struct Watched<'a> {
    cancel: &'a Cancel,
    finished: &'a Finished,
}

impl Watched<'_> {
    /// Blocks until the call has finished or `timeout` has passed; true if it has finished.
    pub fn wait(&self, timeout: Duration) -> bool {
        self.finished.wait(timeout)
    }

    /// Blocks until the call has finished.
    pub fn wait_until_finished(&self) {
        while !self.finished.wait(Duration::from_secs(3600)) {}
    }

    /// The call's `(done, total)` work so far (`Cancel::progress`).
    pub fn progress(&self) -> (u64, u64) {
        self.cancel.progress()
    }

    /// Asks the call to stop early (it then returns `CoreError::Cancelled`, or its result when it
    /// was already done).
    pub fn cancel(&self) {
        self.cancel.cancel();
    }
}

/// Set once by the worker when the call returns or unwinds.
#[derive(Default)]
struct Finished {
    done: Mutex<bool>,
    changed: Condvar,
}

impl Finished {
    fn wait(&self, timeout: Duration) -> bool {
        let done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        let (done, _) = self
            .changed
            .wait_timeout_while(done, timeout, |done| !*done)
            .unwrap_or_else(PoisonError::into_inner);
        *done
    }
}

/// Marks the call finished when dropped: after it returns and when it panics.
struct FinishOnDrop<'a>(&'a Finished);

impl Drop for FinishOnDrop<'_> {
    fn drop(&mut self) {
        *self.0.done.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.0.changed.notify_all();
    }
}

/// Runs `work` on a worker of the pool of `threads` threads while this thread runs `watch`, which
/// waits for it (`Watched::wait`) and may cancel it. `work`'s result, or `watch`'s error.
///
/// Returns only after `work` has finished, whatever `watch` does (rayon's scope joins it): a
/// cancelled call never keeps running in the background, and whatever `work` borrows stays
/// borrowed until it is done. A panic in `work` resumes here.
pub fn run_watched<R: Send, E>(
    threads: usize,
    work: impl FnOnce(&Cancel) -> R + Send,
    watch: impl FnOnce(&Watched<'_>) -> Result<(), E>,
) -> Result<R, E> {
    let cancel = Cancel::new();
    let finished = Finished::default();
    let result = Mutex::new(None);
    let watched = pool_of_size(threads.max(1)).in_place_scope(|scope| {
        scope.spawn(|_| {
            let _finish = FinishOnDrop(&finished);
            let value = work(&cancel);
            *result.lock().unwrap_or_else(PoisonError::into_inner) = Some(value);
        });
        watch(&Watched {
            cancel: &cancel,
            finished: &finished,
        })
    });
    watched?;
    let value = result.into_inner().unwrap_or_else(PoisonError::into_inner);
    Ok(value.expect("the scope joined the call, and a panic in it resumed in the scope"))
}

/// The cache, or None when its lock is held by a thread of the parent this process was forked
/// from (a lock that will never be released here).
fn lock_pools(pid: u32) -> Option<MutexGuard<'static, Vec<CachedPool>>> {
    let guard = match POOLS.try_lock() {
        Ok(guard) => guard,
        // A poisoned lock only means another call panicked while holding it; the cache is valid.
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => {
            if POOLS_HOLDER_PID.load(Ordering::Acquire) != pid {
                // Taken by the parent before a fork (or by a thread of ours that has not yet
                // recorded its pid: then an uncached pool is merely wasted work, never wrong).
                return None;
            }
            POOLS
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        }
    };
    POOLS_HOLDER_PID.store(pid, Ordering::Release);
    Some(guard)
}

fn pool_of_size(threads: usize) -> Arc<ThreadPool> {
    let pid = std::process::id();
    match lock_pools(pid) {
        Some(mut pools) => cached_pool(&mut pools, pid, threads),
        None => build_pool(threads),
    }
}

/// The pool of `threads` workers from `pools` (built and cached if missing; most recently used
/// last, the least recently used dropped beyond `CACHED_SIZES`).
fn cached_pool(pools: &mut Vec<CachedPool>, pid: u32, threads: usize) -> Arc<ThreadPool> {
    if pools.iter().any(|entry| entry.pid != pid) {
        // Built before a fork: dropping them would try to talk to threads that are not here.
        for stale in pools.drain(..) {
            std::mem::forget(stale);
        }
    }
    if let Some(at) = pools.iter().position(|entry| entry.threads == threads) {
        let entry = pools.remove(at);
        let pool = Arc::clone(&entry.pool);
        pools.push(entry);
        return pool;
    }
    if pools.len() == CACHED_SIZES {
        pools.remove(0);
    }
    let pool = build_pool(threads);
    pools.push(CachedPool {
        pid,
        threads,
        pool: Arc::clone(&pool),
    });
    pool
}

fn build_pool(threads: usize) -> Arc<ThreadPool> {
    Arc::new(
        ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(move |i| format!("liger{threads}-{i}"))
            .build()
            .expect("building a rayon thread pool failed"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_follows_joblib_convention() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(resolve_threads(None), cores);
        assert_eq!(resolve_threads(Some(-1)), cores);
        assert_eq!(resolve_threads(Some(3)), 3);
        assert_eq!(resolve_threads(Some(-1000)), 1);
    }

    #[test]
    fn pool_runs_work_with_requested_size() {
        assert_eq!(run_in_pool(3, rayon::current_num_threads), 3);
        assert_eq!(run_in_pool(1, rayon::current_num_threads), 1);
    }

    #[test]
    fn pools_of_several_sizes_are_cached_least_recently_used_dropped() {
        let mut pools = Vec::new();
        let pid = std::process::id();
        let a = cached_pool(&mut pools, pid, 2);
        let b = cached_pool(&mut pools, pid, 5);
        assert!(Arc::ptr_eq(&a, &cached_pool(&mut pools, pid, 2)));
        assert!(Arc::ptr_eq(&b, &cached_pool(&mut pools, pid, 5)));
        for size in 6..6 + CACHED_SIZES {
            cached_pool(&mut pools, pid, size);
        }
        assert_eq!(pools.len(), CACHED_SIZES);
        assert!(pools
            .iter()
            .all(|entry| entry.threads != 2 && entry.threads != 5));
    }

    #[test]
    fn watched_work_returns_its_result_on_a_pool_worker() {
        let got = run_watched(
            2,
            |cancel| {
                assert!(!cancel.is_cancelled());
                (
                    rayon::current_thread_index().is_some(),
                    rayon::current_num_threads(),
                )
            },
            |call| {
                call.wait_until_finished();
                Ok::<(), ()>(())
            },
        );
        assert_eq!(got, Ok((true, 2)));
    }

    #[test]
    fn a_cancelling_watcher_returns_its_error_after_the_work_stopped() {
        use std::sync::atomic::AtomicBool;
        let stopped = AtomicBool::new(false);
        let got: Result<(), &str> = run_watched(
            2,
            |cancel| {
                while !cancel.is_cancelled() {
                    std::thread::sleep(Duration::from_millis(1));
                }
                std::thread::sleep(Duration::from_millis(50));
                stopped.store(true, Ordering::SeqCst);
            },
            |call| {
                assert!(!call.wait(Duration::from_millis(20)));
                call.cancel();
                Err("interrupted")
            },
        );
        assert_eq!(got, Err("interrupted"));
        // The scope joined the work before returning, even though the watcher did not wait.
        assert!(stopped.load(Ordering::SeqCst));
    }

    #[test]
    fn a_panic_in_watched_work_resumes_in_the_caller() {
        let got = std::panic::catch_unwind(|| {
            run_watched(
                1,
                |_| -> u8 { panic!("boom") },
                |call| {
                    call.wait_until_finished();
                    Ok::<(), ()>(())
                },
            )
        });
        assert!(got.is_err());
        // The pool still works.
        assert_eq!(run_in_pool(1, || 7), 7);
    }

    #[test]
    fn pools_of_another_process_are_never_reused() {
        let mut pools = Vec::new();
        let parent = cached_pool(&mut pools, u32::MAX, 2);
        let child = cached_pool(&mut pools, std::process::id(), 2);
        assert!(!Arc::ptr_eq(&parent, &child));
        assert_eq!(pools.len(), 1);
    }
}
