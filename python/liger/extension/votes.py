"""Liger's extension rules. An LF that abstains on a point takes, when the point is close enough to
the LF's support (the nearest support point clears the LF's threshold), either the vote of that
nearest support point (``rule="nearest"``, Liger's rule) or the similarity-weighted vote of all
its support points within the threshold (``rule="radius"``). Cast votes never change."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks.validation import (
    ABSTAIN,
    as_core_votes,
    as_embeddings,
    as_thresholds,
    as_votes,
    c_array,
    check_lfs,
    check_max_neighbors,
    check_metric,
    check_rows,
    is_sparse,
    resolve_n_jobs,
)
from ..search.core import extend_votes_of_checked
from ..search.nearest import radius_neighbors, search_nearest
from .tuning import SplitVotes

__all__ = ["extend_votes", "extend", "RadiusVotes"]

RULES = ("nearest", "radius")
# What Liger(extension="radius") weighs at most per (point, LF): the most similar support points.
# Bounds tuning's memory (dev points x LFs x this) when a loose threshold covers a large support.
RADIUS_MAX_NEIGHBORS = 256


def extend_votes(
    L: Any,
    scores: Any,
    indices: Any,
    L_base: Any,
    thresholds: Any,
    *,
    metric: str = "cosine",
    n_jobs: int | None = None,
) -> np.ndarray:
    """Extend LF votes from their nearest support points (the output of :func:`nearest_support`).

    ``L_extended[i, j] = L[i, j]`` where LF ``j`` voted on point ``i``; otherwise
    ``L_base[indices[i, j], j]`` when ``indices[i, j] >= 0`` and ``scores[i, j]`` clears
    ``thresholds[j]`` (``score >= t`` for cosine / ip, ``distance <= t`` for euclidean);
    otherwise -1.

    Parameters
    ----------
    L : array-like of int, shape (q, m)
        Votes of the points to extend (-1 = abstain). int8/16/32/64 are read without a copy.
    scores : array-like of float, shape (q, m)
        Nearest-support scores of those points.
    indices : array-like of int, shape (q, m)
        Nearest-support rows of ``L_base`` (-1 = none).
    L_base : array-like of int, shape (n, m), or scipy.sparse CSR / CSC matrix
        Votes of the base rows the supports come from (see :func:`nearest_support` for the dtypes
        and the sparse convention: explicit entries are votes, missing entries abstain).
    thresholds : None, float, or array-like of shape (m,)
        One threshold for all LFs, or one per LF. ``None`` (or a NaN / None entry) means "do not
        extend" (that LF).
    metric : {"cosine", "ip", "euclidean"}, default="cosine"
        Decides the direction of the comparison.
    n_jobs : int, optional
        Threads (joblib convention).

    Returns
    -------
    L_extended : ndarray of int, shape (q, m)
        A new array (``L`` is not modified), of the wider of the dtypes of ``L`` and ``L_base``
        (int64 for int64 inputs).
    """
    metric = check_metric(metric)
    threads = resolve_n_jobs(n_jobs)
    L = as_votes("L", L, keep_width=True)
    L_base, base_shape = as_core_votes("L_base", L_base)
    check_lfs("L", L, "L_base", base_shape)
    scores_array = np.asarray(scores)
    if not np.issubdtype(scores_array.dtype, np.floating):
        raise TypeError(f"scores: expected a float array, got dtype {scores_array.dtype}")
    indices_array = np.asarray(indices)
    if indices_array.dtype == np.bool_ or not np.issubdtype(indices_array.dtype, np.integer):
        raise TypeError(f"indices: expected an integer array, got dtype {indices_array.dtype}")
    for name, array in (("scores", scores_array), ("indices", indices_array)):
        if array.shape != L.shape:
            raise ValueError(f"{name}: expected shape {L.shape} like L, got {array.shape}")
    if np.isnan(scores_array).any():
        raise ValueError("scores: expected no NaN (use -inf / +inf for 'no candidate')")
    n = base_shape[0]
    if indices_array.size and (indices_array.min() < -1 or indices_array.max() >= n):
        raise ValueError(
            f"indices: expected -1 or a row of L_base in [0, {n}), got values in "
            f"[{indices_array.min()}, {indices_array.max()}]"
        )
    return extend_votes_of_checked(
        L,
        c_array(scores_array, np.float32),
        c_array(indices_array, np.int64),
        L_base,
        as_thresholds(thresholds, L.shape[1]),
        metric,
        threads,
    )


def extend(
    L: Any,
    X: Any,
    L_base: Any,
    X_base: Any,
    thresholds: Any,
    *,
    metric: str = "cosine",
    rule: str = "nearest",
    max_neighbors: int | None = None,
    n_jobs: int | None = None,
    kernel: str = "auto",
) -> np.ndarray:
    """Extend the votes of any points from the supports in ``L_base`` (one call).

    ``rule="nearest"``: :func:`nearest_support` then :func:`extend_votes`. ``rule="radius"``: a
    point takes the similarity-weighted vote of all the LF's support points within the threshold
    (see :class:`RadiusVotes`); the same (point, LF) pairs are extended either way.

    Parameters
    ----------
    L : array-like of int, shape (q, m)
        Votes of the points to extend.
    X : array-like of shape (q, d)
        Their embeddings.
    L_base : array-like of int, shape (n, m), or scipy.sparse CSR / CSC matrix
        Votes of the base (train) points: the supports.
    X_base : array-like of shape (n, d)
        Their embeddings. Pass the train split as both ``(L, X)`` and ``(L_base, X_base)`` to extend
        the train votes: a point is never its own neighbour, since it is in LF j's support only
        where LF j voted.
    thresholds : None, float, or array-like of shape (m,)
        See :func:`extend_votes`.
    metric : {"cosine", "ip", "euclidean"}, default="cosine"
    rule : {"nearest", "radius"}, default="nearest"
    max_neighbors : int, optional
        ``rule="radius"`` only: weigh at most this many support points per (point, LF), the
        most similar ones. None: all of them within the threshold.
    n_jobs : int, optional
    kernel : {"auto", "exact", "screened"}, default="auto"
        See :func:`nearest_support` (the results do not depend on it).

    Returns
    -------
    L_extended : ndarray of int, shape (q, m)
        Of the wider of the dtypes of ``L`` and ``L_base``.
    """
    if not isinstance(rule, str) or rule not in RULES:
        raise ValueError(f"rule: expected one of {RULES}, got {rule!r}")
    max_neighbors = check_max_neighbors(max_neighbors)
    threads = resolve_n_jobs(n_jobs)
    L_array = as_votes("L", L, keep_width=True)
    X_array = as_embeddings("X", X, threads)
    check_rows("L", L_array, "X", X_array)
    if rule == "radius":
        if is_sparse(L_base):
            raise TypeError(
                "L_base: rule='radius' reads dense votes, got a scipy.sparse matrix; pass "
                "L_base.toarray() or use rule='nearest' (which takes sparse votes as they are)"
            )
        L_base = as_votes("L_base", L_base)
        check_lfs("L", L_array, "L_base", L_base)
        t = as_thresholds(thresholds, L_array.shape[1])
        votes = RadiusVotes(
            L_array,
            X_array,
            L_base,
            X_base,
            t[:, None],
            metric=metric,
            max_neighbors=max_neighbors,
            n_jobs=n_jobs,
        )
        return votes.extend(t)
    scores, indices = search_nearest(
        X_array,
        X_base,
        L_base,
        metric=metric,
        n_jobs=n_jobs,
        kernel=kernel,
        names=("X", "X_base", "L_base"),
    )
    return extend_votes(L_array, scores, indices, L_base, thresholds, metric=metric, n_jobs=n_jobs)


class RadiusVotes(SplitVotes):
    """The radius rule for one split, ready for many threshold vectors (tuning on dev).

    Where LF ``j`` abstains on point ``i`` and at least one of its support points clears the
    threshold ``t_j``, the extended vote is the class with the largest total weight among *all*
    of LF ``j``'s support points within ``t_j`` (the ``max_neighbors`` best of them when set).
    Weights: the similarity for ``"cosine"`` / ``"ip"``, clipped at 0 (a point no more similar
    than orthogonal counts for nothing), and ``1 / (1 + distance)`` for ``"euclidean"``. A tie,
    or no positive weight, goes to the nearest support point's class if it is among the tied
    ones (else the lowest tied class). With one support point within ``t_j`` this is exactly the
    nearest rule; the extended (point, LF) pairs are the same as the nearest rule's for any
    threshold (a support point within ``t_j`` exists iff the nearest one is).

    Same interface as ``NearestVotes`` (``L``, ``scores``, ``higher_is_better``, ``extend``, and
    through :class:`liger.extension.tuning.SplitVotes` ``grid``, ``statistics``, ``coverage``).

    Parameters
    ----------
    L : ndarray of int64, shape (q, m)
        Votes of the points to extend.
    X : array-like of shape (q, d)
        Their embeddings.
    L_base : ndarray of int64, shape (n, m)
        Votes of the base points (the supports).
    X_base : array-like of shape (n, d)
    candidates : array-like of shape (m, G)
        The thresholds ``extend`` will be asked for (NaN entries ignored), e.g. the tuning grid.
        LF ``j`` is searched once, at its loosest candidate, and its extended column is computed
        for each candidate; the neighbourhoods are then dropped, so memory is one LF's
        neighbourhoods at a time plus ``G`` vote columns per LF. Another threshold is served by
        a new search of that LF.
    metric : {"cosine", "ip", "euclidean"}, default="cosine"
    max_neighbors : int, optional
        Use only the ``max_neighbors`` most similar support points within the threshold (bounds
        time and memory when a loose threshold covers much of a large support).
    scores : ndarray of shape (q, m), optional
        Nearest-support scores of the points (only stored, for ``threshold_grid``).
    n_jobs : int, optional
    """

    def __init__(
        self,
        L: np.ndarray,
        X: Any,
        L_base: np.ndarray,
        X_base: Any,
        candidates: Any,
        *,
        metric: str = "cosine",
        max_neighbors: int | None = None,
        scores: np.ndarray | None = None,
        n_jobs: int | None = None,
    ):
        self.metric = check_metric(metric)
        threads = resolve_n_jobs(n_jobs)
        self.L = L
        self.scores = scores
        self.higher_is_better = self.metric != "euclidean"
        self._X = as_embeddings("X", X, threads)
        self._X_base = as_embeddings("X_base", X_base, threads)
        self._L_base = L_base
        self._n_classes = max(int(L_base.max()) + 1, 1) if L_base.size else 1
        self._max_neighbors = max_neighbors
        self._n_jobs = n_jobs
        self._columns: dict[tuple[int, float], np.ndarray] = {}
        candidates = np.asarray(candidates, dtype=np.float32)
        for j in range(L.shape[1]):
            wanted = np.unique(candidates[j][~np.isnan(candidates[j])])
            if wanted.size:
                self._search(j, wanted)

    def extend(self, thresholds: np.ndarray) -> np.ndarray:
        """The extended (q, m) votes for an (m,) threshold vector (NaN = do not extend)."""
        out = self.L.copy()
        for j, t in enumerate(np.asarray(thresholds, dtype=np.float32)):
            if np.isnan(t):
                continue
            key = (j, float(t))
            if key not in self._columns:
                self._search(j, np.array([t], dtype=np.float32))
            column = self._columns[key]
            if column is not None:
                out[:, j] = column
        return out

    def _search(self, j: int, thresholds: np.ndarray) -> None:
        """One radius search of LF ``j`` at the loosest of ``thresholds``; caches the extended
        column of every threshold (None: nothing to extend)."""
        abstain = np.flatnonzero(self.L[:, j] == ABSTAIN)
        support = np.flatnonzero(self._L_base[:, j] != ABSTAIN)
        if abstain.size == 0 or support.size == 0:
            for t in thresholds:
                self._columns[(j, float(t))] = None
            return
        loosest = thresholds.min() if self.higher_is_better else thresholds.max()
        if not self.higher_is_better and loosest < 0:
            for t in thresholds:
                self._columns[(j, float(t))] = None
            return
        graph = radius_neighbors(
            self._X_base[support],
            float(loosest),
            metric=self.metric,
            queries=self._X[abstain],
            max_neighbors=self._max_neighbors,
            n_jobs=self._n_jobs,
        )
        rows = np.repeat(np.arange(abstain.size), np.diff(graph.indptr))
        classes = self._L_base[support[graph.indices], j]
        for t in thresholds:
            inside = graph.data >= t if self.higher_is_better else graph.data <= t
            votes = self._weighted_votes(
                rows[inside],
                graph.indices[inside],
                graph.data[inside],
                classes[inside],
                abstain.size,
            )
            column = self.L[:, j].copy()
            column[abstain] = votes
            self._columns[(j, float(t))] = column

    def _weighted_votes(self, rows, positions, scores, classes, n_rows) -> np.ndarray:
        """Per row: the weighted vote of its neighbours (-1 without any)."""
        K = self._n_classes
        if self.higher_is_better:
            weights = np.maximum(scores.astype(np.float64), 0.0)
        else:
            weights = 1.0 / (1.0 + scores.astype(np.float64))
        totals = np.bincount(rows * K + classes, weights=weights, minlength=n_rows * K)
        totals = totals.reshape(n_rows, K)
        # The nearest neighbour of each row: best score, then lowest support position.
        oriented = scores if self.higher_is_better else -scores
        order = np.lexsort((positions, -oriented, rows))
        first = order[np.r_[True, rows[order][1:] != rows[order][:-1]]] if rows.size else order
        nearest_class = np.zeros(n_rows, dtype=np.int64)
        nearest_class[rows[first]] = classes[first]
        best = totals.max(axis=1)
        winner = np.where(
            totals[np.arange(n_rows), nearest_class] == best, nearest_class, totals.argmax(axis=1)
        )
        has = np.zeros(n_rows, dtype=bool)
        has[rows] = True
        return np.where(has, winner, ABSTAIN)
