"""Exact nearest-neighbour searches on the Rust core: per-LF nearest support point, k-NN graphs and
radius neighbourhoods.

All three run one blocked, parallel sweep with the selection fused into it, release the GIL while
they work, and never build an (n x n) or (q x n) matrix: memory beyond the inputs and outputs is a
few MB per thread, whatever n and q are.

The contract (what a sharded / Dask run may rely on): for every query the result is the base row
(the k rows) maximising a *canonical* pair score -- a deterministic function of the two rows alone,
computed in float32 in a fixed order (for ``"euclidean"``: minimising the distance) -- with exact
ties to the lowest base index, and the returned score is that canonical score. Faster arithmetic
(a float32 GEMM, or int8 on CPUs with AVX-512 VNNI) only *screens* candidates, with a rigorous
error bound, so results are bit-identical for every ``n_jobs`` and ``kernel``, and searching row
shards of the base set separately, then keeping the best by (score, lowest global index), gives
exactly the result of one search over the whole set.

Ctrl-C: while a call runs, the calling thread runs Python's signal handlers every 20 ms; a
``KeyboardInterrupt`` stops the worker threads at their next block of work (milliseconds) and is
raised once they have stopped, with no partial result. Calls from threads other than the main one
are not interrupted by signals (Python delivers them to the main thread only).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._checks.validation import (
    as_core_votes,
    as_embeddings,
    check_dims,
    check_kernel,
    check_max_neighbors,
    check_metric,
    check_rows,
    core_errors_named,
    resolve_n_jobs,
)
from .._native import _core
from .._progress import stage

__all__ = ["nearest_support", "knn_graph", "radius_neighbors"]


def nearest_support(
    queries: Any,
    base: Any,
    L_base: Any,
    *,
    metric: str = "cosine",
    n_jobs: int | None = None,
    kernel: str = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    """For every query and every LF, the closest base row on which that LF voted.

    LF ``j``'s *support* is the set of base rows with ``L_base[:, j] != -1``. All LFs are served by
    one sweep over the union of the supports.

    Parameters
    ----------
    queries : array-like of shape (q, d)
        Query embeddings. C-contiguous float32 is used without a copy; anything else (float64,
        Fortran order, slices, lists) is converted once to C-contiguous float32.
    base : array-like of shape (n, d)
        Base embeddings (usually the train split), same rules as ``queries``.
    L_base : array-like of int, shape (n, m), or scipy.sparse CSR / CSC matrix
        LF votes on the base rows: -1 = abstain, classes 0..K-1. int8, int16, int32 and int64
        arrays are read without a copy (C-contiguous ones), so a 1M x 100 int8 matrix costs
        100 MB, not 800. A sparse matrix is read as is (CSC is converted to CSR, never densified):
        an explicit entry is a vote (an explicit 0 is class 0, an explicit -1 abstains) and a
        missing entry abstains.
    metric : {"cosine", "ip", "euclidean"}, default="cosine"
        ``"cosine"``: cosine similarity (rows need not be normalised; zero rows are an error);
        ``"ip"``: inner product; ``"euclidean"``: Euclidean distance.
    n_jobs : int, optional
        Threads: None or -1 = all cores, ``k > 0`` = k, ``-k`` = all cores but ``k - 1``.
    kernel : {"auto", "exact", "screened"}, default="auto"
        How candidates are screened; the results are identical for all three. ``"exact"``: a
        float32 GEMM. ``"screened"``: rows quantised to int8 per row, integer dot products (AVX-512
        VNNI where the CPU has it, a portable kernel elsewhere), every candidate whose error bound
        reaches the current best re-scored exactly. ``"auto"``: ``"screened"`` where the CPU has
        AVX-512 VNNI and ``d >= 16``, else ``"exact"``. (``liger._core.screen_engine(kernel, d)``
        says which one runs.)

    Returns
    -------
    scores : ndarray of float32, shape (q, m)
        The best canonical score per (query, LF): the largest similarity, or the smallest distance
        for ``"euclidean"``. ``-inf`` (``+inf`` for euclidean) where LF ``j`` has an empty support.
    indices : ndarray of int64, shape (q, m)
        The base row achieving it, or -1 where the support is empty. Equal canonical scores go to
        the lowest base index.

    Notes
    -----
    The canonical score is computed from the two rows alone (float32, a fixed summation order;
    cosine divides in float64), so a self-match has distance 0 exactly and ``scores`` is accurate
    to float32 rounding of the pair itself. It does not depend on the other rows, ``n_jobs`` or
    ``kernel``: see the module documentation for what that guarantees.
    """
    return search_nearest(queries, base, L_base, metric=metric, n_jobs=n_jobs, kernel=kernel)


def search_nearest(
    queries: Any,
    base: Any,
    L_base: Any,
    *,
    metric: str = "cosine",
    n_jobs: int | None = None,
    kernel: str = "auto",
    names: tuple[str, str, str] = ("queries", "base", "L_base"),
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`nearest_support` for a caller whose own arguments are searched: every error names
    ``names`` (the caller's queries, base and votes, e.g. ``("X", "X_base", "L_base")``)."""
    metric = check_metric(metric)
    kernel = check_kernel(kernel)
    threads = resolve_n_jobs(n_jobs)
    q_name, b_name, l_name = names
    queries = as_embeddings(q_name, queries, threads)
    base = queries if base is queries else as_embeddings(b_name, base, threads)
    votes, shape = as_core_votes(l_name, L_base)
    check_dims(q_name, queries, b_name, base)
    check_rows(b_name, base, l_name, shape)
    renames = {"queries": q_name, "base": b_name, "L_base": l_name}
    with core_errors_named({k: v for k, v in renames.items() if k != v}), stage("nearest support"):
        return _core.nearest_support(queries, base, votes, metric, threads, kernel)


