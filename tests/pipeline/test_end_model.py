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
    model = EndModel(random_state=0)._fit_weak(X, noisy, X_dev, y_dev)
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
    model = EndModel(cv_metric=cv_metric, random_state=0)._fit_weak(X, soft, X_dev, y_dev)
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
        EndModel(cv_metric="auc")._fit_weak(X, np.eye(3)[y], X[:20], y[:20])
    with pytest.raises(ValueError, match="'f1' for binary tasks only"):
        EndModel(cv_metric="f1")._fit_weak(X, np.eye(3)[y], X[:20], y[:20])


def _reference_softmax(X, T, w, penalty):
    """The softmax problem solved directly (the multinomial path), tightly: the reference for the
    binary shortcut."""
    W, _ = end_model_module._fit_multinomial(X, T, w, penalty, None, 2000)
    return W


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_shortcut_solves_the_softmax_problem(seed):
    """K = 2 is solved as a logistic regression on the logit difference with half the penalty:
    the same optimum as the two-column softmax problem."""
    rng = np.random.default_rng(seed)
    X, y = _blobs(120, seed, K=2, d=6)
    T = softmax(rng.standard_normal((120, 2)) + 2 * np.eye(2)[y], axis=1)
    w = rng.random(120) * (rng.random(120) > 0.2)  # some zero weights
    penalty = float(rng.choice([1e-3, 1e-2, 1e-1]))
    W = fit_softmax_regression(X.astype(np.float64), T, w, penalty, max_iter=2000)
    reference = _reference_softmax(X.astype(np.float64), T, w, penalty)
    np.testing.assert_allclose(W, reference, atol=2e-3)
    np.testing.assert_allclose(W[:, 0], -W[:, 1])  # the penalty's minimum-norm split
    Z = X @ W[:-1] + W[-1]
    np.testing.assert_allclose(
        softmax(Z, axis=1), softmax(X @ reference[:-1] + reference[-1], axis=1), atol=2e-3
    )


@pytest.mark.parametrize("K", [2, 3])
def test_zero_weight_rows_are_the_same_as_dropped_rows(K):
    """Cross-validation gives held-out rows weight 0 instead of copying the others out."""
    rng = np.random.default_rng(K)
    X, y = _blobs(90, 4, K=K, d=5)
    T = np.eye(K)[y]
    w = rng.random(90)
    held = rng.random(90) < 0.3
    kept = fit_softmax_regression(X[~held], T[~held], w[~held], 0.01, max_iter=2000)
    zeroed = fit_softmax_regression(X, T, np.where(held, 0.0, w), 0.01, max_iter=2000)
    np.testing.assert_allclose(zeroed, kept, atol=1e-4)


def _reference_cv_scores(X_train, proba, X_dev, y_dev, model):
    """The cross-validation written plainly: per candidate and fold, copy the training rows out
    and fit from zero."""
    K = proba.shape[1]
    confidence = (proba.max(1) - 1 / K) / (1 - 1 / K)
    folds = _stratified_folds(y_dev, K, model.n_folds, model.random_state)
    penalties = sorted(model.penalties, reverse=True)
    scores = np.zeros((len(model.train_weights), len(penalties)))
    for a, train_weight in enumerate(model.train_weights):
        for p, penalty in enumerate(penalties):
            predictions = np.zeros(len(y_dev), int)
            for fold in np.unique(folds):
                held = folds == fold
                # inf: the train rows alone (each at its confidence); 0: the dev rows alone.
                weak_only = np.isinf(train_weight)
                keep = confidence * (1.0 if weak_only else train_weight) > 0
                dev_rows = np.zeros(len(y_dev), bool) if weak_only else ~held
                X = np.vstack([X_train[keep], X_dev[dev_rows]])
                T = np.vstack([proba[keep], np.eye(K)[y_dev[dev_rows]]])
                scale = 1.0 if weak_only else train_weight
                w = np.concatenate([confidence[keep] * scale, np.ones(dev_rows.sum())])
                W = fit_softmax_regression(X, T, w, penalty, max_iter=2000)
                predictions[held] = np.argmax(X_dev[held] @ W[:-1] + W[-1], axis=1)
            scores[a, p] = (predictions == y_dev).mean()
    return scores


