"""A per-LF table of what extension did (like Snorkel's LFAnalysis, without pandas)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np


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

    def to_dict(self) -> dict:
        """Column name -> (m,) array, e.g. for ``pandas.DataFrame(summary.to_dict())``."""
        table = {"lf": list(self.names) if self.names else list(range(len(self.coverage)))}
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name != "names" and value is not None:
                table[field.name] = np.asarray(value)
        return table

    def __str__(self) -> str:
        table = self.to_dict()
        headers = list(table)
        rows = [[_cell(table[h][i]) for h in headers] for i in range(len(self.coverage))]
        widths = [max(len(h), *(len(r[c]) for r in rows)) for c, h in enumerate(headers)]
        lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths))]
        lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in rows]
        return "\n".join(lines)

    __repr__ = __str__


def _cell(value) -> str:
    if isinstance(value, (float, np.floating)):
        return "-" if np.isnan(value) else f"{value:.3f}"
    return str(value)
