"""nearest_support and knn_graph against the brute-force NumPy reference in reference.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import liger

from ..helpers import reference

METRICS = ["cosine", "ip", "euclidean"]
TOL = 1e-4

settings.register_profile("liger", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("liger")


@st.composite
def problems(draw, max_n=40, max_q=25):
    """Small integer-valued embeddings (exact float arithmetic, many exact ties and duplicate
    rows), votes with empty supports and all-abstain rows, K in 2..4."""
    n = draw(st.integers(1, max_n))
    q = draw(st.integers(1, max_q))
    d = draw(st.integers(1, 6))
    m = draw(st.integers(1, 5))
    k = draw(st.integers(2, 4))
    grid = st.integers(-2, 2).map(float)
    base = draw(arrays(np.float32, (n, d), elements=grid))
    queries = draw(arrays(np.float32, (q, d), elements=grid))
    if draw(st.booleans()):  # queries that are base rows: self-matches and duplicates
        queries = base[draw(arrays(np.int64, q, elements=st.integers(0, n - 1)))]
    votes = draw(arrays(np.int64, (n, m), elements=st.integers(-1, k - 1)))
    if draw(st.booleans()):
        votes[:, draw(st.integers(0, m - 1))] = -1  # an LF with an empty support
    if draw(st.booleans()):
        votes[draw(st.integers(0, n - 1))] = -1  # an all-abstain row
    return queries, base, votes


def nonzero_rows(x: np.ndarray) -> np.ndarray:
    """Cosine is undefined for zero rows: give them a unit first coordinate."""
    x = x.copy()
    x[~x.any(axis=1), 0] = 1.0
    return x


def assert_valid_nearest(queries, base, L_base, metric, scores, indices):
    """Each pick is a best support row (exactly, up to float rounding), its score is right, and an
    exact duplicate with a lower index would have been picked instead."""
    ref_scores, ref_indices = reference.nearest_support(queries, base, L_base, metric)
    oriented = reference.pair_scores(queries, base, metric)
    assert scores.dtype == np.float32 and indices.dtype == np.int64
    assert scores.shape == indices.shape == (queries.shape[0], L_base.shape[1])
    empty = ref_indices == -1
    np.testing.assert_array_equal(indices[empty], -1)
    np.testing.assert_array_equal(scores[empty], np.inf if metric == "euclidean" else -np.inf)
    for i, j in zip(*np.nonzero(~empty)):
        pick = indices[i, j]
        assert L_base[pick, j] != -1, "picked a row outside the support"
        best = oriented[i, ref_indices[i, j]]
        assert oriented[i, pick] >= best - TOL * (1 + abs(best))
        assert scores[i, j] == pytest.approx(ref_scores[i, j], abs=TOL, rel=TOL)
        support = np.flatnonzero(L_base[:, j] != -1)
        duplicates = support[(base[support] == base[pick]).all(axis=1)]
        assert pick == duplicates.min(), "ties must go to the lowest base index"


@given(problems(), st.sampled_from(METRICS))
@settings(max_examples=150)
def test_nearest_support_matches_reference(problem, metric):
    queries, base, votes = problem
    if metric == "cosine":
        queries, base = nonzero_rows(queries), nonzero_rows(base)
    scores, indices = liger.nearest_support(queries, base, votes, metric=metric)
    assert_valid_nearest(queries, base, votes, metric, scores, indices)
    if metric != "cosine":
        # Small integers make ip / euclidean arithmetic exact: the picks must be identical.
        np.testing.assert_array_equal(
            indices, reference.nearest_support(queries, base, votes, metric)[1]
        )


@given(st.integers(0, 2**32 - 1), st.sampled_from(METRICS))
@settings(max_examples=8)
def test_nearest_support_across_tiles_and_threads(seed, metric):
    """Sizes that cross the kernel's tile grid; one thread and all threads agree bit for bit."""
    rng = np.random.default_rng(seed)
    n, q, d, m = rng.integers(1000, 2600), rng.integers(1, 700), rng.integers(1, 40), 4
    base = rng.standard_normal((n, d)).astype(np.float32)
    base[rng.integers(0, n, 50)] = base[rng.integers(0, n, 50)]  # exact duplicates
    queries = rng.standard_normal((q, d)).astype(np.float32)
    coverage = np.array([0.0, 0.01, 0.3, 1.0])
    votes = np.where(rng.random((n, m)) < coverage, rng.integers(0, 3, (n, m)), -1)
    scores, indices = liger.nearest_support(queries, base, votes, metric=metric, n_jobs=1)
    assert_valid_nearest(queries, base, votes, metric, scores, indices)
    scores_all, indices_all = liger.nearest_support(queries, base, votes, metric=metric, n_jobs=-1)
    scores_3, indices_3 = liger.nearest_support(queries, base, votes, metric=metric, n_jobs=3)
    np.testing.assert_array_equal(indices, indices_all)
    np.testing.assert_array_equal(indices, indices_3)
    assert scores.tobytes() == scores_all.tobytes() == scores_3.tobytes()


