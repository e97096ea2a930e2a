"""Checks of a loaded model's fitted state (the schema a class's ``_check_state`` declares with
these helpers): every entry's type, dtype, shape and range, before the model is used. Each error
names the entry (``class_balance_: ...``); :func:`liger.load` turns it into a ModelFileError."""

from __future__ import annotations

from typing import Any

import numpy as np

_MISSING = object()


def state_value(owner: Any, name: str) -> Any:
    value = vars(owner).get(name, _MISSING)
    if value is _MISSING:
        raise ValueError(f"{name}: missing from the fitted state")
    return value


def state_int(owner: Any, name: str, low: int, high: int | None = None) -> int:
    """An int entry in ``[low, high]``."""
    value = state_value(owner, name)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__}")
    if value < low or (high is not None and value > high):
        span = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name}: expected an int {span}, got {value}")
    return int(value)


def state_array(
    owner: Any,
    name: str,
    kind: str,
    shape: tuple,
    *,
    finite: bool = False,
    low: float | None = None,
    high: float | None = None,
    allow_none: bool = False,
    allow_nan: bool = False,
) -> np.ndarray | None:
    """An ndarray entry of dtype kind(s) ``kind`` ("f", "i", "b", "iu", ...) and ``shape``
    (None for any length on an axis), every value in ``[low, high]`` (NaN never is); ``finite``:
    no NaN or inf (else NaN is refused unless ``allow_nan``, -inf / inf allowed unless a bound
    excludes them)."""
    value = state_value(owner, name)
    if value is None and allow_none:
        return None
    if type(value) is not np.ndarray:
        raise TypeError(f"{name}: expected an ndarray, got {type(value).__name__}")
    if value.dtype.kind not in kind:
        raise TypeError(f"{name}: expected dtype kind {kind!r}, got {value.dtype}")
    if value.ndim != len(shape) or any(
        want is not None and got != want for got, want in zip(value.shape, shape)
    ):
        expected = "(" + ", ".join("*" if s is None else str(s) for s in shape)
        expected += ",)" if len(shape) == 1 else ")"
        raise ValueError(f"{name}: expected shape {expected}, got {value.shape}")
    if value.dtype.kind in "fc" and value.size:
        bad = ~np.isfinite(value) if finite else (None if allow_nan else np.isnan(value))
        if bad is not None and bad.any():
            raise ValueError(f"{name}: expected {'finite ' if finite else ''}values, got NaN / inf")
    if value.size and value.dtype.kind != "b":
        with np.errstate(invalid="ignore"):
            if low is not None and np.nanmin(value) < low:
                raise ValueError(f"{name}: expected values >= {low}, got {np.nanmin(value)}")
            if high is not None and np.nanmax(value) > high:
                raise ValueError(f"{name}: expected values <= {high}, got {np.nanmax(value)}")
    return value


def state_probabilities(owner: Any, name: str, size: int) -> np.ndarray:
    """A (size,) float array of probabilities summing to 1 (within 1e-6)."""
    p = state_array(owner, name, "f", (size,), finite=True, low=0.0, high=1.0 + 1e-6)
    if abs(float(p.sum()) - 1.0) > 1e-6:
        raise ValueError(f"{name}: expected probabilities summing to 1, got {p.tolist()}")
    return p
