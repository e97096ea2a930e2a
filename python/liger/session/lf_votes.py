"""A Session's LFs applied to its splits (:meth:`Session.from_lfs`, and an edit given an LF):
the votes per split and, with a fault-tolerant applier, each LF's faults per split."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks.validation import check_bool
from ..lf.appliers import LFApplier


def applier_for(applier: LFApplier | None, fault_tolerant: Any, cardinality: Any) -> LFApplier:
    """The applier of :meth:`Session.from_lfs`: the one given, or a new one;
    ``fault_tolerant`` (None: the applier's setting, default False) must agree with a given
    applier's."""
    if fault_tolerant is not None:
        check_bool("fault_tolerant", fault_tolerant)
    if applier is None:
        return LFApplier(cardinality=cardinality, fault_tolerant=bool(fault_tolerant))
    if not isinstance(applier, LFApplier):
        raise TypeError(f"applier: expected an LFApplier, got {type(applier).__name__}")
    if fault_tolerant is not None and bool(fault_tolerant) != bool(applier.fault_tolerant):
        raise ValueError(
            f"fault_tolerant: expected the given applier's setting "
            f"({applier.fault_tolerant}) or None, got {fault_tolerant}; set it on the applier"
        )
    return applier


def apply_by_split(
    applier: LFApplier, lfs: list, records: dict, key: str
) -> tuple[dict[str, np.ndarray], dict]:
    """``({split: votes (n_split, m)}, {LF: {split: faults}})``: the LFs on every split's records
    (cached per split under ``(key, split)``)."""
    votes, faults = {}, {lf: {} for lf in lfs}
    for name, part in records.items():
        votes[name] = applier.apply(lfs, part, data_key=(key, name))
        for lf in lfs:
            faults[lf][name] = int(applier.faults_.get(lf.name, 0))
    return votes, faults
