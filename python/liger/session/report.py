"""What one Session edit did: :class:`EditReport` (the action, the LF, the new threshold, what
changed on each split, the dev score, the time spent)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["EditReport"]


@dataclass(frozen=True)
class EditReport:
    """What one session step changed.

    Attributes
    ----------
    action : str
        ``"build"``, ``"add_lf"``, ``"set_lf"``, ``"remove_lf"``, ``"set_thresholds"`` or
        ``"set_dev_labels"``.
    lf : int or None
        Index of the LF edited (after the edit; for ``remove_lf`` the index it had).
    flipped : dict of str to int
        Per split, the points whose predicted class (argmax of the posterior) changed.
    dev_score_before, dev_score_after : float or None
        Dev score (the session's ``tune_metric_``) before and after; None without dev labels.
    thresholds_changed : ndarray of int
        LFs whose threshold changed.
    fallback_points : int
        Points searched exactly because their k neighbours held none of an LF's support.
    seconds : dict of str to float
        Wall time per stage and ``total``: ``statistics`` (the label model's sufficient
        statistics, updated), ``label_model`` (its refit, class balance estimation included),
        ``neighbours`` (the edited LF's nearest-support columns), ``tuning``, ``extension``,
        ``guard`` (the dev guard), ``posterior`` (every point's).
    fallback : None or "majority"
        The session's ``fallback_`` after the step: ``"majority"`` when the dev guard replaced
        the label model by majority vote.
    """

    action: str
    lf: int | None
    flipped: dict
    dev_score_before: float | None
    dev_score_after: float | None
    thresholds_changed: np.ndarray
    fallback_points: int
    seconds: dict = field(default_factory=dict)
    fallback: str | None = None

    def __str__(self) -> str:
        flips = ", ".join(f"{name} {count}" for name, count in self.flipped.items())
        dev = ""
        if self.dev_score_after is not None:
            before = "-" if self.dev_score_before is None else f"{self.dev_score_before:.4f}"
            dev = f"; dev {before} -> {self.dev_score_after:.4f}"
        where = "" if self.lf is None else f" (LF {self.lf})"
        guard = "; majority vote (dev guard)" if self.fallback else ""
        total = self.seconds.get("total", float("nan")) * 1e3
        return f"{self.action}{where}: labels flipped: {flips}{dev}{guard}; {total:.1f} ms"
