"""A per-LF table of what extension did in a fitted :class:`liger.Liger` (like Snorkel's
LFAnalysis). For tables built from any vote matrices, see :mod:`liger.diagnostics`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from ..io.registry import saveable


@saveable
@dataclass(frozen=True)
class LFSummary:
    """Per-LF statistics; every field is an (m,) array (or None when unknown).

    ``coverage`` / ``coverage_extended``: fraction of train points with a vote, before / after
    extension. ``dev_accuracy`` / ``dev_accuracy_extended``: accuracy of the LF's votes on the dev
    split, before / after extension. ``thresholds`` / ``levels``: the extension threshold and the
    fraction of abstaining train points it extends to. ``estimated_accuracy``: the label model's
    estimate of P(vote = y | vote).
    """

    coverage: np.ndarray
    coverage_extended: np.ndarray
    dev_accuracy: np.ndarray | None
    dev_accuracy_extended: np.ndarray | None
    thresholds: np.ndarray
    levels: np.ndarray
    estimated_accuracy: np.ndarray | None
    names: Sequence[str] | None = None

    @classmethod
    def of_votes(
        cls,
        coverage: tuple[np.ndarray, np.ndarray],
        dev: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
        thresholds: np.ndarray,
        levels: np.ndarray,
        label_model,
        names: Sequence[str] | None = None,
    ) -> LFSummary:
        """The summary of a fitted model (``Liger`` or ``Session``): ``coverage`` = (as cast,
        extended) train coverage, ``dev`` = (L_dev, L_dev_extended, y_dev) or None, and the label
        model whose ``accuracies_`` (if it has them) are the estimated accuracies."""
        from .tables import vote_accuracy

        dev_before = dev_after = None
        if dev is not None:
            L_dev, L_dev_extended, y_dev = dev
            dev_before = vote_accuracy(L_dev, y_dev)["accuracy"]
            dev_after = vote_accuracy(L_dev_extended, y_dev)["accuracy"]
        return cls(
            coverage=coverage[0],
            coverage_extended=coverage[1],
            dev_accuracy=dev_before,
            dev_accuracy_extended=dev_after,
            thresholds=thresholds,
            levels=levels,
            estimated_accuracy=getattr(label_model, "accuracies_", None),
            names=None if names is None else list(names),
        )

    def to_dict(self) -> dict:
        """Column name -> (m,) array, e.g. for ``pandas.DataFrame(summary.to_dict())``."""
        table = {"lf": list(self.names) if self.names else list(range(len(self.coverage)))}
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name != "names" and value is not None:
                table[field.name] = np.asarray(value)
        return table

    def table(self, as_frame: bool | None = None):
        """The summary as a pandas DataFrame (when pandas is installed, or ``as_frame=True``) or
        a :class:`liger.diagnostics.Table` (``as_frame=False``): same columns as :meth:`to_dict`."""
        from .tables import as_table

        return as_table(self.to_dict(), as_frame)

    def __str__(self) -> str:
        return str(self.table(as_frame=False))

    __repr__ = __str__
