"""liger.dask's search, extension and threshold grid equal the single-machine path exactly, for
any chunking of the queries and of the base set (Dask's synchronous scheduler: fast, no cluster;
tests/test_dask_cluster.py runs the same stages on worker processes)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import liger
from liger.extension.tuning import DEFAULT_LEVELS, NearestVotes, threshold_grid

from ..conftest import require_module
from ..search.test_search import nonzero_rows, problems

require_module("dask")
require_module("distributed")

import dask  # noqa: E402
import dask.array as da  # noqa: E402

import liger.dask as ldask  # noqa: E402
from liger.dask._dask_grid import threshold_grid as dask_threshold_grid  # noqa: E402

METRICS = ["cosine", "ip", "euclidean"]


def compute(*arrays):
    return dask.compute(*arrays, scheduler="sync")


@given(problems(), st.sampled_from(METRICS), st.integers(1, 9), st.integers(1, 9), st.booleans())
@settings(max_examples=80)
def test_sharded_search_equals_local_search(problem, metric, query_rows, base_rows, chunked):
    """Exact ties (small integer embeddings, duplicate rows), empty supports, all-abstain rows:
    every shard merge must keep the kernel's winner and its score, bit for bit."""
    queries, base, votes = problem
    if metric == "cosine":
        queries, base = nonzero_rows(queries), nonzero_rows(base)
    expected = liger.nearest_support(queries, base, votes, metric=metric)
    Q = da.from_array(queries, chunks=(query_rows, -1))
    if chunked:
        B, V = da.from_array(base, chunks=(base_rows, -1)), da.from_array(votes, chunks=(3, -1))
    else:
        B, V = base, votes  # broadcast
    scores, indices = compute(*ldask.nearest_support(Q, B, V, metric=metric))
    assert scores.dtype == np.float32 and indices.dtype == np.int64
    np.testing.assert_array_equal(indices, expected[1])
    assert scores.tobytes() == expected[0].tobytes()


@given(problems(), st.sampled_from(METRICS), st.integers(1, 9), st.floats(-2, 4), st.data())
@settings(max_examples=40)
def test_chunked_extend_equals_local_extend(problem, metric, rows, threshold, data):
    queries, base, votes = problem
    if metric == "cosine":
        queries, base = nonzero_rows(queries), nonzero_rows(base)
    m = votes.shape[1]
    L = data.draw(
        st.lists(st.integers(-1, 3), min_size=queries.shape[0] * m, max_size=queries.shape[0] * m)
    )
    L = np.array(L, dtype=np.int64).reshape(queries.shape[0], m)
    thresholds = np.full(m, threshold, dtype=np.float32)
    thresholds[0] = np.nan  # never extend LF 0
    expected = liger.extend(L, queries, votes, base, thresholds, metric=metric)
    (got,) = compute(
        ldask.extend(
            da.from_array(L, chunks=(rows, -1)),
            da.from_array(queries, chunks=(rows + 1, -1)),
            da.from_array(votes, chunks=(2, -1)),
            da.from_array(base, chunks=(rows, -1)),
            thresholds,
            metric=metric,
        )
    )
    np.testing.assert_array_equal(got, expected)


@given(st.integers(0, 2**32 - 1), st.integers(1, 5), st.booleans(), st.integers(8, 120))
@settings(max_examples=40)
def test_distributed_threshold_grid_equals_threshold_grid(seed, m, higher, rows):
    """The radix select picks numpy's quantile(method="lower") element: ties, +-inf (no
    support), negative scores, LFs that never abstain."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    L = rng.integers(-1, 3, (n, m))
    kind = seed % 3
    if kind == 0:
        scores = rng.standard_normal((n, m)).astype(np.float32)
    elif kind == 1:
        scores = rng.integers(-3, 3, (n, m)).astype(np.float32)  # many exact ties
    else:
        scores = (rng.standard_normal((n, m)) * 1e-30).astype(np.float32)  # tiny, subnormal
    scores[rng.random((n, m)) < 0.2] = -np.inf if higher else np.inf
    L[:, m - 1] = np.where(rng.random(n) < 0.5, 0, L[:, m - 1])
    expected = threshold_grid(NearestVotes(L, L, scores, higher), DEFAULT_LEVELS)
    got = dask_threshold_grid(
        da.from_array(L, chunks=(rows, -1)),
        da.from_array(scores, chunks=(rows // 2 + 1, -1)),
        DEFAULT_LEVELS,
        higher,
    )
    np.testing.assert_array_equal(got, expected)


def test_search_returns_numpy_equal_results_for_numpy_queries_in_one_chunk():
    rng = np.random.default_rng(3)
    base = rng.standard_normal((50, 4)).astype(np.float32)
    votes = rng.integers(-1, 2, (50, 3))
    scores, indices = compute(*ldask.nearest_support(base[:7], base, votes))
    expected = liger.nearest_support(base[:7], base, votes)
    np.testing.assert_array_equal(indices, expected[1])
    np.testing.assert_array_equal(scores, expected[0])


def test_column_chunks_are_merged_and_inputs_untouched():
    rng = np.random.default_rng(4)
    base = rng.standard_normal((40, 6))
    votes = rng.integers(-1, 2, (40, 2))
    base_copy, votes_copy = base.copy(), votes.copy()
    Q = da.from_array(base[:10], chunks=(4, 2))  # column chunks: rechunked, like ParallelPostFit
    scores, indices = compute(
        *ldask.nearest_support(Q, da.from_array(base, chunks=(7, 3)), votes, metric="euclidean")
    )
    expected = liger.nearest_support(base[:10], base, votes, metric="euclidean")
    np.testing.assert_array_equal(indices, expected[1])
    np.testing.assert_array_equal(scores, expected[0])
    np.testing.assert_array_equal(base, base_copy)
    np.testing.assert_array_equal(votes, votes_copy)


def test_bad_input_names_the_argument():
    rng = np.random.default_rng(5)
    base = rng.standard_normal((20, 3)).astype(np.float32)
    votes = rng.integers(-1, 2, (20, 2))
    Q = da.from_array(base, chunks=5)
    with pytest.raises(ValueError, match="queries and base: expected the same embedding dimension"):
        ldask.nearest_support(Q[:, :2], base, votes)
    with pytest.raises(ValueError, match="base and L_base: expected the same number of rows"):
        ldask.nearest_support(Q, base, votes[:10])
    with pytest.raises(TypeError, match="queries: expected a real-valued"):
        ldask.nearest_support(Q > 0, base, votes)
    with pytest.raises(ValueError, match="n_jobs"):
        ldask.nearest_support(Q, base, votes, n_jobs=0)
    with pytest.raises(ValueError, match="metric"):
        ldask.nearest_support(Q, base, votes, metric="l1")
    bad = base.copy()
    bad[13, 1] = np.nan
    # A chunked base is validated by the tasks: the error names the argument and the shard.
    with pytest.raises(ValueError, match=r"base: expected finite values.*base rows 10\.\.14"):
        compute(*ldask.nearest_support(Q, da.from_array(bad, chunks=5), votes))
    unknown = Q[Q[:, 0] > 0]
    with pytest.raises(ValueError, match="queries: expected known chunk sizes"):
        ldask.nearest_support(unknown, base, votes)


def test_import_liger_does_not_import_dask():
    code = "import sys, liger; liger.Liger(); assert 'dask' not in sys.modules, 'dask imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
