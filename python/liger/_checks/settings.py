"""The settings both front ends share, checked in one place: ``Liger`` (``_check_settings``)
and ``Session`` (its constructor) call :func:`check_front_end_settings` before reading any data,
so a typo never costs a search first and both name the same argument the same way."""

from __future__ import annotations

from typing import Any

from .validation import check_metric, check_number, check_random_state


def check_tuning_settings(thresholds: Any, threshold_search: Any, m: int | None = None) -> None:
    """Refuse a ``thresholds`` string other than "tune" and an unknown ``threshold_search``
    (``m``, when known, makes the message say the array shape)."""
    if isinstance(thresholds, str) and thresholds != "tune":
        shape = f"({m},)" if m is not None else "(m,)"
        raise ValueError(
            f"thresholds: expected 'tune', a number, an array of shape {shape} or None, "
            f"got {thresholds!r}"
        )
    if threshold_search not in ("per_lf", "global"):
        raise ValueError(
            f"threshold_search: expected 'per_lf' or 'global', got {threshold_search!r}"
        )


def check_front_end_settings(
    *,
    thresholds: Any,
    threshold_search: Any,
    end_model: Any,
    metric: Any,
    min_gain: Any,
    random_state: Any,
) -> tuple[str, float, Any]:
    """The settings ``Liger`` and ``Session`` share: ``thresholds`` (a string must be "tune"),
    ``threshold_search``, ``end_model``, ``metric``, ``min_gain`` and ``random_state``. Returns
    the checked ``(metric, min_gain, random_state)``."""
    check_tuning_settings(thresholds, threshold_search)
    if end_model not in (None, "logreg"):
        raise ValueError(f"end_model: expected None or 'logreg', got {end_model!r}")
    metric = check_metric(metric)
    min_gain = check_number("min_gain", min_gain, low=0.0)
    return metric, min_gain, check_random_state(random_state)
