"""Vote-matrix conventions: Liger's own and FlyingSquid's, with converters and checks.

Liger (like Snorkel >= 0.9 and WRENCH) writes votes as integers with ``-1`` = abstain and classes
``0..K-1``. FlyingSquid (binary only) writes ``-1`` / ``+1`` for the two classes and ``0`` for an
abstention, often as a float array. :func:`from_pm1` and :func:`to_pm1` convert between the two; the
class written ``-1`` by FlyingSquid is Liger's class 0 and ``+1`` is class 1.

What can and cannot be detected
-------------------------------
A matrix with values in ``{-1, 0, 1}`` is valid in *both* conventions and means different things
in each (``0`` is a vote for class 0 here, an abstention there). Nothing in the numbers tells which
was meant, so no function guesses: pass FlyingSquid-style matrices through :func:`from_pm1`
explicitly. What *is* detected:

- :func:`from_pm1` / :func:`to_pm1` reject any value outside ``{-1, 0, 1}`` (e.g. a ``2`` from a
  multiclass matrix), and non-whole floats;
- :func:`check_votes` (and the label models' own check in ``vote_statistics``) rejects values
  below ``-1`` and votes ``>= K``,
  with a hint when the matrix looks like the old ``0 = abstain, classes 1..K`` convention
  (Snorkel MeTaL) — its largest vote is then exactly ``K``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks.validation import ABSTAIN, _as_array, as_votes

PM1_VALUES = (-1, 0, 1)


def _as_pm1_values(name: str, value: Any) -> np.ndarray:
    """An int64 copy of ``value`` after checking every entry is -1, 0 or 1."""
    if value is None:
        raise TypeError(f"{name}: expected an array, got None")
    array = _as_array(name, value)
    if array.dtype == np.bool_ or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    ):
        raise TypeError(f"{name}: expected an integer or float array, got dtype {array.dtype}")
    if array.ndim not in (1, 2):
        raise ValueError(f"{name}: expected a 1-D or 2-D array, got shape {array.shape}")
    bad = ~np.isin(array, PM1_VALUES)  # NaN and 0.5 are caught here too
    if bad.any():
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name}: expected only the values -1, 0 and 1, got {array[position]} at position "
            f"{position}"
        )
    return array.astype(np.int64)  # always a copy: the input is never modified


def from_pm1(L: Any) -> np.ndarray:
    """Convert FlyingSquid's ``{-1, +1}`` votes with ``0`` = abstain to Liger's convention.

    ``-1 -> 0``, ``+1 -> 1``, ``0 -> -1`` (abstain). Works on a vote matrix (n, m) and equally on
    a label vector (n,) in ``{-1, +1}`` (which has no zeros).

    Parameters
    ----------
    L : array-like of int or float, shape (n, m) or (n,)
        Values in ``{-1, 0, 1}``; floats must be exactly those values.

    Returns
    -------
    ndarray of int64, same shape
        A new array with ``-1`` = abstain and classes 0 and 1.

    Raises
    ------
    ValueError
        If any value is outside ``{-1, 0, 1}`` (for example a matrix already using classes
        ``0..K-1`` with ``K > 2``).
    """
    pm1 = _as_pm1_values("L", L)
    out = np.full(pm1.shape, ABSTAIN, dtype=np.int64)
    out[pm1 == -1] = 0
    out[pm1 == 1] = 1
    return out


def to_pm1(L: Any) -> np.ndarray:
    """Convert Liger's binary votes (``-1`` = abstain, classes 0 and 1) to FlyingSquid's.

    ``0 -> -1``, ``1 -> +1``, ``-1 (abstain) -> 0``.

    Parameters
    ----------
    L : array-like of int, shape (n, m) or (n,)
        Values in ``{-1, 0, 1}``.

    Returns
    -------
    ndarray of int64, same shape
        A new array with ``0`` = abstain and classes ``-1`` / ``+1``.

    Raises
    ------
    ValueError
        If any value is outside ``{-1, 0, 1}``: FlyingSquid's convention is binary only.
    """
    votes = _as_pm1_values("L", L)
    out = np.zeros(votes.shape, dtype=np.int64)
    out[votes == 0] = -1
    out[votes == 1] = 1
    return out


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
    top = int(votes.max())
    if top >= cardinality:
        row, col = np.argwhere(votes == top)[0]
        one_based = top == cardinality and not (votes == ABSTAIN).any() and (votes == 0).any()
        raise vote_above_classes(name, top, cardinality, (row, col), one_based)
    return votes


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


def check_labels(name: str, y: Any, cardinality: int, n: int | None = None) -> np.ndarray:
    """Validate gold labels: a 1-D integer array with values in ``0..cardinality-1``.

    Parameters
    ----------
    name : str
        Argument name used in error messages.
    y : array-like of int, shape (n,)
        Labels.
    cardinality : int
        Number of classes K.
    n : int, optional
        Expected length (the number of rows of the matching vote matrix).
    """
    if y is None:
        raise TypeError(f"{name}: expected an array of labels, got None")
    array = _as_array(name, y)
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name}: expected integer class labels, got dtype {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {array.shape}")
    if n is not None and array.shape[0] != n:
        raise ValueError(f"{name}: expected {n} labels (one per row of L), got {array.shape[0]}")
    if array.size == 0:
        raise ValueError(f"{name}: expected at least one label, got an empty array")
    bad = (array < 0) | (array >= cardinality)
    if bad.any():
        index = int(np.argmax(bad))
        raise ValueError(
            f"{name}: expected classes 0..{cardinality - 1} (cardinality={cardinality}), got "
            f"{array[index]} at index {index}"
        )
    return array.astype(np.int64)
