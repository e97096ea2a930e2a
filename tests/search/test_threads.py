"""Threads: the GIL is released, results are identical for every thread count (``n_jobs`` or
``LIGER_NUM_THREADS``), the variable bounds the pool, Python threads may call liger at once, and
fork children (multiprocessing "fork", ``os.fork``) of a parent that used liger complete.

Every wait has a timeout, so a deadlock fails a test instead of hanging the suite.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import traceback
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import liger
from liger._checks.validation import resolve_n_jobs

from ..helpers.reliability import blob_problem

rng = np.random.default_rng(0)
X = rng.standard_normal((6000, 128)).astype(np.float32)
L = np.where(rng.random((6000, 4)) < 0.5, rng.integers(0, 2, (6000, 4)), -1)

# A small problem for end-to-end calls; Liger is fitted once, in the parent, before any fork.
(L_TRAIN, X_TRAIN, _), (L_DEV, X_DEV, Y_DEV), (L_TEST, X_TEST, _) = blob_problem(seed=3, K=3)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    MODEL = liger.Liger(n_partitions=2, end_model="logreg", random_state=0, n_jobs=1).fit(
        L_TRAIN, X_TRAIN, L_DEV, X_DEV, Y_DEV
    )

CHILD_TIMEOUT = 60.0


def _search_in_child(_):
    scores, indices = liger.nearest_support(X[:100], X, L)
    return indices.tolist()


def _everything(n_jobs=None):
    """Outputs of the threaded entry points on fixed inputs, as one comparable tuple."""
    queries = X_TEST
    return (
        *liger.nearest_support(queries, X_TRAIN, L_TRAIN, n_jobs=n_jobs),
        *liger.nearest_support(queries, X_TRAIN, L_TRAIN, metric="euclidean", n_jobs=n_jobs),
        *liger.knn_graph(X_TRAIN, 7, n_jobs=n_jobs),
        *liger.knn_graph(X_TRAIN, 3, queries=queries, metric="ip", n_jobs=n_jobs),
        liger.extend(L_TEST, X_TEST, L_TRAIN, X_TRAIN, 0.3, n_jobs=n_jobs),
        MODEL.set_params(n_jobs=n_jobs).predict_proba(L_TEST, X_TEST, source="label_model"),
        MODEL.predict_proba(L_TEST, X_TEST),
    )


def _assert_identical(got, expected):
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()


@pytest.fixture(scope="module")
def single_threaded():
    result = _everything(n_jobs=1)
    MODEL.set_params(n_jobs=1)
    return result


# ------------------------------------------------------------------ GIL


def test_gil_is_released_during_the_search():
    done = threading.Event()

    def work():
        for _ in range(3):
            liger.nearest_support(X, X, L)
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    ticks = 0
    while not done.is_set():  # Python code keeps running while the kernel works
        ticks += 1
    worker.join()
    assert ticks > 1000


# ------------------------------------------------------------------ thread counts


@pytest.mark.parametrize(
    ("n_jobs", "env"),
    [(1, None), (2, None), (3, None), (8, None), (-1, None), (None, "1"), (None, "3"), (None, "8")],
)
def test_results_are_identical_for_any_thread_count(n_jobs, env, single_threaded, monkeypatch):
    if env is not None:
        monkeypatch.setenv("LIGER_NUM_THREADS", env)
    try:
        _assert_identical(_everything(n_jobs), single_threaded)
    finally:
        MODEL.set_params(n_jobs=1)


def test_env_variable_sets_the_default_thread_count(monkeypatch):
    monkeypatch.delenv("LIGER_NUM_THREADS", raising=False)
    cores = resolve_n_jobs(-1)
    assert resolve_n_jobs(None) == cores
    for value, expected in (("1", 1), ("3", 3), (" 5 ", 5), ("64", 64), ("", cores)):
        monkeypatch.setenv("LIGER_NUM_THREADS", value)
        assert resolve_n_jobs(None) == expected
    monkeypatch.setenv("LIGER_NUM_THREADS", "3")
    assert resolve_n_jobs(2) == 2 and resolve_n_jobs(-1) == cores, "an explicit n_jobs wins"


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "1e3", "+2", "\u0663", "3 threads"])
def test_bad_env_variable_is_a_clear_error(value, monkeypatch):
    monkeypatch.setenv("LIGER_NUM_THREADS", value)
    pattern = r"LIGER_NUM_THREADS: expected a positive integer .*n_jobs is None.*, got "
    with pytest.raises(ValueError, match=pattern):
        resolve_n_jobs(None)
    with pytest.raises(ValueError, match=pattern):
        liger.knn_graph(X[:50], 3)
    liger.knn_graph(X[:50], 3, n_jobs=2)  # not read when n_jobs is given


POOL_THREAD_NAMES = """
import glob, os, time
import numpy as np
import liger
X = np.random.default_rng(0).standard_normal((500, 8)).astype(np.float32)
liger.knn_graph(X, 5)
size = int(os.environ["LIGER_NUM_THREADS"])
expected = [f"liger{size}-{i}" for i in range(size)]
deadline = time.monotonic() + 20  # a worker names itself when it first runs: wait for that
while True:
    names = []
    for path in glob.glob(f"/proc/{os.getpid()}/task/*/comm"):
        try:
            names.append(open(path).read().strip())
        except OSError:  # the thread exited meanwhile
            pass
    names = sorted(name for name in names if name.startswith("liger"))
    if names == expected or time.monotonic() > deadline:
        break
    time.sleep(0.01)
