"""The dev guard: Liger falls back to majority vote only when the label model loses on dev
beyond the noise, says so, and never looks at anything but dev labels."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liger import Liger, metrics
from liger.label_model.class_balance import LabelModelWarning
from liger.label_model.guard import ALPHA, N_BOOTSTRAP, SEED, _scores, compare_on_dev
from liger.label_model.majority import MajorityVoter


def _paired(b: int, c: int, both: int = 30):
    """Labels and two predictions: ``b`` items only the model gets right, ``c`` only majority
    vote, ``both`` items both get right."""
    y = np.zeros(b + c + both, dtype=np.int64)
    model = np.r_[np.zeros(b), np.ones(c), np.zeros(both)].astype(np.int64)
    voter = np.r_[np.ones(b), np.zeros(c), np.zeros(both)].astype(np.int64)
    return y, model, voter


@pytest.mark.parametrize(
    ("b", "c", "falls_back"),
    [
        (5, 15, True),  # c - b = 10 > 1.645 sqrt(20) = 7.4: beyond the noise
        (5, 10, False),  # c - b = 5 < 1.645 sqrt(15) = 6.4: within the noise
        (10, 5, False),  # the label model is better
        (0, 0, False),  # identical predictions
        (0, 6, True),  # six discordant items, all for majority vote
    ],
)
def test_accuracy_rule_is_mcnemar_like(b, c, falls_back):
    y, model, voter = _paired(b, c)
    comparison = compare_on_dev(y, model, voter, "accuracy", 2)
    assert comparison.fell_back == falls_back
    assert comparison.label_model == pytest.approx(metrics.accuracy(y, model))
    assert comparison.majority == pytest.approx(metrics.accuracy(y, voter))


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 40),
    K=st.integers(2, 4),
    seed=st.integers(0, 2**31 - 1),
    metric=st.sampled_from(["accuracy", "f1", "macro_f1"]),
)
def test_scores_from_draw_counts_match_the_metrics_on_the_resampled_items(n, K, seed, metric):
    if metric == "f1":
        K = 2
    rng = np.random.default_rng(seed)
    y, pred = rng.integers(0, K, n), rng.integers(0, K, n)
    rows = rng.integers(0, n, (5, n))
    counts = np.stack([np.bincount(r, minlength=n) for r in rows], axis=1)  # (n, resamples)
    expected = [metrics.compute(metric, y[r], pred[r], K)[metric] for r in rows]
    assert np.allclose(_scores(metric, counts, y, pred, K), expected)


def _gathered_upper(y, model_pred, majority_pred, metric, K):
    """The bootstrap bound computed the plain way: gather the B x n resampled items, score each
    resample (the reference for the draw-count form)."""
    rows = np.random.default_rng(SEED).integers(0, y.size, size=(N_BOOTSTRAP, y.size))

    def scores(pred):
        yr, pr = y[rows], pred[rows]
        if metric == "accuracy":
            return np.mean(yr == pr, axis=1)
        f1 = []
        for c in [1] if metric == "f1" else range(K):
            tp = np.sum((pr == c) & (yr == c), axis=1)
            denominator = np.sum(pr == c, axis=1) + np.sum(yr == c, axis=1)
            f1.append(np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0))
        return np.mean(f1, axis=0)

    return float(np.quantile(scores(model_pred) - scores(majority_pred), 1 - ALPHA))


@settings(max_examples=40, deadline=None)
@given(
    n=st.sampled_from([1, 2, 5, 60, 333, 1000]),
    K=st.integers(2, 4),
    seed=st.integers(0, 2**31 - 1),
    metric=st.sampled_from(["accuracy", "f1", "macro_f1"]),
)
def test_bootstrap_bound_is_bit_identical_to_gathering_the_resamples(n, K, seed, metric):
    if metric == "f1":
        K = 2
    rng = np.random.default_rng(seed)
    y = rng.integers(0, K, n)
    model_pred = np.where(rng.random(n) < 0.7, y, rng.integers(0, K, n))
    majority_pred = np.where(rng.random(n) < 0.7, y, rng.integers(0, K, n))
    comparison = compare_on_dev(y, model_pred, majority_pred, metric, K)
    assert comparison.upper == _gathered_upper(y, model_pred, majority_pred, metric, K)
    assert comparison.fell_back == (comparison.upper < 0)


def _data(n: int, seed: int):
    """Ten decent LFs on random embeddings."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    votes = rng.random((n, 10)) < 0.4
    right = rng.random((n, 10)) < 0.75
    L = np.where(votes, np.where(right, y[:, None], 1 - y[:, None]), -1)
    X = rng.standard_normal((n, 8)).astype(np.float32)
    return L, X, y


def test_liger_falls_back_when_the_label_model_is_worse_on_dev():
    L, X, y = _data(3000, 0)
    L_dev, X_dev, y_dev = _data(200, 1)
    # A class balance far from the truth makes the label model predict class 1 almost always.
    model = Liger(thresholds=None, class_balance=[0.001, 0.999])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(L, X, L_dev, X_dev, y_dev)
    assert model.fallback_ == "majority"
    assert model.guard_.fell_back and model.guard_.label_model < model.guard_.majority
    assert any("using majority vote" in str(w.message) for w in caught)
    assert isinstance(model.global_label_model_, MajorityVoter)
    assert model.dev_score_ == model.guard_.majority
    voter = MajorityVoter(class_balance=[0.001, 0.999]).fit(L)
    assert np.array_equal(model.predict_proba(L_dev, X_dev), voter.predict_proba(L_dev))


def test_liger_keeps_a_label_model_that_is_not_worse():
    L, X, y = _data(3000, 2)
    L_dev, X_dev, y_dev = _data(200, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LabelModelWarning)
        # The in-sample dev guard (model_selection="cv" replaces it by the cross-validation).
        model = Liger(thresholds=None, model_selection="dev").fit(L, X, L_dev, X_dev, y_dev)
    assert model.fallback_ is None and not model.guard_.fell_back
    assert model.guard_.label_model >= model.guard_.majority - 0.02
    # No dev split, or majority vote itself: no guard.
    plain = Liger(thresholds=None).fit(L, X)
    assert plain.fallback_ is None and plain.guard_ is None
    voter = Liger(thresholds=None, label_model="majority").fit(L, X, L_dev, X_dev, y_dev)
    assert voter.guard_ is None