def knn_graph(
    X: Any,
    k: int,
    *,
    metric: str = "cosine",
    queries: Any = None,
    n_jobs: int | None = None,
    kernel: str = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    """The exact ``k`` nearest neighbours of every query among the rows of ``X``, best first.

    Parameters
    ----------
    X : array-like of shape (n, d)
        The points searched.
    k : int
        Neighbours per query, ``1 <= k <= n`` (``n - 1`` when ``queries`` is None).
    metric : {"cosine", "ip", "euclidean"}, default="cosine"
    queries : array-like of shape (q, d), optional
        Points whose neighbours are wanted. When None, the queries are the rows of ``X`` and a row
        is never its own neighbour (an identical *other* row still is).
    n_jobs : int, optional
        Threads: None or -1 = all cores, ``k > 0`` = k, ``-k`` = all cores but ``k - 1``.
    kernel : {"auto", "exact", "screened"}, default="auto"
        How candidates are screened (results are identical), see :func:`nearest_support`.

    Returns
    -------
    scores : ndarray of float32, shape (q, k)
        Canonical similarities (descending) or distances (ascending, for ``"euclidean"``), the
        same as :func:`nearest_support` reports.
    indices : ndarray of int64, shape (q, k)
        Rows of ``X``: the k best by canonical score; equal scores are ordered by ascending index.
    """
    metric = check_metric(metric)
    kernel = check_kernel(kernel)
    threads = resolve_n_jobs(n_jobs)
    X = as_embeddings("X", X, threads)
    exclude_self = queries is None
    queries = X if exclude_self else as_embeddings("queries", queries, threads)
    check_dims("queries", queries, "X", X)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k: expected an int, got {type(k).__name__}")
    candidates = X.shape[0] - int(exclude_self)
    if candidates < 1:
        need = "2 rows of X (a row's neighbours are the others)" if exclude_self else "1 row of X"
        raise ValueError(f"k: k-NN needs at least {need}, got {X.shape[0]} (k={k})")
    if not 1 <= k <= candidates:
        raise ValueError(
            f"k: expected 1 <= k <= {candidates} (rows of X"
            f"{' other than the query itself' if exclude_self else ''}), got {k}"
        )
    with stage("k-NN graph"):
        return _core.knn(queries, X, int(k), metric, exclude_self, threads, kernel)


def radius_neighbors(
    X: Any,
    radius: float,
    *,
    metric: str = "cosine",
    queries: Any = None,
    max_neighbors: int | None = None,
    n_jobs: int | None = None,
    kernel: str = "auto",
):
    """Every row of ``X`` within ``radius`` of each query, as a sparse matrix of scores.

    A pair is kept when its score clears the radius: similarity ``>= radius`` for ``"cosine"`` /
    ``"ip"``, distance ``<= radius`` for ``"euclidean"``. The search is exact (the same canonical
    pair score as :func:`nearest_support` and :func:`knn_graph`, decided on that score), blocked
    and parallel, and releases the GIL; memory beyond the output is a few MB per thread.

    Parameters
    ----------
    X : array-like of shape (n, d)
        The points searched.
    radius : float
        The similarity floor (cosine / ip) or distance ceiling (euclidean, ``>= 0``). It is
        compared in float32, the precision of the scores: ``np.float32(radius)``.
    metric : {"cosine", "ip", "euclidean"}, default="cosine"
    queries : array-like of shape (q, d), optional
        Points whose neighbourhoods are wanted. When None, the queries are the rows of ``X`` and a
        row is never its own neighbour (an identical *other* row still is).
    max_neighbors : int, optional
        Keep only the best ``max_neighbors`` per query (highest similarity / smallest distance,
        equal scores to the lower index). Bounds the output and the memory whatever the radius.
    n_jobs : int, optional
        Threads: None or -1 = all cores, ``k > 0`` = k, ``-k`` = all cores but ``k - 1``.
    kernel : {"auto", "exact", "screened"}, default="auto"
        How candidates are screened, as in :func:`nearest_support`; the result is the same.

    Returns
    -------
    graph : scipy.sparse.csr_matrix of float32, shape (q, n)
        ``graph[i, j]`` is the score of query ``i`` and row ``j`` where it clears the radius;
        absent otherwise (a stored score can be 0, e.g. a duplicate at distance 0). Column indices
        are sorted within each row. Bit-identical for every ``n_jobs``.
    """
    from scipy.sparse import csr_matrix

    metric = check_metric(metric)
    kernel = check_kernel(kernel)
    threads = resolve_n_jobs(n_jobs)
    X = as_embeddings("X", X, threads)
    exclude_self = queries is None
    queries = X if exclude_self else as_embeddings("queries", queries, threads)
    check_dims("queries", queries, "X", X)
    radius32 = _as_radius(radius, metric)
    max_neighbors = check_max_neighbors(max_neighbors)
    with stage("radius neighbours"):
        indptr, indices, scores = _core.radius_neighbors(
            queries, X, radius32, metric, exclude_self, max_neighbors, threads, kernel
        )
    return csr_matrix((scores, indices, indptr), shape=(queries.shape[0], X.shape[0]), copy=False)


def _as_radius(radius: Any, metric: str) -> float:
    if isinstance(radius, bool) or not isinstance(radius, numbers.Real):
        raise TypeError(f"radius: expected a number, got {type(radius).__name__}")
    with np.errstate(over="ignore"):
        value = np.float32(radius)
    if not np.isfinite(value):
        raise ValueError(f"radius: expected a finite float32 number, got {radius!r}")
    if metric == "euclidean" and value < 0:
        raise ValueError(f"radius: expected a distance >= 0 for metric='euclidean', got {radius}")
    return float(value)
