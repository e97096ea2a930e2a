"""Majority vote, with the same estimator interface as
:class:`liger.label_model.triplet.LabelModel`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks.votes import check_cardinality, check_chunk_size
from .base import VoteModel, check_fit_rows, check_fit_statistics
from .chunks import dense_rows
from .class_balance import balance_from_counts, balance_from_majority, resolve_fit_balance
from .statistics import VoteStatistics


class MajorityVoter(VoteModel, saveable=True):
    """Each row's probabilities are the fractions of its (non-abstaining) votes per class.

    Rows where every LF abstains get ``class_balance_`` as probabilities, so :meth:`predict`
    gives them the most frequent class (a tie, handled by ``tie_break_policy``, only if the class
    balance itself is uniform), or -1 with ``predict(L, no_votes="abstain")``;
    ``n_rows_without_votes_`` counts them in the fit. Rows whose vote counts tie get equal
    probabilities on the tied classes and follow ``tie_break_policy``.

    Parameters
    ----------
    cardinality : int, default=2
        Number of classes K; votes are -1 (abstain) or ``0..K-1``.
    class_balance : None, "majority", "dev" or array-like of shape (K,), default=None
        What rows without votes get. ``None`` / ``"majority"``: the distribution of the
        majority-vote winners over the rows of ``fit``'s ``L`` that have votes (ties split).
        ``"dev"``: add-one smoothed class frequencies of ``fit(L, y_dev=...)``. An array: as
        given. (``"likelihood"`` is accepted: with ``y_dev`` it means ``"dev"``, without it
        ``"majority"``; majority vote has no vote likelihood.)
    chunk_size : int, default=65536
        Rows per chunk when counting votes.

    Attributes
    ----------
    class_balance_ : ndarray of shape (K,)
        Probabilities given to rows without votes.
    coverage_ : ndarray of shape (m,)
        Fraction of the fit rows on which each LF voted.
    n_rows_without_votes_ : int
        Fit rows on which every LF abstained (their probabilities are the prior's, see
        :meth:`predict_proba`; ``predict(..., no_votes="abstain")`` gives them -1).
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

        Equivalent to ``fit_statistics(VoteStatistics.from_votes(L, cardinality,
        pairwise=False))``.

        Parameters
        ----------
        L : array-like of int or scipy.sparse CSR / CSC matrix, shape (n, m)
            Votes, -1 = abstain (sparse: missing entries; see :mod:`liger.label_model.statistics`).
        y : None
            Ignored (scikit-learn API compatibility); never train labels.
        y_dev : array-like of int, shape (n_dev,), optional
            Dev labels, only with ``class_balance="dev"`` (or ``"likelihood"``).

        Returns
        -------
        self : MajorityVoter
        """
        K = check_cardinality(self.cardinality)
        chunk = check_chunk_size(self.chunk_size)
        resolve_fit_balance(self.class_balance, K, y_dev)  # bad parameters fail before the pass
        # Majority vote reads no co-occurrences: skip that pass.
        stats = VoteStatistics.from_votes(L, K, chunk_size=chunk, pairwise=False)
        check_fit_rows(stats, L)
        return self.fit_statistics(stats, y_dev=y_dev)

    def fit_statistics(self, stats: VoteStatistics, *, y_dev: Any = None) -> MajorityVoter:
        """Fit from the sufficient statistics of the votes (see :meth:`LabelModel.fit_statistics`).

        Parameters
        ----------
        stats : VoteStatistics
            Statistics of all rows of a vote matrix with ``cardinality`` classes (built with
            ``pairwise=False`` or not: majority vote reads only the vote counts and winners).
        y_dev : array-like of int, shape (n_dev,), optional
            As in :meth:`fit`.

        Returns
        -------
        self : MajorityVoter
        """
        K = check_cardinality(self.cardinality)
        check_chunk_size(self.chunk_size)
        fixed, dev_counts = resolve_fit_balance(self.class_balance, K, y_dev)
        check_fit_statistics(stats, K, pairwise=False)
        if isinstance(fixed, str):
            # No vote likelihood here: "likelihood" with dev labels falls back on those labels.
            if dev_counts is not None:
                fixed = balance_from_counts(dev_counts)
            else:
                fixed = balance_from_majority(stats)
        n = stats.n_rows
        self.class_balance_ = fixed
        self.coverage_ = (n - stats.vote_counts[:, 0]) / n
        self.n_rows_without_votes_ = n - stats.n_rows_with_votes
        self.n_lfs_ = stats.n_lfs
        self._cardinality = K
        return self

    def predict_proba(self, L: Any) -> np.ndarray:
        """Vote fractions per class, shape (n, K); rows without votes get ``class_balance_``."""
        L = self._checked_votes(L)
        K = self._cardinality
        n = L.shape[0]
        chunk = check_chunk_size(self.chunk_size)
        proba = np.empty((n, K))
        for start in range(0, n, chunk):
            Lc = dense_rows(L, start, min(start + chunk, n))
            for c in range(K):
                proba[start : start + chunk, c] = np.count_nonzero(Lc == c, axis=1)
        total = proba.sum(axis=1, keepdims=True)
        covered = total[:, 0] > 0
        proba[covered] /= total[covered]
        proba[~covered] = self.class_balance_
        return proba
