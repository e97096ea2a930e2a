"""Reading a vote matrix chunk by chunk: dense rows of a dense or sparse matrix, one LF's column,
chosen rows, and the vote entries of a chunk."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from .._checks.validation import ABSTAIN, _check_vote_dtype

# --------------------------------------------------------------------------------------------
# Reading a vote matrix chunk by chunk


def dense_rows(L, start: int, stop: int) -> np.ndarray:
    """Rows ``start:stop`` of a validated vote matrix as a dense signed-integer array.

    Dense input: a view in its own dtype (unsigned dtypes are converted: ``-1`` offsets would
    wrap). Sparse (CSR) input: a new array with ``-1`` where no entry is stored.
    """
    if not sparse.issparse(L):
        rows = L[start:stop]
        return rows.astype(np.int64) if rows.dtype.kind == "u" else rows
    stop = min(stop, L.shape[0])
    lo, hi = L.indptr[start], L.indptr[stop]
    out = np.full((stop - start, L.shape[1]), ABSTAIN, dtype=_dense_dtype(L.dtype))
    row_of = np.repeat(np.arange(stop - start), np.diff(L.indptr[start : stop + 1]))
    out[row_of, L.indices[lo:hi]] = L.data[lo:hi]
    return out


def _dense_dtype(dtype: np.dtype) -> np.dtype:
    return np.dtype(np.int64) if dtype.kind == "u" else dtype


def _column(L, j: int) -> np.ndarray:
    """Column j of a validated vote matrix as int64 (-1 where a sparse matrix has no entry)."""
    if not sparse.issparse(L):
        return np.asarray(L[:, j], dtype=np.int64)
    out = np.full(L.shape[0], ABSTAIN, dtype=np.int64)
    hit = np.flatnonzero(L.indices == j)
    out[np.searchsorted(L.indptr, hit, side="right") - 1] = L.data[hit]
    return out


def _check_column(column: Any, n: int, cardinality: int) -> np.ndarray:
    """An LF's votes: a 1-D integer array of n values in -1..K-1, as int64."""
    if column is None:
        raise TypeError("column: expected an array, got None")
    array = np.asarray(column)
    _check_vote_dtype("column", array.dtype)
    if array.shape != (n,):
        raise ValueError(f"column: expected shape ({n},) (one vote per row), got {array.shape}")
    array = array.astype(np.int64)
    if n and (array.min() < ABSTAIN or array.max() >= cardinality):
        bad = int(np.flatnonzero((array < ABSTAIN) | (array >= cardinality))[0])
        raise ValueError(
            f"column: expected votes of -1 (abstain) or a class 0..{cardinality - 1}, got "
            f"{array[bad]} at row {bad}"
        )
    return array


def _take_rows(L, rows: np.ndarray) -> np.ndarray:
    """Selected rows (sorted indices) of a validated vote matrix, dense, as int64."""
    if not sparse.issparse(L):
        return np.asarray(L[rows], dtype=np.int64)
    sub = L[rows]
    out = np.full((rows.size, L.shape[1]), ABSTAIN, dtype=np.int64)
    row_of = np.repeat(np.arange(rows.size), np.diff(sub.indptr))
    out[row_of, sub.indices] = sub.data
    return out


class _VoteEntries:
    """The cast votes of rows ``start:stop`` as coordinate triples (row - start, LF, class)."""

    def __init__(self, L, start: int, stop: int) -> None:
        if sparse.issparse(L):
            lo, hi = L.indptr[start], L.indptr[stop]
            row = np.repeat(np.arange(stop - start), np.diff(L.indptr[start : stop + 1]))
            lf = L.indices[lo:hi].astype(np.int64)
            cls = L.data[lo:hi].astype(np.int64)
            cast = cls != ABSTAIN
            self.row, self.lf, self.cls = row[cast], lf[cast], cls[cast]
        else:
            block = dense_rows(L, start, stop)
            row, lf = np.nonzero(block != ABSTAIN)
            self.row, self.lf, self.cls = row, lf, block[row, lf].astype(np.int64)
        self.n = stop - start

    def votes_per_row(self) -> np.ndarray:
        return np.bincount(self.row, minlength=self.n)