@pytest.mark.parametrize("K", [2, 3])
def test_cv_scores_match_a_plain_reference(K):
    X, y = _blobs(200, 7, K=K)
    X_dev, y_dev = _blobs(45, 8, K=K)
    rng = np.random.default_rng(0)
    noisy = softmax(3 * np.eye(K)[np.where(rng.random(200) < 0.8, y, (y + 1) % K)], axis=1)
    model = EndModel(random_state=0)._fit_weak(X, noisy, X_dev, y_dev)
    with end_model_module._blas_controller().limit(limits=1, user_api="blas"):
        reference = _reference_cv_scores(X, noisy, X_dev, y_dev, model)
    np.testing.assert_array_equal(model.cv_scores_, reference)


def test_warm_start_refits_with_the_chosen_hyperparameters():
    X, y = _blobs(400, 11, K=2)
    X_dev, y_dev = _blobs(60, 12, K=2)
    rng = np.random.default_rng(3)
    soft = softmax(2 * np.eye(2)[y] + rng.standard_normal((400, 2)), axis=1)
    model = EndModel(random_state=0, warm_start=True)._fit_weak(X, soft, X_dev, y_dev)
    chosen, cv_scores, cold_iterations = (
        (model.penalty_, model.train_weight_),
        model.cv_scores_,
        model.n_iter_,
    )
    # The same data again: the previous coefficients are already optimal.
    model._fit_weak(X, soft, X_dev, y_dev)
    assert model.n_iter_ <= 2
    # An edit moves some train labels: one fit from the previous solution, same hyperparameters.
    edited = soft.copy()
    edited[:40] = edited[:40, ::-1]
    model._fit_weak(X, edited, X_dev, y_dev)
    assert (model.penalty_, model.train_weight_) == chosen
    assert model.cv_scores_ is cv_scores
    assert model.n_iter_ < cold_iterations / 5
    # ... and the result is that problem's optimum: a cold fit with those hyperparameters.
    confidence = edited.max(1) * 2 - 1
    keep = confidence > 0
    X_final = np.vstack([X[keep], X_dev])
    T_final = np.vstack([edited[keep], np.eye(2)[y_dev]])
    w_final = np.concatenate([confidence[keep] * chosen[1], np.ones(60)])
    reference = fit_softmax_regression(X_final, T_final, w_final, chosen[0], max_iter=2000)
    np.testing.assert_allclose(model.coef_, reference[:-1], atol=5e-3)
    # warm_start=False chooses again (the full cross-validation).
    model.set_params(warm_start=False)._fit_weak(X, edited, X_dev, y_dev)
    assert model.cv_scores_ is not cv_scores and model.n_iter_ > cold_iterations / 5
    # A different embedding dimension cannot reuse anything.
    warm = EndModel(random_state=0, warm_start=True)._fit_weak(X, soft, X_dev, y_dev)
    warm._fit_weak(X[:, :4], soft, X_dev[:, :4], y_dev)
    assert warm.coef_.shape == (4, 2) and warm.cv_scores_ is not None


def test_liger_warm_start_reuses_the_end_model():
    X, y = _blobs(400, 5, K=2)
    rng = np.random.default_rng(1)
    L = np.where(
        rng.random((400, 4)) < 0.4,
        np.where(rng.random((400, 4)) < 0.8, y[:, None], 1 - y[:, None]),
        -1,
    )
    X_dev, y_dev, L_dev = X[:60] + 0.01, y[:60], L[:60]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = Liger(thresholds=0.5, end_model="logreg", warm_start=True, random_state=0)
        first = model.fit(L, X, L_dev, X_dev, y_dev).end_model_
        chosen = (first.penalty_, first.train_weight_)
        L_edited = L.copy()
        L_edited[:, 0] = -1
        second = model.fit(L_edited, X, L_dev, X_dev, y_dev).end_model_
        assert second is first and (second.penalty_, second.train_weight_) == chosen
        cold = Liger(thresholds=0.5, end_model="logreg", random_state=0)
        assert (
            cold.fit(L, X, L_dev, X_dev, y_dev).end_model_
            is not cold.fit(L_edited, X, L_dev, X_dev, y_dev).end_model_
        )
