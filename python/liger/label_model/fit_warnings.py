"""Fit-time warnings: each one once per fit, naming the LFs.

A front end's fit runs the label model several times (the global model and the partitions'
models, the dev guard's majority vote, in-sample choices): the same :class:`LabelModelWarning`
would fire once per internal fit. :func:`once_per_fit` wraps one fit of a front end (``Liger``,
``DaskLiger``, a ``Session`` build or edit): the label-model warnings raised inside are collected
and each distinct message is emitted once when the fit ends; other warnings pass through as
they came. Inside it, :func:`describe_lfs` names LFs by the front end's LF names (``'kw_free'
(3)``) rather than by column index alone. Warnings that the model selection silences for its
candidates stay silent (their filters are inside this one).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
import warnings
from collections.abc import Iterator, Sequence

import numpy as np

from .class_balance import LabelModelWarning

__all__ = ["describe_lfs", "once_per_fit"]

_NAMES: contextvars.ContextVar = contextvars.ContextVar("liger_lf_names", default=None)
_ACTIVE: contextvars.ContextVar = contextvars.ContextVar("liger_once_per_fit", default=False)
SHOWN = 10  # LFs a message lists before "..."


def describe_lfs(indices: np.ndarray) -> str:
    """``[0, 4, ...]``, or with the fit's LF names ``['kw_free' (0), 'kw_win' (4), ...]``: the
    first :data:`SHOWN` LFs."""
    indices = np.asarray(indices).ravel()
    names = _NAMES.get()
    shown = [int(i) for i in indices[:SHOWN]]
    if names is not None and all(0 <= i < len(names) for i in shown):
        parts = [f"{names[i]!r} ({i})" for i in shown]
    else:
        parts = [str(i) for i in shown]
    return "[" + ", ".join(parts) + (", ...]" if indices.size > SHOWN else "]")


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _user_stacklevel() -> int:
    """The ``stacklevel`` of a warning emitted by this function's caller that points at the
    first frame outside liger (and contextlib): the user's call of the front end."""
    frame, level = sys._getframe(1), 1
    while frame is not None and (
        frame.f_code.co_filename.startswith(_PACKAGE)
        or frame.f_code.co_filename == contextlib.__file__
    ):
        frame, level = frame.f_back, level + 1
    return level


@contextlib.contextmanager
def once_per_fit(names: Sequence | None = None) -> Iterator[None]:
    """Collect the :class:`LabelModelWarning` raised inside and emit each distinct one once at
    the end, at the user's call of the front end. Nested uses (a Session edit inside a fit) emit
    at the outermost one."""
    outer = _NAMES.get()
    token = _NAMES.set(list(names) if names is not None else outer)
    if _ACTIVE.get():
        try:
            yield
        finally:
            _NAMES.reset(token)
        return
    active = _ACTIVE.set(True)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LabelModelWarning)
            yield
    finally:
        _ACTIVE.reset(active)
        _NAMES.reset(token)
        seen: set = set()
        for record in caught:
            if issubclass(record.category, LabelModelWarning):
                message = str(record.message)
                if message not in seen:
                    seen.add(message)
                    warnings.warn(record.message, stacklevel=_user_stacklevel())
            else:  # as it came (the filters decide again)
                warnings.warn_explicit(
                    record.message, record.category, record.filename, record.lineno
                )
