"""The Session's read-only views: labels, votes, the end
model, per-LF tables, what an edit changed, extension curves."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import diagnostics
from .._checks.validation import (
    ABSTAIN,
)
from ..diagnostics.lf_summary import LFSummary
from ..diagnostics.tables import as_table
from ..end_model import EndModel
from ..labeler.labeler import Labeler
from ..search.neighbours import TRAIN
from .engine import _TUNED_SPLITS, _locked, _Split
from .export import labeler_of


class _SessionViews:
    """The Session's outputs: labels, votes, the end model, the per-LF tables and what the last
    edit changed (read-only views of the engine's state; no method here changes it)."""

    def _split(self, split: str) -> _Split:
        if not isinstance(split, str) or split not in self._splits:
            raise ValueError(f"split: expected one of {self.splits}, got {split!r}")
        return self._splits[split]

    @_locked
    def predict_proba(self, split: str = TRAIN, *, source: str = "label_model") -> np.ndarray:
        """Class probabilities of every point of a split, shape (q, K) (a read-only view).

        ``source="end_model"``: the end model's ``P(y | x)`` (``end_model="logreg"``), refitted
        on the current train posteriors when an edit made it stale.
        """
        if source not in ("label_model", "end_model"):
            raise ValueError(f"source: expected 'label_model' or 'end_model', got {source!r}")
        part = self._split(split)
        if source == "end_model":
            return self._end_model().predict_proba(self.index_.points(split))
        view = part.proba.view()
        view.flags.writeable = False
        return view

    @_locked
    def predict(self, split: str = TRAIN, *, source: str = "label_model") -> np.ndarray:
        """Most probable class of every point of a split (ties to the lowest class)."""
        return np.argmax(self.predict_proba(split, source=source), axis=1)

    @_locked
    def votes(self, split: str = TRAIN, *, extended: bool = False) -> np.ndarray:
        """The split's vote matrix (a copy), as cast or after extension."""
        part = self._split(split)
        if not isinstance(extended, (bool, np.bool_)):
            raise TypeError(f"extended: expected True or False, got {extended!r}")
        return (part.L_ext if extended else part.L).copy()

    def _end_model(self) -> EndModel:
        """The end model on the current train posteriors, refitted lazily (only when asked for
        after an edit) and warm: the penalty and train weight chosen by the first fit's
        cross-validation are kept, and the refit starts from the previous coefficients
        (:class:`liger.EndModel` ``warm_start``). New dev labels re-run the cross-validation."""
        if self.end_model is None:
            raise ValueError("source: 'end_model' needs Session(end_model='logreg')")
        if self._end_model_stale or self.end_model_ is None:
            dev = self._splits.get("dev")
            X_dev = None if dev is None else self.index_.points("dev")
            model = self.end_model_
            if model is None or self._end_model_cold:
                model = EndModel(
                    cv_metric=self.tune_metric_, random_state=self.random_state, warm_start=True
                )
            self.end_model_ = model._fit_weak(
                self._X_train, self._splits[TRAIN].proba, X_dev, None if dev is None else dev.y
            )
            self._end_model_stale = self._end_model_cold = False
        return self.end_model_

    @_locked
    def lf_summary(self) -> LFSummary:
        """Per-LF table (as :meth:`liger.Liger.lf_summary`): train coverage before / after
        extension, dev accuracy before / after, threshold and level, estimated accuracy."""
        train = self._splits[TRAIN]
        dev = self._splits.get("dev")
        return LFSummary.of_votes(
            ((train.L != ABSTAIN).mean(0), (train.L_ext != ABSTAIN).mean(0)),
            None if dev is None else (dev.L, dev.L_ext, dev.y),
            self.thresholds_.copy(),
            self.levels_.copy(),
            self.label_model_,
            self.lf_names_,
        )

    @_locked
    def lf_table(self, *, as_frame: bool | None = None):
        """Per-LF coverage, overlaps, conflicts (train) and dev accuracy, as cast and after
        extension (:func:`liger.diagnostics.lf_table`): a pandas DataFrame when pandas is
        installed, else a :class:`liger.diagnostics.Table`. A session of LFs
        (:meth:`Session.from_lfs`) adds ``faults``: the rows each LF raised on, over every
        split (``fault_tolerant=True``)."""
        train, dev = self._splits[TRAIN], self._splits.get("dev")
        table = diagnostics.lf_table(
            train.L,
            train.L_ext,
            L_dev=None if dev is None else dev.L,
            y_dev=None if dev is None else dev.y,
            L_dev_extended=None if dev is None else dev.L_ext,
            names=self.lf_names_,
            as_frame=False if self._lfs else as_frame,
        )
        if not self._lfs:
            return table
        # Sessions of LFs: the rows each one raised on, over every split (fault_tolerant).
        faults = self.faults_
        columns = table.to_dict()
        columns["faults"] = [sum(faults.get(name, {}).values()) for name in self.lf_names_]
        return as_table(columns, as_frame)

    @property
    def faults_(self) -> dict:
        """Per LF given as a function (:meth:`Session.from_lfs`): ``{split: rows on which it
        raised and abstained}`` (``fault_tolerant=True``; all 0 otherwise)."""
        known = getattr(self, "_lf_faults", {})
        empty = dict.fromkeys(self._splits, 0)
        return {
            name: dict(known.get(self._lfs[name], empty))
            for name in self.lf_names_
            if name in self._lfs
        }

    @_locked
    def what_changed(self, split: str = TRAIN, *, as_frame: bool | None = None):
        """What the last edit changed on a split (:func:`liger.diagnostics.what_changed`): labels
        flipped, mean change of the probabilities, coverage before / after, and the dev score
        before / after (``tune_metric_``, current dev labels)."""
        part = self._split(split)
        if not hasattr(self, "_before"):
            raise ValueError("what_changed: no edit yet")
        array, saved = self._before["L_ext"][split]
        votes_before = array
        if saved:
            votes_before = array.copy()
            for j, column in saved.items():
                votes_before[:, j] = column
        dev = self._splits.get("dev")
        return diagnostics.what_changed(
            self._before["proba"][split],
            part.proba,
            votes_before=votes_before,
            votes_after=part.L_ext,
            dev_before=None if dev is None else self._before["proba"]["dev"],
            dev_after=None if dev is None else dev.proba,
            y_dev=None if dev is None else dev.y,
            metric=self.tune_metric_,
            as_frame=as_frame,
        )

    @_locked
    def extension_curves(self, *, as_frame: bool | None = None):
        """Per LF and extension level: train coverage and dev accuracy when that LF alone is
        extended (:func:`liger.diagnostics.extension_curves`; plot them with
        :func:`liger.diagnostics.plot_extension_curves`). Needs every LF's nearest support for
        every abstaining train and dev point (the grid's quantiles): edited LFs are searched."""
        for j in range(self.n_lfs_):
            self._settle(j, "all", _TUNED_SPLITS)
        dev = self._splits.get("dev")
        return diagnostics.extension_curves(
            self._splits[TRAIN].nearest(self._higher),
            None if dev is None else dev.nearest(self._higher),
            None if dev is None else dev.y,
            names=self.lf_names_,
            as_frame=as_frame,
        )

    def to_labeler(
        self, encoder: Any = None, *, text_column: str | None = None, batch_size: int = 10_000
    ) -> Labeler:
        """The session's current pipeline as a :class:`liger.Labeler`: its LFs, and a
        :class:`liger.Liger` fitted on the current votes with the current thresholds (the same
        label model, dev guard and end model), whose probabilities are the session's. Needs
        every LF as a function (:meth:`Session.from_lfs`).

        Parameters
        ----------
        encoder : callable, optional
            Texts -> embeddings, as the session's ``X`` were made
            (:class:`liger.labeler.encoders.Encoder`); without one, labelling needs ``X``.
        text_column, batch_size
            As in :class:`liger.Labeler`.
        """
        return labeler_of(self, encoder, text_column, batch_size)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={s.L.shape[0]}" for name, s in self._splits.items())
        return f"Session({sizes}, m={self.n_lfs_}, K={self.n_classes_}, metric={self.metric!r})"