print(",".join(names))
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")
@pytest.mark.parametrize("env", ["1", "3"])
def test_env_variable_bounds_the_worker_threads(env):
    """In a fresh process, the only pool the call builds has exactly LIGER_NUM_THREADS workers
    (pool threads are named ``liger{size}-{i}``)."""
    out = subprocess.run(
        [sys.executable, "-c", POOL_THREAD_NAMES],
        env={**os.environ, "LIGER_NUM_THREADS": env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.strip()
    assert out.split(",") == [f"liger{env}-{i}" for i in range(int(env))]


# ------------------------------------------------------------------ Python threads


def test_python_threads_calling_liger_at_once_are_correct():
    """Many Python threads, each with its own thread count (so the core keeps switching pools),
    call the searches and ``Liger.predict_proba`` of one shared fitted model at once."""
    base, queries, votes = X[:3000], X[3000:3600], L[:3000]
    model = MODEL  # its n_jobs is 1 here; the threads only read it

    def task(kind, n_jobs):
        if kind == "nearest_support":
            return liger.nearest_support(queries, base, votes, n_jobs=n_jobs)
        if kind == "knn_graph":
            return liger.knn_graph(base, 5, queries=queries, n_jobs=n_jobs)
        return (model.predict_proba(L_TEST, X_TEST), model.transform(L_TEST, X_TEST))

    kinds = ("nearest_support", "knn_graph", "predict_proba")
    expected = {kind: task(kind, 1) for kind in kinds}
    jobs = [(kind, n) for n in (None, 1, 2, 3) for kind in kinds] * 3
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [(kind, pool.submit(task, kind, n)) for kind, n in jobs]
        for kind, future in futures:
            _assert_identical(future.result(timeout=CHILD_TIMEOUT), expected[kind])


# ------------------------------------------------------------------ fork


def test_forked_child_can_search():
    # The parent's thread pool exists before the fork; the child must build its own, not hang.
    expected = liger.nearest_support(X[:100], X, L)[1].tolist()
    with multiprocessing.get_context("fork").Pool(1) as pool:
        result = pool.map_async(_search_in_child, [0]).get(timeout=120)
    assert result[0] == expected


def _child_work():
    """What a forked child does: the searches and the parent's fitted model."""
    return [array.tobytes() for array in _everything(n_jobs=2)]


def test_multiprocessing_fork_children_use_the_parents_model(single_threaded):
    liger.knn_graph(X_TRAIN, 3, n_jobs=2)  # the parent's pool is alive at fork time
    with multiprocessing.get_context("fork").Pool(2) as pool:
        results = pool.starmap_async(_child_work, [()] * 3).get(timeout=CHILD_TIMEOUT)
    MODEL.set_params(n_jobs=1)
    for result in results:
        assert result == [array.tobytes() for array in single_threaded]


def _fork_and_wait(work, tmp_path, timeout=CHILD_TIMEOUT):
    """Run ``work()`` in an ``os.fork`` child; its result, or a failure if the child crashes or
    does not finish within ``timeout`` seconds (it is then killed)."""
    out = tmp_path / f"child-{time.monotonic_ns()}.pickle"
    with warnings.catch_warnings():  # Python 3.12+ warns about fork() in a threaded process
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            try:
                payload = ("ok", work())
            except BaseException:
                payload = ("error", traceback.format_exc())
            with open(out, "wb") as handle:
                pickle.dump(payload, handle)
            code = 0
        finally:
            os._exit(code)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"the forked child did not finish within {timeout} s (deadlock?)")
        time.sleep(0.005)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"child status {status}"
    with open(out, "rb") as handle:
        kind, value = pickle.load(handle)
    assert kind == "ok", f"the child raised:\n{value}"
    return value


def test_os_fork_child_completes_after_the_parent_used_liger(single_threaded, tmp_path):
    _everything(n_jobs=3)  # the parent's pool (3 threads) exists at fork time
    MODEL.set_params(n_jobs=1)
    result = _fork_and_wait(_child_work, tmp_path)
    MODEL.set_params(n_jobs=1)
    assert result == [array.tobytes() for array in single_threaded]
    # The parent still works after its child ran.
    _assert_identical(_everything(n_jobs=3), single_threaded)
    MODEL.set_params(n_jobs=1)


def test_fork_while_another_thread_is_inside_liger(tmp_path):
    """Fork while another Python thread keeps calling liger with alternating thread counts (so
    the core is often building a pool when the fork happens); every child must finish."""
    small = X[:40, :4]
    stop = threading.Event()

    def busy():
        k = 0
        while not stop.is_set():
            liger.knn_graph(small, 1, n_jobs=48 + k % 2)
            k += 1

    worker = threading.Thread(target=busy, daemon=True)
    worker.start()
    try:
        time.sleep(0.05)
        for _ in range(12):
            indices = _fork_and_wait(lambda: liger.knn_graph(small, 1, n_jobs=2)[1], tmp_path, 3)
            np.testing.assert_array_equal(indices, liger.knn_graph(small, 1, n_jobs=1)[1])
    finally:
        stop.set()
        worker.join(timeout=CHILD_TIMEOUT)
