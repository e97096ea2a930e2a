"""Choosing extension thresholds on the dev split, from nearest-support results computed once.

A threshold vector only decides which abstentions are filled with their nearest support
point's vote, so every candidate is evaluated by a vectorised `where` over precomputed arrays:
the search is never re-run. Thresholds are parameterised by an *extension level* per LF: the
fraction of the train points on which the LF abstains that it is extended to (0 = no extension,
1 = all of them). Levels make one grid meaningful for every LF whatever its score distribution.

Dev sets are small (100-500 items), so the search guards against fitting dev noise: the per-LF
stage only moves an LF away from the global level when the dev score improves by at least
``min_gain``, and it starts from (and so shrinks towards) the best global level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .._checks.settings import check_tuning_settings
from .._checks.validation import ABSTAIN, as_thresholds, check_levels, check_metric, check_vector
from ..io.registry import saveable
from ..label_model.statistics import VoteStatistics

DEFAULT_LEVELS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)


def support_votes(indices: np.ndarray, L_base: np.ndarray) -> np.ndarray:
    """The vote of each nearest support point: (q, m) ``indices`` into the rows of an (n, m)
    ``L_base`` (LF j's index reads column j), or (q,) indices into one (n,) column; -1 where an
    index is -1 (the LF has no support at all)."""
    found = np.maximum(indices, 0)
    if indices.ndim == 2:
        votes = L_base[found, np.arange(indices.shape[1])]
    else:
        votes = L_base[found]
    return np.where(indices >= 0, votes, ABSTAIN)


class SplitVotes:
    """What ``Liger.fit`` reads of the train split under an extension rule, written once on top of
    the rule's ``L``, ``scores``, ``higher_is_better`` and ``extend(thresholds)``:
    :class:`NearestVotes` (the nearest support point's vote), ``extension.RadiusVotes``, and
    ``liger.dask``'s chunked twin, which computes the same over chunks."""

    def grid(self, levels=DEFAULT_LEVELS) -> np.ndarray:
        """:func:`threshold_grid` of these votes."""
        return threshold_grid(self, levels)

    def statistics(
        self, cardinality: int, thresholds: np.ndarray | None = None, pairwise: bool = True
    ) -> VoteStatistics:
        """The label model's statistics of the votes as cast (``thresholds=None``) or extended
        (``pairwise=False``: without the co-occurrences, enough for majority vote).

        Remembered per (K, thresholds, pairwise): a fit asks for the same statistics several
        times (the global model, each partition candidate, the dev guard), and pairwise ones
        also answer a non-pairwise request. The votes are immutable values, so no entry goes
        stale."""
        fixed = None if thresholds is None else np.asarray(thresholds).tobytes()
        cache = self.__dict__.setdefault("_statistics_cache", {})
        for served_by in (True,) if pairwise else (False, True):
            if (cardinality, fixed, served_by) in cache:
                return cache[cardinality, fixed, served_by]
        stats = self._compute_statistics(cardinality, thresholds, pairwise)
        cache[cardinality, fixed, pairwise] = stats
        return stats

    def _compute_statistics(
        self, cardinality: int, thresholds: np.ndarray | None, pairwise: bool
    ) -> VoteStatistics:
        votes = self.L if thresholds is None else self.extend(thresholds)
        return VoteStatistics.from_votes(votes, cardinality, pairwise=pairwise)

    def coverage(self, thresholds: np.ndarray | None = None) -> np.ndarray:
        """(m,) fraction of the points with a vote, as cast (None) or extended."""
        votes = self.L if thresholds is None else self.extend(thresholds)
        return (votes != ABSTAIN).mean(0)


@saveable
@dataclass(frozen=True)
class NearestVotes(SplitVotes):
    """What extension needs of one split: per (point, LF) its own vote, the vote of the LF's nearest
    support point, and that point's score. All arrays are (n, m)."""

    L: np.ndarray
    candidate: np.ndarray
    scores: np.ndarray
    higher_is_better: bool

    @classmethod
    def from_search(
        cls, L: np.ndarray, scores: np.ndarray, indices: np.ndarray, L_base: np.ndarray, metric: str
    ) -> NearestVotes:
        metric = check_metric(metric)
        L, L_base = np.asarray(L), np.asarray(L_base)
        scores, indices = np.asarray(scores), np.asarray(indices)
        if indices.dtype == np.bool_ or not np.issubdtype(indices.dtype, np.integer):
            raise TypeError(f"indices: expected an integer array, got dtype {indices.dtype}")
        for name, array in (("scores", scores), ("indices", indices)):
            if array.shape != L.shape:
                raise ValueError(f"{name}: expected shape {L.shape} like L, got {array.shape}")
        if L_base.ndim != 2 or L_base.shape[1] != L.shape[1]:
            raise ValueError(f"L_base: expected {L.shape[1]} columns like L, got {L_base.shape}")
        if indices.size and (indices.min() < -1 or indices.max() >= L_base.shape[0]):
            raise ValueError(f"indices: expected -1 or a row of L_base in [0, {L_base.shape[0]})")
        return cls(L, support_votes(indices, L_base), scores, metric != "euclidean")

    def extend(self, thresholds: np.ndarray) -> np.ndarray:
        """The extended vote matrix for an (m,) threshold vector (NaN = do not extend)."""
        thresholds = check_vector("thresholds", thresholds, self.L.shape[1])
        with np.errstate(invalid="ignore"):
            close = (
                self.scores >= thresholds[None, :]
                if self.higher_is_better
                else self.scores <= thresholds[None, :]
            )
        return np.where((self.L == ABSTAIN) & close, self.candidate, self.L)


def threshold_grid(train: NearestVotes, levels=DEFAULT_LEVELS) -> np.ndarray:
    """(m, len(levels)) thresholds: column g extends each LF to a fraction ``levels[g]`` of the
    train points where it abstains (the closest ones). NaN where nothing is extended."""
    levels = check_levels(levels)
    m = train.L.shape[1]
    grid = np.full((m, len(levels)), np.nan, dtype=np.float32)
    levels = np.asarray(levels, dtype=np.float64)
    extended = np.flatnonzero(levels > 0)
    q = np.clip(1.0 - levels[extended] if train.higher_is_better else levels[extended], 0.0, 1.0)
    for j in range(m):
        abstained = train.scores[train.L[:, j] == ABSTAIN, j]
        abstained = abstained[np.isfinite(abstained)]
        if abstained.size == 0 or extended.size == 0:
            continue
        # One partition for all levels (np.quantile with a vector of q).
        grid[j, extended] = np.quantile(abstained, q, method="lower")
    return grid


@saveable
@dataclass(frozen=True)
class TuningResult:
    thresholds: np.ndarray
    levels: np.ndarray
    dev_score: float | None
    global_level: float
    evaluations: int


def tune_thresholds(
    evaluate: Callable[[np.ndarray], float],
    grid: np.ndarray,
    levels=DEFAULT_LEVELS,
    *,
    per_lf: bool = True,
    min_gain: float = 0.01,
    max_passes: int = 2,
) -> TuningResult:
    """Global level first, then (optionally) guarded coordinate ascent per LF.

    Parameters
    ----------
    evaluate : callable
        Maps an (m,) threshold vector to a dev score (higher is better).
    grid : ndarray of shape (m, G)
        Candidate thresholds per LF, from :func:`threshold_grid`.
    levels : sequence of G floats
        The extension level of each grid column (ascending).
    per_lf : bool, default=True
        Refine LF by LF after the global stage.
    min_gain : float, default=0.01
        A per-LF move must raise the dev score by at least this much (guards against dev noise).
    max_passes : int, default=2

    Returns
    -------
    TuningResult
    """
    levels = np.asarray(levels, dtype=float)
    m, G = grid.shape
    scores = [evaluate(grid[:, g]) for g in range(G)]
    evaluations = G
    # Ties go to the lower level: the simpler setting with less extension.
    g_best = int(np.argmax(scores))
    chosen = np.full(m, g_best)
    best = scores[g_best]
    thresholds = grid[:, g_best].copy()
    if per_lf and m > 1:
        chosen, thresholds, best, more = _coordinate_ascent(
            evaluate, grid, chosen, thresholds, best, range(m), min_gain, max_passes
        )
        evaluations += more
    return TuningResult(
        thresholds=thresholds,
        levels=levels[chosen],
        dev_score=float(best),
        global_level=float(levels[g_best]),
        evaluations=evaluations,
    )


def refine_thresholds(
    evaluate: Callable[[np.ndarray], float],
    thresholds: np.ndarray,
    grid: np.ndarray,
    start: np.ndarray,
    lfs,
    levels=DEFAULT_LEVELS,
    *,
    min_gain: float = 0.01,
    max_passes: int = 2,
) -> TuningResult:
    """The per-LF stage of :func:`tune_thresholds` for some LFs only, the others kept fixed.

    An interactive edit of LF j re-tunes LF j alone: it starts from its current extension level
    and moves only when the dev score gains at least ``min_gain``, as in the full search.

    Parameters
    ----------
    evaluate : callable
        Maps an (m,) threshold vector to a dev score.
    thresholds : ndarray of shape (m,)
        Current thresholds; entries of LFs outside ``lfs`` are kept as they are.
    grid : ndarray of shape (m, G)
        Candidate thresholds per LF (only the rows of ``lfs`` are read).
    start : ndarray of int, shape (m,)
        Grid column each LF of ``lfs`` starts from.
    lfs : iterable of int
        The LFs to re-tune.

    Returns
    -------
    TuningResult
        ``levels`` is NaN outside ``lfs``; ``global_level`` is NaN.
    """
    levels = np.asarray(levels, dtype=float)
    lfs = [int(j) for j in lfs]
    chosen = np.asarray(start, dtype=np.int64).copy()
    thresholds = np.asarray(thresholds, dtype=np.float32).copy()
    thresholds[lfs] = grid[lfs, chosen[lfs]]
    best = evaluate(thresholds)
    chosen, thresholds, best, evaluations = _coordinate_ascent(
        evaluate, grid, chosen, thresholds, best, lfs, min_gain, max_passes
    )
    chosen_levels = np.full(thresholds.shape[0], np.nan)
    chosen_levels[lfs] = levels[chosen[lfs]]
    return TuningResult(
        thresholds=thresholds,
        levels=chosen_levels,
        dev_score=float(best),
        global_level=float("nan"),
        evaluations=evaluations + 1,
    )


def _coordinate_ascent(evaluate, grid, chosen, thresholds, best, lfs, min_gain, max_passes):
    """LF by LF, try every other grid column; keep a move only if it gains ``min_gain``."""
    G = grid.shape[1]
    evaluations = 0
    for _ in range(max_passes):
        moved = False
        for j in lfs:
            if np.isnan(grid[j]).all():
                continue  # an LF with no support cannot be extended
            for g in range(G):
                if g == chosen[j]:
                    continue
                trial = thresholds.copy()
                trial[j] = grid[j, g]
                score = evaluate(trial)
                evaluations += 1
                if score >= best + min_gain:
                    best, thresholds, moved = score, trial, True
                    chosen = chosen.copy()
                    chosen[j] = g
        if not moved:
            break
    return chosen, thresholds, best, evaluations


def choose_thresholds(
    setting: Any,
    train: SplitVotes,
    evaluate: Callable[[np.ndarray], float],
    *,
    has_dev: bool,
    threshold_search: str = "per_lf",
    min_gain: float = 0.01,
    levels=DEFAULT_LEVELS,
) -> TuningResult:
    """The thresholds a front end's ``thresholds`` parameter stands for.

    Parameters
    ----------
    setting : "tune", float, array-like of shape (m,), or None
        ``"tune"``: :func:`tune_thresholds` on the grid of ``train`` (``threshold_search``
        "global" or "per_lf"); otherwise fixed thresholds (None / NaN = do not extend).
    train : SplitVotes
        The train split's votes under the extension rule (``NearestVotes``, ``RadiusVotes`` or
        ``liger.dask``'s chunked twin); only its ``L`` (shape) and ``grid`` are read. A session's
        nearest-support columns must be exact for every abstaining cell.
    evaluate : callable
        Maps an (m,) threshold vector to the dev score.
    has_dev : bool
        Whether there is a dev split; without one fixed thresholds get ``dev_score=None``.

    Returns
    -------
    TuningResult
        Fixed thresholds: ``levels`` NaN, ``global_level`` NaN, ``evaluations`` 0 or 1.
    """
    m = train.L.shape[1]
    if not isinstance(setting, str):
        thresholds = as_thresholds(setting, m)
        score = evaluate(thresholds) if has_dev else None
        return TuningResult(thresholds, np.full(m, np.nan), score, float("nan"), int(has_dev))
    check_tuning_settings(setting, threshold_search, m)
    grid = train.grid(levels)
    return tune_thresholds(
        evaluate, grid, levels, per_lf=threshold_search == "per_lf", min_gain=min_gain
    )
