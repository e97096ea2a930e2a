"""radius_neighbors against brute-force NumPy references, knn_graph's canonical scores and
scikit-learn's radius_neighbors_graph."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import liger

from ..helpers import reference

METRICS = ["cosine", "ip", "euclidean"]


def exact_pair_scores(queries: np.ndarray, X: np.ndarray, metric: str) -> np.ndarray:
    """(q, n) canonical float32 scores of integer-valued rows, reproduced bit for bit in NumPy.

    With small integers every dot product and squared distance is exact in float32 whatever the
    summation order, so what remains is the kernel's rounding recipe: float32 norms, the cosine
    ratio in float64 rounded once to float32 (clamped to [-1, 1]), a float32 square root.
    """
    Q = queries.astype(np.float64)
    B = X.astype(np.float64)
    dots = Q @ B.T
    if metric == "ip":
        return dots.astype(np.float32)
    if metric == "euclidean":
        squared = ((Q[:, None, :] - B[None, :, :]) ** 2).sum(-1)
        return np.sqrt(squared.astype(np.float32))
    qn = np.sqrt((Q**2).sum(1).astype(np.float32)).astype(np.float64)
    bn = np.sqrt((B**2).sum(1).astype(np.float32)).astype(np.float64)
    return np.clip((dots / (qn[:, None] * bn[None, :])).astype(np.float32), -1, 1)


def brute_force(scores, radius, metric, max_neighbors=None, exclude_self=False):
    """Dense (q, n) float32 scores -> list of (indices ascending, scores) per query."""
    r = np.float32(radius)
    rows = []
    for i, row in enumerate(scores):
        keep = row <= r if metric == "euclidean" else row >= r
        if exclude_self:
            keep[i] = False
        hits = np.flatnonzero(keep)
        if max_neighbors is not None:
            oriented = -row[hits] if metric == "euclidean" else row[hits]
            hits = hits[np.lexsort((hits, -oriented))][:max_neighbors]
            hits.sort()
        rows.append((hits, row[hits]))
    return rows


def assert_graph_equals(graph, expected, shape):
    assert sp.issparse(graph) and graph.format == "csr"
    assert graph.shape == shape and graph.dtype == np.float32
    assert graph.has_sorted_indices
    for i, (hits, values) in enumerate(expected):
        row = slice(graph.indptr[i], graph.indptr[i + 1])
        np.testing.assert_array_equal(graph.indices[row], hits, err_msg=f"row {i}")
        np.testing.assert_array_equal(graph.data[row], values, err_msg=f"row {i}")


@st.composite
def integer_problems(draw):
    """Integer-valued rows (exact ties, duplicate rows), queries None or given, a radius that is
    either arbitrary or exactly the score of some pair (a boundary case)."""
    n = draw(st.integers(1, 40))
    d = draw(st.integers(1, 6))
    metric = draw(st.sampled_from(METRICS))
    grid = st.integers(-2, 2).map(float)
    X = draw(arrays(np.float32, (n, d), elements=grid))
    queries = None
    if draw(st.booleans()):
        q = draw(st.integers(1, 25))
        queries = draw(arrays(np.float32, (q, d), elements=grid))
    if metric == "cosine":
        X[~X.any(axis=1), 0] = 1.0
        if queries is not None:
            queries[~queries.any(axis=1), 0] = 1.0
    scores = exact_pair_scores(X if queries is None else queries, X, metric)
    if draw(st.booleans()):
        radius = float(scores.flat[draw(st.integers(0, scores.size - 1))])
    else:
        low, high = {"cosine": (-1.1, 1.1), "ip": (-25.0, 25.0), "euclidean": (0.0, 7.0)}[metric]
        radius = draw(st.floats(low, high))
    max_neighbors = draw(st.one_of(st.none(), st.integers(1, 5)))
    return X, queries, metric, radius, max_neighbors, scores


@given(integer_problems())
@settings(max_examples=300)
def test_matches_exact_brute_force_reference(problem):
    X, queries, metric, radius, max_neighbors, scores = problem
    before = X.copy()
    graph = liger.radius_neighbors(
        X, radius, metric=metric, queries=queries, max_neighbors=max_neighbors
    )
    expected = brute_force(scores, radius, metric, max_neighbors, exclude_self=queries is None)
    assert_graph_equals(graph, expected, scores.shape)
    np.testing.assert_array_equal(X, before)


@given(
    arrays(
        np.float32,
        st.tuples(st.integers(2, 30), st.integers(1, 8)),
        elements=st.floats(-3, 3, width=32),
    ),
    st.sampled_from(METRICS),
    st.floats(0.0, 1.0),
    st.one_of(st.none(), st.integers(1, 4)),
)
@settings(max_examples=150)
def test_scores_are_canonical_and_close_to_float64(X, metric, quantile, max_neighbors):
    """Real-valued rows: the kept pairs and their scores are exactly those knn_graph reports
    (the canonical pair score), and agree with a float64 reference up to float32 rounding."""
    X = X.copy()
    X[np.linalg.norm(X, axis=1) < 1e-3, 0] = 1.0
    n = X.shape[0]
    knn_scores, knn_indices = liger.knn_graph(X, n - 1, metric=metric)
    canonical = np.full((n, n), np.nan, dtype=np.float32)
    np.put_along_axis(canonical, knn_indices, knn_scores, axis=1)
    off_diagonal = canonical[~np.eye(n, dtype=bool)]
    radius = float(np.quantile(off_diagonal, quantile, method="lower"))
    graph = liger.radius_neighbors(X, radius, metric=metric, max_neighbors=max_neighbors)
    expected = brute_force(canonical, radius, metric, max_neighbors, exclude_self=True)
    assert_graph_equals(graph, expected, (n, n))
    # Independent float64 scores: close, and the pair set differs only at the boundary.
    f64 = reference.to_metric(reference.pair_scores(X, X, metric), metric)
    coo = graph.tocoo()
    np.testing.assert_allclose(coo.data, f64[coo.row, coo.col], rtol=1e-4, atol=1e-4)
    if max_neighbors is None:
        inside = f64 <= radius if metric == "euclidean" else f64 >= radius
        np.fill_diagonal(inside, False)
        differs = inside != _stored(graph)
        assert np.all(np.abs(f64[differs] - radius) <= 1e-4 * (1 + abs(radius)))


def _stored(graph):
    """Dense mask of the stored entries (a stored score may be 0)."""
    mask = sp.csr_matrix(
        (np.ones(graph.nnz, dtype=bool), graph.indices, graph.indptr), shape=graph.shape
    )
    return mask.toarray()


def test_empty_results_and_explicit_zero_distances():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    graph = liger.radius_neighbors(X, 1.01, metric="cosine")
    assert graph.shape == (3, 3) and graph.nnz == 0
    np.testing.assert_array_equal(graph.indptr, [0, 0, 0, 0])
    # Duplicates at distance 0 are stored (explicit zeros), the row itself is not.
    graph = liger.radius_neighbors(X, 0.0, metric="euclidean")
    assert graph.nnz == 2
    np.testing.assert_array_equal(graph.indices, [2, 0])
    np.testing.assert_array_equal(graph.data, [0.0, 0.0])
    # With separate queries nothing is excluded.
    graph = liger.radius_neighbors(X, 0.0, metric="euclidean", queries=X[:1])
    np.testing.assert_array_equal(graph.indices, [0, 2])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_scikit_learn_radius_neighbors_graph(dtype):
    sklearn_neighbors = pytest.importorskip("sklearn.neighbors")
    rng = np.random.default_rng(3)
    X = rng.standard_normal((1500, 12)).astype(dtype)
    X[1000:1010] = X[:10]  # duplicates: distance 0 to another row
    # A radius in the middle of a gap between pairwise distances, so float32 and float64
    # arithmetic agree on every pair.
    distances = np.sort(
        reference.to_metric(reference.pair_scores(X, X, "euclidean"), "euclidean").ravel()
    )
    target = np.searchsorted(distances, 4.0)
    gaps = np.diff(distances[target - 500 : target + 500])
    at = target - 500 + int(np.argmax(gaps))
    radius = float((distances[at] + distances[at + 1]) / 2)
    expected = sklearn_neighbors.radius_neighbors_graph(X, radius, mode="distance")
    graph = liger.radius_neighbors(X, radius, metric="euclidean")
    expected.sort_indices()
    assert graph.nnz == expected.nnz > 10 * X.shape[0]
    np.testing.assert_array_equal(graph.indptr, expected.indptr)
    np.testing.assert_array_equal(graph.indices, expected.indices)
    np.testing.assert_allclose(graph.data, expected.data, rtol=1e-5, atol=1e-5)
    # And with separate queries.
    Q = rng.standard_normal((300, 12)).astype(dtype)
    model = sklearn_neighbors.NearestNeighbors(radius=radius).fit(X)
    expected = model.radius_neighbors_graph(Q, mode="distance")
    expected.sort_indices()
    graph = liger.radius_neighbors(X, radius, metric="euclidean", queries=Q)
    np.testing.assert_array_equal(graph.indptr, expected.indptr)
    np.testing.assert_array_equal(graph.indices, expected.indices)
    np.testing.assert_allclose(graph.data, expected.data, rtol=1e-5, atol=1e-5)


def test_identical_for_any_thread_count_across_tiles():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2100, 24)).astype(np.float32)
    Q = rng.standard_normal((700, 24)).astype(np.float32)
    for max_neighbors in (None, 5):
        one = liger.radius_neighbors(X, 0.3, queries=Q, max_neighbors=max_neighbors, n_jobs=1)
        two = liger.radius_neighbors(X, 0.3, queries=Q, max_neighbors=max_neighbors, n_jobs=2)
        assert one.nnz > Q.shape[0]
        for a, b in ((one.indptr, two.indptr), (one.indices, two.indices), (one.data, two.data)):
            np.testing.assert_array_equal(a, b)


def test_max_neighbors_keeps_the_best_with_ties_to_the_lower_index():
    X = np.array([[0.0], [1.0], [-1.0], [1.0], [2.0]], dtype=np.float32)
    graph = liger.radius_neighbors(X, 5.0, metric="euclidean", queries=X[:1], max_neighbors=2)
    # Distances 0, 1, 1, 1, 2: the row itself (a separate query) and the first distance-1 row.
    np.testing.assert_array_equal(graph.indices, [0, 1])
    graph = liger.radius_neighbors(X, 5.0, metric="euclidean", max_neighbors=2)
    np.testing.assert_array_equal(graph[0].indices, [1, 2])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"radius": "0.5"}, TypeError, "radius"),
        ({"radius": np.nan}, ValueError, "radius"),
        ({"radius": 1e300}, ValueError, "radius"),
        ({"radius": -0.1, "metric": "euclidean"}, ValueError, "radius"),
        ({"radius": 0.5, "max_neighbors": 0}, ValueError, "max_neighbors"),
        ({"radius": 0.5, "max_neighbors": 1.5}, TypeError, "max_neighbors"),
        ({"radius": 0.5, "metric": "l1"}, ValueError, "metric"),
        ({"radius": 0.5, "queries": np.ones((2, 3))}, ValueError, "queries and X"),
    ],
)
def test_bad_input_names_the_argument(kwargs, error, match):
    X = np.ones((4, 2), dtype=np.float32)
    radius = kwargs.pop("radius")
    with pytest.raises(error, match=match):
        liger.radius_neighbors(X, radius, **kwargs)


def test_zero_rows_under_cosine_are_an_error():
    X = np.array([[1.0, 0.0], [0.0, 0.0]], dtype=np.float32)
    with pytest.raises(ValueError, match="zero norm"):
        liger.radius_neighbors(X, 0.5)


def test_gil_is_released_during_the_search():
    import threading

    rng = np.random.default_rng(1)
    X = rng.standard_normal((5000, 128)).astype(np.float32)
    done = threading.Event()

    def work():
        for _ in range(2):
            liger.radius_neighbors(X, 0.2)
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    ticks = 0
    while not done.is_set():  # Python code keeps running while the kernel works
        ticks += 1
    worker.join()
    assert ticks > 1000
