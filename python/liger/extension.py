"""Liger's extension rule: an LF that abstains on a point takes the vote of its nearest support
point, when that point is close enough. Cast votes never change."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _core
from ._validation import (
    as_core_votes,
    as_embeddings,
    as_thresholds,
    as_votes,
    check_lfs,
    check_metric,
    check_rows,
    resolve_n_jobs,
)
from .search import nearest_support

__all__ = ["extend_votes", "extend"]


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
    return _core.extend_votes(
        L,
        np.ascontiguousarray(scores_array, dtype=np.float32),
        np.ascontiguousarray(indices_array, dtype=np.int64),
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
    n_jobs: int | None = None,
    kernel: str = "auto",
) -> np.ndarray:
    """:func:`nearest_support` then :func:`extend_votes`, in one call.

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
    n_jobs : int, optional
    kernel : {"auto", "exact", "screened"}, default="auto"
        See :func:`nearest_support` (the results do not depend on it).

    Returns
    -------
    L_extended : ndarray of int, shape (q, m)
        Of the wider of the dtypes of ``L`` and ``L_base``.
    """
    threads = resolve_n_jobs(n_jobs)
    L_array = as_votes("L", L, keep_width=True)
    X_array = as_embeddings("X", X, threads)
    check_rows("L", L_array, "X", X_array)
    scores, indices = nearest_support(
        X_array, X_base, L_base, metric=metric, n_jobs=n_jobs, kernel=kernel
    )
    return extend_votes(L_array, scores, indices, L_base, thresholds, metric=metric, n_jobs=n_jobs)
