"""Nearest-support search and extension over row chunks: the search stage of ``liger.dask``.

Queries are independent, so a row-chunked ``dask.array`` of queries maps to one task per chunk.
The base set is either *broadcast* (a NumPy array: one copy per worker) or itself *chunked* (a Dask
array): then every (query chunk, base shard) pair is one task that finds, per (query, LF), the best
support point inside its shard, and the shards are merged by a tree of tasks. The merge is exact
because the kernel's contract makes the winner a total order: the higher canonical score (lower
distance for ``"euclidean"``), ties to the lower global base index. Every task calls the same Rust
kernel as :func:`liger.nearest_support`, with ``n_jobs`` threads, so results are bit-identical to
the single-machine path whatever the chunking.
"""

from __future__ import annotations

import re
from typing import Any

import dask
import dask.array as da
import numpy as np

from .._checks.validation import (
    MAX_THREADS,
    as_embeddings,
    as_thresholds,
    as_votes,
    check_metric,
)
from ..extension.tuning import NearestVotes, support_votes
from ..search.nearest import search_nearest

__all__ = ["SupportBase", "extend", "nearest_support", "nearest_votes"]

# Partial results combined per task of a reduction tree (base shards, chunk statistics).
MERGE_FAN_IN = 8
# A missing candidate (index -1) loses every tie against a real one.
_NO_INDEX_KEY = np.iinfo(np.int64).max


# ----------------------------------------------------------------------------------- inputs
def is_dask(value: Any) -> bool:
    return isinstance(value, da.Array)


def as_row_chunked(name: str, value: Any, kind: str) -> da.Array:
    """A 2-D Dask array chunked along rows only (columns in one chunk, as dask-ml's
    ``ParallelPostFit`` rechunks), with known chunk sizes. NumPy input becomes one chunk."""
    array = value if is_dask(value) else da.from_array(np.asarray(value), chunks=-1)
    if array.ndim != 2:
        raise ValueError(
            f"{name}: expected a 2-D array, got {array.ndim}-D with shape {array.shape}"
        )
    if any(np.isnan(size) for size in array.chunks[0]):
        raise ValueError(
            f"{name}: expected known chunk sizes, got unknown ones (call "
            f"{name}.compute_chunk_sizes() first)"
        )
    dtype = array.dtype
    if kind == "embeddings" and (
        dtype == np.bool_
        or not (np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.integer))
    ):
        raise TypeError(f"{name}: expected a real-valued (float) array, got dtype {dtype}")
    if kind == "votes" and (dtype == np.bool_ or not np.issubdtype(dtype, np.integer)):
        raise TypeError(
            f"{name}: expected an integer vote matrix (-1 = abstain, classes 0..K-1), got "
            f"dtype {dtype}"
        )
    if array.numblocks[1] > 1:
        array = array.rechunk({1: -1})
    return array


def aligned_rows(name: str, array: da.Array, row_chunks: tuple[int, ...]) -> da.Array:
    if array.chunks[0] != row_chunks:
        array = array.rechunk({0: row_chunks})
    return array


def _check_same_rows(name_a: str, a, name_b: str, b) -> None:
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{name_a} and {name_b}: expected the same number of rows, got {a.shape[0]} and "
            f"{b.shape[0]}"
        )


def _check_same_columns(name_a: str, a, name_b: str, b, what: str) -> None:
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"{name_a} and {name_b}: expected the same {what}, got {a.shape[1]} and {b.shape[1]}"
        )


class SupportBase:
    """The base set of a search: embeddings and votes split into row shards.

    A NumPy base is validated here, once, and *broadcast*: one shard that every task reads (the
    scheduler ships it to each worker once). A Dask base keeps its row chunks as shards; each task
    validates its own shard.
    """

    def __init__(self, base: Any, L_base: Any, *, names: tuple[str, str] = ("base", "L_base")):
        # ``names``: the arguments errors name (a caller's own: ``("X_base", "L_base")``).
        self.names = names
        b_name, l_name = names
        if is_dask(base):
            self.X = as_row_chunked(b_name, base, "embeddings")
            L = as_row_chunked(l_name, L_base, "votes")
            _check_same_rows(b_name, self.X, l_name, L)
            self.L = aligned_rows(l_name, L, self.X.chunks[0])
        else:
            X = as_embeddings(b_name, base)
            L = as_votes(l_name, L_base)
            _check_same_rows(b_name, X, l_name, L)
            # One named key each: every task depends on it, the scheduler ships it once per worker.
            self.X = da.from_array(X, chunks=X.shape, name=f"liger-base-{dask.base.tokenize(X)}")
            self.L = da.from_array(L, chunks=L.shape, name=f"liger-L-base-{dask.base.tokenize(L)}")
        self.offsets = np.concatenate([[0], np.cumsum(self.X.chunks[0])[:-1]]).astype(np.int64)

    @property
    def n_lfs(self) -> int:
        return int(self.L.shape[1])

    def shards(self):
        """(embeddings block, votes block, first global row) per shard, as delayed objects."""
        X_blocks = self.X.to_delayed()[:, 0]
        L_blocks = self.L.to_delayed()[:, 0]
        return list(zip(X_blocks, L_blocks, self.offsets.tolist()))


