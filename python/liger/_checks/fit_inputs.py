"""Inputs of the scikit-learn-convention ``fit(X, y, sample_weight=None)`` of
:class:`liger.EndModel`: features, classification targets (hard labels of any kind, or soft labels
of shape (n, K)) and sample weights.

Errors name the argument and use scikit-learn's wording where its estimator checks look for it
("Complex data not supported", "Input contains NaN", "Unknown label type", "sparse", "1 class").
scikit-learn is not imported here: the column-vector warning is its ``DataConversionWarning`` only
when scikit-learn is already imported (a ``UserWarning`` otherwise).
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import numpy as np
import scipy.sparse

from .validation import _as_array, as_embeddings, as_probabilities


def _refuse_sparse(name: str, value: Any) -> None:
    if scipy.sparse.issparse(value):
        raise TypeError(
            f"{name}: expected a dense array, got a sparse {type(value).__name__} (sparse input "
            "is not supported: convert with .toarray())"
        )


def as_features(name: str, value: Any) -> np.ndarray:
    """A finite (n, d) float32 C-contiguous matrix of features (as :func:`as_embeddings`), also
    from an object array of numbers; complex, sparse and non-finite input is an error."""
    _refuse_sparse(name, value)
    array = _as_array(name, value)
    if np.iscomplexobj(array):
        raise ValueError(f"{name}: Complex data not supported, got dtype {array.dtype}")
    if array.dtype == object:
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name}: expected numbers, got an object array: {exc}") from None
    if array.ndim == 1:
        raise ValueError(
            f"{name}: expected a 2-D array, got 1-D with shape {array.shape}. Reshape your data "
            "with X.reshape(-1, 1) if it has one feature, or X.reshape(1, -1) if one sample"
        )
    if array.ndim == 2 and array.shape[1] == 0:
        raise ValueError(
            f"{name}: expected a non-empty array: found array with 0 feature(s) "
            f"(shape={array.shape}) while a minimum of 1 is required."
        )
    if array.dtype.kind == "f" and array.ndim == 2 and not np.isfinite(array).all():
        row, col = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"{name}: Input contains NaN or infinity (expected finite values), got "
            f"{array[row, col]} at row {row}, column {col}"
        )
    return as_embeddings(name, array)


def _column_vector_warning() -> type[Warning]:
    module = sys.modules.get("sklearn.exceptions")
    return getattr(module, "DataConversionWarning", UserWarning)


def check_targets(name: str, value: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(classes, targets)`` of ``n`` classification targets.

    Hard labels of shape (n,) (any sortable labels: ints, integral floats, strings): ``classes``
    their sorted distinct values (at least 2), ``targets`` the one-hot rows. Soft labels of shape
    (n, K), K >= 2 (rows: probabilities summing to 1): ``classes`` = ``0..K-1``, ``targets``
    themselves. A column vector (n, 1) is hard labels, with scikit-learn's warning.
    """
    if value is None:
        raise ValueError(
            f"{name}: this estimator requires y to be passed, but the target y is None"
        )
    _refuse_sparse(name, value)
    array = _as_array(name, value)
    if array.ndim == 2 and array.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change the shape "
            "of y to (n_samples,), for example using ravel().",
            _column_vector_warning(),
            stacklevel=3,
        )
        array = array[:, 0]
    if array.ndim not in (1, 2):
        raise ValueError(
            f"{name}: expected hard labels of shape (n,) or soft labels of shape (n, K), got "
            f"shape {array.shape}"
        )
    if array.shape[0] != n:
        raise ValueError(
            f"X and {name}: expected the same number of rows, got {n} and {len(array)}"
        )
    if array.ndim == 2:
        targets = as_probabilities(name, array)
        return np.arange(targets.shape[1]), targets
    if np.iscomplexobj(array):
        raise ValueError(f"{name}: Complex data not supported, got dtype {array.dtype}")
    if array.dtype.kind == "f":
        if not np.isfinite(array).all():
            raise ValueError(f"{name}: Input y contains NaN or infinity")
        if (array != np.round(array)).any():
            raise ValueError(
                f"{name}: Unknown label type: continuous values (a regression target?); "
                "expected class labels of shape (n,) or soft labels of shape (n, K)"
            )
    try:
        classes, codes = np.unique(array, return_inverse=True)
    except TypeError as exc:
        raise TypeError(f"{name}: Unknown label type: labels that do not sort ({exc})") from None
    if classes.size < 2:
        raise ValueError(f"{name}: expected at least 2 classes, got 1 class ({classes[0]!r})")
    return classes, np.eye(classes.size)[codes.ravel()]


def check_sample_weight(value: Any, n: int) -> np.ndarray:
    """``n`` finite non-negative float64 row weights, not all zero (None: all ones; a number:
    that weight for every row)."""
    if value is None:
        return np.ones(n)
    _refuse_sparse("sample_weight", value)
    array = _as_array("sample_weight", value)
    if array.dtype == np.bool_ or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        raise TypeError(f"sample_weight: expected real numbers, got dtype {array.dtype}")
    if array.ndim == 0:
        array = np.full(n, array, dtype=np.float64)
    if array.shape != (n,):
        raise ValueError(f"sample_weight: expected shape ({n},) (one per row), got {array.shape}")
    weights = array.astype(np.float64)
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("sample_weight: expected finite weights >= 0")
    if not weights.sum() > 0:
        raise ValueError("sample_weight: expected a positive total weight, got all zeros")
    return weights
