"""Out of memory in the core is a ``MemoryError`` naming the output's size, never an abort.

Each case runs in a subprocess whose address space is capped a little above what the interpreter
already uses (``resource.setrlimit(RLIMIT_AS)``), so that an output that does not fit fails
quickly and cheaply, and a regression (a Rust allocation failure aborts the process, a null NumPy
array panics) shows as that subprocess dying, not the test run.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import liger

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc/self/status are Linux's"
)

PRELUDE = """
import re, resource
import numpy as np
import liger

def cap(extra_gib):
    # Start the thread pool (and its allocator arenas) first, then allow `extra_gib` more.
    liger.knn_graph(np.eye(4, dtype=np.float32) + 1, 1, n_jobs=2)
    status = open("/proc/self/status").read()
    used = int(re.search(r"VmSize:\\s+(\\d+) kB", status).group(1)) * 1024
    limit = used + int(extra_gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
"""


def run_capped(code: str, timeout: float = 300) -> str:
    """Runs `code` after PRELUDE in a fresh interpreter; fails unless it exits cleanly."""
    proc = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, (
        f"exit status {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    )
    return proc.stdout


def test_a_knn_output_too_large_is_a_memory_error_naming_its_bytes():
    # 50k x 49999 scores (float32) and indices (int64): 29999400000 bytes, far over the cap. It
    # used to raise PanicException (a null NumPy array).
    out = run_capped(
        """
        X = np.random.default_rng(0).standard_normal((50_000, 4)).astype(np.float32)
        cap(1.0)
        try:
            liger.knn_graph(X, 49_999, n_jobs=2)
        except MemoryError as err:
            print("MemoryError:", err)
        else:
            print("no error")
        """
    )
    assert "MemoryError:" in out, out
    assert "29999400000 bytes" in out, out
    assert "50000 x 49999" in out, out


def test_a_radius_search_that_outgrows_memory_is_a_memory_error_or_a_result():
    # Every pair clears radius -1 under cosine: 144M pairs, about 1.2 GB of candidates and as much
    # again for the output, over a 1 GiB cap. It used to abort ("memory allocation of ... bytes
    # failed", SIGABRT).
    n = 12_000
    out = run_capped(
        f"""
        X = np.random.default_rng(1).standard_normal(({n}, 4)).astype(np.float32)
        cap(1.0)
        try:
            graph = liger.radius_neighbors(X, -1.0, n_jobs=2)
        except MemoryError as err:
            print("MemoryError:", err)
        else:
            print("nnz", graph.nnz)
        """
    )
    if "MemoryError:" in out:
        assert "bytes" in out and "radius_neighbors" in out, out
    else:
        assert f"nnz {n * (n - 1)}" in out, out


def test_the_memory_cap_leaves_small_searches_alone():
    out = run_capped(
        """
        X = np.random.default_rng(2).standard_normal((3000, 8)).astype(np.float32)
        cap(1.0)
        scores, indices = liger.knn_graph(X, 5, n_jobs=2)
        graph = liger.radius_neighbors(X, 0.5, n_jobs=2)
        print("ok", indices.shape, graph.shape)
        """
    )
    assert "ok (3000, 5) (3000, 3000)" in out, out


def test_knn_on_one_row_says_it_needs_two():
    # It said "k: expected 1 <= k <= 0".
    X = np.ones((1, 3), dtype=np.float32)
    with pytest.raises(ValueError, match=r"k: k-NN needs at least 2 rows of X .*got 1 \(k=1\)"):
        liger.knn_graph(X, 1)
    # Queries apart from X: one row of X is enough.
    scores, indices = liger.knn_graph(X, 1, queries=np.ones((2, 3), dtype=np.float32))
    assert indices.tolist() == [[0], [0]]
