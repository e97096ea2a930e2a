"""The search contract the rest of the project relies on (sharding, Dask, the screened kernel).

For every (query, LF) ``nearest_support`` returns the support row maximising the canonical pair
score (``tests/helpers/reference.py`` reproduces it bit for bit), exact ties to the lowest base
index, and that canonical score. Hence: identical bits for every ``n_jobs`` and ``kernel``, and a
base set split into row shards, searched shard by shard and merged by (score, lowest index), gives
exactly the unsplit result. The same holds for ``knn_graph`` (top-k by canonical score, ties by
index). The problems below are adversarial for screening: integer grids (exact ties), duplicated
rows, rows one ulp apart, tight clusters, wildly different norms.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import liger
from liger import _core

from ..helpers import reference

METRICS = ["cosine", "ip", "euclidean"]
KERNELS = ["exact", "screened"]

settings.register_profile("liger", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("liger")


def near_tie_rows(rng: np.random.Generator, n: int, d: int, kind: str) -> np.ndarray:
    """n rows of dimension d built to produce ties and near-ties."""
    if kind == "grid":  # small integers: many exact ties and duplicates
        X = rng.integers(-2, 3, (n, d)).astype(np.float32)
    elif kind == "ulp":  # copies of few rows, each coordinate nudged by 0-2 ulps
        proto = rng.standard_normal((max(1, n // 8), d)).astype(np.float32)
        X = proto[rng.integers(0, proto.shape[0], n)]
        for _ in range(2):
            nudge = rng.random((n, d)) < 0.3
            X = np.where(nudge, np.nextafter(X, np.float32(np.inf)), X).astype(np.float32)
    elif kind == "cluster":  # one tight cloud: every candidate within the int8 error bound
        center = rng.standard_normal(d).astype(np.float32)
        X = (center + 1e-4 * rng.standard_normal((n, d))).astype(np.float32)
    else:  # "scales": rows of very different norms (ip / euclidean bounds)
        X = rng.standard_normal((n, d)).astype(np.float32)
        X *= (10.0 ** rng.uniform(-3, 3, (n, 1))).astype(np.float32)
    X[~X.any(axis=1), 0] = 1.0  # cosine needs non-zero rows
    dup = rng.integers(0, n, n // 4)
    X[rng.integers(0, n, n // 4)] = X[dup]  # exact duplicates at other indices
    return np.ascontiguousarray(X)


@st.composite
def contract_problems(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(1, 90))
    q = draw(st.integers(1, 40))
    d = draw(st.sampled_from([1, 3, 16, 33, 70]))
    m = draw(st.integers(1, 5))
    kind = draw(st.sampled_from(["grid", "ulp", "cluster", "scales"]))
    base = near_tie_rows(rng, n, d, kind)
    if draw(st.booleans()):  # queries that are base rows (self-matches), nudged or not
        queries = base[rng.integers(0, n, q)].copy()
    else:
        queries = near_tie_rows(rng, q, d, kind)
    coverage = rng.uniform(0, 1, m)
    votes = np.where(rng.random((n, m)) < coverage, rng.integers(0, 3, (n, m)), -1)
    return queries, base, votes


def assert_same(a, b, what=""):
    np.testing.assert_array_equal(a[1], b[1], err_msg=what)
    assert a[0].tobytes() == b[0].tobytes(), what


@given(contract_problems(), st.sampled_from(METRICS))
@settings(max_examples=120)
def test_nearest_support_is_the_canonical_argmax(problem, metric):
    queries, base, votes = problem
    expected = reference.canonical_nearest_support(queries, base, votes, metric)
    for kernel in KERNELS:
        got = liger.nearest_support(queries, base, votes, metric=metric, kernel=kernel, n_jobs=2)
        assert_same(got, expected, f"{kernel}")


@given(contract_problems(), st.sampled_from(METRICS), st.data())
@settings(max_examples=60)
def test_row_shards_merge_exactly(problem, metric, data):
    """What a Dask backend does: search row slices of the base separately (indices relative to
    the slice), shift, keep the best by (score, lowest index)."""
    queries, base, votes = problem
    n = base.shape[0]
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=4)))
    bounds = [0, *cuts, n]
    whole = liger.nearest_support(queries, base, votes, metric=metric)
    sign = -1.0 if metric == "euclidean" else 1.0
    best_key = np.full(whole[0].shape, -np.inf)
    best_score = np.full(whole[0].shape, np.inf if metric == "euclidean" else -np.inf, np.float32)
    best_index = np.full(whole[1].shape, -1, dtype=np.int64)
    for a, b in zip(bounds[:-1], bounds[1:]):
        if a == b:
            continue
        kernel = data.draw(st.sampled_from(KERNELS))
        s, i = liger.nearest_support(queries, base[a:b], votes[a:b], metric=metric, kernel=kernel)
        key = sign * s.astype(np.float64)
        # Shards come in increasing index order: a strictly better score wins, a tie keeps the
        # earlier (lower) index.
        better = (i >= 0) & (key > best_key)
        best_key = np.where(better, key, best_key)
        best_score = np.where(better, s, best_score)
        best_index = np.where(better, i + a, best_index)
    assert_same((best_score, best_index), whole)


@given(contract_problems(), st.sampled_from(METRICS))
@settings(max_examples=60)
def test_knn_graph_is_the_canonical_top_k(problem, metric):
    queries, base, _ = problem
    n = base.shape[0]
    for with_queries in (False, True):
        if not with_queries and n < 2:
            continue
        k = min(n - (0 if with_queries else 1), 5)
        q = queries if with_queries else None
        expected = reference.canonical_knn(base, k, metric, q)
        for kernel in KERNELS:
            got = liger.knn_graph(base, k, metric=metric, queries=q, kernel=kernel, n_jobs=2)
            np.testing.assert_array_equal(got[1], expected[1], err_msg=kernel)
            assert got[0].tobytes() == expected[0].astype(np.float32).tobytes(), kernel


@pytest.mark.parametrize("metric", METRICS)
def test_threads_kernels_and_tiles_agree_bitwise(metric):
    """Sizes that cross the tile grids of both kernels (several query blocks and column tiles,
    ragged edges, few queries splitting columns), clustered data, 40 LFs with shared supports."""
    rng = np.random.default_rng(3)
    n, d = 2600, 40
    centers = rng.standard_normal((6, d)).astype(np.float32)
    base = centers[rng.integers(0, 6, n)] + 0.05 * rng.standard_normal((n, d)).astype(np.float32)
    base[rng.integers(0, n, 100)] = base[rng.integers(0, n, 100)]
    coverage = np.concatenate([np.full(20, 1.0), rng.uniform(0.001, 0.5, 20)])
    votes = np.where(rng.random((n, 40)) < coverage, 1, -1).astype(np.int8)
    for q in (3, 1100):
        queries = base[rng.integers(0, n, q)] + 1e-3 * rng.standard_normal((q, d)).astype(
            np.float32
        )
        first = liger.nearest_support(queries, base, votes, metric=metric, kernel="exact", n_jobs=1)
        for kernel in KERNELS:
            for n_jobs in (1, 2, 7):
                got = liger.nearest_support(
                    queries, base, votes, metric=metric, kernel=kernel, n_jobs=n_jobs
                )
                assert_same(got, first, f"q={q} {kernel} n_jobs={n_jobs}")
    knn_first = liger.knn_graph(base, 9, metric=metric, kernel="exact", n_jobs=1)
    for kernel in KERNELS:
        assert_same(liger.knn_graph(base, 9, metric=metric, kernel=kernel, n_jobs=3), knn_first)
    rows = rng.integers(0, n, 40)
    sub = reference.canonical_knn(base, 9, metric, rows=rows)
    np.testing.assert_array_equal(knn_first[1][rows], sub[1])


def test_kernel_option_is_checked_and_reported():
    X = np.eye(3, dtype=np.float32)
    L = np.zeros((3, 1), dtype=np.int64)
    with pytest.raises(ValueError, match="kernel"):
        liger.nearest_support(X, X, L, kernel="fast")
    with pytest.raises(ValueError, match="kernel"):
        liger.knn_graph(X, 1, kernel=None)
    for kernel in ("auto", "exact", "screened"):
        assert _core.screen_engine(kernel, 384) in ("f32", "int8-vnni", "int8-portable")
    assert _core.screen_engine("exact", 384) == "f32"
    assert _core.screen_engine("screened", 384).startswith("int8")
    assert _core.screen_engine("auto", 8) == "f32"  # tiny d: not worth quantising
    assert _core.screen_engine("screened", 70000) == "f32"  # int32 accumulators would overflow
