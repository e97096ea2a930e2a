"""The splits and the dev objective, shared by every front end (``Liger``, ``Session``, the
Dask backend): the dev split checked against train, K inferred or checked, the tuning metric
``"auto"`` stands for, and the dev score."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks.labels import check_labels
from ._checks.validation import (
    MAX_CLASSES,
    _as_array,
    as_dense_votes,
    as_embeddings,
    check_dims,
    check_lfs,
    check_rows,
)
from ._checks.votes import check_cardinality_param
from .metrics import compute

TUNE_METRICS = ("accuracy", "f1", "macro_f1")
# Below this share of the minority class on dev, accuracy rewards predicting the majority: use F1.
IMBALANCED_SHARE = 0.3


def dev_score(metric: str, y: np.ndarray, predictions: np.ndarray, K: int) -> float:
    """The dev objective ``metric`` of ``predictions`` against the labels ``y``."""
    return compute(metric, y, predictions, K)[metric]


def check_tune_metric(tune_metric: Any) -> None:
    """Refuse an unknown dev objective (whether "f1" fits K is checked once K is known)."""
    if tune_metric != "auto" and tune_metric not in TUNE_METRICS:
        raise ValueError(
            f"tune_metric: expected 'auto' or one of {TUNE_METRICS}, got {tune_metric!r}"
        )


def resolve_tune_metric(tune_metric: str, K: int, y_dev) -> str:
    """The dev objective ``"auto"`` stands for: accuracy (balanced binary), F1 of class 1
    (imbalanced binary), macro-F1 (multiclass)."""
    check_tune_metric(tune_metric)
    if tune_metric != "auto":
        if tune_metric == "f1" and K != 2:
            raise ValueError(f"tune_metric: 'f1' needs a binary task, got K={K}; use 'macro_f1'")
        return tune_metric
    if K > 2:
        return "macro_f1"
    if y_dev is None:
        return "accuracy"
    share = np.bincount(y_dev, minlength=2) / y_dev.size
    return "f1" if share.min() < IMBALANCED_SHARE else "accuracy"


def check_dev_split(L_train, X_train, L_dev, X_dev, y_dev, cardinality, needs_dev, threads):
    """The dev split ``(L_dev, X_dev, y_dev)`` validated against train, or None when absent.

    ``needs_dev``: whether the front end tunes something (then a missing dev split is an error).
    """
    check_cardinality_param(cardinality)  # before it bounds y_dev below
    given = {"L_dev": L_dev, "X_dev": X_dev, "y_dev": y_dev}
    missing = [name for name, value in given.items() if value is None]
    if len(missing) == 3:
        if needs_dev:
            raise ValueError(
                "L_dev, X_dev, y_dev: tuning (thresholds='tune' or n_partitions='tune') needs "
                "a labelled dev split; pass all three, or fix thresholds / n_partitions"
            )
        return None
    if missing:
        present = [name for name in given if name not in missing]
        raise ValueError(
            f"{', '.join(missing)}: expected together with {', '.join(present)} (a dev split "
            f"needs its votes, embeddings and labels), got None"
        )
    L_dev = as_dense_votes("L_dev", L_dev)
    X_dev = as_embeddings("X_dev", X_dev, threads)
    # Without a given cardinality, K is inferred later from all splits; here only y_dev >= 0.
    y_dev = _as_array("y_dev", y_dev)
    if is_int(cardinality):
        bound = int(cardinality)
    elif y_dev.ndim == 1 and y_dev.size and np.issubdtype(y_dev.dtype, np.integer):
        bound = max(2, int(np.max(y_dev)) + 1)
    else:
        bound = 2  # check_labels reports the dtype, shape or emptiness
    y_dev = check_labels("y_dev", y_dev, bound)
    check_rows("L_dev", L_dev, "X_dev", X_dev)
    check_rows("L_dev", L_dev, "y_dev", y_dev[:, None])
    check_lfs("L_train", L_train, "L_dev", L_dev)
    check_dims("X_train", X_train, "X_dev", X_dev)
    return L_dev, X_dev, y_dev


def infer_cardinality(cardinality, L_train, dev, names=("L_train", "L_dev", "y_dev")) -> int:
    """K: ``cardinality`` checked against the votes and dev labels, or inferred from them.
    ``names``: the arguments errors name (a front end's own)."""
    observed = [(names[0], int(L_train.max()))]
    if dev is not None:
        observed += [(names[1], int(dev[0].max())), (names[2], int(dev[2].max()))]
    K = check_cardinality_param(cardinality)
    if K is None:
        name, top = max(observed, key=lambda item: item[1])
        if top >= MAX_CLASSES:
            raise ValueError(
                f"{name}: expected classes in 0..{MAX_CLASSES - 1} (K is inferred from the "
                f"largest vote or label), got {top}"
            )
        return max(2, top + 1)
    for name, value in observed:
        if value >= K:
            raise ValueError(
                f"{name}: expected classes in 0..{K - 1} (cardinality={K}), got {value}"
            )
    return int(K)


def is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
