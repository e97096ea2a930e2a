"""Nearest support of one LF for many points, answered from k-NN graphs computed once.

An interactive edit changes one LF's support. Searching all points against the new support would
cost a sweep over the whole split, every edit. Instead the exact k-NN graph of every split against
the base (train) rows is computed once, and "nearest support point of LF j" is read off it: the
first of a point's k neighbours (best first, ties to the lowest index) that lies in LF j's
support. That *is* the exact answer, because the search contract orders candidates by one
canonical pair score with ties to the lowest index: the graph's top k are the top k of that total
order, so the best support point among them is the best overall.

A point none of whose k neighbours is in the support (a *fallback* point) only knows a bound:
every support point comes after its k-th neighbour in that order, so its nearest-support score is
no better than the k-th neighbour's score. For any threshold stricter than that bound the answer is
already "do not extend"; otherwise an exact :func:`liger.nearest_support` of just those points
against the LF's support settles it. :class:`SupportColumn` records which points are settled, so
loosening a threshold later only searches the points that newly need it (a per-LF cache).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import (
    ABSTAIN,
    as_embeddings,
    check_dims,
    check_metric,
    resolve_n_jobs,
)
from .search import knn_graph, nearest_support

__all__ = ["NeighbourIndex", "SupportColumn", "TRAIN"]

TRAIN = "train"
DEFAULT_K = 32


@dataclass(frozen=True)
class SupportColumn:
    """Nearest support point of one LF for the points of one split (all arrays shape (q,)).

    Attributes
    ----------
    scores : ndarray of float32
        The nearest support point's score where ``exact``; the worst score (``-inf`` for
        similarities, ``+inf`` for distances) elsewhere, so that such a point is never extended.
    indices : ndarray of int64
        The nearest support row of the base where ``exact`` (-1 for an empty support); -1
        elsewhere.
    exact : ndarray of bool
        Points whose ``scores`` / ``indices`` are the exact answer of :func:`liger.nearest_support`.
    needed : ndarray of bool
        Points the answer is wanted for (those on which the LF abstains: a cast vote is never
        extended). Points not needed are never searched and never ``exact``.
    bound : ndarray of float32
        For needed points that are not exact: the score of their k-th neighbour, which their
        nearest-support score cannot beat. The worst score elsewhere.
    higher_is_better : bool
        True for similarities (cosine, ip), False for distances (euclidean).
    """

    scores: np.ndarray
    indices: np.ndarray
    exact: np.ndarray
    needed: np.ndarray
    bound: np.ndarray
    higher_is_better: bool

    def pending(self, threshold: Any) -> np.ndarray:
        """Needed points that are not exact and whose bound clears ``threshold``: the ones an
        extension at that threshold cannot decide without an exact search. ``threshold="all"``:
        every needed point that is not exact; ``None`` / NaN: none (nothing is extended)."""
        open_ = self.needed & ~self.exact
        if isinstance(threshold, str):
            if threshold != "all":
                raise ValueError(f"threshold: expected a number, None or 'all', got {threshold!r}")
            return np.flatnonzero(open_)
        if threshold is None or np.isnan(threshold):
            return np.empty(0, dtype=np.int64)
        t = np.float32(threshold)
        clears = self.bound >= t if self.higher_is_better else self.bound <= t
        return np.flatnonzero(open_ & clears)

    @property
    def n_pending(self) -> int:
        """Needed points without an exact answer yet."""
        return int(np.count_nonzero(self.needed & ~self.exact))


class NeighbourIndex:
    """Exact k-NN graphs of named splits against the base (train) rows, computed once.

    Parameters
    ----------
    X_base : array-like of shape (n, d)
        The base (train) embeddings: supports are sets of its rows. Its own graph excludes each
        row from its own neighbours (split name ``"train"``).
    queries : mapping of str to array-like of shape (q, d), optional
        Further splits (e.g. ``{"dev": X_dev, "test": X_test}``), each searched against the base.
    k : int, default=32
        Neighbours per point (capped at the number of candidates). Larger k leaves fewer fallback
        points for sparse LFs, at k x 12 bytes per point.
    metric : {"cosine", "ip", "euclidean"}, default="cosine"
    n_jobs : int, optional
        Threads of the searches (None or -1 = all cores).

    Attributes
    ----------
    k : int
        Neighbours kept per point.
    splits : tuple of str
        ``"train"`` and the names of ``queries``.
    """

    def __init__(
        self,
        X_base: Any,
        queries: Mapping[str, Any] | None = None,
        *,
        k: int = DEFAULT_K,
        metric: str = "cosine",
        n_jobs: int | None = None,
    ) -> None:
        self.metric = check_metric(metric)
        self.n_jobs = n_jobs
        threads = resolve_n_jobs(n_jobs)
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k: expected an int >= 1, got {k!r}")
        self._base = as_embeddings("X_base", X_base, threads)
        n = self._base.shape[0]
        self._points = {TRAIN: self._base}
        for name, X in (queries or {}).items():
            if name == TRAIN:
                raise ValueError(f"queries: the name {TRAIN!r} is the base split itself")
            points = as_embeddings(f"queries[{name!r}]", X, threads)
            check_dims("X_base", self._base, f"queries[{name!r}]", points)
            self._points[name] = points
        self.higher_is_better = self.metric != "euclidean"
        self._worst = np.float32(-np.inf if self.higher_is_better else np.inf)
        self._graphs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name, points in self._points.items():
            # The base split never counts a row as its own neighbour.
            kk = min(int(k), n - 1 if name == TRAIN else n)
            if kk < 1:
                self._graphs[name] = (
                    np.empty((points.shape[0], 0), np.float32),
                    np.empty((points.shape[0], 0), np.int64),
                )
                continue
            scores, indices = knn_graph(
                self._base,
                kk,
                metric=self.metric,
                queries=None if name == TRAIN else points,
                n_jobs=n_jobs,
            )
            self._graphs[name] = (scores, indices)
        self.k = int(k)
        self.splits = tuple(self._points)

    def points(self, split: str) -> np.ndarray:
        """The (q, d) float32 embeddings of a split."""
        return self._points[self._check_split(split)]

    def size(self, split: str) -> int:
        return self._points[self._check_split(split)].shape[0]

    def _check_split(self, split: str) -> str:
        if split not in self._points:
            raise ValueError(f"split: expected one of {self.splits}, got {split!r}")
        return split

    def column(self, split: str, base_votes: np.ndarray, needed: np.ndarray) -> SupportColumn:
        """What the graph alone says about LF j's nearest support for the points of ``split``.

        Parameters
        ----------
        split : str
        base_votes : ndarray of int64, shape (n,)
            LF j's votes on the base rows (-1 = abstain): its support is where it voted.
        needed : ndarray of bool, shape (q,)
            Points to answer for (usually where LF j abstains on the split).

        Returns
        -------
        SupportColumn
            Exact for every needed point with a support point among its k neighbours (and for
            all needed points when the support is empty); the others carry their bound. Call
            :meth:`resolve` for a threshold before extending with it.
        """
        graph_scores, graph_indices = self._graphs[self._check_split(split)]
        q = graph_scores.shape[0]
        scores = np.full(q, self._worst, dtype=np.float32)
        indices = np.full(q, -1, dtype=np.int64)
        exact = np.zeros(q, dtype=bool)
        bound = np.full(q, self._worst, dtype=np.float32)
        rows = np.flatnonzero(needed)
        in_support = base_votes != ABSTAIN
        if not in_support.any():
            # An empty support answers everyone: no candidate (-1, worst score), as the search does.
            exact[rows] = True
        elif rows.size:
            k = graph_indices.shape[1]
            if k == 0:
                bound[rows] = -self._worst  # no neighbour known: nothing is ruled out
            else:
                hit = in_support[graph_indices[rows]]
                first = hit.argmax(axis=1)
                found = hit[np.arange(rows.size), first]
                settled, first = rows[found], first[found]
                scores[settled] = graph_scores[settled, first]
                indices[settled] = graph_indices[settled, first]
                exact[settled] = True
                open_ = rows[~found]
                bound[open_] = graph_scores[open_, k - 1]
        return SupportColumn(scores, indices, exact, needed.copy(), bound, self.higher_is_better)

    def resolve(
        self, split: str, column: SupportColumn, base_votes: np.ndarray, threshold: Any
    ) -> SupportColumn:
        """``column`` with an exact answer for every point an extension at ``threshold`` needs.

        Runs one exact :func:`liger.nearest_support` of just the pending points (see
        :meth:`SupportColumn.pending`) against LF j's support; returns ``column`` itself when
        nothing is pending. ``threshold="all"`` settles every needed point.
        """
        pending = column.pending(threshold)
        if pending.size == 0:
            return column
        points = self.points(split)
        found_scores, found_indices = nearest_support(
            points[pending],
            self._base,
            base_votes[:, None],
            metric=self.metric,
            n_jobs=self.n_jobs,
        )
        scores, indices, exact = column.scores.copy(), column.indices.copy(), column.exact.copy()
        bound = column.bound.copy()
        scores[pending] = found_scores[:, 0]
        indices[pending] = found_indices[:, 0]
        exact[pending] = True
        bound[pending] = self._worst
        return SupportColumn(scores, indices, exact, column.needed, bound, self.higher_is_better)

    def exact_columns(
        self, split: str, L_base: np.ndarray, needed: np.ndarray
    ) -> list[SupportColumn]:
        """Every LF's column at once, all exact, from one :func:`liger.nearest_support` sweep over
        the union of the supports: cheaper than the graph plus fallbacks when all m columns are
        wanted in full (e.g. to tune thresholds).

        Parameters
        ----------
        L_base : ndarray of int64, shape (n, m)
        needed : ndarray of bool, shape (q, m)
        """
        scores, indices = nearest_support(
            self.points(split), self._base, L_base, metric=self.metric, n_jobs=self.n_jobs
        )
        columns = []
        for j in range(L_base.shape[1]):
            need = needed[:, j]
            columns.append(
                SupportColumn(
                    np.where(need, scores[:, j], self._worst).astype(np.float32),
                    np.where(need, indices[:, j], -1),
                    need.copy(),
                    need.copy(),
                    np.full(need.shape[0], self._worst, dtype=np.float32),
                    self.higher_is_better,
                )
            )
        return columns
