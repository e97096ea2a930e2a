"""The neighbour stage: nearest support of one LF read off a k-NN graph, with exact fallbacks.

Everything is compared bit for bit with :func:`liger.nearest_support` (the batch path), which the
search contract makes possible: both select by one canonical pair score, ties to the lowest index.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import liger
from liger.search.neighbours import NeighbourIndex

METRICS = ["cosine", "ip", "euclidean"]

settings.register_profile("liger", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("liger")


@st.composite
def problems(draw):
    """Small integer-valued embeddings (many exact ties, duplicate rows), one LF's votes with
    possibly an empty or a full support, a query split, a k that may leave fallbacks."""
    n = draw(st.integers(1, 40))
    q = draw(st.integers(1, 20))
    d = draw(st.integers(1, 5))
    grid = st.integers(-2, 2).map(float)
    base = draw(arrays(np.float32, (n, d), elements=grid))
    queries = draw(arrays(np.float32, (q, d), elements=grid))
    if draw(st.booleans()):  # queries that are base rows: duplicates of the base
        queries = base[draw(arrays(np.int64, q, elements=st.integers(0, n - 1)))]
    coverage = draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    votes = np.where(rng.random(n) < coverage, rng.integers(0, 3, n), -1)
    k = draw(st.integers(1, 6))
    return base, queries, votes, k


def nonzero_rows(x: np.ndarray) -> np.ndarray:
    x = x.copy()
    x[~x.any(axis=1), 0] = 1.0
    return x


def _clears(score, threshold, metric):
    return score <= threshold if metric == "euclidean" else score >= threshold


@given(problems(), st.sampled_from(METRICS), st.data())
@settings(max_examples=200)
def test_graph_column_and_fallback_are_exact(problem, metric, data):
    base, queries, votes, k = problem
    if metric == "cosine":
        base, queries = nonzero_rows(base), nonzero_rows(queries)
    index = NeighbourIndex(base, {"dev": queries}, k=k, metric=metric)
    for split, points, needed in (
        ("train", base, votes == -1),  # train: only where the LF abstains
        ("dev", queries, np.ones(queries.shape[0], dtype=bool)),
    ):
        ref_scores, ref_indices = liger.nearest_support(points, base, votes[:, None], metric=metric)
        ref_scores, ref_indices = ref_scores[:, 0], ref_indices[:, 0]
        column = index.column(split, votes, needed)
        assert not column.exact[~needed].any()
        exact = column.exact
        np.testing.assert_array_equal(column.indices[exact], ref_indices[exact])
        np.testing.assert_array_equal(column.scores[exact], ref_scores[exact])
        # A fallback point's nearest-support score never beats its k-th neighbour's.
        open_ = needed & ~exact
        if metric == "euclidean":
            assert (ref_scores[open_] >= column.bound[open_]).all()
        else:
            assert (ref_scores[open_] <= column.bound[open_]).all()

        # Resolving for a threshold: every needed point is exact or cannot be extended at it.
        finite = ref_scores[np.isfinite(ref_scores)]
        candidates = [np.nan, *finite.tolist()[:5], 0.0]
        threshold = data.draw(st.sampled_from(candidates))
        resolved = index.resolve(split, column, votes, threshold)
        settled = resolved.exact
        np.testing.assert_array_equal(resolved.indices[settled], ref_indices[settled])
        np.testing.assert_array_equal(resolved.scores[settled], ref_scores[settled])
        still_open = needed & ~settled
        if not np.isnan(threshold):
            assert not _clears(ref_scores[still_open], np.float32(threshold), metric).any()
        assert resolved.pending(threshold).size == 0
        # Unsettled points carry the worst score: an extension never fires on them.
        assert not _clears(resolved.scores[still_open], np.float32(threshold), metric).any()

        full = index.resolve(split, resolved, votes, "all")
        assert full.exact[needed].all() and full.n_pending == 0
        np.testing.assert_array_equal(full.indices[needed], ref_indices[needed])
        np.testing.assert_array_equal(full.scores[needed], ref_scores[needed])


@st.composite
def edits(draw):
    """A base, query points, an LF's votes before and after an edit (rows added to and dropped
    from its support, possibly emptied or filled from empty), k, and the thresholds."""
    base, queries, votes, k = draw(problems())
    n = base.shape[0]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["small", "large", "empty", "from_empty"]))
    new = votes.copy()
    if kind == "small":
        flip = rng.random(n) < 0.1
        new[flip] = np.where(new[flip] == -1, rng.integers(0, 3, flip.sum()), -1)
    elif kind == "large":
        new = np.where(rng.random(n) < 0.5, rng.integers(0, 3, n), -1)
    elif kind == "empty":
        new[:] = -1
    else:
        votes = np.full(n, -1)
    return base, queries, votes, new, k


@given(edits(), st.sampled_from(METRICS), st.data())
@settings(max_examples=200)
def test_update_after_an_edit_is_exact(problem, metric, data):
    """An edited support: update() answers exactly what a fresh column + resolve would, from a
    column that was settled (partly or fully) before the edit."""
    base, queries, old, new, k = problem
    if metric == "cosine":
        base, queries = nonzero_rows(base), nonzero_rows(queries)
    index = NeighbourIndex(base, {"dev": queries}, k=k, metric=metric)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    for split, points, own_old, own_new in (
        ("train", base, old, new),
        ("dev", queries, *_own_votes(rng, queries.shape[0])),
    ):
        before = index.column(split, old, own_old == -1)
        settle = data.draw(st.sampled_from(["all", 0.0, None]))
        before = index.resolve(split, before, old, settle)
        ref_scores, ref_indices = liger.nearest_support(points, base, new[:, None], metric=metric)
        ref_scores, ref_indices = ref_scores[:, 0], ref_indices[:, 0]
        finite = ref_scores[np.isfinite(ref_scores)]
        threshold = data.draw(st.sampled_from([np.nan, "all", *finite.tolist()[:4]]))
        needed = own_new == -1
        result, searched = index.update(
            {split: before}, old, new, {split: needed}, {split: threshold}
        )
        after = result[split]
        assert searched >= 0
        assert (after.needed == needed).all() and not after.exact[~needed].any()
        settled = after.exact
        np.testing.assert_array_equal(after.indices[settled], ref_indices[settled])
        np.testing.assert_array_equal(after.scores[settled], ref_scores[settled])
        open_ = needed & ~settled
        if threshold == "all":
            assert not open_.any()
        elif not (isinstance(threshold, float) and np.isnan(threshold)):
            t = np.float32(threshold)
            ok = ref_scores[open_] <= t if metric == "euclidean" else ref_scores[open_] >= t
            assert not ok.any(), "an unsettled point would have been extended"
            assert after.pending(threshold).size == 0
        # Bounds stay valid for every fallback point.
        fallback = needed & ~after.from_graph
        if metric == "euclidean":
            assert (ref_scores[fallback] >= after.bound[fallback]).all()
        else:
            assert (ref_scores[fallback] <= after.bound[fallback]).all()
        # ... and after a full resolution everything is the fresh answer.
        full = index.resolve(split, after, new, "all")
        np.testing.assert_array_equal(full.indices[needed], ref_indices[needed])
        np.testing.assert_array_equal(full.scores[needed], ref_scores[needed])


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("seed", range(6))
def test_a_sequence_of_edits_stays_exact(metric, seed):
    """Many edits of one LF in a row (bounds and answers carried from edit to edit), each
    followed by threshold moves in both directions: every settled answer is the fresh search's,
    and no unsettled point could be extended at any threshold it was resolved for."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((8, 6))
    base = (centres[rng.integers(0, 8, 300)] + 0.5 * rng.standard_normal((300, 6))).astype(
        np.float32
    )
    queries = (centres[rng.integers(0, 8, 80)] + 0.5 * rng.standard_normal((80, 6))).astype(
        np.float32
    )
    base[1::9] = base[0::9][: base[1::9].shape[0]]  # exact ties
    index = NeighbourIndex(base, {"dev": queries}, k=4, metric=metric)
    votes = np.where(rng.random(300) < 0.3, 0, -1)
    own = {"train": votes, "dev": np.full(80, -1)}
    points = {"train": base, "dev": queries}
    columns = {
        name: index.resolve(name, index.column(name, votes, own[name] == -1), votes, "all")
        for name in own
    }
    for _ in range(12):
        new = votes.copy()
        kind = rng.integers(0, 3)
        if kind != 1:  # drop some votes
            voted = np.flatnonzero(new != -1)
            new[rng.choice(voted, max(1, voted.size // 5), replace=False)] = -1
        if kind != 0:  # add some
            free = np.flatnonzero(new == -1)
            new[rng.choice(free, 15, replace=False)] = rng.integers(0, 2, 15)
        own["train"] = new
        needed = {name: own[name] == -1 for name in own}
        ref = {
            name: [
                a[:, 0]
                for a in liger.nearest_support(points[name], base, new[:, None], metric=metric)
            ]
            for name in own
        }
        finite = ref["dev"][0][np.isfinite(ref["dev"][0])]
        t = float(np.quantile(finite, 0.7 if metric != "euclidean" else 0.3))
        columns, _ = index.update(columns, votes, new, needed, {name: t for name in own})
        votes = new
        for threshold in (t, t - 0.5 if metric != "euclidean" else t + 0.5, "all"):
            columns, _ = index.resolve_many(columns, votes, {name: threshold for name in own})
            for name, column in columns.items():
                scores, indices = ref[name]
                settled = column.exact
                np.testing.assert_array_equal(column.indices[settled], indices[settled])
                np.testing.assert_array_equal(column.scores[settled], scores[settled])
                open_ = needed[name] & ~settled
                if threshold != "all":
                    t32 = np.float32(threshold)
                    clears = scores[open_] <= t32 if metric == "euclidean" else scores[open_] >= t32
                    assert not clears.any()
                else:
                    assert not open_.any()
                fallback = needed[name] & ~column.from_graph
                if metric == "euclidean":
                    assert (scores[fallback] >= column.bound[fallback]).all()
                else:
                    assert (scores[fallback] <= column.bound[fallback]).all()
            if threshold == t:
                # Reset to partly settled columns for the next edit, as the session leaves them.
                partly = columns
        columns = partly


def _own_votes(rng, q):
    old = np.where(rng.random(q) < 0.3, 0, -1)
    new = old.copy()
    flip = rng.random(q) < 0.2
    new[flip] = np.where(old[flip] == -1, 1, -1)
    return old, new


@pytest.mark.parametrize("metric", METRICS)
def test_exact_columns_match_the_sweep(metric):
    rng = np.random.default_rng(1)
    base = rng.standard_normal((300, 8)).astype(np.float32)
    queries = rng.standard_normal((50, 8)).astype(np.float32)
    L = np.where(rng.random((300, 4)) < 0.2, rng.integers(0, 2, (300, 4)), -1)
    L[:, 3] = -1  # an empty support
    index = NeighbourIndex(base, {"dev": queries}, k=5, metric=metric)
    needed = rng.random((50, 4)) < 0.7
    columns = index.exact_columns("dev", L, needed)
    scores, indices = liger.nearest_support(queries, base, L, metric=metric)
    for j, column in enumerate(columns):
        need = needed[:, j]
        assert (column.exact == need).all() and column.n_pending == 0
        np.testing.assert_array_equal(column.scores[need], scores[need, j])
        np.testing.assert_array_equal(column.indices[need], indices[need, j])
        # ... and agree with the graph + fallback path.
        other = index.resolve("dev", index.column("dev", L[:, j], need), L[:, j], "all")
        np.testing.assert_array_equal(other.scores[need], column.scores[need])
        np.testing.assert_array_equal(other.indices[need], column.indices[need])


def test_clustered_points_rarely_fall_back_and_strict_thresholds_skip_them():
    """The point of the stage: with clustered data most points find a support point among their
    neighbours, and a threshold stricter than a fallback point's bound needs no search."""
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((20, 16))
    labels = rng.integers(0, 20, 2000)
    X = (centres[labels] + 0.3 * rng.standard_normal((2000, 16))).astype(np.float32)
    votes = np.where((labels < 10) & (rng.random(2000) < 0.3), 1, -1)
    index = NeighbourIndex(X, k=16)
    column = index.column("train", votes, votes == -1)
    covered = labels < 10
    assert column.exact[covered & (votes == -1)].mean() > 0.95
    # The strictest bound among the fallback points: a threshold above it searches nothing.
    open_ = column.needed & ~column.exact
    assert open_.any()
    strict = float(column.bound[open_].max()) + 1e-3
    assert column.pending(strict).size == 0
    assert column.pending(-1.0).size == open_.sum()


def test_bad_arguments_name_themselves():
    X = np.ones((5, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="k: expected an int >= 1"):
        NeighbourIndex(X, k=0)
    with pytest.raises(ValueError, match="queries"):
        NeighbourIndex(X, {"train": X})
    with pytest.raises(ValueError, match="same embedding dimension"):
        NeighbourIndex(X, {"dev": np.ones((2, 4))})
    index = NeighbourIndex(X, k=2)
    with pytest.raises(ValueError, match="split: expected one of"):
        index.column("test", np.zeros(5, dtype=np.int64), np.ones(5, dtype=bool))
    column = index.column("train", np.zeros(5, dtype=np.int64), np.ones(5, dtype=bool))
    with pytest.raises(ValueError, match="threshold: expected"):
        column.pending("some")
