"""The end model: a multinomial logistic regression on the embeddings, trained on probabilistic
labels (the label model's posteriors on train) together with gold dev labels.

NumPy + SciPy's L-BFGS (no scikit-learn at run time). The loss is the soft cross-entropy
``-sum_i w_i sum_k t_ik log p_ik`` with an L2 penalty on the weights (not the biases); train
rows are weighted by their label's confidence, so near-uniform posteriors teach little. The
penalty is chosen by k-fold cross-validation over the dev split (dev is small: one split would be
noise): each fold trains on all train rows plus the other dev folds and is scored on its own fold.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from ._estimator import ParamsMixin, SaveMixin
from .metrics import compute

DEFAULT_PENALTIES = (1e-4, 1e-3, 1e-2, 1e-1)
DEFAULT_TRAIN_WEIGHTS = (0.0, 0.1, 1.0)
CV_METRICS = ("accuracy", "f1", "macro_f1")


def _softmax(Z: np.ndarray) -> np.ndarray:
    Z = Z - Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)
    return Z


def fit_softmax_regression(
    X: np.ndarray,
    targets: np.ndarray,
    weights: np.ndarray,
    penalty: float,
    init: np.ndarray | None = None,
    max_iter: int = 200,
) -> np.ndarray:
    """Weights ``W`` of shape (d + 1, K) (last row = biases) minimising the weighted soft
    cross-entropy (mean over rows) plus ``penalty / 2 * ||W[:-1]||^2``."""
    n, d = X.shape
    K = targets.shape[1]
    total = weights.sum()
    w = weights / total

    def loss_and_grad(flat):
        W = flat.reshape(d + 1, K)
        # float32 products (X is float32): half the memory traffic of the two GEMMs per call.
        Z = (X @ W[:-1].astype(np.float32)).astype(np.float64) + W[-1]
        Z -= Z.max(axis=1, keepdims=True)  # stable log-sum-exp
        E = np.exp(Z)
        S = E.sum(axis=1, keepdims=True)
        loss = -(w[:, None] * targets * (Z - np.log(S))).sum()
        G = (E / S - targets) * w[:, None]
        grad = np.empty_like(W)
        grad[:-1] = (X.T @ G.astype(np.float32)).astype(np.float64) + penalty * W[:-1]
        grad[-1] = G.sum(axis=0)
        loss += 0.5 * penalty * np.square(W[:-1]).sum()
        return loss, grad.ravel()

    start = np.zeros((d + 1) * K) if init is None else init.ravel()
    result = minimize(
        loss_and_grad, start, jac=True, method="L-BFGS-B", options={"maxiter": max_iter}
    )
    return result.x.reshape(d + 1, K)


class EndModel(ParamsMixin, SaveMixin):
    """Softmax regression on embeddings from soft train labels and gold dev labels.

    How much the train rows' probabilistic labels count against the dev rows' gold labels, and the
    penalty, are chosen together by cross-validation on dev. A train weight of 0 is among the
    candidates: then the model is the linear probe on the dev labels alone, so on average the end
    model cannot do worse than either signal by more than the noise of that choice.

    Parameters
    ----------
    penalties : sequence of float, default=(1e-4, 1e-3, 1e-2, 1e-1)
        Candidate L2 penalties (on the mean loss).
    train_weights : sequence of float, default=(0.0, 0.1, 1.0)
        Candidate weights of one fully confident train row relative to one dev row.
    n_folds : int, default=3
        Folds of the dev split for that choice, stratified by class.
    cv_metric : {"accuracy", "f1", "macro_f1"}, default="accuracy"
        What the cross-validation maximises, over all out-of-fold predictions (``"f1"``: of
        class 1, binary only). :class:`liger.Liger` passes its ``tune_metric_``.
    random_state : int, optional
        Seed of the fold assignment.
    max_iter : int, default=200

    Attributes
    ----------
    coef_ : ndarray of shape (d, K)
    intercept_ : ndarray of shape (K,)
    penalty_ : float
    train_weight_ : float
        The chosen penalty and train weight.
    cv_scores_ : ndarray of shape (len(train_weights), len(penalties)) or None
        Cross-validated ``cv_metric`` of each candidate (None without dev labels).
    """

    def __init__(
        self,
        *,
        penalties: Any = DEFAULT_PENALTIES,
        train_weights: Any = DEFAULT_TRAIN_WEIGHTS,
        n_folds: int = 3,
        cv_metric: str = "accuracy",
        random_state: int | None = None,
        max_iter: int = 200,
    ):
        self.penalties = penalties
        self.train_weights = train_weights
        self.n_folds = n_folds
        self.cv_metric = cv_metric
        self.random_state = random_state
        self.max_iter = max_iter

    def fit(
        self,
        X_train: np.ndarray,
        proba_train: np.ndarray,
        X_dev: np.ndarray | None = None,
        y_dev: np.ndarray | None = None,
    ) -> EndModel:
        """Fit on soft train labels (and gold dev labels when given).

        Parameters
        ----------
        X_train : ndarray of shape (n, d)
        proba_train : ndarray of shape (n, K)
            Probabilistic labels of the train rows (rows sum to 1).
        X_dev : ndarray of shape (n_dev, d), optional
        y_dev : ndarray of int, shape (n_dev,), optional

        Returns
        -------
        self : EndModel
        """
        # The fits are small (a few thousand rows, (d + 1) x K parameters): multithreaded BLAS
        # spends more time waking threads than computing (measured 80 ms -> 13 ms per fit).
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(X_train, proba_train, X_dev, y_dev)

    def _fit(self, X_train, proba_train, X_dev, y_dev) -> EndModel:
        proba_train = np.asarray(proba_train, dtype=np.float64)
        K = proba_train.shape[1]
        if self.cv_metric not in CV_METRICS or (self.cv_metric == "f1" and K != 2):
            raise ValueError(
                f"cv_metric: expected one of {CV_METRICS} ('f1' for binary tasks only), got "
                f"{self.cv_metric!r} with K={K}"
            )
        X_train = np.asarray(X_train, dtype=np.float32)
        # Confidence weight: 0 for a uniform posterior, 1 for a certain one.
        confidence = (proba_train.max(axis=1) - 1.0 / K) / (1.0 - 1.0 / K)
        penalties = sorted(self.penalties, reverse=True)  # strongest first: warm-start path
        if X_dev is None:
            self.penalty_, self.train_weight_, self.cv_scores_ = penalties[1], 1.0, None
            W = fit_softmax_regression(
                X_train, proba_train, confidence, self.penalty_, max_iter=self.max_iter
            )
        else:
            X_dev = np.asarray(X_dev, dtype=np.float32)
            y_dev = np.asarray(y_dev)
            dev_targets = np.eye(K)[y_dev]
            folds = _stratified_folds(y_dev, K, self.n_folds, self.random_state)
            # Out-of-fold predictions of every candidate, scored with the metric at the end
            # (F1 and macro-F1 are not averages over folds).
            predictions = np.zeros((len(self.train_weights), len(penalties), len(y_dev)), int)
            for a, train_weight in enumerate(self.train_weights):
                for fold in np.unique(folds):
                    held = folds == fold
                    X, T, w = _stack(
                        X_train,
                        proba_train,
                        confidence * train_weight,
                        X_dev[~held],
                        dev_targets[~held],
                    )
                    W = None
                    for p, penalty in enumerate(penalties):
                        W = fit_softmax_regression(X, T, w, penalty, init=W, max_iter=self.max_iter)
                        predictions[a, p, held] = np.argmax(X_dev[held] @ W[:-1] + W[-1], axis=1)
            scores = np.array(
                [
                    [compute(self.cv_metric, y_dev, pred, K)[self.cv_metric] for pred in row]
                    for row in predictions
                ]
            )
            self.cv_scores_ = scores
            # Ties go to the strongest penalty and the smallest train weight (simplest models).
            a, p = np.unravel_index(np.argmax(scores), scores.shape)
            self.train_weight_ = float(self.train_weights[a])
            self.penalty_ = float(penalties[p])
            X, T, w = _stack(
                X_train, proba_train, confidence * self.train_weight_, X_dev, dev_targets
            )
            W = fit_softmax_regression(X, T, w, self.penalty_, max_iter=self.max_iter)
        self.coef_, self.intercept_ = W[:-1], W[-1]
        self.n_classes_ = K
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """``P(y | x)``, shape (n, K)."""
        self._check_fitted("coef_")
        return _softmax(np.asarray(X, dtype=np.float64) @ self.coef_ + self.intercept_)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most probable class, shape (n,)."""
        return np.argmax(self.predict_proba(X), axis=1)


def _stack(X_train, T_train, w_train, X_dev, T_dev):
    """Train rows (dropped when their weight is 0) followed by dev rows of weight 1."""
    keep = w_train > 0
    return (
        np.vstack([X_train[keep], X_dev]),
        np.vstack([T_train[keep], T_dev]),
        np.concatenate([w_train[keep], np.ones(len(X_dev))]),
    )


def _stratified_folds(y: np.ndarray, K: int, n_folds: int, random_state) -> np.ndarray:
    """Fold of every dev row: each class dealt round-robin over the folds in a random order, so
    that every fold sees every class (a rare class can vanish from a purely random fold)."""
    rng = np.random.default_rng(random_state)
    n_folds = max(2, min(n_folds, len(y)))
    folds = np.empty(len(y), dtype=np.int64)
    offset = 0
    for c in range(K):
        rows = rng.permutation(np.flatnonzero(y == c))
        folds[rows] = (np.arange(rows.size) + offset) % n_folds
        offset += rows.size
    return folds
