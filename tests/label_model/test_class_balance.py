"""The guarded class balance and near-duplicate LFs: the estimate cannot run away on sparse
annotators, says so, and stays the likelihood's where the votes carry evidence."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liger.label_model import class_balance as cb
from liger.label_model.class_balance import LabelModelWarning
from liger.label_model.majority import MajorityVoter
from liger.label_model.moments import duplicate_groups
from liger.label_model.statistics import VoteStatistics
from liger.label_model.triplet import LabelModel

from .test_label_model import BINARY_BALANCE, BINARY_TABLE, sample


def sparse_annotators(n: int, seed: int, coverage=(0.01, 0.03), m: int = 100):
    """Crowdsourcing-style votes: m annotators, each voting on 1-3 % of the items."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    L = np.full((n, m), -1, dtype=np.int8)
    for j in range(m):
        votes = rng.random(n) < rng.uniform(*coverage)
        right = rng.random(n) < rng.uniform(0.6, 0.9)
        L[votes, j] = np.where(right, y, 1 - y)[votes]
    return L, y


def _fit(model, L, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(L, **kwargs)
    return [str(w.message) for w in caught if issubclass(w.category, LabelModelWarning)]


def test_sparse_annotators_balance_does_not_run_away():
    # 500 items, 100 annotators, ~2 votes per item: the unguarded profile likelihood put the
    # balance at 0.99 on seed 0 (accuracy 0.55 against majority vote's 0.74).
    gains, balances = [], []
    for seed in range(5):
        L, y = sparse_annotators(500, seed)
        model = LabelModel()
        messages = _fit(model, L)
        estimate = model.balance_estimate_
        balances.append(model.class_balance_[1])
        if estimate.refused:
            assert any("class balance rests on little evidence" in m for m in messages)
            assert estimate.weight == 0.0
            assert np.array_equal(model.class_balance_, estimate.reference)
        voter = MajorityVoter().fit(L)
        gains.append(
            np.mean(model.predict_proba(L).argmax(1) == y)
            - np.mean(voter.predict_proba(L).argmax(1) == y)
        )
    assert max(abs(b - 0.5) for b in balances) < 0.15, balances
    assert np.mean(gains) >= -0.01, gains


def test_balance_with_evidence_is_the_likelihoods():
    L, _ = sample(BINARY_TABLE, BINARY_BALANCE, 20_000, seed=11)
    model = LabelModel()
    messages = _fit(model, L)
    estimate = model.balance_estimate_
    assert not any("class balance" in m for m in messages)
    assert estimate.profile_modes <= cb.MAX_PROFILE_MODES and not estimate.refused
    assert estimate.weight > 0.99 and estimate.evidence_rows > 5000
    expected = estimate.weight * estimate.likelihood + (1 - estimate.weight) * estimate.reference
    assert np.allclose(model.class_balance_, expected)
    assert np.abs(model.class_balance_ - BINARY_BALANCE).max() < 0.02
    # A fixed or majority balance has no likelihood estimate.
    assert LabelModel(class_balance="majority").fit(L).balance_estimate_ is None


def test_little_evidence_shrinks_towards_the_reference_and_warns():
    L, _ = sample(BINARY_TABLE, BINARY_BALANCE, 20_000, seed=12)
    rows = L[(L != -1).sum(axis=1) <= 2]  # no row with three votes: no evidence at all
    model = LabelModel()
    messages = _fit(model, rows)
    estimate = model.balance_estimate_
    assert estimate.evidence_rows == 0 and estimate.weight == 0.0
    assert np.array_equal(model.class_balance_, estimate.reference)
    assert np.allclose(
        estimate.reference, cb.balance_from_majority(VoteStatistics.from_votes(rows, 2))
    )
    assert any("class balance rests on little evidence" in m for m in messages)


def test_dev_labels_are_the_reference_when_given():
    L, _ = sparse_annotators(500, 0)
    y_dev = np.array([0] * 30 + [1] * 70)
    model = LabelModel()
    _fit(model, L, y_dev=y_dev)
    estimate = model.balance_estimate_
    assert estimate.reference_kind == "dev labels"
    assert np.allclose(estimate.reference, [31 / 102, 71 / 102])


def test_evidence_rows_counts_rows_with_three_votes():
    L = np.array([[0, 1, 1, -1], [0, -1, -1, -1], [1, 1, 1, 1], [-1, -1, -1, -1]])
    assert cb.evidence_rows(VoteStatistics.from_votes(L, 2)) == 2.0


# --------------------------------------------------------------------------------------------
# Near-duplicate LFs


def test_copies_of_an_lf_count_once():
    table = np.stack([BINARY_TABLE[i] for i in (0, 1, 2, 4, 5)])
    L, y = sample(table, BINARY_BALANCE, 20_000, seed=13)
    weak = L[:, 4:5]  # LF 4 (accuracy 0.65) ...
    copied = np.concatenate([L, weak, weak, weak], axis=1)  # ... repeated three more times
    model, plain = LabelModel(), LabelModel()
    messages = _fit(model, copied)
    _fit(plain, L)
    assert model.lf_groups_.tolist() == [0, 1, 2, 3, 4, 4, 4, 4]
    assert np.allclose(model.lf_weights_, [1, 1, 1, 1, 0.25, 0.25, 0.25, 0.25])
    assert any("near-duplicate" in m for m in messages)
    # The copies' accuracy is estimated as the original's, and the group weighs as one LF.
    assert np.abs(model.accuracies_[4:] - plain.accuracies_[4]).max() < 0.02
    agree = np.mean(model.predict_proba(copied).argmax(1) == plain.predict_proba(L).argmax(1))
    assert agree > 0.99
    voter = MajorityVoter().fit(copied)
    assert np.mean(model.predict_proba(copied).argmax(1) == y) > np.mean(
        voter.predict_proba(copied).argmax(1) == y
    )


def test_independent_lfs_are_never_grouped():
    L, _ = sample(BINARY_TABLE, BINARY_BALANCE, 50_000, seed=14)
    model = LabelModel()
    _fit(model, L)
    assert np.array_equal(model.lf_groups_, np.arange(L.shape[1]))
    assert np.all(model.lf_weights_ == 1.0)


@pytest.mark.parametrize("K", [2, 3])
def test_duplicate_groups_are_components(K):
    rng = np.random.default_rng(K)
    base = rng.integers(-1, K, (3000, 3))
    # LF 3 copies LF 1, LF 4 copies LF 3 (so LF 1, 3, 4 form one group), LF 5 independent.
    L = np.concatenate([base, base[:, 1:2], base[:, 1:2], rng.integers(-1, K, (3000, 1))], axis=1)
    groups = duplicate_groups(VoteStatistics.from_votes(L, K))
    assert groups.tolist() == [0, 1, 2, 1, 1, 5]


def _reference_groups(L: np.ndarray) -> list[int]:
    """Near-duplicate groups by brute force over LF pairs, then components by relabelling."""
    m = L.shape[1]
    group = list(range(m))
    for i in range(m):
        for j in range(i + 1, m):
            cast_i, cast_j = L[:, i] != -1, L[:, j] != -1
            union = np.sum(cast_i | cast_j)
            agree = np.sum(cast_i & (L[:, i] == L[:, j]))
            if agree >= 0.95 * union and agree >= 20:
                old, new = max(group[i], group[j]), min(group[i], group[j])
                group = [new if g == old else g for g in group]
    return group


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(20, 300),
    m=st.integers(1, 7),
    K=st.integers(2, 4),
    copies=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.floats(0, 0.1))),
    seed=st.integers(0, 2**31 - 1),
)
def test_duplicate_groups_match_brute_force(n, m, K, copies, seed):
    rng = np.random.default_rng(seed)
    L = np.where(rng.random((n, m)) < rng.uniform(0.1, 1.0), rng.integers(0, K, (n, m)), -1)
    for target, source, noise in copies:
        if target < m and source < m and target != source:
            fresh = np.where(rng.random(n) < 0.5, rng.integers(0, K, n), -1)
            L[:, target] = np.where(rng.random(n) < noise, fresh, L[:, source])
    assert duplicate_groups(VoteStatistics.from_votes(L, K)).tolist() == _reference_groups(L)
