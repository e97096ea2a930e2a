"""Checks of vote matrices (dense or CSR/CSC, int8..int64), of the number of classes and of chunk
sizes: errors name the argument, expected vs got."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from scipy import sparse

from .validation import ABSTAIN, MAX_CLASSES, _as_array, _check_2d, _check_vote_dtype, as_votes

# --------------------------------------------------------------------------------------------
# Validation


def check_vote_matrix(
    name: str, L: Any, cardinality: int | None = None, allow_empty_rows: bool = False
) -> np.ndarray | sparse.csr_array | sparse.csr_matrix:
    """Validate a vote matrix without widening it.

    Parameters
    ----------
    name : str
        Argument name used in error messages.
    L : array-like of int, or scipy.sparse CSR / CSC matrix, shape (n, m)
        Votes, ``-1`` = abstain, classes ``0..cardinality-1``; sparse: see the module docstring.
    cardinality : int, optional
        Number of classes K; votes ``>= K`` are rejected when given.
    allow_empty_rows : bool, default=False
        Accept ``n = 0``.

    Returns
    -------
    ndarray (its own integer dtype, the input itself when it is one) or CSR matrix
        Never a modified input: a CSC matrix is converted to a new CSR one.
    """
    if sparse.issparse(L):
        return _check_sparse(name, L, cardinality, allow_empty_rows)
    array = _as_array(name, L)  # pandas DataFrames by their columns' dtypes
    _check_vote_dtype(name, array.dtype)
    _check_2d(name, array, allow_empty_rows)
    if array.size:
        _check_range(name, array, int(array.min()), int(array.max()), cardinality)
    return array


def _check_range(name: str, L, low: int, top: int, cardinality: int | None) -> None:
    """Reject votes below -1 or at/above K, with the position of the first offender."""
    if low < ABSTAIN:
        row, col = _first_position(L, low)
        raise ValueError(
            f"{name}: expected votes of -1 (abstain) or a class 0..K-1, got {low} "
            f"at row {row}, column {col}"
        )
    if cardinality is not None and top >= cardinality:
        one_based = (
            not sparse.issparse(L)
            and top == cardinality
            and not (L == ABSTAIN).any()
            and (L == 0).any()
        )
        raise vote_above_classes(name, top, cardinality, _first_position(L, top), one_based)


def _first_position(L, value: int) -> tuple[int, int]:
    if sparse.issparse(L):
        csr = L.tocsr()
        entry = int(np.flatnonzero(csr.data == value)[0])
        row = int(np.searchsorted(csr.indptr, entry, side="right") - 1)
        return row, int(csr.indices[entry])
    row, col = np.argwhere(L == value)[0]
    return int(row), int(col)


def _check_sparse(name: str, L, cardinality: int | None, allow_empty_rows: bool):
    if L.format not in ("csr", "csc"):
        raise TypeError(
            f"{name}: expected a dense array or a scipy.sparse CSR/CSC matrix, got "
            f"{L.format.upper()}; convert with .tocsr() (duplicate entries would be added up)"
        )
    _check_vote_dtype(name, L.dtype)
    if len(L.shape) != 2:
        raise ValueError(f"{name}: expected a 2-D array, got shape {L.shape}")
    rows, cols = L.shape
    if cols == 0 or (rows == 0 and not allow_empty_rows):
        raise ValueError(f"{name}: expected a non-empty array, got shape {L.shape}")
    csr = L.tocsr() if L.format == "csc" else L
    if csr.nnz != L.nnz:  # SciPy's conversion keeps every entry; guard against a future change
        raise ValueError(f"{name}: converting to CSR changed the number of entries")
    if csr.nnz:
        _check_range(name, csr, int(csr.data.min()), int(csr.data.max()), cardinality)
    _check_no_duplicates(name, csr)
    return csr


def _check_no_duplicates(name: str, csr) -> None:
    """One entry per (row, LF) at most: two entries would be two votes of one LF on one row."""
    if csr.nnz < 2:
        return
    lengths = np.diff(csr.indptr)
    row_of = np.repeat(np.arange(csr.shape[0], dtype=np.int64), lengths)
    keys = row_of * csr.shape[1] + csr.indices
    if np.all(keys[1:] > keys[:-1]):  # sorted and distinct: the common canonical case
        return
    keys = np.sort(keys)
    same = np.flatnonzero(keys[1:] == keys[:-1])
    if same.size:
        row, col = divmod(int(keys[same[0]]), csr.shape[1])
        raise ValueError(
            f"{name}: expected at most one entry per (row, LF), got several at row {row}, "
            f"column {col} (scipy.sparse adds duplicate entries up; build the matrix from "
            "distinct (row, LF) pairs)"
        )


def check_cardinality(cardinality: Any) -> int:
    if isinstance(cardinality, bool) or not isinstance(cardinality, numbers.Integral):
        raise TypeError(f"cardinality: expected an int >= 2, got {type(cardinality).__name__}")
    if cardinality < 2:
        raise ValueError(f"cardinality: expected an int >= 2, got {cardinality}")
    if cardinality > MAX_CLASSES:
        raise ValueError(f"cardinality: expected at most {MAX_CLASSES} classes, got {cardinality}")
    return int(cardinality)


def check_chunk_size(chunk_size: Any) -> int:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, numbers.Integral):
        raise TypeError(f"chunk_size: expected a positive int, got {type(chunk_size).__name__}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size: expected a positive int, got {chunk_size}")
    return int(chunk_size)


def _check_count(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an int >= {low}, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name}: expected an int >= {low}, got {value}")
    return int(value)


def check_cardinality_param(cardinality) -> int | None:
    """``cardinality``: None (inferred) or an int in ``2..MAX_CLASSES``."""
    K = cardinality
    if K is None:
        return None
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or not 2 <= K <= MAX_CLASSES:
        raise ValueError(
            f"cardinality: expected None or an int >= 2 (at most {MAX_CLASSES}), got {K!r}"
        )
    return int(K)


def vote_above_classes(
    name: str, top: int, cardinality: int, position: tuple[int, int], one_based: bool
) -> ValueError:
    """The error for a vote ``top >= cardinality`` first seen at ``position`` (row, column);
    ``one_based``: the matrix looks like Snorkel MeTaL's 0 = abstain, classes 1..K (no -1, has
    0 and K), and the message says how to convert it."""
    hint = ""
    if one_based:
        hint = (
            "; the matrix has no -1 but has 0 and K: if it uses 0 = abstain and classes "
            "1..K (Snorkel MeTaL), convert it with L - 1"
        )
    row, col = position
    return ValueError(
        f"{name}: expected votes of -1 (abstain) or a class 0..{cardinality - 1} "
        f"(cardinality={cardinality}), got {top} at row {row}, column {col}{hint}"
    )


def check_votes(name: str, L: Any, cardinality: int, allow_empty_rows: bool = False) -> np.ndarray:
    """Validate a vote matrix in Liger's convention for a model with ``cardinality`` classes.

    Parameters
    ----------
    name : str
        Argument name used in error messages.
    L : array-like of int, shape (n, m)
        Votes, ``-1`` = abstain, classes ``0..cardinality-1``.
    cardinality : int
        Number of classes K.
    allow_empty_rows : bool, default=False
        Accept ``n = 0``.

    Returns
    -------
    ndarray of int64, shape (n, m)
        C-contiguous; the input itself when it already is one (it is never modified).
    """
    votes = as_votes(name, L, allow_empty_rows=allow_empty_rows)
    if votes.size == 0:
        return votes
    _check_range(name, votes, ABSTAIN, int(votes.max()), cardinality)
    return votes
