"""The Session's model selection: the rule of ``Liger.fit`` (:mod:`liger.selection`), on the
session's own state (its exact nearest-support columns and its incrementally updated statistics).

- At the start and on every full re-tune (``retune="all"``, ``set_thresholds("tune")``,
  ``set_dev_labels`` with re-tuning) the whole cross-validated selection runs: extension or not,
  one global level or per-LF levels, majority vote or the label model, the class balance's
  source, abstention evidence. A session there equals ``Liger(thresholds="tune").fit`` on its
  votes.
- After any other edit the thresholds are what the edit made them (fixed, or LF j re-tuned by the
  guarded per-LF step, ``retune="lf"``), and the label recipe is chosen again by cross-validation
  for those thresholds: the session equals ``Liger(thresholds=session.thresholds_).fit``.

``model_selection="dev"`` keeps the in-sample rule of earlier versions (the dev guard), as
``Liger(model_selection="dev")`` does.
"""

from __future__ import annotations

import numpy as np

from ..extension.tuning import DEFAULT_LEVELS
from ..search.neighbours import TRAIN
from ..selection import select_pipeline
from ..selection.cv import ModelFactory

MODEL_SELECTIONS = ("cv", "dev")


class _SessionSelection:
    """Mixin of :class:`liger.Session`: the cross-validated choices (see the module docstring)."""

    def _selects_by_cv(self) -> bool:
        """The settings the selection covers, as ``Liger._selects_by_cv`` (the Session supports
        only one part, ``fit_on="original"`` and nearest extension anyway)."""
        return (
            self._has_dev
            and self.model_selection == "cv"
            and self._recipe.balance is None
            and not self._recipe.uses_dev
        )

    def _select(self, thresholds) -> np.ndarray | None:
        """Run the selection: ``thresholds`` "tune" / None (the full selection; the thresholds and
        levels are set) or fixed (m,) thresholds (the label recipe only). Its model and fallback
        are kept for the next :meth:`_posteriors`."""
        train, dev = self._splits[TRAIN], self._splits["dev"]
        full = thresholds is None or isinstance(thresholds, str)
        chosen = select_pipeline(
            train.nearest(self._higher),
            dev.nearest(self._higher),
            dev.y,
            self.n_classes_,
            self.tune_metric_,
            levels=DEFAULT_LEVELS,
            threshold_search=self.threshold_search if thresholds is not None else None,
            label_model=self._recipe.kind,
            random_state=self.random_state,
            thresholds=None if full else np.asarray(thresholds, dtype=np.float32),
            statistics=self._stats,
        )
        self._chosen = chosen
        self._candidate = chosen.candidate
        self._model = chosen.model
        self.selection_ = chosen.selection
        self.cv_score_, self.cv_se_ = chosen.selection.cv_score, chosen.selection.cv_se
        if full:
            self.thresholds_ = chosen.thresholds.astype(np.float32).copy()
            self.levels_ = chosen.levels.astype(float).copy()
            self._global_level = float("nan")
        return chosen

    def _selected_model(self):
        """(model, fallback) for the posteriors: the last full selection's, or the recipe chosen
        again for the current thresholds."""
        chosen = self._chosen if self._chosen is not None else self._select(self.thresholds_)
        self._chosen = None
        return chosen.model, chosen.fallback

    def _candidate_model(self):
        """The chosen candidate's label model refitted on the current statistics with every dev
        label (what a per-LF re-tune scores candidates with), quietly: the selection that follows
        the edit refits loudly."""
        dev = self._splits["dev"]
        return ModelFactory(self._stats, self.n_classes_).fit(self._candidate.recipe(), dev.y)
