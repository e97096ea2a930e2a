"""Vote-matrix conventions: Liger's own and FlyingSquid's, with converters (the checks are in
:mod:`liger._checks`).

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
- :func:`liger._checks.votes.check_votes` (and the label models' ``check_vote_matrix``, built on
  the same range check) rejects values below ``-1`` and votes ``>= K``,
  with a hint when the matrix looks like the old ``0 = abstain, classes 1..K`` convention
  (Snorkel MeTaL) — its largest vote is then exactly ``K``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks.validation import ABSTAIN, _as_array

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