# ------------------------------------------------------------------------------------ tasks
_ROW = re.compile(r"\b(rows?) (\d+)(\.\.(\d+))?")


def global_rows(exc: Exception, first: int, where: str = "") -> Exception:
    """``exc`` (a chunk's ValueError / TypeError) with every "row N" of its message shifted by
    ``first``, the chunk's first global row: errors name rows of the whole array."""

    def shift(match) -> str:
        tail = "" if match.group(4) is None else f"..{int(match.group(4)) + first}"
        return f"{match.group(1)} {int(match.group(2)) + first}{tail}"

    message = _ROW.sub(shift, str(exc)) + (f" (in the chunk of {where})" if where else "")
    return type(exc)(message)


def _search_shard(queries, base, L_base, offset, first, metric, n_jobs, where, names):
    """Best support point per (query, LF) inside one base shard, with global indices and the
    winner's vote. Runs on a worker; ``n_jobs`` bounds the kernel's threads there; errors name
    ``names`` (queries, base, votes) and global rows (``first``: the query chunk's first row,
    ``offset``: the base shard's)."""
    try:
        scores, indices = search_nearest(
            queries, base, L_base, metric=metric, n_jobs=n_jobs, names=names
        )
    except (TypeError, ValueError) as exc:  # rows in the message are relative to the chunk
        start = first if str(exc).startswith(f"{names[0]}:") else offset
        raise global_rows(exc, start, where) from exc
    votes = support_votes(indices, np.asarray(L_base)).astype(np.int64)
    return scores, np.where(indices >= 0, indices + offset, -1), votes


def _merge_shards(higher_is_better: bool, *parts):
    """Merge per-shard winners: the better score wins, ties to the lower global index (a missing
    candidate, index -1, loses every tie). A total order, so any tree of merges gives one result."""
    scores, indices, votes = (array.copy() for array in parts[0])
    for other_scores, other_indices, other_votes in parts[1:]:
        key = np.where(indices < 0, _NO_INDEX_KEY, indices)
        other_key = np.where(other_indices < 0, _NO_INDEX_KEY, other_indices)
        better = other_scores > scores if higher_is_better else other_scores < scores
        take = better | ((other_scores == scores) & (other_key < key))
        scores = np.where(take, other_scores, scores)
        indices = np.where(take, other_indices, indices)
        votes = np.where(take, other_votes, votes)
    return scores, indices, votes


def tree_reduce(parts: list, combine, *args, fan_in: int = MERGE_FAN_IN):
    """Combine delayed ``parts`` with ``combine(*args, *some_parts)`` in a tree of tasks."""
    combine = dask.delayed(combine, pure=True)
    while len(parts) > 1:
        parts = [
            combine(*args, *parts[start : start + fan_in]) for start in range(0, len(parts), fan_in)
        ]
    return parts[0]


def nearest_votes(
    queries: Any, support: SupportBase, *, metric: str = "cosine", n_jobs: int = 1
) -> tuple[da.Array, da.Array, da.Array]:
    return _nearest_votes(queries, support, metric=metric, n_jobs=n_jobs)


def _nearest_votes(
    queries: Any,
    support: SupportBase,
    *,
    metric: str = "cosine",
    n_jobs: int = 1,
    query_name: str = "queries",
) -> tuple[da.Array, da.Array, da.Array]:
    """Per (query, LF): the best support point's score, its global base row and its vote.

    The building block of :func:`nearest_support`, :func:`extend` and :class:`DaskLiger`: the
    vote travels with the winner, so extension never has to gather rows of a chunked base.

    Returns
    -------
    scores : dask array of float32, shape (q, m)
    indices : dask array of int64, shape (q, m)
    votes : dask array of int64, shape (q, m)
        ``L_base[indices[i, j], j]``, -1 where there is no support.
    """
    metric = check_metric(metric)
    _check_n_jobs(n_jobs)
    if not isinstance(support, SupportBase):
        raise TypeError(f"support: expected a liger.dask.SupportBase, got {type(support).__name__}")
    names = (query_name, *support.names)
    Q = as_row_chunked(query_name, queries, "embeddings")
    _check_same_columns(query_name, Q, names[1], support.X, "embedding dimension")
    m = support.n_lfs
    higher_is_better = metric != "euclidean"
    search = dask.delayed(_search_shard, pure=True)
    shards = support.shards()
    sizes = support.X.chunks[0]
    outputs: tuple[list, list, list] = ([], [], [])
    first = 0
    for block, rows in zip(Q.to_delayed()[:, 0], Q.chunks[0]):
        parts = [
            search(
                block,
                X_shard,
                L_shard,
                offset,
                first,
                metric,
                n_jobs,
                f"query rows {first}..{first + rows - 1} and base rows "
                f"{offset}..{offset + size - 1}",
                names,
            )
            for (X_shard, L_shard, offset), size in zip(shards, sizes)
        ]
        first += rows
        merged = tree_reduce(parts, _merge_shards, higher_is_better)
        for position, dtype in enumerate((np.float32, np.int64, np.int64)):
            outputs[position].append(da.from_delayed(merged[position], (rows, m), dtype=dtype))
    scores, indices, votes = (da.concatenate(blocks, axis=0) for blocks in outputs)
    return scores, indices, votes


