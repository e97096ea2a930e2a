"""The end model: soft-label logistic regression, penalty by cross-validation on dev."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import softmax

from liger import EndModel, Liger
from liger import end_model as end_model_module
from liger.end_model import _stratified_folds, fit_softmax_regression


def _blobs(n, seed, K=3, d=8):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((K, d)) * 2
    y = rng.integers(0, K, n)
    return (centers[y] + rng.standard_normal((n, d))).astype(np.float32), y


def test_gradient_matches_finite_differences():
    X, y = _blobs(40, 0)
    T = softmax(np.random.default_rng(1).standard_normal((40, 3)), axis=1)
    w = np.random.default_rng(2).random(40)
    W = fit_softmax_regression(X.astype(np.float64), T, w, penalty=0.1, max_iter=3)

    def loss(W):
        Z = X @ W[:-1] + W[-1]
        logp = Z - np.logaddexp.reduce(Z, axis=1, keepdims=True)
        return -(w / w.sum() * (T * logp).sum(1)).sum() + 0.05 * np.square(W[:-1]).sum()

    # At the L-BFGS optimum (many iterations) the numerical gradient vanishes.
    W = fit_softmax_regression(X.astype(np.float64), T, w, penalty=0.1, max_iter=500)
    eps = 1e-5
    for index in [(0, 0), (3, 1), (8, 2)]:
        step = np.zeros_like(W)
        step[index] = eps
        assert abs(loss(W + step) - loss(W - step)) / (2 * eps) < 1e-4


def test_learns_from_soft_labels_and_dev():
    X, y = _blobs(600, 3)
    X_dev, y_dev = _blobs(90, 3)
    X_test, y_test = _blobs(300, 3)
    noisy = np.full((600, 3), 0.1)
    noisy[np.arange(600), y] = 0.8
    model = EndModel(random_state=0).fit(X, noisy, X_dev, y_dev)
    assert (model.predict(X_test) == y_test).mean() > 0.9
    assert model.penalty_ in model.penalties
    assert model.cv_scores_.shape == (len(model.train_weights), len(model.penalties))
    np.testing.assert_allclose(model.predict_proba(X_test).sum(1), 1.0)


def test_end_model_never_sees_test_labels(monkeypatch):
    """Every row the end model trains on is a train row (soft label) or a dev row (gold)."""
    rng = np.random.default_rng(0)
    X, y = _blobs(400, 5, K=2)
    L = np.where(
        rng.random((400, 4)) < 0.3,
        np.where(rng.random((400, 4)) < 0.8, y[:, None], 1 - y[:, None]),
        -1,
    )
    X_dev, y_dev = X[:60] + 0.01, y[:60]
    L_dev = L[:60]
    seen = []
    original = end_model_module.fit_softmax_regression

    def spy(X_fit, targets, weights, penalty, **kwargs):
        seen.append(np.asarray(X_fit, dtype=np.float32))
        return original(X_fit, targets, weights, penalty, **kwargs)

    monkeypatch.setattr(end_model_module, "fit_softmax_regression", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = Liger(thresholds=0.5, end_model="logreg", random_state=0).fit(
            L, X, L_dev, X_dev, y_dev
        )
    allowed = {row.tobytes() for row in np.vstack([X, X_dev]).astype(np.float32)}
    assert seen, "the end model was not trained"
    for X_fit in seen:
        assert all(row.tobytes() in allowed for row in X_fit), "trained on a non-train, non-dev row"
    assert any(len(X_fit) == 400 + 60 for X_fit in seen) or model.end_model_.train_weight_ == 0
    assert model.end_model_ is not None
    proba = model.predict_proba(L[:10], X[:10])
    np.testing.assert_allclose(proba, model.end_model_.predict_proba(X[:10]))
    label_model_proba = model.predict_proba(L[:10], X[:10], source="label_model")
    assert label_model_proba.shape == (10, 2)
    with pytest.raises(ValueError, match="source"):
        model.predict_proba(L[:10], X[:10], source="oracle")


def test_folds_are_stratified():
    y = np.repeat([0, 1, 2], [50, 7, 3])
    folds = _stratified_folds(y, 3, 3, random_state=0)
    for c, size in ((0, 50), (1, 7), (2, 3)):
        counts = np.bincount(folds[y == c], minlength=3)
        assert counts.max() - counts.min() <= 1 and counts.sum() == size
    assert np.bincount(folds).max() - np.bincount(folds).min() <= 1


@pytest.mark.parametrize("cv_metric", ["accuracy", "macro_f1"])
def test_cv_scores_are_the_chosen_metric_of_out_of_fold_predictions(cv_metric, monkeypatch):
    X, y = _blobs(200, 3)
    X_dev, y_dev = _blobs(60, 3)
    soft = np.eye(3)[y]
    scored = []
    original = end_model_module.compute

    def spy(name, y_true, y_pred, K):
        scored.append((name, len(y_true)))
        return original(name, y_true, y_pred, K)

    monkeypatch.setattr(end_model_module, "compute", spy)
    model = EndModel(cv_metric=cv_metric, random_state=0).fit(X, soft, X_dev, y_dev)
    n_candidates = len(model.train_weights) * len(model.penalties)
    assert scored == [(cv_metric, 60)] * n_candidates
    assert (
        model.cv_scores_.max()
        == model.cv_scores_[
            model.train_weights.index(model.train_weight_),
            sorted(model.penalties, reverse=True).index(model.penalty_),
        ]
    )


def test_cv_metric_is_checked():
    X, y = _blobs(50, 3)
    with pytest.raises(ValueError, match="cv_metric: expected one of"):
        EndModel(cv_metric="auc").fit(X, np.eye(3)[y], X[:20], y[:20])
    with pytest.raises(ValueError, match="'f1' for binary tasks only"):
        EndModel(cv_metric="f1").fit(X, np.eye(3)[y], X[:20], y[:20])
