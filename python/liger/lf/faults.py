"""Fault tolerance of the LF applier (``LFApplier(fault_tolerant=True)``): a row on which an LF
raises abstains instead of aborting the apply, and the faults are counted per LF.

The applier runs tolerant *twins* of the LFs (:func:`tolerant`), made once per apply:

- a per-record LF's twin returns :data:`FAULT` on a row where the LF raises. The mark travels in
  the vote column (through worker processes too: any int8 column holds it) and :func:`settle`
  turns it into ABSTAIN and counts it, before the range check. A value the LF *returns* that is
  not a vote is still an error (a bug in every row, not a fault of some rows); an LF returning
  the mark's own value ``-128`` gets that error too;
- a vectorised LF's twin abstains on every row when the LF raises (one call for all rows: n
  faults).

Cache: a column with faults is cached with its fault count (an LF is a function of its code and
the data, so its faults are too): an unchanged LF neither re-runs nor loses its count. A cached
column with faults is not used by an applier with ``fault_tolerant=False``: the LF runs again and
raises, as it would have without the cache.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._checks.validation import ABSTAIN
from .definition import LabelingFunction

__all__ = ["FAULT", "fault_count", "settle", "tolerant", "warn_faults"]

FAULT = -128  # the mark of a faulted row in a per-record LF's raw column


class _Returned:
    """A value equal to :data:`FAULT` that the LF returned (reported as not a vote)."""

    def __init__(self, value: Any):
        self.value = value

    def __repr__(self) -> str:
        return repr(self.value)


class _TolerantRows:
    """A per-record LF's callable: its vote, or :data:`FAULT` where it raises."""

    def __init__(self, lf: LabelingFunction):
        self.call = lf._caller()
        self.faults = 0

    def __call__(self, record: Any) -> Any:
        try:
            value = self.call(record)
        except Exception:
            return FAULT
        if isinstance(value, (int, np.integer)) and value == FAULT:
            return _Returned(value)
        return value


class _TolerantVectorized:
    """A vectorised LF's callable: its votes, or ABSTAIN everywhere where it raises."""

    def __init__(self, lf: LabelingFunction):
        self.lf = lf
        self.faults = 0

    def __call__(self, data: Any) -> Any:
        try:
            return self.lf(data)
        except Exception:
            self.faults = len(data)
            return np.full(len(data), ABSTAIN, dtype=np.int8)


def tolerant(lfs: list) -> list:
    """The tolerant twins of ``lfs`` (same names, same kind)."""
    twins = []
    for lf in lfs:
        kind = _TolerantVectorized if lf.vectorized else _TolerantRows
        twins.append(LabelingFunction(kind(lf), name=lf.name, vectorized=lf.vectorized))
    return twins


def settle(lf: LabelingFunction, column: np.ndarray) -> np.ndarray:
    """A per-record column with its :data:`FAULT` marks turned into ABSTAIN, counted on the
    twin ``lf``; any other LF's column as it is."""
    counter = lf.func
    if not isinstance(counter, _TolerantRows) or column.size == 0:
        return column
    faulted = column == FAULT
    counter.faults = int(np.count_nonzero(faulted))
    if counter.faults:
        column = np.where(faulted, ABSTAIN, column).astype(column.dtype, copy=False)
    return column


def fault_count(lf: LabelingFunction) -> int:
    """Rows on which the twin ``lf`` faulted in this apply (0 for an LF that is not a twin)."""
    return (
        int(getattr(lf.func, "faults", 0))
        if isinstance(lf.func, (_TolerantRows, _TolerantVectorized))
        else 0
    )


def warn_faults(faults: dict, n: int) -> None:
    """One warning per apply naming the LFs that raised, and on how many of the n rows."""
    faulty = {name: count for name, count in faults.items() if count}
    if not faulty:
        return
    listed = ", ".join(f"{name!r} on {count} of {n} rows" for name, count in faulty.items())
    warnings.warn(
        f"labeling functions raised and abstained (fault_tolerant=True): {listed}; see faults_, "
        "and fix them (LFApplier(fault_tolerant=False) raises with the row and the error)",
        UserWarning,
        stacklevel=3,
    )
