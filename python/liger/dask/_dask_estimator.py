"""``Liger`` with a row-chunked Dask train split: the estimator stage of ``liger.dask``.

:class:`DaskLiger` follows dask-ml's ``ParallelPostFit`` conventions: it wraps an ``estimator``
(a :class:`liger.Liger`), fits it, copies its learned attributes onto itself, and its
``predict_proba`` / ``predict`` / ``transform`` return Dask arrays for Dask inputs and NumPy arrays
for NumPy inputs, blocked along rows only.

Unlike ``ParallelPostFit`` it also *fits* on a train split too large for one machine, by composing
the same stages as :meth:`liger.Liger.fit` (through its ``_fit_from_searched_votes`` seam, with
the train split's :class:`DaskNearestVotes`): the search is :func:`nearest_votes` over the chunks,
the label model reads :class:`~liger.label_model.statistics.VoteStatistics` merged across chunks,
the threshold grid is an exact distributed order statistic, and the small dev split stays local.
Every reduction is exact, so the fitted model equals the one :meth:`liger.Liger.fit` gets from the
same arrays.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import dask
import dask.array as da
import numpy as np

from .._checks.validation import (
    ABSTAIN,
    MAX_THREADS,
    as_embeddings,
    as_votes,
    check_levels,
    check_metric,
    check_vector,
    check_votes_below,
)
from .._estimator import ParamsMixin
from ..extension.tuning import DEFAULT_LEVELS, NearestVotes
from ..label_model.statistics import VoteStatistics
from ..pipeline.estimator import Liger
from . import _dask_grid
from ._dask_search import (
    SupportBase,
    _nearest_votes,
    aligned_rows,
    as_row_chunked,
    global_rows,
    is_dask,
    tree_reduce,
)


# ------------------------------------------------------------------ the train split's twin
def _extended(L, candidate, scores, thresholds, higher_is_better):
    if thresholds is None:
        return L
    return NearestVotes(L, candidate, scores, higher_is_better).extend(thresholds)


def _chunk_statistics(L, candidate, scores, thresholds, higher_is_better, K, pairwise, offset, n):
    votes = _extended(L, candidate, scores, thresholds, higher_is_better)
    try:
        return VoteStatistics.from_votes(
            votes, K, row_offset=offset, total_rows=n, pairwise=pairwise
        )
    except (TypeError, ValueError) as exc:
        raise global_rows(exc, offset) from exc


def _first_row(block_info) -> int:
    """The first global row of a ``map_blocks`` block (0 when Dask gives no block_info)."""
    try:
        return int(block_info[0]["array-location"][0][0])
    except (TypeError, KeyError, IndexError):
        return 0


def _rows_named(function):
    """A ``map_blocks`` function whose errors name global rows (see :func:`global_rows`)."""

    def run(*args, block_info=None, **kwargs):
        try:
            return function(*args, **kwargs)
        except (TypeError, ValueError) as exc:
            raise global_rows(exc, _first_row(block_info)) from exc

    run.__name__ = run.__qualname__ = function.__name__
    return run


def _merge_statistics(*parts: VoteStatistics) -> VoteStatistics:
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    return merged


def _chunk_coverage(L, candidate, scores, thresholds, higher_is_better):
    votes = _extended(L, candidate, scores, thresholds, higher_is_better)
    return np.count_nonzero(votes != ABSTAIN, axis=0).astype(np.int64)


def _sum(*parts):
    return np.sum(parts, axis=0)


class DaskNearestVotes(NearestVotes):
    """:class:`~liger.extension.tuning.NearestVotes` of a row-chunked train split: ``L``,
    ``candidate`` and ``scores`` are Dask arrays with the same row chunks, and the three reductions
    :meth:`liger.Liger.fit` reads (``grid``, ``statistics``, ``coverage``) run over the chunks
    and return the exact NumPy values of the local class."""

    def _blocks(self):
        return list(
            zip(
                self.L.to_delayed()[:, 0],
                self.candidate.to_delayed()[:, 0],
                self.scores.to_delayed()[:, 0],
            )
        )

    def grid(self, levels=DEFAULT_LEVELS) -> np.ndarray:
        levels = check_levels(levels)
        return _dask_grid.threshold_grid(self.L, self.scores, levels, self.higher_is_better)

    def _compute_statistics(
        self, cardinality: int, thresholds: np.ndarray | None, pairwise: bool
    ) -> VoteStatistics:
        if thresholds is not None:
            thresholds = check_vector("thresholds", thresholds, self.L.shape[1])
        n = int(self.L.shape[0])
        offsets = np.concatenate([[0], np.cumsum(self.L.chunks[0])[:-1]]).tolist()
        chunk = dask.delayed(_chunk_statistics, pure=True)
        parts = [
            chunk(L, c, s, thresholds, self.higher_is_better, cardinality, pairwise, offset, n)
            for (L, c, s), offset in zip(self._blocks(), offsets)
        ]
        (stats,) = dask.compute(tree_reduce(parts, _merge_statistics))
        return stats

    def coverage(self, thresholds: np.ndarray | None = None) -> np.ndarray:
        if thresholds is not None:
            thresholds = check_vector("thresholds", thresholds, self.L.shape[1])
        chunk = dask.delayed(_chunk_coverage, pure=True)
        parts = [chunk(L, c, s, thresholds, self.higher_is_better) for L, c, s in self._blocks()]
        (counts,) = dask.compute(tree_reduce(parts, _sum))
        # The local class takes the mean of booleans: an exact count over n in float64, as here.
        return counts / self.L.shape[0]


# ------------------------------------------------------------------------ the estimator
@_rows_named
def _proba_block(L, X, scores, votes, model, higher_is_better):
    """P(y | extended votes) of one chunk: the fitted model's own ``_proba_extended``."""
    L = as_votes("L", L, allow_empty_rows=True)
    check_votes_below("L", L, model.n_classes_, " from fit")
    L_ext = NearestVotes(L, votes, scores, higher_is_better).extend(model.thresholds_)
    return model._proba_extended(L_ext, as_embeddings("X", X))


