"""The fitted state of a :class:`~liger.pipeline.estimator.Liger`: what it owns after ``fit``
(:func:`owned`) and the schema :func:`liger.load` checks before a loaded Liger is used
(:func:`check_liger_state`; its nested models check their own)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks.state import state_array, state_int, state_value
from .._checks.validation import MAX_CLASSES


def owned(array: np.ndarray, given: Any) -> np.ndarray:
    """``array`` if the fit allocated it (converting ``given``), else a copy: a fitted model
    never shares memory with the caller's arrays."""
    if array is not given and array.flags.owndata and not isinstance(array, np.memmap):
        return array
    return array.copy()


def check_liger_state(model: Any) -> None:
    """Shapes and ranges of a fitted Liger's state (errors name the entry)."""
    if "thresholds_" not in vars(model):
        return
    K = state_int(model, "n_classes_", 2, MAX_CLASSES)
    m = state_int(model, "n_lfs_", 1)
    state_array(model, "thresholds_", "f", (m,), allow_nan=True)
    s = state_int(model, "partitions_", 1)
    models = state_value(model, "label_models_")
    if type(models) is not list or len(models) != s:
        raise ValueError(f"label_models_: expected a list of {s} label models")
    for part in [*models, state_value(model, "global_label_model_")]:
        if getattr(part, "n_lfs_", None) != m or getattr(part, "_cardinality", None) != K:
            raise ValueError(
                f"label_models_: expected fitted label models of {m} LFs and {K} classes"
            )
    if s > 1:
        state_array(model, "centroids_", "f", (s, None), finite=True)
    if "_L_support" in vars(model):  # a DaskLiger's model keeps no supports
        L = state_array(model, "_L_support", "i", (None, m), low=-1, high=K - 1)
        state_array(model, "_X_support", "f", (L.shape[0], None), finite=True)