def _check_n_jobs(n_jobs: Any) -> None:
    if (
        isinstance(n_jobs, bool)
        or not isinstance(n_jobs, (int, np.integer))
        or not 1 <= n_jobs <= MAX_THREADS
    ):
        raise ValueError(
            f"n_jobs: expected a positive int <= {MAX_THREADS} (threads per task, within the "
            f"worker's share of cores), got {n_jobs!r}"
        )


# ----------------------------------------------------------------------------- public API
def nearest_support(
    queries: Any,
    base: Any,
    L_base: Any,
    *,
    metric: str = "cosine",
    n_jobs: int = 1,
) -> tuple[da.Array, da.Array]:
    """:func:`liger.nearest_support` over a row-chunked Dask array of queries.

    Parameters
    ----------
    queries : dask array of shape (q, d)
        Query embeddings, chunked along rows (column chunks are merged). A NumPy array is one chunk.
    base : ndarray or dask array of shape (n, d)
        NumPy: broadcast to the workers (it must fit in one). Dask: a chunked base; each task
        searches one (query chunk, base shard) pair and the shards are merged exactly.
    L_base : array-like or dask array of int, shape (n, m)
        Votes on the base rows (-1 = abstain); rechunked like ``base`` when both are Dask arrays.
    metric : {"cosine", "ip", "euclidean"}, default="cosine"
    n_jobs : int, default=1
        Threads of the kernel inside each task. Dask runs one task per worker thread, so 1 keeps a
        worker within its share of cores; with ``threads_per_worker=1`` on a machine of ``c``
        cores running ``w`` workers, ``c // w`` uses them all.

    Returns
    -------
    scores : dask array of float32, shape (q, m)
    indices : dask array of int64, shape (q, m)
        Global base rows; equal to :func:`liger.nearest_support` on the whole arrays.
    """
    scores, indices, _ = nearest_votes(
        queries, SupportBase(base, L_base), metric=metric, n_jobs=n_jobs
    )
    return scores, indices


def _extend_block(L, scores, votes, thresholds, higher_is_better):
    L = as_votes("L", L, allow_empty_rows=True)
    return NearestVotes(L, votes, scores, higher_is_better).extend(thresholds)


def extend(
    L: Any,
    X: Any,
    L_base: Any,
    X_base: Any,
    thresholds: Any,
    *,
    metric: str = "cosine",
    n_jobs: int = 1,
) -> da.Array:
    """:func:`liger.extend` over row-chunked Dask arrays: abstentions take the vote of the LF's
    nearest support point when it clears the LF's threshold.

    Parameters
    ----------
    L : dask array of int, shape (q, m)
        Votes of the points to extend (rechunked along rows like ``X``).
    X : dask array of shape (q, d)
        Their embeddings.
    L_base, X_base : (n, m) votes and (n, d) embeddings of the base points
        NumPy (broadcast) or Dask (chunked base), as in :func:`nearest_support`.
    thresholds : None, float, or array-like of shape (m,)
        See :func:`liger.extend_votes`.
    metric : {"cosine", "ip", "euclidean"}, default="cosine"
    n_jobs : int, default=1
        Threads per task (see :func:`nearest_support`).

    Returns
    -------
    L_extended : dask array of int64, shape (q, m)
    """
    metric = check_metric(metric)
    support = SupportBase(X_base, L_base, names=("X_base", "L_base"))
    X = as_row_chunked("X", X, "embeddings")
    L = as_row_chunked("L", L, "votes")
    _check_same_rows("L", L, "X", X)
    L = aligned_rows("L", L, X.chunks[0])
    _check_same_columns("L", L, "L_base", support.L, "number of LFs (columns)")
    thresholds = as_thresholds(thresholds, support.n_lfs)
    scores, _, votes = _nearest_votes(X, support, metric=metric, n_jobs=n_jobs, query_name="X")
    return da.map_blocks(
        _extend_block,
        L,
        scores,
        votes,
        thresholds=thresholds,
        higher_is_better=metric != "euclidean",
        dtype=np.int64,
    )
