"""Bad input raises a clear TypeError / ValueError naming the argument; never a crash."""

from __future__ import annotations

import numpy as np
import pytest

import liger

rng = np.random.default_rng(0)
X = rng.standard_normal((20, 4)).astype(np.float32)
L = rng.integers(-1, 2, (20, 3))


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"queries": X[0]}, ValueError, r"queries: expected a 2-D array, got 1-D"),
        ({"base": X[:, :2]}, ValueError, r"queries and base: expected the same embedding dim"),
        (
            {"L_base": L[:5]},
            ValueError,
            r"base and L_base: expected the same number of rows, got 20 and 5",
        ),
        ({"L_base": L - 1}, ValueError, r"L_base: expected votes of -1 \(abstain\).*got -2"),
        ({"L_base": L.astype(float)}, TypeError, r"L_base: expected an integer vote matrix"),
        (
            {"queries": np.full((2, 4), np.nan)},
            ValueError,
            r"queries: expected finite values, got nan at row 0",
        ),
        (
            {"base": np.where(np.arange(4) == 2, np.inf, X)},
            ValueError,
            r"base: expected finite values, got inf",
        ),
        ({"base": X.astype(np.float64) * 1e300}, ValueError, r"overflows float32"),
        ({"queries": np.zeros((0, 4))}, ValueError, r"queries: expected a non-empty array"),
        ({"base": np.zeros((20, 0))}, ValueError, r"base: expected a non-empty array"),
        ({"metric": "manhattan"}, ValueError, r"metric: expected one of"),
        ({"queries": X.astype(complex)}, TypeError, r"queries: expected a real-valued"),
        ({"queries": np.array([["a"]])}, TypeError, r"queries: expected a real-valued"),
        ({"n_jobs": 0}, ValueError, r"n_jobs"),
        ({"n_jobs": 1.5}, TypeError, r"n_jobs"),
        (
            {"base": np.vstack([X[:19], np.zeros((1, 4))])},
            ValueError,
            r"base: row 19 has zero norm",
        ),
        ({"queries": np.zeros((1, 4))}, ValueError, r"queries: row 0 has zero norm"),
    ],
)
def test_nearest_support_rejects(kwargs, error, pattern):
    args = {"queries": X, "base": X, "L_base": L, **kwargs}
    options = {key: args.pop(key) for key in ("metric", "n_jobs") if key in args}
    with pytest.raises(error, match=pattern):
        liger.nearest_support(args["queries"], args["base"], args["L_base"], **options)


def test_zero_rows_are_fine_for_other_metrics():
    Z = np.vstack([X, np.zeros((1, 4), dtype=np.float32)])
    Lz = np.vstack([L, [[0, 0, 0]]])
    for metric in ("ip", "euclidean"):
        scores, _ = liger.nearest_support(Z, Z, Lz, metric=metric)
        assert np.isfinite(scores).all()


@pytest.mark.parametrize(
    ("k", "kwargs", "error", "pattern"),
    [
        (20, {}, ValueError, r"k: expected 1 <= k <= 19"),
        (0, {}, ValueError, r"k: expected 1 <= k"),
        (2.0, {}, TypeError, r"k: expected an int"),
        (3, {"queries": X[:, :3]}, ValueError, r"queries and X: expected the same embedding dim"),
        (3, {"metric": "l2"}, ValueError, r"metric"),
    ],
)
def test_knn_graph_rejects(k, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        liger.knn_graph(X, k, **kwargs)


def test_extend_votes_rejects():
    scores, indices = liger.nearest_support(X, X, L)
    with pytest.raises(ValueError, match=r"scores: expected shape \(20, 3\) like L"):
        liger.extend_votes(L, scores[:3], indices, L, 0.5)
    with pytest.raises(ValueError, match=r"indices: expected -1 or a row of L_base in \[0, 20\)"):
        liger.extend_votes(L, scores, indices + 100, L, 0.5)
    with pytest.raises(ValueError, match=r"L and L_base: expected the same number of LFs"):
        liger.extend_votes(L, scores, indices, L[:, :2], 0.5)
    with pytest.raises(TypeError, match=r"thresholds"):
        liger.extend_votes(L, scores, indices, L, "high")
    with pytest.raises(ValueError, match=r"L and X: expected the same number of rows"):
        liger.extend(L[:4], X, L, X, 0.5)


def test_core_errors_surface_as_value_errors():
    """The compiled module, called directly with inconsistent shapes, raises instead of crashing."""
    from liger import _core

    with pytest.raises(ValueError, match="L_base"):
        _core.nearest_support(X, X, L[:5].astype(np.int64), "cosine", 1)
    with pytest.raises(ValueError, match="k: expected"):
        _core.knn(X, X, 50, "cosine", True, 1)
    with pytest.raises(ValueError, match="metric"):
        _core.knn(X, X, 2, "hamming", True, 1)
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.nearest_support(np.asfortranarray(X), X, L.astype(np.int64), "cosine", 1)
    with pytest.raises(TypeError):
        _core.nearest_support(X.astype(np.float64), X, L.astype(np.int64), "cosine", 1)
