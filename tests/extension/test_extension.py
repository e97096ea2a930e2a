"""extend_votes / extend against the reference rule."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import liger

from ..helpers import reference
from ..search.test_search import nonzero_rows, problems


@given(problems(), st.sampled_from(["cosine", "ip", "euclidean"]), st.data())
@settings(max_examples=100, deadline=None)
def test_extend_matches_reference(problem, metric, data):
    queries, base, L_base = problem
    if metric == "cosine":
        queries, base = nonzero_rows(queries), nonzero_rows(base)
    m = L_base.shape[1]
    L = data.draw(
        st.lists(st.integers(-1, 1), min_size=queries.shape[0] * m, max_size=queries.shape[0] * m)
    )
    L = np.array(L, dtype=np.int64).reshape(queries.shape[0], m)
    thresholds = np.array(
        data.draw(
            st.lists(st.sampled_from([np.nan, -1.0, 0.0, 0.5, 1.0, 3.0]), min_size=m, max_size=m)
        )
    )
    L_before = L.copy()
    scores, indices = liger.nearest_support(queries, base, L_base, metric=metric)
    extended = liger.extend_votes(L, scores, indices, L_base, thresholds, metric=metric)
    expected = reference.extend_votes(L, scores, indices, L_base, thresholds, metric)
    np.testing.assert_array_equal(extended, expected)
    np.testing.assert_array_equal(L, L_before)  # never modified in place
    assert ((L == -1) | (extended == L)).all(), "cast votes never change"
    np.testing.assert_array_equal(
        liger.extend(L, queries, L_base, base, thresholds, metric=metric), extended
    )


def test_threshold_forms():
    L = np.array([[-1, -1], [-1, 1]])
    scores = np.array([[0.9, 0.9], [0.4, 0.2]], dtype=np.float32)
    indices = np.array([[0, 1], [1, 0]])
    L_base = np.array([[0, 1], [1, 0]])
    args = (L, scores, indices, L_base)
    np.testing.assert_array_equal(liger.extend_votes(*args, 0.5), [[0, 0], [-1, 1]])
    np.testing.assert_array_equal(liger.extend_votes(*args, None), L)
    np.testing.assert_array_equal(liger.extend_votes(*args, [None, 0.5]), [[-1, 0], [-1, 1]])
    np.testing.assert_array_equal(liger.extend_votes(*args, [0.3, np.nan]), [[0, -1], [1, 1]])
    np.testing.assert_array_equal(
        liger.extend_votes(*args, 0.5, metric="euclidean"), [[-1, -1], [1, 1]]
    )
    with pytest.raises(
        ValueError, match=r"thresholds: expected a scalar or an array of shape \(2,\)"
    ):
        liger.extend_votes(*args, [0.1, 0.2, 0.3])


def test_train_points_are_never_their_own_neighbour():
    X = np.eye(4, dtype=np.float32) + 0.01
    L = np.array([[0], [-1], [-1], [1]])
    extended = liger.extend(L, X, L, X, thresholds=-1.0)
    # Every abstaining row takes a vote; voting rows keep theirs.
    assert extended[0, 0] == 0 and extended[3, 0] == 1
    assert (extended != -1).all()
