//! The rayon thread pool the kernels run in.
//!
//! One pool per requested size is built lazily and reused. A pool does not survive `fork()` (its
//! worker threads stay behind in the parent), so the pool remembers the process id it was built in
//! and a forked child builds its own instead of waiting forever on threads that do not exist.

use std::sync::{Arc, Mutex};

use rayon::{ThreadPool, ThreadPoolBuilder};

struct CachedPool {
    pid: u32,
    threads: usize,
    pool: Arc<ThreadPool>,
}

static POOL: Mutex<Option<CachedPool>> = Mutex::new(None);

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

fn pool_of_size(threads: usize) -> Arc<ThreadPool> {
    let pid = std::process::id();
    // A poisoned lock only means another call panicked while holding it; the cache is still valid.
    let mut cached = POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(entry) = cached.as_ref() {
        if entry.pid == pid && entry.threads == threads {
            return Arc::clone(&entry.pool);
        }
    }
    if let Some(stale) = cached.take() {
        if stale.pid != pid {
            // Built before a fork: dropping it would try to talk to threads that are not here.
            std::mem::forget(stale);
        }
    }
    let pool = Arc::new(
        ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("liger-{i}"))
            .build()
            .expect("building a rayon thread pool failed"),
    );
    *cached = Some(CachedPool {
        pid,
        threads,
        pool: Arc::clone(&pool),
    });
    pool
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
}
