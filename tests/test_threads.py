"""The core releases the GIL while it works, and survives fork()."""

from __future__ import annotations

import multiprocessing
import threading

import numpy as np

import liger

rng = np.random.default_rng(0)
X = rng.standard_normal((6000, 128)).astype(np.float32)
L = np.where(rng.random((6000, 4)) < 0.5, rng.integers(0, 2, (6000, 4)), -1)


def _search_in_child(_):
    scores, indices = liger.nearest_support(X[:100], X, L)
    return indices.tolist()


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


def test_forked_child_can_search():
    # The parent's thread pool exists before the fork; the child must build its own, not hang.
    expected = liger.nearest_support(X[:100], X, L)[1].tolist()
    with multiprocessing.get_context("fork").Pool(1) as pool:
        result = pool.map_async(_search_in_child, [0]).get(timeout=120)
    assert result[0] == expected
