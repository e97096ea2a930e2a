"""Classification metrics for label models (NumPy only).

Predictions may contain ``-1`` (the model abstained, e.g. on a tie): an abstention is never
correct, so it counts against accuracy and as a missed positive (false negative) for F1.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ._checks.pandas import is_pandas, to_numpy

ABSTAIN = -1


def _as_labels(name: str, value: Any, allow_abstain: bool) -> np.ndarray:
    array = to_numpy(name, value) if is_pandas(value) else np.asarray(value)
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name}: expected an integer label array, got dtype {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {array.shape}")
    low = ABSTAIN if allow_abstain else 0
    if array.size and array.min() < low:
        expected = "-1 (abstain) or a class 0..K-1" if allow_abstain else "a class 0..K-1"
        raise ValueError(f"{name}: expected {expected}, got {array.min()}")
    return array.astype(np.int64, copy=False)


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    y_true = _as_labels("y_true", y_true, allow_abstain=False)
    y_pred = _as_labels("y_pred", y_pred, allow_abstain=True)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred: expected the same length, got {y_true.size} and {y_pred.size}"
        )
    if y_true.size == 0:
        raise ValueError("y_true: expected at least one label, got an empty array")
    return y_true, y_pred


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of items whose prediction equals the gold label (abstentions count as wrong).

    Parameters
    ----------
    y_true : array-like of int, shape (n,)
        Gold labels in ``0..K-1``.
    y_pred : array-like of int, shape (n,)
        Predictions in ``0..K-1``, or ``-1`` for an abstention.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def _f1_per_class(y_true: np.ndarray, y_pred: np.ndarray, classes: np.ndarray) -> np.ndarray:
    predicted = y_pred[:, None] == classes
    actual = y_true[:, None] == classes
    tp = np.sum(predicted & actual, axis=0)
    denominator = predicted.sum(axis=0) + actual.sum(axis=0)  # 2 tp + fp + fn
    # A class neither predicted nor present has F1 0, as in scikit-learn's zero_division=0.
    return np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)


def f1(y_true: Any, y_pred: Any, positive: int = 1) -> float:
    """Binary F1 score of the class ``positive`` (default 1).

    Parameters
    ----------
    y_true : array-like of int, shape (n,)
        Gold labels.
    y_pred : array-like of int, shape (n,)
        Predictions; ``-1`` (abstain) is never a positive prediction.
    positive : int, default=1
        The class whose precision and recall are combined.
    """
    if isinstance(positive, bool) or not isinstance(positive, (int, np.integer)) or positive < 0:
        raise TypeError(f"positive: expected a class (an int >= 0), got {positive!r}")
    y_true, y_pred = _pair(y_true, y_pred)
    return float(_f1_per_class(y_true, y_pred, np.array([positive]))[0])


def macro_f1(y_true: Any, y_pred: Any, cardinality: int | None = None) -> float:
    """Unweighted mean of the per-class F1 scores over the classes ``0..K-1``.

    Parameters
    ----------
    y_true : array-like of int, shape (n,)
        Gold labels.
    y_pred : array-like of int, shape (n,)
        Predictions, ``-1`` = abstain.
    cardinality : int, optional
        Number of classes K. Default: one more than the largest label in ``y_true`` or
        ``y_pred``. A class absent from both gets F1 = 0 when ``cardinality`` names it.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    top = int(max(y_true.max(), y_pred.max()))
    if cardinality is None:
        cardinality = top + 1
    elif isinstance(cardinality, bool) or not isinstance(cardinality, (int, np.integer)):
        raise TypeError(f"cardinality: expected None or an int, got {type(cardinality).__name__}")
    elif cardinality <= top:
        raise ValueError(
            f"cardinality: expected more classes than the largest label {top}, got {cardinality}"
        )
    return float(np.mean(_f1_per_class(y_true, y_pred, np.arange(cardinality))))


METRICS: dict[str, Callable[..., float]] = {
    "accuracy": accuracy,
    "f1": f1,
    "macro_f1": macro_f1,
}


def compute(names: Any, y_true: np.ndarray, y_pred: np.ndarray, cardinality: int) -> dict:
    """Evaluate several metrics by name; returns ``{name: value}`` in the order given."""
    if isinstance(names, str):
        names = [names]
    try:
        names = list(names)
    except TypeError:
        raise TypeError(
            f"metrics: expected a metric name or a list of names, got {type(names).__name__}"
        ) from None
    out = {}
    for name in names:
        if name not in METRICS:
            raise ValueError(f"metrics: expected names among {sorted(METRICS)}, got {name!r}")
        if name == "macro_f1":
            out[name] = macro_f1(y_true, y_pred, cardinality)
        elif name == "f1":
            if cardinality != 2:
                raise ValueError(
                    f"metrics: 'f1' is the binary F1 of class 1 and needs cardinality 2, got "
                    f"cardinality {cardinality}; use 'macro_f1'"
                )
            out[name] = f1(y_true, y_pred)
        else:
            out[name] = METRICS[name](y_true, y_pred)
    return out
