"""Rows without votes: ``predict(..., no_votes=...)``, what ``predict_proba`` gives them, and the
count ``n_rows_without_votes_`` of both vote models."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import sparse

from liger.label_model.class_balance import LabelModelWarning
from liger.label_model.encoding import EncodedVotes
from liger.label_model.majority import MajorityVoter
from liger.label_model.triplet import LabelModel

from ..helpers.dawid_skene import sample_regime


def _fit(model, L):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LabelModelWarning)
        return model.fit(L)


@pytest.mark.parametrize("cls", [LabelModel, MajorityVoter])
def test_no_votes_abstain_marks_exactly_the_rows_without_votes(cls):
    L, _ = sample_regime("f", 0)  # unipolar LFs: many rows without any vote
    model = _fit(cls(2), L)
    empty = (L == -1).all(axis=1)
    assert model.n_rows_without_votes_ == int(empty.sum()) > 0
    default = model.predict(L)
    abstained = model.predict(L, no_votes="abstain")
    assert np.all(abstained[empty] == -1)
    assert np.array_equal(abstained[~empty], default[~empty])
    assert np.all(default[empty] != -1)  # the posterior's class (no exact tie here)
    # sparse votes and (for the label model) encoded votes say the same
    csr = sparse.csr_matrix(np.where(L == -1, 0, L + 1).astype(np.int8))
    csr.data -= 1
    assert np.array_equal(model.predict(csr, no_votes="abstain"), abstained)
    if cls is LabelModel:
        encoded = EncodedVotes(L, 2)
        assert np.array_equal(model.predict(encoded, no_votes="abstain"), abstained)
    with pytest.raises(ValueError, match="no_votes"):
        model.predict(L, no_votes="prior")


def test_rows_without_votes_get_the_prior_when_abstentions_are_ignored():
    L, _ = sample_regime("f", 1)
    empty = (L == -1).all(axis=1)
    ignore = _fit(LabelModel(2, abstentions="ignore"), L)
    assert np.allclose(ignore.predict_proba(L[empty]), ignore.class_balance_)
    earned = _fit(LabelModel(2), L)
    # earned: the prior times each LF's abstention likelihood to the power of its weight
    logs = (
        np.log(earned.cond_probs_[:, 0, :])
        * (earned.abstention_weights_ * earned.lf_weights_)[:, None]
    )
    expected = np.log(earned.class_balance_) + logs.sum(axis=0)
    expected = np.exp(expected - expected.max())
    assert np.allclose(earned.predict_proba(L[empty])[0], expected / expected.sum())


def test_score_with_no_votes_abstain_counts_them_wrong():
    L = np.array([[1, 1, 0], [-1, -1, -1], [1, 0, 1]])
    model = _fit(MajorityVoter(2), L)
    assert model.n_rows_without_votes_ == 1
    assert model.score(L, [1, 0, 1], no_votes="abstain") == pytest.approx(2 / 3)