@_rows_named
def _transform_block(L, scores, votes, thresholds, K, higher_is_better):
    L = as_votes("L", L, allow_empty_rows=True)
    check_votes_below("L", L, K, " from fit")
    return NearestVotes(L, votes, scores, higher_is_better).extend(thresholds)


@_rows_named
def _end_model_block(X, end_model):
    return end_model.predict_proba(as_embeddings("X", X))


class DaskLiger(ParamsMixin):
    """:class:`liger.Liger` on Dask arrays: fit on a row-chunked train split, label any number of
    points chunk by chunk.

    Parameters
    ----------
    estimator : Liger, optional
        The estimator whose parameters are used (default ``Liger()``). It is not modified: the
        fitted copy is ``estimator_``. With a Dask train split, ``n_partitions`` must be 1 and
        ``end_model`` None (k-means and the end model are not distributed); with NumPy train
        arrays, :meth:`fit` is plain :meth:`liger.Liger.fit` and everything is allowed.
    n_jobs : int, default=1
        Threads of the Rust kernel inside each Dask task. Dask runs one task per worker thread,
        so 1 keeps every worker within its share of cores; with ``threads_per_worker=1`` on
        machines of ``c`` cores running ``w`` workers each, ``c // w`` uses them all.
    base_chunk_rows : int, optional
        Rows per shard of the base set (the train split) in the searches. None: the train
        split's own row chunks. Every (query chunk, base shard) pair is one task, so shards as
        large as a worker holds comfortably keep the task count down.

    Attributes
    ----------
    estimator_ : Liger
        The fitted estimator; its learned attributes (``thresholds_``, ``classes_``,
        ``global_label_model_``, ...) are also copied onto this object. After a fit on a Dask
        train split it holds no train arrays (they stay distributed): its own ``predict`` /
        ``transform`` raise ``NotFittedError``; label new data with this object's.
    fit_time_ : float
        Seconds spent in :meth:`fit`.
    """

    _FITTED = "estimator_"  # check_is_fitted; scikit-learn tags: votes and embeddings

    def __init__(
        self,
        estimator: Liger | None = None,
        *,
        n_jobs: int = 1,
        base_chunk_rows: int | None = None,
    ):
        self.estimator = estimator
        self.n_jobs = n_jobs
        self.base_chunk_rows = base_chunk_rows

    # ------------------------------------------------------------------------------ fit
    def fit(
        self,
        L_train: Any,
        X_train: Any,
        L_dev: Any = None,
        X_dev: Any = None,
        y_dev: Any = None,
    ) -> DaskLiger:
        """Fit on a train split given as Dask arrays (or NumPy arrays: plain ``Liger.fit``).

        Parameters
        ----------
        L_train : dask array of int, shape (n, m)
            LF votes on the train points (rechunked along rows like ``X_train``).
        X_train : dask array of shape (n, d)
            Train embeddings, chunked along rows.
        L_dev, X_dev, y_dev : arrays of shapes (n_dev, m), (n_dev, d), (n_dev,), optional
            The small labelled dev split, as NumPy arrays (Dask arrays are computed): the only
            data tuning looks at.

        Returns
        -------
        self : DaskLiger
        """
        started = time.perf_counter()
        template = Liger() if self.estimator is None else self.estimator
        if not isinstance(template, Liger):
            raise TypeError(f"estimator: expected a liger.Liger, got {type(template).__name__}")
        estimator = type(template)(**template.get_params(deep=False))
        estimator._check_settings(has_dev=y_dev is not None)
        _check_task_threads(self.n_jobs)
        if not (is_dask(L_train) or is_dask(X_train)):
            estimator.fit(L_train, X_train, L_dev, X_dev, y_dev)
            support = SupportBase(
                estimator._X_support, estimator._L_support, names=("X_train", "L_train")
            )
        else:
            support = self._fit_chunked(estimator, L_train, X_train, L_dev, X_dev, y_dev)
        self.estimator_ = estimator
        self._support = support
        for name, value in vars(estimator).items():
            if name.endswith("_") and not name.startswith("_"):
                setattr(self, name, value)
        self.fit_time_ = time.perf_counter() - started
        return self

    def _fit_chunked(self, estimator, L_train, X_train, L_dev, X_dev, y_dev) -> SupportBase:
        if estimator.n_partitions != 1:
            raise ValueError(
                "n_partitions: with a Dask train split only 1 is supported (k-means over chunks "
                f"is not distributed), got {estimator.n_partitions!r}"
            )
        if estimator.end_model is not None:
            raise ValueError(
                "end_model: with a Dask train split only None is supported (the end model is "
                f"not distributed), got {estimator.end_model!r}"
            )
        if estimator.extension != "nearest":
            raise ValueError(
                "extension: with a Dask train split only 'nearest' is supported (the radius "
                f"rule's neighbourhoods are not distributed), got {estimator.extension!r}"
            )
        metric = check_metric(estimator.metric)
        X = as_row_chunked("X_train", X_train, "embeddings")
        L = as_row_chunked("L_train", L_train, "votes")
        if L.shape[0] != X.shape[0]:
            raise ValueError(
                f"L_train and X_train: expected the same number of rows, got {L.shape[0]} and "
                f"{X.shape[0]}"
            )
        L = aligned_rows("L_train", L, X.chunks[0])
        if X.shape[0] == 0 or L.shape[1] == 0:
            raise ValueError(f"L_train: expected a non-empty array, got shape {L.shape}")
        (lowest,) = dask.compute(L.min())
        if lowest < ABSTAIN:
            raise ValueError(
                f"L_train: expected votes of -1 (abstain) or a class 0..K-1, got {lowest}"
            )
        if not (L_dev is None and X_dev is None and y_dev is None):
            L_dev, X_dev, y_dev = (
                np.asarray(v.compute() if is_dask(v) else v) if v is not None else None
                for v in (L_dev, X_dev, y_dev)
            )
        supports = []

        def search(dev):
            base_X, base_L = X, L
            if self.base_chunk_rows is not None:
                rows = _check_task_threads(self.base_chunk_rows, "base_chunk_rows")
                base_X, base_L = X.rechunk({0: rows}), L.rechunk({0: rows})
            support = SupportBase(base_X, base_L, names=("X_train", "L_train"))
            supports.append(support)
            scores, _, votes = _nearest_votes(
                X, support, metric=metric, n_jobs=self.n_jobs, query_name="X_train"
            )
            # Held in the workers' memory while fit reads them (grid, statistics, coverage).
            L_held, votes, scores = dask.persist(L, votes, scores)
            train = DaskNearestVotes(L_held, votes, scores, metric != "euclidean")
            dev_votes = None
            if dev is not None:
                dev_scores, _, dev_candidate = dask.compute(
                    *_nearest_votes(
                        dev[1], support, metric=metric, n_jobs=self.n_jobs, query_name="X_dev"
                    )
                )
                dev_votes = NearestVotes(dev[0], dev_candidate, dev_scores, metric != "euclidean")
            return train, dev_votes

        estimator._fit_from_searched_votes(L, X, L_dev, X_dev, y_dev, search)
        return supports[0]

    # -------------------------------------------------------------------------- predict
    def _check_fitted_dask(self) -> None:
        self._check_fitted("estimator_")

    def _inputs(self, L: Any, X: Any) -> tuple[da.Array, da.Array]:
        X = as_row_chunked("X", X, "embeddings")
        L = as_row_chunked("L", L, "votes")
        if L.shape[0] != X.shape[0]:
            raise ValueError(
                f"L and X: expected the same number of rows, got {L.shape[0]} and {X.shape[0]}"
            )
        n_lfs = self.estimator_.n_lfs_
        if L.shape[1] != n_lfs:
            raise ValueError(
                f"L_train and L: expected the same number of LFs (columns), got {n_lfs} and "
                f"{L.shape[1]}"
            )
        return aligned_rows("L", L, X.chunks[0]), X

    def _searched(self, L: Any, X: Any):
        L, X = self._inputs(L, X)
        scores, _, votes = _nearest_votes(
            X, self._support, metric=self.estimator_.metric, n_jobs=self.n_jobs, query_name="X"
        )
        return L, X, scores, votes

    def _postfit_model(self) -> Liger:
        """The fitted estimator without its train arrays: what each task needs to label a chunk."""
        model = copy.copy(self.estimator_)
        for name in ("_L_support", "_X_support", "_dev_for_summary", "_coverage_train"):
            model.__dict__.pop(name, None)
        return model

    def transform(self, L: Any, X: Any):
        """Extended votes (see :meth:`liger.Liger.transform`): a Dask array of int64, shape
        (q, m), for Dask inputs; a NumPy array for NumPy inputs."""
        self._check_fitted_dask()
        local = not (is_dask(L) or is_dask(X))
        L, _, scores, votes = self._searched(L, X)
        est = self.estimator_
        result = da.map_blocks(
            _transform_block,
            L,
            scores,
            votes,
            thresholds=est.thresholds_,
            K=est.n_classes_,
            higher_is_better=est.metric != "euclidean",
            dtype=np.int64,
        )
        return result.compute() if local else result

    def predict_proba(self, L: Any, X: Any, *, source: str = "auto"):
        """Class probabilities (see :meth:`liger.Liger.predict_proba`).

        Returns
        -------
        proba : dask array of float64, shape (q, K), chunked along rows like ``X``
            For Dask inputs (write it chunk by chunk with :func:`liger.dask.to_npy` or
            ``proba.to_zarr(...)``); a NumPy array for NumPy inputs.
        """
        self._check_fitted_dask()
        if source not in ("auto", "label_model", "end_model"):
            raise ValueError(
                f"source: expected 'auto', 'label_model' or 'end_model', got {source!r}"
            )
        est = self.estimator_
        if source == "end_model" and est.end_model_ is None:
            raise ValueError("source: 'end_model' needs Liger(end_model='logreg')")
        local = not (is_dask(L) or is_dask(X))
        K = est.n_classes_
        if source != "label_model" and est.end_model_ is not None:
            L, X = self._inputs(L, X)
            proba = X.map_blocks(
                _end_model_block, est.end_model_, dtype=np.float64, chunks=(X.chunks[0], (K,))
            )
        else:
            L, X, scores, votes = self._searched(L, X)
            proba = da.map_blocks(
                _proba_block,
                L,
                X,
                scores,
                votes,
                model=self._postfit_model(),
                higher_is_better=est.metric != "euclidean",
                dtype=np.float64,
                chunks=(X.chunks[0], (K,)),
            )
        return proba.compute() if local else proba

    def predict(self, L: Any, X: Any, *, source: str = "auto"):
        """Most probable class per point (ties to the lowest class), shape (q,)."""
        proba = self.predict_proba(L, X, source=source)
        return proba.argmax(axis=1)


def _check_task_threads(value: Any, name: str = "n_jobs") -> int:
    """A positive int; for ``n_jobs`` (threads per task) at most ``MAX_THREADS``."""
    high = MAX_THREADS if name == "n_jobs" else np.iinfo(np.int64).max
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or not 1 <= value <= high
    ):
        bound = f" <= {MAX_THREADS}" if name == "n_jobs" else ""
        raise ValueError(f"{name}: expected a positive int{bound}, got {value!r}")
    return int(value)
