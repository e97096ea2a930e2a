"""Majority vote: the data README's numbers, ties, rows without votes, the estimator protocol."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liger._estimator import NotFittedError
from liger.label_model.majority import MajorityVoter

from ..conftest import load_votes

L = np.array(
    [
        [0, 0, 1],  # 0 wins
        [1, -1, 1],  # 1 wins
        [0, 1, -1],  # tie
        [-1, -1, -1],  # no votes
        [2, 2, 0],  # 2 wins (K = 3 only)
    ]
)


def test_probabilities_are_vote_fractions():
    voter = MajorityVoter(3, class_balance=[0.2, 0.5, 0.3]).fit(L)
    proba = voter.predict_proba(L)
    assert np.allclose(proba[0], [2 / 3, 1 / 3, 0])
    assert np.allclose(proba[1], [0, 1, 0])
    assert np.allclose(proba[2], [0.5, 0.5, 0])
    assert np.allclose(proba[3], [0.2, 0.5, 0.3])  # no votes: the class balance
    assert np.allclose(proba[4], [1 / 3, 0, 2 / 3])


def test_tie_break_policies_and_uncovered_rows():
    voter = MajorityVoter(3, class_balance=[0.2, 0.5, 0.3]).fit(L)
    assert voter.predict(L).tolist() == [0, 1, -1, 1, 2]
    assert voter.predict(L, tie_break_policy="lowest").tolist() == [0, 1, 0, 1, 2]
    ties = np.tile(L[2], (200, 1))
    random = voter.predict(ties, tie_break_policy="random", random_state=1)
    assert set(random.tolist()) == {0, 1}
    # A uniform class balance makes a row without votes a tie as well.
    uniform = MajorityVoter(3, class_balance=np.full(3, 1 / 3)).fit(L)
    assert uniform.predict(L[3:4]).tolist() == [-1]


def test_class_balance_modes():
    binary = L[:4]
    estimated = MajorityVoter().fit(binary).class_balance_
    # winners over rows with votes: row 0 -> 0, row 1 -> 1, row 2 -> half each
    assert np.allclose(estimated, [0.5, 0.5])
    dev = MajorityVoter(class_balance="dev").fit(binary, y_dev=[1, 1, 1, 0])
    assert np.allclose(dev.class_balance_, [2 / 6, 4 / 6])  # add-one smoothing
    assert dev.predict(binary[3:]).tolist() == [1]
    with pytest.raises(ValueError, match="y_dev: class_balance='dev' needs"):
        MajorityVoter(class_balance="dev").fit(binary)
    # Majority vote has no vote likelihood: "likelihood" with dev labels uses those labels.
    combined = MajorityVoter(class_balance="likelihood").fit(binary, y_dev=[1, 1, 1, 0])
    assert np.allclose(combined.class_balance_, dev.class_balance_)


def test_protocol_and_errors():
    voter = MajorityVoter(3)
    assert voter.get_params() == {"cardinality": 3, "chunk_size": 65536, "class_balance": None}
    assert repr(voter) == "MajorityVoter(cardinality=3)"
    with pytest.raises(NotFittedError):
        voter.predict(L)
    voter.fit(L)
    assert np.allclose(voter.coverage_, [0.8, 0.6, 0.6])
    with pytest.raises(ValueError, match=r"L: expected 3 columns"):
        voter.predict(L[:, :2])
    with pytest.raises(ValueError, match=r"L: expected votes .*class 0\.\.1 .*got 2"):
        MajorityVoter(2).fit(L)
    with pytest.raises(ValueError, match=r"tie_break_policy"):
        voter.predict(L, tie_break_policy="max")
    # Estimated balance: winners 0, 1, (0 + 1) / 2, 2 -> [1.5, 1.5, 1] of 4 rows, shrunk towards
    # uniform by BALANCE_PRIOR_ROWS = 20 pseudo-rows -> [0.34, 0.34, 0.32], itself a tie, so the
    # row without votes abstains too; abstentions count as wrong.
    assert np.allclose(voter.class_balance_, np.array([1.5, 1.5, 1.0]) / 4 * 4 / 24 + 20 / 3 / 24)
    scores = voter.score(L, [0, 1, 0, 1, 2], metrics=["accuracy", "macro_f1"])
    assert scores["accuracy"] == pytest.approx(0.6)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 40),
    m=st.integers(1, 6),
    K=st.integers(2, 5),
    seed=st.integers(0, 2**31 - 1),
)
def test_random_inputs(n, m, K, seed):
    rng = np.random.default_rng(seed)
    votes = rng.integers(-1, K, (n, m))
    voter = MajorityVoter(K).fit(votes)
    proba = voter.predict_proba(votes)
    assert proba.shape == (n, K) and np.all(np.isfinite(proba))
    assert np.allclose(proba.sum(axis=1), 1)
    pred = voter.predict(votes, tie_break_policy="lowest")
    counts = np.stack([(votes == c).sum(axis=1) for c in range(K)], axis=1)
    covered = counts.sum(axis=1) > 0
    assert np.array_equal(pred[covered], counts[covered].argmax(axis=1))


# The data README's majority-vote numbers: ties to the lowest class, rows without votes to the
# most frequent dev class. Tennis (no test split) has no rows without votes.
README = {
    "youtube": ("test", 0.776, "f1", 0.692),
    "sms": ("test", 0.896, "f1", 0.381),
    "trec": ("test", 0.576, "macro_f1", 0.474),
    "tennis": ("valid", 0.883, "f1", None),
}


@pytest.mark.parametrize("name", list(README))
def test_reproduces_the_data_readme(data_dir, name):
    split, accuracy, metric, value = README[name]
    L_train, _ = load_votes(data_dir, name, "train")
    _, y_valid = load_votes(data_dir, name, "valid")
    L_eval, y_eval = load_votes(data_dir, name, split)
    K = int(max(L_train.max(), y_valid.max())) + 1
    voter = MajorityVoter(K, class_balance="dev").fit(L_train, y_dev=y_valid)
    scores = voter.score(L_eval, y_eval, metrics=["accuracy", metric], tie_break_policy="lowest")
    assert scores["accuracy"] == pytest.approx(accuracy, abs=5e-4)
    if value is not None:
        assert scores[metric] == pytest.approx(value, abs=5e-4)
