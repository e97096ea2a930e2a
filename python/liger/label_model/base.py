"""What every model of a vote matrix shares: ``VoteModel`` (checking votes against the fit,
``predict`` with a tie-break policy, ``score``), the tie break, and the checks of statistics and
rows a fit reads (used by :class:`~liger.label_model.triplet.LabelModel` and
:class:`~liger.label_model.majority.MajorityVoter`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks.labels import check_labels
from .._checks.state import state_array, state_int, state_probabilities
from .._checks.validation import ABSTAIN, MAX_CLASSES, check_random_state
from .._checks.votes import check_vote_matrix
from .._estimator import ParamsMixin, SaveMixin
from ..metrics import compute as compute_metrics
from .encoding import EncodedVotes, rows_without_votes
from .statistics import VoteStatistics

TIE_BREAK_POLICIES = ("abstain", "random", "lowest")
# What predict() gives a row on which every LF abstains (see VoteModel.predict).
NO_VOTE_POLICIES = ("posterior", "abstain")

# Probabilities closer than this are a tie in predict(). Exact symmetric cases (an all-abstain row
# with a uniform class balance) are equal only up to rounding after the log/exp round trip.
TIE_TOLERANCE = 1e-9


def break_ties(proba: np.ndarray, tie_break_policy: str, random_state: Any = None) -> np.ndarray:
    """Argmax of each row of ``proba``; rows whose top classes tie follow ``tie_break_policy``.

    ``"abstain"`` returns -1, ``"lowest"`` the lowest tied class, ``"random"`` a tied class chosen
    uniformly by ``numpy.random.default_rng(random_state)``.
    """
    if tie_break_policy not in TIE_BREAK_POLICIES:
        raise ValueError(
            f"tie_break_policy: expected one of {TIE_BREAK_POLICIES}, got {tie_break_policy!r}"
        )
    random_state = check_random_state(random_state)  # checked even when no row ties
    top = proba.max(axis=1, keepdims=True)
    tied = proba >= top - TIE_TOLERANCE
    pred = np.argmax(tied, axis=1)  # lowest tied class
    multiple = tied.sum(axis=1) > 1
    if not multiple.any() or tie_break_policy == "lowest":
        return pred
    if tie_break_policy == "abstain":
        pred[multiple] = ABSTAIN
        return pred
    rng = np.random.default_rng(random_state)
    rows = np.flatnonzero(multiple)
    # Uniform among the tied classes: the argmax of random keys restricted to them.
    keys = np.where(tied[rows], rng.random((rows.size, proba.shape[1])), -1.0)
    pred[rows] = np.argmax(keys, axis=1)
    return pred


def softmax_rows(log_joint: np.ndarray) -> np.ndarray:
    log_joint -= log_joint.max(axis=1, keepdims=True)
    np.exp(log_joint, out=log_joint)
    log_joint /= log_joint.sum(axis=1, keepdims=True)
    return log_joint


def check_fit_rows(stats: VoteStatistics, L: Any) -> None:
    """``fit(L)`` needs at least one row (statistics of a zero-row chunk are fine to merge)."""
    if stats.n_rows == 0:
        raise ValueError(f"L: expected a non-empty array, got shape {np.shape(L)}")


def check_fit_statistics(stats: Any, cardinality: int, pairwise: bool = True) -> None:
    """``stats`` are complete statistics of ``cardinality`` classes (with the co-occurrence
    counts when ``pairwise``)."""
    if not isinstance(stats, VoteStatistics):
        raise TypeError(f"stats: expected a VoteStatistics, got {type(stats).__name__}")
    if stats.cardinality != cardinality:
        raise ValueError(
            f"stats: expected statistics of {cardinality} classes (cardinality={cardinality}), "
            f"got {stats.cardinality}"
        )
    if stats.n_rows == 0:
        raise ValueError("stats: expected statistics of at least one row, got none")
    if pairwise and not stats.pairwise:
        raise ValueError(
            "stats: the label model needs the co-occurrence counts; got statistics built with "
            "VoteStatistics.from_votes(..., pairwise=False)"
        )
    if not stats.is_complete:
        raise ValueError(
            f"stats: expected statistics of all {stats.total_rows} rows, got rows "
            f"{list(stats.row_ranges)}; merge the statistics of every chunk first"
        )


# --------------------------------------------------------------------------------------------


class VoteModel(ParamsMixin, SaveMixin):
    """What every model of a vote matrix shares: checking votes against the fit, ``predict`` with a
    tie-break policy, and ``score``. Subclasses set ``_FITTED`` (an attribute that exists once
    fitted) and implement ``fit`` and ``predict_proba``."""

    _FITTED = "class_balance_"
    _INPUT_KIND = "votes"  # scikit-learn tags: an integer vote matrix, fit(L) needs no y
    # Whether predict_proba reads EncodedVotes (the label model's posterior lookups) as votes.
    _READS_ENCODED = False

    def _check_state(self) -> tuple[int, int] | None:
        """The fitted state's schema (what :func:`liger.load` checks before the model is used):
        ``(K, m)``, or None when not fitted. Subclasses extend it."""
        if self._FITTED not in vars(self):
            return None
        K = state_int(self, "_cardinality", 2, MAX_CLASSES)
        m = state_int(self, "n_lfs_", 1)
        state_probabilities(self, "class_balance_", K)
        state_array(self, "coverage_", "f", (m,), low=-1e-6, high=1 + 1e-6)
        return K, m

    def _checked_votes(self, L: Any) -> Any:
        """Validated votes (dense in their own dtype, or CSR) with the fitted number of LFs, or
        :class:`EncodedVotes` of as many LFs and classes."""
        self._check_fitted(self._FITTED)
        if isinstance(L, EncodedVotes):
            if not self._READS_ENCODED:
                raise TypeError(
                    f"L: {type(self).__name__} needs the vote matrix, got EncodedVotes (they "
                    "are what LabelModel's posterior reads)"
                )
            if L.cardinality != self._cardinality:
                raise ValueError(
                    f"L: expected votes of {self._cardinality} classes, got EncodedVotes of "
                    f"{L.cardinality}"
                )
            votes = L
        else:
            votes = check_vote_matrix("L", L, self._cardinality, allow_empty_rows=True)
        if votes.shape[1] != self.n_lfs_:
            raise ValueError(
                f"L: expected {self.n_lfs_} columns (the LFs seen in fit), got {votes.shape[1]}"
            )
        return votes

    def predict(
        self,
        L: Any,
        tie_break_policy: str = "abstain",
        random_state: Any = None,
        *,
        no_votes: str = "posterior",
    ) -> np.ndarray:
        """Most probable class per row.

        Parameters
        ----------
        L : array-like of int, shape (n, m)
            Votes.
        tie_break_policy : {"abstain", "random", "lowest"}, default="abstain"
            Rows whose top probabilities tie (within 1e-9): -1, a random tied class, or the lowest.
        random_state : None, int or numpy Generator, optional
            Seed for ``"random"``.
        no_votes : {"posterior", "abstain"}, default="posterior"
            Rows on which every LF abstains. ``"posterior"``: like every other row, the argmax
            of :meth:`predict_proba` (see that method for what such a row gets: the prior
            ``class_balance_``, for :class:`LabelModel` times the abstention evidence it has
            earned), ties following ``tie_break_policy``. ``"abstain"``: -1, whatever the
            prior says — no LF voted, so the votes say nothing (Snorkel's
            ``tie_break_policy="abstain"`` with its uniform prior gives these rows -1 too).

        Returns
        -------
        ndarray of int64, shape (n,)
            Classes ``0..K-1``, or -1 for an abstention (a tie, or a row without votes with
            ``no_votes="abstain"``).
        """
        if tie_break_policy not in TIE_BREAK_POLICIES:
            raise ValueError(
                f"tie_break_policy: expected one of {TIE_BREAK_POLICIES}, got {tie_break_policy!r}"
            )
        if not isinstance(no_votes, str) or no_votes not in NO_VOTE_POLICIES:
            raise ValueError(f"no_votes: expected one of {NO_VOTE_POLICIES}, got {no_votes!r}")
        if no_votes == "posterior":
            return break_ties(self.predict_proba(L), tie_break_policy, random_state)
        votes = self._checked_votes(L)
        pred = break_ties(self.predict_proba(votes), tie_break_policy, random_state)
        pred[rows_without_votes(votes)] = ABSTAIN
        return pred

    @property
    def n_features_in_(self) -> int:
        """Number of LFs (columns of ``L``) seen in ``fit``: scikit-learn's name for it."""
        return self.n_lfs_

    def score(
        self,
        L: Any,
        y: Any,
        metrics: Any = "accuracy",
        tie_break_policy: str = "abstain",
        random_state: Any = None,
        *,
        no_votes: str = "posterior",
    ) -> Any:
        """Evaluate predictions against gold labels.

        Parameters
        ----------
        L : array-like of int, shape (n, m)
            Votes.
        y : array-like of int, shape (n,)
            Gold labels in ``0..K-1`` (dev or test labels — this never fits anything).
        metrics : str or sequence of str, default="accuracy"
            Among ``"accuracy"``, ``"f1"`` (binary, class 1 positive) and ``"macro_f1"``. One
            name gives its value (a float, scikit-learn's ``score`` convention); a list or tuple
            of names gives a dict of them.
        tie_break_policy, random_state, no_votes
            As in :meth:`predict`; abstentions count as wrong.

        Returns
        -------
        float or dict
            The metric's value, or ``{metric name: value}`` when ``metrics`` is a sequence.
        """
        self._check_fitted(self._FITTED)
        y = check_labels("y", y, self._cardinality)
        votes = self._checked_votes(L)
        if votes.shape[0] != y.shape[0]:
            raise ValueError(
                f"L and y: expected the same number of rows, got {votes.shape[0]} and {y.shape[0]}"
            )
        pred = self.predict(votes, tie_break_policy, random_state, no_votes=no_votes)
        values = compute_metrics(metrics, y, pred, self._cardinality)
        return values[metrics] if isinstance(metrics, str) else values