@pytest.mark.parametrize("layout", ["float64", "fortran", "strided", "list", "int"])
def test_nearest_support_converts_any_layout_without_touching_inputs(layout):
    rng = np.random.default_rng(1)
    base = rng.integers(-3, 4, (60, 5)).astype(np.float32)
    base[~base.any(1), 0] = 1
    queries = base[::2].copy()
    votes = rng.integers(-1, 2, (60, 3))
    expected = liger.nearest_support(queries, base, votes)
    convert = {
        "float64": lambda a: a.astype(np.float64),
        "fortran": np.asfortranarray,
        "strided": lambda a: np.repeat(a, 2, axis=1)[:, ::2],
        "list": lambda a: a.tolist(),
        "int": lambda a: a.astype(np.int32),
    }[layout]
    q_in, b_in = convert(queries), convert(base)
    q_copy, b_copy, v_copy = np.array(q_in), np.array(b_in), votes.copy()
    got = liger.nearest_support(q_in, b_in, np.asfortranarray(votes))
    np.testing.assert_array_equal(got[1], expected[1])
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-6)
    np.testing.assert_array_equal(np.array(q_in), q_copy)
    np.testing.assert_array_equal(np.array(b_in), b_copy)
    np.testing.assert_array_equal(votes, v_copy)


def test_cosine_does_not_need_normalised_inputs():
    rng = np.random.default_rng(2)
    base = rng.standard_normal((200, 8)).astype(np.float32)
    scales = rng.uniform(0.1, 100, (200, 1)).astype(np.float32)
    votes = rng.integers(-1, 2, (200, 2))
    a = liger.nearest_support(base[:30], base, votes)
    b = liger.nearest_support(base[:30] * 7, base * scales, votes)
    np.testing.assert_allclose(a[0], b[0], atol=1e-5)
    assert (a[1] == b[1]).mean() > 0.95  # only float near-ties may differ


@st.composite
def knn_problems(draw):
    n = draw(st.integers(2, 40))
    d = draw(st.integers(1, 5))
    X = draw(arrays(np.float32, (n, d), elements=st.integers(-2, 2).map(float)))
    with_queries = draw(st.booleans())
    queries = (
        draw(
            arrays(
                np.float32, (draw(st.integers(1, 20)), d), elements=st.integers(-2, 2).map(float)
            )
        )
        if with_queries
        else None
    )
    k = draw(st.integers(1, n if with_queries else n - 1))
    return X, queries, k


@given(knn_problems(), st.sampled_from(METRICS))
@settings(max_examples=150)
def test_knn_graph_matches_reference(problem, metric):
    X, queries, k = problem
    if metric == "cosine":
        X = nonzero_rows(X)
        queries = None if queries is None else nonzero_rows(queries)
    scores, indices = liger.knn_graph(X, k, metric=metric, queries=queries)
    ref_scores, ref_indices = reference.knn(X, k, metric, queries)
    q = X.shape[0] if queries is None else queries.shape[0]
    assert scores.shape == indices.shape == (q, k)
    np.testing.assert_allclose(scores, ref_scores, atol=TOL, rtol=TOL)
    if queries is None:
        assert not (indices == np.arange(q)[:, None]).any(), "a row is never its own neighbour"
    if metric != "cosine":  # exact arithmetic: identical order, ties by ascending index
        np.testing.assert_array_equal(indices, ref_indices)
    else:  # each row's neighbours are sorted best first
        assert (np.diff(scores, axis=1) <= TOL).all()


def test_knn_graph_threads_agree_bitwise():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((3000, 24)).astype(np.float32)
    one = liger.knn_graph(X, 7, n_jobs=1)
    many = liger.knn_graph(X, 7, n_jobs=4)
    np.testing.assert_array_equal(one[1], many[1])
    assert one[0].tobytes() == many[0].tobytes()
    sub = reference.pair_scores(X[:50], X, "cosine")
    sub[np.arange(50), np.arange(50)] = -np.inf
    np.testing.assert_allclose(one[0][:50], -np.sort(-sub, axis=1)[:, :7], atol=1e-5)


def misaligned(array: np.ndarray) -> np.ndarray:
    """A C-contiguous copy whose buffer starts one byte off alignment (as Dask can deserialise)."""
    raw = np.empty(array.nbytes + 1, dtype=np.uint8)
    raw[1:] = np.frombuffer(array.tobytes(), dtype=np.uint8)
    out = raw[1:].view(array.dtype).reshape(array.shape)
    assert out.flags.c_contiguous and not out.flags.aligned
    return out


def test_misaligned_buffers_are_accepted():
    rng = np.random.default_rng(6)
    base = rng.standard_normal((80, 5)).astype(np.float32)
    votes = rng.integers(-1, 2, (80, 3))
    expected = liger.nearest_support(base[:20], base, votes)
    got = liger.nearest_support(misaligned(base[:20]), misaligned(base), misaligned(votes))
    np.testing.assert_array_equal(got[1], expected[1])
    np.testing.assert_array_equal(got[0], expected[0])
    thresholds = np.full(3, 0.5, dtype=np.float32)
    extended = liger.extend_votes(
        misaligned(votes[:20]), misaligned(got[0]), misaligned(got[1]), votes, thresholds
    )
    np.testing.assert_array_equal(
        extended, liger.extend_votes(votes[:20], got[0], got[1], votes, thresholds)
    )
