"""The Session's label-model statistics after add_lf / remove_lf (updated, not recomputed) are
exactly those of its votes computed from scratch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from liger.label_model.statistics import VoteStatistics

from ..helpers.sessions import make_problem, session_of, three


@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("label_model", ["triplet", "majority"])
def test_added_and_removed_lfs_keep_exact_statistics(K, label_model):
    problem = make_problem(3, K=K)
    rng = np.random.default_rng(K)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        session = session_of(problem, retune=None, label_model=label_model)
        for edit in ("add", "add", "remove 0", "add", "remove last", "remove 1"):
            if edit == "add":
                train, dev, test = three(rng, 0.3, K=K)
                session.add_lf(train, dev=dev, test=test)
            else:
                session.remove_lf(0 if edit == "remove 0" else session.n_lfs_ - 1)
            L = session._splits["train"].L
            expected = VoteStatistics.from_votes(L, K, pairwise=label_model == "triplet")
            assert session._stats == expected, edit
        # An all-abstaining new LF, and removing it again.
        before = session._stats
        session.add_lf(np.full(300, -1), dev=np.full(60, -1), test=np.full(40, -1))
        L = session._splits["train"].L
        assert session._stats == VoteStatistics.from_votes(L, K, pairwise=label_model == "triplet")
        session.remove_lf(session.n_lfs_ - 1)
        assert session._stats == before
