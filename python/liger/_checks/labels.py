"""Checks of gold labels: 1-D integer classes ``0..K-1`` (errors name the argument, the
expected classes and the first offender)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .validation import _as_array


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


def check_class_names(names: Any, K: int) -> list | None:
    """``class_names``: None or ``K`` distinct names (the columns of pandas output)."""
    if names is None:
        return None
    if isinstance(names, str) or not hasattr(names, "__len__"):
        raise TypeError(f"class_names: expected None or a sequence of {K} names, got {names!r}")
    names = list(names)
    if len(names) != K or len(set(names)) != K:
        raise ValueError(f"class_names: expected {K} distinct names (K={K}), got {names}")
    return names
