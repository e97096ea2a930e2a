"""Majority vote, with the same estimator interface as :class:`liger.label_model.LabelModel`."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._estimator import ParamsMixin
from .conventions import check_labels, check_votes
from .label_model import (
    TIE_BREAK_POLICIES,
    balance_from_majority,
    break_ties,
    check_cardinality,
    check_chunk_size,
    resolve_fit_balance,
)
from .metrics import compute as compute_metrics


class MajorityVoter(ParamsMixin):
    """Each row's probabilities are the fractions of its (non-abstaining) votes per class.

    Rows where every LF abstains get ``class_balance_`` as probabilities, so :meth:`predict`
    gives them the most frequent class (a tie, handled by ``tie_break_policy``, only if the class
    balance itself is uniform). Rows whose vote counts tie get equal probabilities on the tied
    classes and follow ``tie_break_policy``.

    Parameters
    ----------
    cardinality : int, default=2
        Number of classes K; votes are -1 (abstain) or ``0..K-1``.
    class_balance : None, "majority", "dev" or array-like of shape (K,), default=None
        What rows without votes get. ``None`` / ``"majority"``: the distribution of the
        majority-vote winners over the rows of ``fit``'s ``L`` that have votes (ties split).
        ``"dev"``: add-one smoothed class frequencies of ``fit(L, y_dev=...)``. An array: as
        given. (``"likelihood"`` is accepted and means ``"majority"`` here.)
    chunk_size : int, default=65536
        Rows per chunk when counting votes.

    Attributes
    ----------
    class_balance_ : ndarray of shape (K,)
        Probabilities given to rows without votes.
    coverage_ : ndarray of shape (m,)
        Fraction of the fit rows on which each LF voted.
    n_lfs_ : int
        Number of LFs seen in ``fit``.
    """

    def __init__(
        self, cardinality: int = 2, *, class_balance: Any = None, chunk_size: int = 65536
    ) -> None:
        self.cardinality = cardinality
        self.class_balance = class_balance
        self.chunk_size = chunk_size

    def fit(self, L: Any, y: Any = None, *, y_dev: Any = None) -> MajorityVoter:
        """Record the number of LFs, their coverage and the class balance.

        Parameters
        ----------
        L : array-like of int, shape (n, m)
            Votes, -1 = abstain.
        y : None
            Ignored (scikit-learn API compatibility); never train labels.
        y_dev : array-like of int, shape (n_dev,), optional
            Dev labels, only with ``class_balance="dev"``.

        Returns
        -------
        self : MajorityVoter
        """
        K = check_cardinality(self.cardinality)
        chunk = check_chunk_size(self.chunk_size)
        fixed = resolve_fit_balance(self.class_balance, K, y_dev)
        L = check_votes("L", L, K)
        if isinstance(fixed, str):
            fixed = balance_from_majority(L, K, chunk)
        self.class_balance_ = fixed
        self.coverage_ = np.count_nonzero(L != -1, axis=0) / L.shape[0]
        self.n_lfs_ = L.shape[1]
        self._cardinality = K
        return self

    def _checked_votes(self, L: Any) -> np.ndarray:
        self._check_fitted("class_balance_")
        votes = check_votes("L", L, self._cardinality, allow_empty_rows=True)
        if votes.shape[1] != self.n_lfs_:
            raise ValueError(
                f"L: expected {self.n_lfs_} columns (the LFs seen in fit), got {votes.shape[1]}"
            )
        return votes

    def predict_proba(self, L: Any) -> np.ndarray:
        """Vote fractions per class, shape (n, K); rows without votes get ``class_balance_``."""
        L = self._checked_votes(L)
        K = self._cardinality
        n = L.shape[0]
        chunk = check_chunk_size(self.chunk_size)
        proba = np.empty((n, K))
        for start in range(0, n, chunk):
            Lc = L[start : start + chunk]
            for c in range(K):
                proba[start : start + chunk, c] = np.count_nonzero(Lc == c, axis=1)
        total = proba.sum(axis=1, keepdims=True)
        covered = total[:, 0] > 0
        proba[covered] /= total[covered]
        proba[~covered] = self.class_balance_
        return proba

    def predict(
        self, L: Any, tie_break_policy: str = "abstain", random_state: Any = None
    ) -> np.ndarray:
        """Majority class per row; ties follow ``tie_break_policy``.

        Parameters
        ----------
        L : array-like of int, shape (n, m)
            Votes.
        tie_break_policy : {"abstain", "random", "lowest"}, default="abstain"
            -1, a random tied class (seeded by ``random_state``), or the lowest tied class.
        random_state : None, int or numpy Generator, optional
            Seed for ``"random"``.

        Returns
        -------
        ndarray of int64, shape (n,)
        """
        if tie_break_policy not in TIE_BREAK_POLICIES:
            raise ValueError(
                f"tie_break_policy: expected one of {TIE_BREAK_POLICIES}, got {tie_break_policy!r}"
            )
        return break_ties(self.predict_proba(L), tie_break_policy, random_state)

    def score(
        self,
        L: Any,
        y: Any,
        metrics: Any = ("accuracy",),
        tie_break_policy: str = "abstain",
        random_state: Any = None,
    ) -> dict:
        """``{metric: value}`` of the predictions against ``y`` (see ``LabelModel.score``)."""
        self._check_fitted("class_balance_")
        y = check_labels("y", y, self._cardinality)
        votes = self._checked_votes(L)
        if votes.shape[0] != y.shape[0]:
            raise ValueError(
                f"L and y: expected the same number of rows, got {votes.shape[0]} and {y.shape[0]}"
            )
        pred = self.predict(votes, tie_break_policy, random_state)
        return compute_metrics(metrics, y, pred, self._cardinality)
