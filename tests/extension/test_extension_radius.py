"""The radius extension rule against a brute-force NumPy reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import liger
from liger.extension.votes import RadiusVotes

from ..search.test_radius import exact_pair_scores
from ..search.test_search import nonzero_rows, problems

METRICS = ["cosine", "ip", "euclidean"]


def reference_radius(L, scores, L_base, thresholds, metric, max_neighbors=None):
    """Loop over (point, LF): the weighted vote of the support points within the threshold.

    ``scores``: the (q, n) canonical pair scores."""
    K = max(int(L_base.max()) + 1, 1)
    out = L.copy()
    higher = metric != "euclidean"
    for i, j in zip(*np.nonzero(L == -1)):
        t = np.float32(thresholds[j])
        if np.isnan(t):
            continue
        support = np.flatnonzero(L_base[:, j] != -1)
        row = scores[i, support]
        inside = support[row >= t] if higher else support[row <= t]
        if inside.size == 0:
            continue
        s = scores[i, inside]
        oriented = s if higher else -s
        ranked = inside[np.lexsort((inside, -oriented))]
        if max_neighbors is not None:
            ranked = ranked[:max_neighbors]
        totals = np.zeros(K)
        for b in np.sort(ranked):
            w = max(float(scores[i, b]), 0.0) if higher else 1.0 / (1.0 + float(scores[i, b]))
            totals[L_base[b, j]] += w
        nearest = L_base[ranked[0], j]
        best = totals.max()
        out[i, j] = nearest if totals[nearest] == best else int(np.argmax(totals))
    return out


@given(problems(), st.sampled_from(METRICS), st.data())
@settings(max_examples=150, deadline=None)
def test_radius_rule_matches_reference(problem, metric, data):
    queries, base, L_base = problem
    if metric == "cosine":
        queries, base = nonzero_rows(queries), nonzero_rows(base)
    q, m = queries.shape[0], L_base.shape[1]
    L = np.array(
        data.draw(st.lists(st.integers(-1, 1), min_size=q * m, max_size=q * m)), dtype=np.int64
    ).reshape(q, m)
    scores = exact_pair_scores(queries, base, metric)
    pool = [np.nan, *np.unique(scores).tolist()[:: max(1, scores.size // 7)], -1.0, 0.5, 3.0]
    thresholds = np.array(data.draw(st.lists(st.sampled_from(pool), min_size=m, max_size=m)))
    max_neighbors = data.draw(st.one_of(st.none(), st.integers(1, 3)))
    before = (L.copy(), L_base.copy())
    got = liger.extend(
        L,
        queries,
        L_base,
        base,
        thresholds,
        metric=metric,
        rule="radius",
        max_neighbors=max_neighbors,
    )
    np.testing.assert_array_equal(L, before[0])
    np.testing.assert_array_equal(L_base, before[1])
    expected = reference_radius(L, scores, L_base, thresholds, metric, max_neighbors)
    np.testing.assert_array_equal(got, expected)
    # The same (point, LF) pairs are extended as by the nearest rule; where exactly one support
    # point is within the threshold, the vote is the nearest one's.
    nearest = liger.extend(L, queries, L_base, base, thresholds, metric=metric)
    np.testing.assert_array_equal(got == -1, nearest == -1)
    for i, j in zip(*np.nonzero((L == -1) & (got != -1))):
        support = np.flatnonzero(L_base[:, j] != -1)
        t = np.float32(thresholds[j])
        count = (
            scores[i, support] >= t if metric != "euclidean" else scores[i, support] <= t
        ).sum()
        if count == 1:
            assert got[i, j] == nearest[i, j]


def test_cached_grid_equals_fresh_searches():
    rng = np.random.default_rng(4)
    X_base = rng.standard_normal((400, 6)).astype(np.float32)
    X = rng.standard_normal((120, 6)).astype(np.float32)
    L_base = np.where(rng.random((400, 3)) < 0.3, rng.integers(0, 3, (400, 3)), -1)
    L = np.where(rng.random((120, 3)) < 0.3, rng.integers(0, 3, (120, 3)), -1)
    grid = np.array([[0.2, 0.5, 0.8], [0.1, np.nan, 0.9], [np.nan, np.nan, np.nan]], np.float32)
    votes = RadiusVotes(L, X, L_base, X_base, grid, metric="cosine")
    for g in range(3):
        t = grid[:, g]
        fresh = liger.extend(L, X, L_base, X_base, t, rule="radius")
        np.testing.assert_array_equal(votes.extend(t), fresh)
    # A threshold outside the candidates is served by a new search.
    t = np.array([0.35, 0.3, 0.4], np.float32)
    np.testing.assert_array_equal(
        votes.extend(t), liger.extend(L, X, L_base, X_base, t, rule="radius")
    )
    changed = votes.extend(np.full(3, 0.0, np.float32)) != L
    assert changed.any() and (L[changed] == -1).all(), "only abstentions change"


def test_weighted_vote_beats_a_lone_nearest_neighbour():
    # The nearest support point votes 1; three slightly farther ones vote 0.
    X_base = np.array([[1.0, 0.0], [0.9, 0.3], [0.9, -0.3], [0.85, 0.35]], np.float32)
    L_base = np.array([[1], [0], [0], [0]])
    X = np.array([[1.0, 0.01]], np.float32)
    L = np.array([[-1]])
    assert liger.extend(L, X, L_base, X_base, 0.5)[0, 0] == 1
    assert liger.extend(L, X, L_base, X_base, 0.5, rule="radius")[0, 0] == 0
    # A tight threshold leaves only the nearest one.
    assert liger.extend(L, X, L_base, X_base, 0.9999, rule="radius")[0, 0] == 1
    with pytest.raises(ValueError, match="rule"):
        liger.extend(L, X, L_base, X_base, 0.5, rule="knn")
