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

An edit that changes a few support rows (:meth:`NeighbourIndex.update`) touches even less: only
points with a changed row among their k neighbours (found through the reversed graph) are re-read;
a settled fallback point keeps its answer when its nearest support point survives the edit, and
then only the added rows need searching (the best of the two is the best over the new support).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._checks.validation import (
    ABSTAIN,
    as_embeddings,
    check_dims,
    check_metric,
    core_errors_named,
    resolve_n_jobs,
)
from .._native import _core
from .._progress import stage
from .nearest import knn_graph, nearest_support

__all__ = ["NeighbourIndex", "SupportColumn", "TRAIN"]

TRAIN = "train"
# Measured (benches/bench_interactive.py data, n = 100k, d = 384, m = 20): k = 64 cut the
# neighbour stage of an edit from 26 to 15 ms (median) against k = 32: fewer fallback points to
# search (each search streams the whole support), for about 8 % more k-NN build time.
DEFAULT_K = 64
# An edit changing more than this share of the base rows re-reads every point from the graph
# (one pass) instead of following the reversed graph.
INCREMENTAL_SHARE = 0.25


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
    from_graph : ndarray of bool
        Needed points with a support point among their k neighbours (the answer is read off the
        graph). The others are *fallback* points.
    bound : ndarray of float32
        For fallback points: the score of their k-th neighbour, which their nearest-support score
        cannot beat (best possible score if there is no neighbour at all). Worst score elsewhere.
    higher_is_better : bool
        True for similarities (cosine, ip), False for distances (euclidean).
    """

    scores: np.ndarray
    indices: np.ndarray
    exact: np.ndarray
    needed: np.ndarray
    from_graph: np.ndarray
    bound: np.ndarray
    higher_is_better: bool

    def pending(self, threshold: Any) -> np.ndarray:
        """Needed points that are not exact and whose bound clears ``threshold``: the ones an
        extension at that threshold cannot decide without an exact search. ``threshold="all"``:
        every needed point that is not exact; ``None`` / NaN: none (nothing is extended)."""
        open_ = self.needed & ~self.exact
        return np.flatnonzero(open_ & _clears(self.bound, threshold, self.higher_is_better))

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
    k : int, default=64
        Neighbours per point (capped at the number of candidates). Larger k leaves fewer fallback
        points for sparse LFs, at k x 12 bytes per point (plus k x 4 for the reversed graph).
    metric : {"cosine", "ip", "euclidean"}, default="cosine"
    n_jobs : int, optional
        Threads of the searches (None or -1 = all cores).
    labels : mapping of str to str, optional
        The name errors give each split's embeddings (default ``"X_base"`` for the base and
        ``"queries['dev']"`` for a query split): a front end passes its own argument names.

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
        labels: Mapping[str, str] | None = None,
    ) -> None:
        self.metric = check_metric(metric)
        labels = dict(labels or {})
        label = {TRAIN: labels.get(TRAIN, "X_base")}
        self.n_jobs = n_jobs
        threads = resolve_n_jobs(n_jobs)
        self._threads = threads
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k: expected an int >= 1, got {k!r}")
        self._base = as_embeddings(labels.get(TRAIN, "X_base"), X_base, threads)
        self._points = {TRAIN: self._base}
        for name, X in (queries or {}).items():
            if name == TRAIN:
                raise ValueError(f"queries: the name {TRAIN!r} is the base split itself")
            label[name] = labels.get(name, f"queries[{name!r}]")
            points = as_embeddings(label[name], X, threads)
            check_dims(label[TRAIN], self._base, label[name], points)
            self._points[name] = points
        self.higher_is_better = self.metric != "euclidean"
        self._worst = np.float32(-np.inf if self.higher_is_better else np.inf)
        self._graphs: dict[str, _Graph] = {}
        with stage("k-NN graphs"):
            self._build_graphs(k, label, n_jobs)
        self.k = int(k)
        self.splits = tuple(self._points)

    def _build_graphs(self, k, label, n_jobs) -> None:
        n = self._base.shape[0]
        for name, points in self._points.items():
            # The base split never counts a row as its own neighbour.
            kk = min(int(k), n - 1 if name == TRAIN else n)
            q = points.shape[0]
            if kk < 1:
                scores, indices = np.empty((q, 0), np.float32), np.empty((q, 0), np.int64)
            else:
                # A zero row under cosine is found by the core: named as the caller's argument.
                with core_errors_named({"X": label[TRAIN], "queries": label[name]}):
                    scores, indices = knn_graph(
                        self._base,
                        kk,
                        metric=self.metric,
                        queries=None if name == TRAIN else points,
                        n_jobs=n_jobs,
                    )
            self._graphs[name] = _Graph(scores, indices, n, -self._worst)

    def points(self, split: str) -> np.ndarray:
        """The (q, d) float32 embeddings of a split."""
        return self._points[self._check_split(split)]

    def _check_split(self, split: str) -> str:
        if split not in self._points:
            raise ValueError(f"split: expected one of {self.splits}, got {split!r}")
        return split

    # ------------------------------------------------------------------------- answers
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
        graph = self._graphs[self._check_split(split)]
        q = graph.scores.shape[0]
        scores = np.full(q, self._worst, dtype=np.float32)
        indices = np.full(q, -1, dtype=np.int64)
        exact = np.zeros(q, dtype=bool)
        from_graph = np.zeros(q, dtype=bool)
        bound = np.full(q, self._worst, dtype=np.float32)
        arrays = (scores, indices, exact, from_graph, bound)
        in_support = base_votes != ABSTAIN
        self._read_graph(graph, in_support, np.flatnonzero(needed), arrays)
        return SupportColumn(
            scores, indices, exact, needed.copy(), from_graph, bound, self.higher_is_better
        )

    def _read_graph(self, graph, in_support, rows, arrays) -> None:
        """Fill ``arrays`` (scores, indices, exact, from_graph, bound) at ``rows`` from graph."""
        scores, indices, exact, from_graph, bound = arrays
        if rows.size == 0:
            return
        if not in_support.any():
            # An empty support answers everyone: no candidate (-1, worst score), as the search does.
            scores[rows], indices[rows], exact[rows], from_graph[rows] = (
                self._worst,
                -1,
                True,
                False,
            )
            bound[rows] = graph.kth[rows]
            return
        found, first = graph.first_in(in_support, rows)
        hit, first = rows[found], first[found]
        scores[hit] = graph.scores[hit, first]
        indices[hit] = graph.indices[hit, first]
        exact[hit], from_graph[hit], bound[hit] = True, True, self._worst
        miss = rows[~found]
        scores[miss], indices[miss], exact[miss], from_graph[miss] = self._worst, -1, False, False
        bound[miss] = graph.kth[miss]

    def resolve(
        self, split: str, column: SupportColumn, base_votes: np.ndarray, threshold: Any
    ) -> SupportColumn:
        """``column`` with an exact answer for every point an extension at ``threshold`` needs.

        Runs one exact nearest-support search of just the pending points (see
        :meth:`SupportColumn.pending`) against LF j's support; returns ``column`` itself when
        nothing is pending. ``threshold="all"`` settles every needed point.
        """
        return self.resolve_many({split: column}, base_votes, {split: threshold})[0][split]

    def resolve_many(
        self,
        columns: Mapping[str, SupportColumn],
        base_votes: np.ndarray,
        thresholds: Mapping[str, Any],
    ) -> tuple[dict[str, SupportColumn], int]:
        """:meth:`resolve` for one LF's columns of several splits, with one search for all of
        their pending points (a search streams the whole support once, however few the
        queries: one call instead of one per split).

        Returns
        -------
        columns : dict of str to SupportColumn
        searched : int
            Points searched.
        """
        pending = {name: column.pending(thresholds[name]) for name, column in columns.items()}
        found = self._search_many(pending, base_votes)
        out = {}
        for name, column in columns.items():
            rows = pending[name]
            if rows.size == 0:
                out[name] = column
                continue
            scores, indices = column.scores.copy(), column.indices.copy()
            exact = column.exact.copy()
            scores[rows], indices[rows] = found[name]
            exact[rows] = True
            out[name] = SupportColumn(
                scores,
                indices,
                exact,
                column.needed,
                column.from_graph,
                column.bound,
                self.higher_is_better,
            )
        return out, sum(rows.size for rows in pending.values())

    def update(
        self,
        columns: Mapping[str, SupportColumn],
        old_votes: np.ndarray,
        new_votes: np.ndarray,
        needed: Mapping[str, np.ndarray],
        thresholds: Mapping[str, Any],
    ) -> tuple[dict[str, SupportColumn], int]:
        """LF j's columns (one per split) after its base votes changed from ``old_votes`` to
        ``new_votes``.

        Each result is exact wherever ``resolve(split, column(split, new_votes, needed),
        new_votes, threshold)`` is (the same answers), at a cost that follows the edit: only the
        points with a changed support row among their k neighbours are re-read from the graph; a
        settled fallback point keeps its answer when its nearest support row is still in the
        support, and is then searched against the *added* rows only (when its bound clears the
        threshold); what remains pending is searched against the whole support. All splits
        share one search of each kind.

        Parameters
        ----------
        columns : mapping of split name to SupportColumn
            The columns before the edit.
        old_votes, new_votes : ndarray of int64, shape (n,)
            LF j's base votes before and after.
        needed : mapping of split name to ndarray of bool
            Points to answer for after the edit.
        thresholds : mapping of split name to threshold (a number, None or "all")

        Returns
        -------
        columns : dict of str to SupportColumn
        searched : int
            Points searched (against the added rows, or the whole support).
        """
        was = old_votes != ABSTAIN
        now = new_votes != ABSTAIN
        changed = np.flatnonzero(was != now)
        n = was.shape[0]
        if not now.any() or changed.size > INCREMENTAL_SHARE * n:
            fresh = {name: self.column(name, new_votes, needed[name]) for name in columns}
            return self.resolve_many(fresh, new_votes, thresholds)
        added = now & ~was
        states, wanted = {}, {}
        for name, column in columns.items():
            states[name], wanted[name] = self._update_one(
                name, column, now, changed, added.any(), needed[name], thresholds[name]
            )
        searched = 0
        if added.any():
            votes_added = np.where(added, new_votes, ABSTAIN)
            found = self._search_many(wanted, votes_added)
            for name, rows in wanted.items():
                if rows.size == 0:
                    continue
                scores, indices, exact, _, bound = states[name]
                s_add, i_add = found[name]
                # Surviving answers: the better of the old answer and the added rows' best, in
                # the search's order (better score, then lower index); an old "none" loses.
                kept = exact[rows]
                if self.higher_is_better:
                    beats = s_add > scores[rows]
                else:
                    beats = s_add < scores[rows]
                beats |= (s_add == scores[rows]) & (i_add < indices[rows])
                beats |= indices[rows] < 0
                beats &= (i_add >= 0) & kept
                take = rows[beats]
                scores[take], indices[take] = s_add[beats], i_add[beats]
                # Lost answers: the added rows' best settles it when it strictly beats every
                # row left of the old support (their bound); otherwise the bound stays.
                if self.higher_is_better:
                    settles = s_add > bound[rows]
                else:
                    settles = s_add < bound[rows]
                settles &= (i_add >= 0) & ~kept
                take = rows[settles]
                scores[take], indices[take], exact[take] = s_add[settles], i_add[settles], True
                bound[take] = self._graphs[name].kth[take]
                searched += rows.size
        updated = {name: self._column(states[name], needed[name]) for name in columns}
        resolved, pending = self.resolve_many(updated, new_votes, thresholds)
        return resolved, searched + pending

    def _update_one(self, split, column, now, changed, any_added, needed, threshold):
        """One split's part of :meth:`update` before the searches: the updated arrays, and the
        surviving fallback points to search against the added rows."""
        graph = self._graphs[self._check_split(split)]
        scores, indices = column.scores.copy(), column.indices.copy()
        exact, from_graph = column.exact.copy(), column.from_graph.copy()
        bound = column.bound.copy()
        arrays = (scores, indices, exact, from_graph, bound)
        # Fallback points settled before the edit: their answer may survive it.
        settled_fallback = column.needed & column.exact & ~column.from_graph
        # Points that no longer need an answer (the LF now votes there) are forgotten.
        dropped = column.needed & ~needed
        scores[dropped], indices[dropped], exact[dropped] = self._worst, -1, False
        from_graph[dropped], bound[dropped] = False, self._worst
        touched = graph.reverse(changed)
        touched[needed & ~column.needed] = True  # newly needed: nothing known about them yet
        reread = np.flatnonzero(touched & needed)
        self._read_graph(graph, now, reread, arrays)
        # A re-read point that is still a fallback point keeps its settled answer (if any).
        restore = reread[~from_graph[reread] & settled_fallback[reread]]
        scores[restore], indices[restore] = column.scores[restore], column.indices[restore]
        exact[restore] = True
        # Every fallback point's bound is its k-th neighbour's score again (a bound tightened by
        # an earlier edit held for that support only).
        fallback = needed & ~from_graph
        bound[fallback] = graph.kth[fallback]
        # Fallback points: none of their k neighbours in the support, before or after. A
        # settled answer survives if its row is still in the support (the best over the old
        # support is then the best over what is left); the added rows may beat it.
        kept = fallback & exact
        lost = kept & (indices >= 0)
        lost[lost] = ~now[indices[lost]]
        lost_rows = np.flatnonzero(lost)
        # A lost answer still bounds what is left of the old support: removing rows cannot
        # improve the best. So such a point needs a search of the whole support only when it
        # was extended before (its old score clears the threshold), not whenever its k-th
        # neighbour's does.
        tighter = np.minimum if self.higher_is_better else np.maximum
        remaining = tighter(bound[lost_rows], scores[lost_rows])
        scores[lost_rows], indices[lost_rows], exact[lost_rows] = self._worst, -1, False
        kept &= ~lost
        wanted = np.empty(0, dtype=np.int64)
        if any_added:
            check = kept & _clears(bound, threshold, self.higher_is_better)
            # Lost points whose bound clears the threshold: the added rows' best may be it.
            lost_check = lost_rows[_clears(bound[lost_rows], threshold, self.higher_is_better)]
            check[lost_check] = True
            wanted = np.flatnonzero(check)
            # Answers not checked against the added rows are no longer known to be exact.
            stale = kept & ~check
            scores[stale], indices[stale], exact[stale] = self._worst, -1, False
        # Lost points: bounded by what is left of the old support, when no added row can beat
        # that bound unseen (none added, or the added rows' best is searched and resolved
        # against it in update()); otherwise by the k-th neighbour's score.
        if any_added:
            searched_lost = np.isin(lost_rows, lost_check, assume_unique=True)
            bound[lost_rows[searched_lost]] = remaining[searched_lost]
        else:
            bound[lost_rows] = remaining
        return arrays, wanted

    def _column(self, arrays, needed) -> SupportColumn:
        scores, indices, exact, from_graph, bound = arrays
        return SupportColumn(
            scores, indices, exact, needed.copy(), from_graph, bound, self.higher_is_better
        )

    def _search_many(self, rows: Mapping[str, np.ndarray], base_votes: np.ndarray) -> dict:
        """Exact nearest support over one LF's base votes of ``rows`` of several splits, in one
        call of the core's search, on arrays validated once at construction (the public
        wrapper would re-scan the whole base for non-finite values on every call: 20 ms at
        n = 100k, d = 384)."""
        wanted = {name: r for name, r in rows.items() if r.size}
        if not wanted:
            return {}
        points = np.concatenate([self.points(name)[r] for name, r in wanted.items()])
        votes = np.ascontiguousarray(base_votes)[:, None]  # any signed width: the core reads it
        with stage("fallback search"):
            scores, indices = _core.nearest_support(
                points, self._base, votes, self.metric, self._threads
            )
        out, start = {}, 0
        for name, r in wanted.items():
            out[name] = scores[start : start + r.size, 0], indices[start : start + r.size, 0]
            start += r.size
        return out

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
        graph = self._graphs[self._check_split(split)]
        scores, indices = nearest_support(
            self.points(split), self._base, L_base, metric=self.metric, n_jobs=self.n_jobs
        )
        columns = []
        for j in range(L_base.shape[1]):
            need = needed[:, j]
            in_support = L_base[:, j] != ABSTAIN
            # Which answers the graph would have given: later edits re-read only what they touch.
            from_graph = np.zeros(need.shape[0], dtype=bool)
            rows = np.flatnonzero(need)
            if in_support.any() and rows.size:
                found, _ = graph.first_in(in_support, rows)
                from_graph[rows[found]] = True
            fallback = need & ~from_graph
            columns.append(
                SupportColumn(
                    np.where(need, scores[:, j], self._worst).astype(np.float32),
                    np.where(need, indices[:, j], -1),
                    need.copy(),
                    need.copy(),
                    from_graph,
                    np.where(fallback, graph.kth, self._worst).astype(np.float32),
                    self.higher_is_better,
                )
            )
        return columns


class _Graph:
    """One split's k-NN graph against the base, and its reverse (base row -> the points that
    have it among their k neighbours, as CSR)."""

    def __init__(self, scores: np.ndarray, indices: np.ndarray, n_base: int, best: np.float32):
        q, k = indices.shape
        self.scores = scores
        # int32 halves the memory traffic of the gathers that read the graph (n < 2**31).
        self.indices = indices.astype(np.int32) if n_base < 2**31 else indices
        self.n_base = n_base
        # The k-th neighbour's score bounds every point outside the list; with no neighbour at
        # all, nothing is ruled out.
        self.kth = scores[:, k - 1].copy() if k else np.full(q, best, dtype=np.float32)
        flat = self.indices.ravel()
        order = np.argsort(flat, kind="stable")
        self._reverse_points = (order // max(k, 1)).astype(np.int32)
        self._reverse_start = np.concatenate(
            [[0], np.cumsum(np.bincount(flat, minlength=n_base))]
        ).astype(np.int64)

    def first_in(self, in_support: np.ndarray, rows: np.ndarray):
        """For each of ``rows``: whether a neighbour is in the support, and the first one's
        position in the (best first) list."""
        if self.indices.shape[1] == 0:
            return np.zeros(rows.size, dtype=bool), np.zeros(rows.size, dtype=np.int64)
        hit = in_support[self.indices[rows]]
        first = hit.argmax(axis=1)
        return hit[np.arange(rows.size), first], first

    def reverse(self, base_rows: np.ndarray) -> np.ndarray:
        """(q,) mask of the points having any of ``base_rows`` among their k neighbours."""
        touched = np.zeros(self.kth.shape[0], dtype=bool)
        if base_rows.size == 0:
            return touched
        starts = self._reverse_start[base_rows]
        lengths = self._reverse_start[base_rows + 1] - starts
        total = int(lengths.sum())
        if total:
            offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
            touched[self._reverse_points[offsets + np.arange(total)]] = True
        return touched


def _clears(bound: np.ndarray, threshold: Any, higher_is_better: bool) -> np.ndarray:
    """Where a fallback point's bound clears ``threshold`` (its answer may extend the vote);
    ``"all"``: everywhere, None / NaN: nowhere."""
    if isinstance(threshold, str):
        if threshold != "all":
            raise ValueError(f"threshold: expected a number, None or 'all', got {threshold!r}")
        return np.ones(bound.shape, dtype=bool)
    if threshold is None or np.isnan(threshold):
        return np.zeros(bound.shape, dtype=bool)
    t = np.float32(threshold)
    return bound >= t if higher_is_better else bound <= t
