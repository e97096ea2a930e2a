"""What a labeler keeps of a fitted :class:`~liger.Liger`: only the train rows that are some LF's
support.

A fitted Liger keeps every train embedding (``_X_support``) and vote (``_L_support``), but the
search reads, for LF j, only the rows where LF j voted (its support), and answers the nearest one
with ties to the lowest row index (the search contract, :mod:`liger.search`). Dropping the rows
where no LF voted, in their original order, leaves every LF's support, every canonical score and
the order of every tie unchanged: predictions are bit-identical (the nearest rule and the radius
rule alike), with a file and a memory footprint of the union of the supports only.
"""

from __future__ import annotations

import copy

import numpy as np

from .._checks.validation import ABSTAIN
from .._estimator import NotFittedError


def support_rows(L: np.ndarray) -> np.ndarray:
    """Indices, in increasing order, of the rows of ``L`` where at least one LF voted."""
    return np.flatnonzero((np.asarray(L) != ABSTAIN).any(axis=1))


def compact_supports(model):
    """A shallow copy of the fitted ``model`` (a :class:`~liger.Liger`) whose support arrays hold
    only the rows where some LF voted (``model`` itself is not changed; its fitted label models
    and end model are shared, read-only)."""
    if not hasattr(model, "thresholds_"):
        raise NotFittedError("model: this Liger is not fitted yet: call fit before labelling")
    if not hasattr(model, "_L_support"):
        raise ValueError(
            "model: a Liger fitted by liger.dask.DaskLiger keeps its support points distributed; "
            "a Labeler needs a Liger fitted with Liger.fit"
        )
    L, X = model._L_support, model._X_support
    rows = support_rows(L)
    if rows.size == 0:  # no LF voted anywhere: one row keeps the arrays well formed
        rows = np.arange(min(1, L.shape[0]))
    compact = copy.copy(model)
    if rows.size < L.shape[0]:
        compact._L_support = np.ascontiguousarray(L[rows])
        compact._X_support = np.ascontiguousarray(X[rows])
    return compact
