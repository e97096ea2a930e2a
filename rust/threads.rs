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

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use rayon::{ThreadPool, ThreadPoolBuilder};

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

/// Runs `work` inside a pool of `threads` workers.
pub fn run_in_pool<R: Send>(threads: usize, work: impl FnOnce() -> R + Send) -> R {
    let pool = pool_of_size(threads.max(1));
    pool.install(work)
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
    fn pools_of_another_process_are_never_reused() {
        let mut pools = Vec::new();
        let parent = cached_pool(&mut pools, u32::MAX, 2);
        let child = cached_pool(&mut pools, std::process::id(), 2);
        assert!(!Arc::ptr_eq(&parent, &child));
        assert_eq!(pools.len(), 1);
    }
}
