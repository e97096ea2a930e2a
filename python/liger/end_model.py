"""The end model: a multinomial logistic regression on the embeddings, trained on probabilistic
labels (the label model's posteriors on train) together with gold dev labels.

Two ways to fit it:

- ``fit(X, y, sample_weight=None)``: scikit-learn's classifier convention. ``y`` holds hard
  labels of shape (n,) (any labels: ``classes_`` are their sorted values) or soft labels of shape
  (n, K) (``classes_`` = ``0..K-1``); the penalty is a documented default, no search: the second
  strongest of ``penalties`` (1e-2 by default), the rule the weak fit uses without dev labels.
  ``predict_proba(X)`` / ``predict(X)`` / ``score(X, y)`` read X alone. It passes
  ``sklearn.utils.estimator_checks.check_estimator`` but for the checks documented in
  ``tests/pipeline/test_sklearn_conventions.py``.
- ``_fit_weak(X_train, proba_train, X_dev=None, y_dev=None)``: what :class:`liger.Liger` and
  :class:`liger.Session` call (weak train labels weighted by confidence, gold dev labels, train
  weight and penalty chosen by cross-validation over dev), described below. ``train_weights``,
  ``n_folds`` and ``cv_metric`` are its parameters.

scikit-learn stays an optional dependency (``import liger`` needs NumPy, SciPy and threadpoolctl
only): the tags, ``__sklearn_is_fitted__`` and the parameter protocol are plain methods
(:mod:`liger._estimator`), scikit-learn is imported only when scikit-learn asks for the tags, and
:class:`~liger._estimator.NotFittedError` is scikit-learn's too once scikit-learn is imported. So
``clone``, ``check_is_fitted``, pipelines and grid searches work with it installed, and nothing
requires it otherwise: liger's own stages never need it at run time.

NumPy + SciPy's L-BFGS (no scikit-learn at run time). The loss is the soft cross-entropy
``-sum_i w_i sum_k t_ik log p_ik`` with an L2 penalty on the weights (not the biases); train
rows are weighted by their label's confidence, so near-uniform posteriors teach little. The
penalty is chosen by k-fold cross-validation over the dev split (dev is small: one split would be
noise): each fold trains on all train rows plus the other dev folds and is scored on its own fold.

Speed (the fit sits in the interactive loop): the fits are small and memory-bound, so

- a binary task is solved as the equivalent logistic regression on the logit difference (one
  matrix-vector product per pass over the rows instead of a two-column matrix product, which
  BLAS packs first: about 3x faster per evaluation, same optimum);
- the rows are stacked once; a cross-validation fold gives its held-out rows weight 0 instead of
  copying the others (a zero-weight row adds exactly nothing to the loss or its gradient);
- along the penalty path each fit starts from the previous penalty's solution, and the final fit
  from the mean of the chosen candidate's fold solutions.

The problems are strictly convex, so a starting point changes the solution only within the
optimiser's tolerance, never the candidates compared or how the winner is chosen.

In the interactive loop (``warm_start=True``) a refit keeps the penalty and train weight chosen by
the last cross-validation and runs one fit from the previous coefficients. Starting the whole
cross-validation from the previous call's solutions was measured and does not pay: L-BFGS from
last edit's solution took *more* iterations at the weak penalties (50-61) than from the path's
previous penalty (33-42), youtube, one LF removed.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from ._checks.fit_inputs import as_features, check_sample_weight, check_targets
from ._checks.labels import check_labels
from ._checks.state import state_array, state_int
from ._checks.validation import (
    as_embeddings,
    as_probabilities,
    check_bool,
    check_dims,
    check_int,
    check_random_state,
    check_rows,
)
from ._estimator import ParamsMixin, SaveMixin
from ._progress import stage
from .metrics import compute

DEFAULT_PENALTIES = (1e-4, 1e-3, 1e-2, 1e-1)
# inf: the weak labels alone (dev rows get weight 0); 0: the dev labels alone (the probe). Listed
# in order of preference: ties go to learning from the weak labels.
DEFAULT_TRAIN_WEIGHTS = (float("inf"), 1.0, 0.1, 0.0)
CV_METRICS = ("accuracy", "f1", "macro_f1")
# L-BFGS history (SciPy's default is 10): the weak-penalty fits are ill-conditioned, and 20 pairs
# took 12 % fewer iterations on youtube and 9 % on sms, same tolerance, same cv_scores_.
LBFGS_MEMORY = 20


def _lbfgs(loss_and_grad, start: np.ndarray, max_iter: int):
    """L-BFGS-B on ``loss_and_grad`` (returns the loss and its gradient) from ``start``."""
    return minimize(
        loss_and_grad,
        start,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "maxcor": LBFGS_MEMORY},
    )


class EndModelWarning(UserWarning):
    """The end model did something a user should know about (e.g. it ignored the weak labels)."""


def _softmax(Z: np.ndarray) -> np.ndarray:
    Z = Z - Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)
    return Z


@lru_cache(maxsize=1)
def _blas_controller():
    # threadpool_limits() re-inspects the loaded libraries on every call (about 1 ms); a
    # controller built once limits them in microseconds.
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def fit_softmax_regression(
    X: np.ndarray,
    targets: np.ndarray,
    weights: np.ndarray,
    penalty: float,
    init: np.ndarray | None = None,
    max_iter: int = 200,
    return_n_iter: bool = False,
):
    """Weights ``W`` of shape (d + 1, K) (last row = biases) minimising the weighted soft
    cross-entropy (mean over rows) plus ``penalty / 2 * ||W[:-1]||^2``.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        float32 (or float64) rows.
    targets : ndarray of shape (n, K)
        Target distributions (rows sum to 1).
    weights : ndarray of shape (n,)
        Non-negative row weights (a zero-weight row does not count); normalised to sum to 1.
    penalty : float
    init : ndarray of shape (d + 1, K), optional
        Starting point (any point: the problem is strictly convex).
    max_iter : int, default=200
    return_n_iter : bool, default=False
        Also return the number of L-BFGS iterations.

    Returns
    -------
    W : ndarray of shape (d + 1, K)
    n_iter : int
        Only when ``return_n_iter``.
    """
    if targets.shape[1] == 2:
        W, n_iter = _fit_binary(X, targets, weights, penalty, init, max_iter)
    else:
        W, n_iter = _fit_multinomial(X, targets, weights, penalty, init, max_iter)
    return (W, n_iter) if return_n_iter else W


def _fit_multinomial(X, targets, weights, penalty, init, max_iter):
    n, d = X.shape
    K = targets.shape[1]
    w = weights / weights.sum()

    def loss_and_grad(flat):
        W = flat.reshape(d + 1, K)
        # float32 products (X is float32): half the memory traffic of the two GEMMs per call.
        Z = (X @ W[:-1].astype(X.dtype)).astype(np.float64) + W[-1]
        Z -= Z.max(axis=1, keepdims=True)  # stable log-sum-exp
        E = np.exp(Z)
        S = E.sum(axis=1, keepdims=True)
        loss = -(w[:, None] * targets * (Z - np.log(S))).sum()
        G = (E / S - targets) * w[:, None]
        grad = np.empty_like(W)
        grad[:-1] = (G.T.astype(X.dtype) @ X).T + penalty * W[:-1]
        grad[-1] = G.sum(axis=0)
        loss += 0.5 * penalty * np.square(W[:-1]).sum()
        return loss, grad.ravel()

    start = np.zeros((d + 1) * K) if init is None else np.asarray(init, dtype=np.float64).ravel()
    result = _lbfgs(loss_and_grad, start, max_iter)
    return result.x.reshape(d + 1, K), int(result.nit)


def _fit_binary(X, targets, weights, penalty, init, max_iter):
    """Two classes: the softmax only sees the logit difference ``v = W[:, 1] - W[:, 0]``, and
    for a given ``v`` the penalty ``|W_0|^2 + |W_1|^2`` is smallest at ``W_1 = -W_0 = v / 2``,
    where it is ``|v|^2 / 2``. So the softmax problem is the logistic regression of the class-1
    target on ``x`` with penalty ``penalty / 2`` (on ``|v|^2 / 2``), and ``W = [-v/2, v/2]``."""
    n, d = X.shape
    w = weights / weights.sum()
    t = np.asarray(targets[:, 1], dtype=np.float64)
    lam = 0.5 * penalty

    def loss_and_grad(flat):
        v = flat[:-1]
        z = (X @ v.astype(X.dtype)).astype(np.float64)
        z += flat[-1]
        # log(1 + e^z) - t z is the cross-entropy of the target t against sigmoid(z).
        loss = w @ (np.logaddexp(0.0, z) - t * z) + 0.5 * lam * (v @ v)
        g = w * (expit(z) - t)
        grad = np.empty(d + 1)
        grad[:-1] = g.astype(X.dtype) @ X
        grad[:-1] += lam * v
        grad[-1] = g.sum()
        return loss, grad

    if init is None:
        start = np.zeros(d + 1)
    else:
        init = np.asarray(init, dtype=np.float64)
        start = init[:, 1] - init[:, 0]
    result = _lbfgs(loss_and_grad, start, max_iter)
    half = 0.5 * result.x
    return np.stack([-half, half], axis=1), int(result.nit)


class EndModel(ParamsMixin, SaveMixin, saveable=True):
    """Softmax regression on embeddings; a scikit-learn classifier.

    :meth:`fit` ``(X, y, sample_weight=None)`` follows scikit-learn: hard labels (n,) or soft
    labels (n, K), optional row weights, penalty the second strongest of ``penalties``.

    :meth:`_fit_weak` ``(X_train, proba_train, X_dev, y_dev)`` is the fit of the weak supervision
    pipeline (:class:`liger.Liger`, :class:`liger.Session`), from soft train labels and gold dev
    labels. How much the train rows' probabilistic labels count against the dev rows' gold
    labels, and the penalty, are chosen together by cross-validation on dev. A train weight of 0
    is among the candidates: then the model is the linear probe on the dev labels alone, so on
    average the end model cannot do worse than either signal by more than the noise of that
    choice.

    Parameters
    ----------
    penalties : sequence of float, default=(1e-4, 1e-3, 1e-2, 1e-1)
        Candidate L2 penalties (on the mean loss).
    train_weights : sequence of float, default=(inf, 1.0, 0.1, 0.0)
        Candidate weights of one fully confident train row relative to one dev row: ``inf``
        learns from the weak (train) labels alone, ``0`` from the dev labels alone (the linear
        probe; a warning says so when it is chosen). Ties in the cross-validation go to the
        candidate listed first.
    n_folds : int, default=3
        Folds of the dev split for that choice, stratified by class.
    cv_metric : {"accuracy", "f1", "macro_f1"}, default="accuracy"
        What the cross-validation maximises, over all out-of-fold predictions (``"f1"``: of
        class 1, binary only). :class:`liger.Liger` passes its ``tune_metric_``.
    random_state : int, optional
        Seed of the fold assignment.
    max_iter : int, default=200
    warm_start : bool, default=False
        When True and the model was fitted before (same embedding dimension, number of classes
        and presence of dev labels), :meth:`fit` keeps the penalty and train weight chosen by
        that fit's cross-validation and runs a single fit from its coefficients: one fit instead
        of ``len(train_weights) * len(penalties) * n_folds + 1`` (an edited LF changes the train
        labels a little; re-choosing the hyperparameters each time is what a cold fit is for:
        ``set_params(warm_start=False).fit(...)``). ``cv_scores_`` stays the one that chose them.

    Attributes
    ----------
    classes_ : ndarray of shape (K,)
        The class labels (``0..K-1`` unless :meth:`fit` was given hard labels of other values).
    n_features_in_ : int
        The embedding dimension d.
    coef_ : ndarray of shape (d, K)
    intercept_ : ndarray of shape (K,)
    penalty_ : float
    train_weight_ : float
        The chosen penalty and train weight.
    cv_scores_ : ndarray of shape (len(train_weights), len(penalties)) or None
        Cross-validated ``cv_metric`` of each candidate (None without dev labels); columns in
        the order of ``penalties`` sorted from the strongest to the weakest.
    n_iter_ : int
        L-BFGS iterations of the last :meth:`fit`, over all its fits.
    weak_rows_, dev_rows_ : int
        How many weak-labelled train rows (those with a confident label) and dev rows the final
        fit learned from.
    """

    _FITTED = "coef_"
    _INPUT_KIND = "embeddings"  # scikit-learn tags: float features, fit(X, y) needs y
    _ESTIMATOR_TYPE = "classifier"

    def __init__(
        self,
        *,
        penalties: Any = DEFAULT_PENALTIES,
        train_weights: Any = DEFAULT_TRAIN_WEIGHTS,
        n_folds: int = 3,
        cv_metric: str = "accuracy",
        random_state: int | None = None,
        max_iter: int = 200,
        warm_start: bool = False,
    ):
        self.penalties = penalties
        self.train_weights = train_weights
        self.n_folds = n_folds
        self.cv_metric = cv_metric
        self.random_state = random_state
        self.max_iter = max_iter
        self.warm_start = warm_start

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> EndModel:
        """Fit on labelled rows (scikit-learn's classifier convention).

        Parameters
        ----------
        X : array-like of shape (n, d)
            Features (embeddings); float32 internally.
        y : array-like of shape (n,) or (n, K)
            Hard labels (any sortable values; at least 2 distinct), or soft labels: rows of K >= 2
            class probabilities summing to 1 (then ``classes_`` is ``0..K-1``).
        sample_weight : array-like of shape (n,), optional
            Non-negative row weights (a weight of 0 is the row's absence); default all 1.

        Returns
        -------
        self : EndModel

        Notes
        -----
        The loss is the weighted soft cross-entropy (mean over the weight) plus the L2 penalty
        ``penalty / 2 * ||coef_||^2``, with ``penalty`` the second strongest of ``penalties``
        (no search: deterministic, and integer weights are exactly repeated rows).
        ``warm_start=True`` starts from the previous coefficients when their shape fits (the
        problem is strictly convex: same optimum). ``train_weights``, ``n_folds`` and
        ``cv_metric`` are not used here (they are :meth:`_fit_weak`'s).
        """
        with _blas_controller().limit(limits=1, user_api="blas"):
            return self._fit_labelled(X, y, sample_weight)

    def _fit_labelled(self, X, y, sample_weight) -> EndModel:
        self._check_hyperparameters()
        X = as_features("X", X)
        classes, targets = check_targets("y", y, X.shape[0])
        weights = check_sample_weight(sample_weight, X.shape[0])
        K = targets.shape[1]
        self._check_cv_metric(K)
        keep = weights > 0  # a zero-weight row adds nothing: dropped
        start = None
        if self.warm_start and getattr(self, "coef_", np.empty(0)).shape == (X.shape[1], K):
            start = np.vstack([self.coef_, self.intercept_])
        penalty = self._default_penalty()
        W, self.n_iter_ = fit_softmax_regression(
            X[keep], targets[keep], weights[keep], penalty, start, self.max_iter, True
        )
        self.penalty_, self.train_weight_, self.cv_scores_ = penalty, 1.0, None
        self.coef_, self.intercept_ = W[:-1], W[-1]
        self.n_classes_, self.classes_ = K, classes
        return self

    def _default_penalty(self) -> float:
        """The penalty without labels to choose by: the second strongest (the only one if so)."""
        penalties = sorted(self.penalties, reverse=True)
        return float(penalties[min(1, len(penalties) - 1)])

    def _fit_weak(
        self,
        X_train: np.ndarray,
        proba_train: np.ndarray,
        X_dev: np.ndarray | None = None,
        y_dev: np.ndarray | None = None,
    ) -> EndModel:
        """Fit on soft train labels (and gold dev labels when given): the weak supervision fit
        :class:`liger.Liger` and :class:`liger.Session` make.

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
        with stage("end model"), _blas_controller().limit(limits=1, user_api="blas"):
            return self._fit(X_train, proba_train, X_dev, y_dev)

    def _check_cv_metric(self, K: int) -> None:
        if (
            not isinstance(self.cv_metric, str)
            or self.cv_metric not in CV_METRICS
            or (self.cv_metric == "f1" and K != 2)
        ):
            raise ValueError(
                f"cv_metric: expected one of {CV_METRICS} ('f1' for binary tasks only), got "
                f"{self.cv_metric!r} with K={K}"
            )

    def _check_hyperparameters(self) -> None:
        _check_grid("penalties", self.penalties)
        _check_grid("train_weights", self.train_weights, allow_inf=True)
        check_int("n_folds", self.n_folds, 2)
        check_int("max_iter", self.max_iter, 1)
        check_random_state(self.random_state)
        check_bool("warm_start", self.warm_start)

    def _fit(self, X_train, proba_train, X_dev, y_dev) -> EndModel:
        self._check_hyperparameters()
        # No train rows: the linear probe on the dev labels alone (liger.report).
        X_train = as_embeddings("X_train", X_train, allow_empty_rows=X_dev is not None)
        proba_train = as_probabilities("proba_train", proba_train, allow_empty_rows=True)
        check_rows("X_train", X_train, "proba_train", proba_train)
        K = proba_train.shape[1]
        self._check_cv_metric(K)
        if (X_dev is None) != (y_dev is None):
            raise ValueError("X_dev and y_dev: expected both (a labelled dev split) or neither")
        if X_dev is not None:
            X_dev = as_embeddings("X_dev", X_dev)
            check_dims("X_train", X_train, "X_dev", X_dev)
            y_dev = check_labels("y_dev", y_dev, K)
            check_rows("X_dev", X_dev, "y_dev", y_dev)
        self.n_iter_ = 0

        def solve(X, T, w, penalty, start):
            W, n_iter = fit_softmax_regression(
                X, T, w, penalty, init=start, max_iter=self.max_iter, return_n_iter=True
            )
            self.n_iter_ += n_iter
            return W

        # Confidence weight: 0 for a uniform posterior, 1 for a certain one. Rows of weight 0
        # teach nothing under any train weight: dropped once.
        confidence = (proba_train.max(axis=1) - 1.0 / K) / (1.0 - 1.0 / K)
        keep = confidence > 0
        X_kept, T_kept, c_kept = X_train[keep], proba_train[keep], confidence[keep]
        if X_dev is not None:
            dev_targets = np.eye(K)[y_dev]
        if self._can_refit(X_train.shape[1], K, X_dev is not None):
            # Interactive refit: the last cross-validation's choice, from its coefficients.
            start = np.vstack([self.coef_, self.intercept_])
            if X_dev is None:
                W = solve(X_kept, T_kept, c_kept, self.penalty_, start)
            else:
                X, T, w = _final_rows(
                    X_kept, T_kept, c_kept, X_dev, dev_targets, self.train_weight_
                )
                W = solve(X, T, w, self.penalty_, start)
            self.coef_, self.intercept_ = W[:-1], W[-1]
            self._set_learned_from(X_kept.shape[0], X_dev)
            return self
        penalties = sorted(self.penalties, reverse=True)  # strongest first: warm-start path
        if X_dev is None:
            # Without dev labels to choose by: the second strongest penalty (the only one if so).
            default = penalties[min(1, len(penalties) - 1)]
            self.penalty_, self.train_weight_, self.cv_scores_ = default, 1.0, None
            W = solve(X_kept, T_kept, c_kept, self.penalty_, None)
        else:
            folds = _stratified_folds(y_dev, K, self.n_folds, self.random_state)
            fold_ids = np.unique(folds)
            # Train rows then dev rows, stacked once; a candidate (train weight) and a fold only
            # set the row weights. Train weight 0 is the probe: the dev rows alone.
            X_all = np.vstack([X_kept, X_dev])
            T_all = np.vstack([T_kept, dev_targets])
            solutions = {}
            # Out-of-fold predictions of every candidate, scored with the metric at the end
            # (F1 and macro-F1 are not averages over folds).
            # No confident train row: only the dev labels can teach (the probe).
            weights = list(self.train_weights) if X_kept.shape[0] else [0.0]
            predictions = np.zeros((len(weights), len(penalties), len(y_dev)), int)
            for a, train_weight in enumerate(weights):
                for fold in fold_ids:
                    held = folds == fold
                    dev_weight = (~held).astype(np.float64)
                    if np.isinf(train_weight):
                        X, T = X_all, T_all
                        w = np.concatenate([c_kept, np.zeros(len(y_dev))])
                    elif train_weight > 0:
                        X, T = X_all, T_all
                        w = np.concatenate([c_kept * train_weight, dev_weight])
                    else:
                        X, T, w = X_dev, dev_targets, dev_weight
                    W = None
                    for p, penalty in enumerate(penalties):
                        W = solutions[a, fold, p] = solve(X, T, w, penalty, W)
                        predictions[a, p, held] = np.argmax(X_dev[held] @ W[:-1] + W[-1], axis=1)
            scores = np.array(
                [
                    [compute(self.cv_metric, y_dev, pred, K)[self.cv_metric] for pred in row]
                    for row in predictions
                ]
            )
            self.cv_scores_ = scores
            # Ties go to the strongest penalty and the train weight listed first.
            a, p = np.unravel_index(np.argmax(scores), scores.shape)
            self.train_weight_ = float(weights[a])
            self.penalty_ = float(penalties[p])
            X, T, w = _final_rows(X_kept, T_kept, c_kept, X_dev, dev_targets, self.train_weight_)
            # The final rows are the union of every fold's: start from their mean solution.
            start = np.mean([solutions[a, fold, p] for fold in fold_ids], axis=0)
            W = solve(X, T, w, self.penalty_, start)
            if self.train_weight_ == 0 and X_kept.shape[0] > 0:
                warnings.warn(
                    f"EndModel learned from the {len(y_dev)} dev labels alone and ignored the "
                    f"weak labels of {X_kept.shape[0]} train rows: the dev-label probe scored "
                    f"best in cross-validation ({self.cv_metric} {scores.max():.3f}); the weak "
                    "labels are likely worse than the dev labels here (check the LFs, or pass "
                    "more train rows)",
                    EndModelWarning,
                    stacklevel=3,
                )
        self.coef_, self.intercept_ = W[:-1], W[-1]
        self.n_classes_, self.classes_ = K, np.arange(K)
        self._set_learned_from(X_kept.shape[0], X_dev)
        return self

    def _set_learned_from(self, n_weak: int, X_dev) -> None:
        """``weak_rows_`` / ``dev_rows_``: how many rows of each kind the final fit learned from."""
        self.weak_rows_ = int(n_weak) if self.train_weight_ > 0 else 0
        self.dev_rows_ = 0 if X_dev is None or np.isinf(self.train_weight_) else len(X_dev)

    def _can_refit(self, d: int, K: int, has_dev: bool) -> bool:
        if not self.warm_start or not hasattr(self, "coef_"):
            return False
        return self.coef_.shape == (d, K) and (self.cv_scores_ is not None) == has_dev

    def _check_state(self) -> None:
        """The fitted state's schema (checked by :func:`liger.load` before the model is used)."""
        if "coef_" not in vars(self):
            return
        K = state_int(self, "n_classes_", 2)
        state_array(self, "coef_", "f", (None, K), finite=True)
        state_array(self, "intercept_", "f", (K,), finite=True)

    @property
    def n_features_in_(self) -> int:
        """The embedding dimension seen in ``fit`` (AttributeError before it)."""
        return self.coef_.shape[0]

    def _after_load(self) -> None:
        # Files saved before ``classes_`` existed: the weak fit's classes 0..K-1.
        if "classes_" not in vars(self) and hasattr(self, "coef_"):
            self.classes_ = np.arange(self.coef_.shape[1])

    def predict_proba(self, X: Any) -> np.ndarray:
        """``P(y | x)``, shape (n, K): columns in the order of ``classes_``."""
        self._check_fitted()
        X = as_features("X", X)
        if X.shape[1] != self.coef_.shape[0]:
            raise ValueError(
                f"X has {X.shape[1]} features, but EndModel is expecting {self.coef_.shape[0]} "
                "features as input (the embedding dimension of fit)"
            )
        return _softmax(X.astype(np.float64) @ self.coef_ + self.intercept_)

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class (an element of ``classes_``; ties to the first), shape (n,)."""
        best = np.argmax(self.predict_proba(X), axis=1)  # NotFittedError first
        return self.classes_[best]

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy of :meth:`predict` against labels ``y`` (weighted by ``sample_weight``).

        Parameters
        ----------
        X : array-like of shape (n, d)
        y : array-like of shape (n,)
            Labels (elements of ``classes_``; others count as wrong).
        sample_weight : array-like of shape (n,), optional

        Returns
        -------
        float
        """
        predictions = self.predict(X)
        if y is None:
            raise ValueError("y: expected an array of labels, got None")
        y = np.asarray(y)
        if y.shape != predictions.shape:
            raise ValueError(
                f"X and y: expected {predictions.shape[0]} labels of shape (n,), got shape "
                f"{y.shape}"
            )
        weights = check_sample_weight(sample_weight, y.shape[0])
        return float(np.average(predictions == y, weights=weights))


def _check_grid(name: str, values: Any, allow_inf: bool = False) -> None:
    """A non-empty 1-D sequence of finite numbers >= 0 (penalties, train weights; these may be
    ``inf`` when ``allow_inf``)."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected a sequence of numbers, got {values!r}") from None
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name}: expected a non-empty sequence of numbers, got {values!r}")
    valid = ~np.isnan(array) & ((array < np.inf) | allow_inf)
    if not valid.all() or (array < 0).any():
        what = "numbers >= 0 (or inf)" if allow_inf else "finite numbers >= 0"
        raise ValueError(f"{name}: expected {what}, got {values!r}")


def _final_rows(X_kept, T_kept, c_kept, X_dev, dev_targets, train_weight):
    """Rows, targets and weights of the final fit: the kept train rows (unless the train weight
    is 0) and every dev row with weight 1 (unless the train weight is inf)."""
    if np.isinf(train_weight):
        return X_kept, T_kept, c_kept
    dev_weight = np.ones(len(X_dev))
    if train_weight > 0:
        return (
            np.vstack([X_kept, X_dev]),
            np.vstack([T_kept, dev_targets]),
            np.concatenate([c_kept * train_weight, dev_weight]),
        )
    return X_dev, dev_targets, dev_weight


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
