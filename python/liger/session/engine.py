"""The Session's engine: per-split state (:class:`_Split`) and the incremental update of an
edit, the re-tuning and the edit's report (:class:`_SessionEngine`, mixed into
:class:`~liger.session.api.Session`), and the argument helpers of the edits."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._checks.validation import (
    ABSTAIN,
    as_thresholds,
)
from ..extension.tuning import (
    DEFAULT_LEVELS,
    NearestVotes,
    choose_thresholds,
    refine_thresholds,
    support_votes,
)
from ..label_model.encoding import EncodedVotes
from ..label_model.fit_warnings import once_per_fit
from ..label_model.guard import DevComparison, fall_back_to_majority
from ..label_model.triplet import LabelModel
from ..lf.definition import LabelingFunction
from ..search.neighbours import TRAIN, SupportColumn
from ..splits import dev_score
from .report import EditReport

RETUNE_CHOICES = ("lf", "all", None)
# Tuning reads every train score (the grid's quantiles) and extends dev at every level.
_TUNED_SPLITS = (TRAIN, "dev")
# Placeholder for "keep this LF's threshold as it is".
_KEEP = object()


class _Split:
    """One split's votes and what extension reads, owned (and updated) by the session: per LF its
    nearest-support column and the vote of that nearest support point (its *candidate*)."""

    def __init__(self, name: str, L: np.ndarray, y: np.ndarray | None = None):
        self.name = name
        self.L = L
        self.y = y
        self.columns: list[SupportColumn] = []
        self.candidates: list[np.ndarray] = []
        self.L_ext: np.ndarray | None = None
        # L_ext as the label model's posterior reads it (its lookup positions), kept in step.
        self.encoded: EncodedVotes | None = None
        self.proba: np.ndarray | None = None

    def set_extended(self, L_ext: np.ndarray, cardinality: int) -> None:
        self.L_ext = L_ext
        self.encoded = EncodedVotes(L_ext, cardinality)

    def votes_for(self, model) -> Any:
        """The extended votes as ``model`` reads them: encoded for the label model, whose
        posterior then skips re-encoding the rows; the matrix for majority vote."""
        return self.encoded if isinstance(model, LabelModel) else self.L_ext

    def nearest(self, higher_is_better: bool) -> NearestVotes:
        """All LFs as one NearestVotes, (q, m) arrays assembled on demand (for tuning)."""
        scores = np.stack([column.scores for column in self.columns], axis=1)
        candidate = np.stack(self.candidates, axis=1)
        return NearestVotes(self.L, candidate, scores, higher_is_better)

    def column_view(self, j: int, higher_is_better: bool) -> NearestVotes:
        """LF j alone, as a (q, 1) NearestVotes (views, no copy)."""
        return NearestVotes(
            self.L[:, j : j + 1],
            self.candidates[j][:, None],
            self.columns[j].scores[:, None],
            higher_is_better,
        )


def _atomic(method):
    """An edit of the session: serialized by the session's lock, and all-or-nothing. If it
    raises anything (``KeyboardInterrupt`` included), every attribute of the session and of its
    splits is restored as it was before the edit (see :meth:`_SessionEngine._begin`)."""

    @functools.wraps(method)
    def edit(self, *args, **kwargs):
        with self._lock:
            saved = self._begin()
            try:
                return method(self, *args, **kwargs)
            except BaseException:
                self._rollback(saved)
                raise
            finally:
                self.__dict__.pop("_journal", None)

    return edit


def _locked(method):
    """A view of the session: run under the session's lock (never beside an edit)."""

    @functools.wraps(method)
    def view(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return view


class _SessionEngine:
    """The Session's engine: the incremental update after an edit (the LF's column, the label
    model's refit, the re-extension, the dev guard, the posteriors), the re-tuning, and the
    snapshot / report of an edit. Reads and writes the state ``Session.__init__`` builds."""

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict:
        """A session pickles without its lock (a lock belongs to one process); a fresh one is
        made when it is loaded."""
        state = dict(self.__dict__)
        state.pop("_lock", None)
        state.pop("_journal", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ all-or-nothing edits
    def _begin(self):
        """What :meth:`_rollback` restores: the session's and its splits' attributes (shallow
        copies; the containers an edit changes in place copied), and a journal of the array
        entries an edit overwrites in place (:meth:`_overwrite`), saved as it goes."""
        state = dict(self.__dict__)
        state["thresholds_"] = self.thresholds_.copy()
        state["levels_"] = self.levels_.copy()
        state["lf_names_"] = list(self.lf_names_)
        state["history_"] = list(self.history_)
        state["_lfs"] = dict(self._lfs)
        splits = {
            name: dict(vars(split), columns=list(split.columns), candidates=list(split.candidates))
            for name, split in self._splits.items()
        }
        self._journal = []
        return state, splits

    def _rollback(self, saved) -> None:
        state, splits = saved
        for array, index, values in reversed(self.__dict__.get("_journal") or []):
            array[index] = values
        for name, split in self._splits.items():
            split.__dict__.clear()
            split.__dict__.update(splits[name])
        self.__dict__.clear()
        self.__dict__.update(state)

    def _keep(self, array: np.ndarray, index) -> None:
        """Journal ``array[index]`` before an edit changes it in place (for :meth:`_rollback`)."""
        journal = self.__dict__.get("_journal")
        if journal is not None:
            journal.append((array, index, array[index].copy()))

    def _overwrite(self, array: np.ndarray, index, values) -> None:
        self._keep(array, index)
        array[index] = values

    def _edit(self, action, j, columns, threshold, mode, added=False, before=None) -> EditReport:
        before = self._snapshot() if before is None else before
        started = time.perf_counter()
        seconds: dict[str, float] = {}
        old = self.thresholds_.copy()
        if added:
            old[j] = np.float32(np.nan)  # a new column: extend it whatever happens
        train = self._splits[TRAIN]
        old_base = train.L[:, j].copy()
        tick = time.perf_counter()
        if added:
            # Only the rows where the new LF votes are read (the votes before it: all but j).
            self._stats = self._stats.add_lf(train.L[:, :j], columns[TRAIN])
        else:
            # Only the rows where LF j's vote changed are read (the votes before the edit).
            self._stats = self._stats.replace_lf(j, train.L, columns[TRAIN])
        seconds["statistics"] = time.perf_counter() - tick
        for split in self._splits.values():
            self._overwrite(split.L, (slice(None), j), columns[split.name])
        tick = time.perf_counter()
        self._model = self._fit_label_model()
        seconds["label_model"] = time.perf_counter() - tick

        if mode is None:
            if threshold is not _KEEP:
                self.thresholds_[j] = as_thresholds(threshold, 1)[0]
            self.levels_[j] = np.nan  # a threshold kept in score units: its level moved
        tick = time.perf_counter()
        base = self._splits[TRAIN].L[:, j]
        # Tuning reads every train score and extends dev at every level.
        wanted = {
            name: "all" if mode is not None and name in _TUNED_SPLITS else self.thresholds_[j]
            for name in self._splits
        }
        needed = {name: split.L[:, j] == ABSTAIN for name, split in self._splits.items()}
        if added:
            fresh = {name: self.index_.column(name, base, needed[name]) for name in self._splits}
            columns, searched = self.index_.resolve_many(fresh, base, wanted)
        else:
            previous = {name: split.columns[j] for name, split in self._splits.items()}
            columns, searched = self.index_.update(previous, old_base, base, needed, wanted)
        for name, split in self._splits.items():
            split.columns[j] = columns[name]
            self._write_column(split, j)
        seconds["neighbours"] = time.perf_counter() - tick

        fallback = searched
        if mode is not None:
            retune = self._retune_lf(j) if mode == "lf" else self._retune_all()
            fallback += retune[0]
            seconds["tuning"] = retune[1]
        changed, searched = self._reextend(old, seconds, always=(j,))
        return self._finish(action, j, before, started, seconds, changed, fallback + searched)

    def _settle(self, j: int, threshold: Any = None, splits=None) -> int:
        """Make LF j's columns exact wherever its threshold (or ``threshold``, e.g. "all") needs
        it (one search for all splits), and refresh the candidates of the columns that changed.
        Returns the number of points searched."""
        wanted = self.thresholds_[j] if threshold is None else threshold
        base = self._splits[TRAIN].L[:, j]
        names = [name for name in self._splits if splits is None or name in splits]
        columns = {name: self._splits[name].columns[j] for name in names}
        resolved, searched = self.index_.resolve_many(
            columns, base, {name: wanted for name in names}
        )
        for name in names:
            if resolved[name] is not columns[name]:
                self._splits[name].columns[j] = resolved[name]
                self._write_column(self._splits[name], j)
        return searched

    def _write_column(self, split: _Split, j: int) -> None:
        column = split.columns[j]
        votes = support_votes(column.indices, self._splits[TRAIN].L[:, j])
        split.candidates[j] = votes.astype(self._dtype)

    def _reextend(self, old: np.ndarray, seconds: dict, always=()) -> tuple[np.ndarray, int]:
        """Re-extend the LFs whose threshold changed (and ``always``), then every posterior.
        Returns the LFs whose threshold changed and the points searched exactly (fallbacks)."""
        tick = time.perf_counter()
        changed = np.flatnonzero(~_same_thresholds(old, self.thresholds_))
        todo = sorted(set(changed.tolist()) | set(always))
        searched = 0
        for j in todo:
            searched += self._settle(j)
            for split in self._splits.values():
                extended = split.column_view(j, self._higher).extend(self.thresholds_[j : j + 1])
                self._set_extended(split, j, extended[:, 0])
        seconds["extension"] = time.perf_counter() - tick
        self._posteriors(seconds)
        return changed, searched

    def _posteriors(self, seconds: dict | None = None) -> None:
        """Every split's posterior, from the recipe's label model or, when the dev guard says
        so, from majority vote: the guard of ``Liger.fit`` (:func:`liger.label_model.guard
        .fall_back_to_majority`), on the same statistics, dev votes and objective."""
        tick = time.perf_counter()
        model, fallback, comparison = self._model, None, None
        dev = self._splits.get("dev")
        dev_proba = None
        if self._selects_by_cv():
            # The cross-validated choice replaces the in-sample dev guard.
            model, fallback = self._selected_model()
        elif dev is not None and self._recipe.kind == "triplet":
            dev_proba = model.predict_proba(dev.votes_for(model))
            voter, comparison = fall_back_to_majority(
                self._recipe,
                self._stats,
                dev.y,
                np.argmax(dev_proba, axis=1),
                dev.L_ext,
                self.tune_metric_,
            )
            if voter is not None:
                model, fallback, dev_proba = voter, "majority", None
        self.label_model_ = model
        self.fallback_: str | None = fallback
        self.guard_: DevComparison | None = comparison
        if seconds is not None:
            seconds["guard"] = time.perf_counter() - tick
        tick = time.perf_counter()
        for split in self._splits.values():
            if split is dev and dev_proba is not None:
                split.proba = dev_proba  # the label model's, computed for the guard
            else:
                split.proba = model.predict_proba(split.votes_for(model))
        if seconds is not None:
            seconds["posterior"] = time.perf_counter() - tick
        self._end_model_stale = True

    def _fit_label_model(self):
        """The label model from the train votes' statistics (the same fit as Liger's; with the
        cross-validated selection, the chosen candidate's)."""
        if self._selects_by_cv() and self._candidate is not None:
            return self._candidate_model()
        dev = self._splits.get("dev")
        with once_per_fit(self.lf_names_):  # its warnings name the LFs
            return self._recipe.fit_statistics(self._stats, None if dev is None else dev.y)

    # ------------------------------------------------------------------------------ tuning
    def _dev_objective(self):
        """thresholds -> dev score with the current label model (fit_on="original": a candidate
        costs one extension and one posterior of the dev split)."""
        if not self._has_dev:
            return None
        dev = self._splits["dev"]
        votes = dev.nearest(self._higher)
        # The recipe's model, as Liger tunes before its guard (never the guard's majority vote).
        model, metric, K = self._model, self.tune_metric_, self.n_classes_

        def evaluate(thresholds: np.ndarray) -> float:
            proba = model.predict_proba(votes.extend(thresholds))
            return dev_score(metric, dev.y, np.argmax(proba, axis=1), K)

        return evaluate

    def _retune_all(self) -> tuple[int, float]:
        """Everything re-tuned on dev exactly as ``Liger(thresholds="tune").fit`` would: every
        column must then be exact for every abstaining point (the grid's quantiles)."""
        tick = time.perf_counter()
        searched = sum(self._settle(j, "all", _TUNED_SPLITS) for j in range(self.n_lfs_))
        if self._selects_by_cv():
            self._select("tune")
            return searched, time.perf_counter() - tick
        result = choose_thresholds(
            "tune",
            self._splits[TRAIN].nearest(self._higher),
            self._dev_objective(),
            has_dev=True,
            threshold_search=self.threshold_search,
            min_gain=self.min_gain,
        )
        self.thresholds_ = np.asarray(result.thresholds, dtype=np.float32).copy()
        self.levels_ = np.asarray(result.levels, dtype=float).copy()
        self._global_level = result.global_level
        return searched, time.perf_counter() - tick

    def _retune_lf(self, j: int) -> tuple[int, float]:
        """LF j's extension level re-tuned on dev by the guarded per-LF step, others fixed."""
        if not self._has_dev:
            raise ValueError("retune: re-tuning needs a dev split, the session has none")
        tick = time.perf_counter()
        searched = self._settle(j, "all", _TUNED_SPLITS)
        levels = np.asarray(DEFAULT_LEVELS, dtype=float)
        grid = np.full((self.n_lfs_, levels.size), np.nan, dtype=np.float32)
        grid[j] = self._splits[TRAIN].column_view(j, self._higher).grid(levels)[0]
        start = np.zeros(self.n_lfs_, dtype=np.int64)
        start[j] = self._start_level(j, levels)
        result = refine_thresholds(
            self._dev_objective(),
            self.thresholds_,
            grid,
            start,
            [j],
            levels,
            min_gain=self.min_gain,
        )
        self.thresholds_ = np.asarray(result.thresholds, dtype=np.float32).copy()
        self.levels_[j] = result.levels[j]
        return searched, time.perf_counter() - tick

    def _start_level(self, j: int, levels: np.ndarray) -> int:
        """Where LF j's re-tuning starts: its own level if it has one, else the global level of
        the last full tuning (the tuning shrinks towards it), else no extension."""
        for level in (self.levels_[j], self._global_level):
            if np.isfinite(level):
                return int(np.argmin(np.abs(levels - level)))
        return 0

    def _set_fixed(self, thresholds: np.ndarray) -> None:
        changed = ~_same_thresholds(self.thresholds_, thresholds)
        self.levels_[changed] = np.nan
        self.thresholds_ = thresholds.astype(np.float32).copy()

    def _retune_for(self, retune: Any) -> Any:
        return (
            self.retune
            if isinstance(retune, str) and retune == "default"
            else _check_retune(retune)
        )

    # --------------------------------------------------------------------------- reporting
    def _dev_score_now(self) -> float | None:
        if not self._has_dev:
            return None
        dev = self._splits["dev"]
        return dev_score(self.tune_metric_, dev.y, np.argmax(dev.proba, axis=1), self.n_classes_)

    def _snapshot(self):
        """What an edit is compared against: the predictions and dev score before it. The
        posteriors before are kept by reference (an edit makes new ones) and the extended votes
        lazily: the columns an edit overwrites are saved as it goes (see :meth:`what_changed`)."""
        predictions = {name: np.argmax(s.proba, axis=1) for name, s in self._splits.items()}
        self._before = {
            "proba": {name: s.proba for name, s in self._splits.items()},
            "L_ext": {name: (s.L_ext, {}) for name, s in self._splits.items()},
            "y_dev": None if "dev" not in self._splits else self._splits["dev"].y,
        }
        return predictions, self._dev_score_now()

    def _set_extended(self, split: _Split, j: int, values: np.ndarray) -> None:
        """Overwrite column j of a split's extended votes, saving the column it had before the
        current edit (for :meth:`what_changed`)."""
        array, saved = self._before["L_ext"][split.name]
        if split.L_ext is array and j not in saved:
            saved[j] = array[:, j].copy()
        self._overwrite(split.L_ext, (slice(None), j), values)
        self._keep(split.encoded.codes, split.encoded.block_of(j))
        split.encoded.update(split.L_ext, [j])

    def _finish(self, action, j, before, started, seconds, changed, fallback) -> EditReport:
        predictions, dev_before = before
        flipped = {
            name: int(np.count_nonzero(np.argmax(s.proba, axis=1) != predictions[name]))
            for name, s in self._splits.items()
        }
        self.dev_score_ = self._dev_score_now()
        seconds["total"] = time.perf_counter() - started
        report = EditReport(
            action,
            j,
            flipped,
            dev_before,
            self.dev_score_,
            changed,
            fallback,
            seconds,
            self.fallback_,
        )
        self._record(report)
        return report

    def _record(self, report: EditReport) -> None:
        self.last_edit_ = report
        self.history_.append(report)


# ---------------------------------------------------------------------------------- helpers
def _is_lf(value: Any) -> bool:
    return isinstance(value, LabelingFunction) or (
        callable(value) and not hasattr(value, "__array__") and not isinstance(value, type)
    )


def _as_lf(value: Any) -> LabelingFunction:
    if isinstance(value, LabelingFunction):
        return value
    if not callable(value):
        raise TypeError(f"lfs: expected labeling functions, got {type(value).__name__}")
    return LabelingFunction(value)


def _check_supported(n_partitions: Any, fit_on: Any, extension: Any) -> None:
    """Liger's settings a session has no incremental update for: rejected, naming each."""
    if isinstance(n_partitions, bool) or not (
        isinstance(n_partitions, (int, np.integer)) and n_partitions == 1
    ):
        raise ValueError(
            f"n_partitions: a Session supports only 1 (one label model for all points; fit "
            f"partitions with liger.Liger), got {n_partitions!r}"
        )
    if not (isinstance(fit_on, str) and fit_on == "original"):
        raise ValueError(
            f"fit_on: a Session supports only 'original' (the label model fitted on the votes as "
            f"cast; fit on extended votes with liger.Liger), got {fit_on!r}"
        )
    if not (isinstance(extension, str) and extension == "nearest"):
        raise ValueError(
            f"extension: a Session supports only 'nearest' (Liger's nearest-support rule; use "
            f"liger.Liger for 'radius' or 'tune'), got {extension!r}"
        )


def _check_retune(retune: Any) -> Any:
    if retune not in RETUNE_CHOICES:
        raise ValueError(f"retune: expected 'lf', 'all', None or 'auto', got {retune!r}")
    return retune


def _unpack(name: str, value: Any, size: int) -> tuple:
    if value is None:
        return (None,) * size
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != size:
        shape = "(L_dev, X_dev, y_dev)" if size == 3 else "(L_test, X_test)"
        raise ValueError(f"{name}: expected a tuple {shape}, got {type(value).__name__}")
    return tuple(value)


def _check_names(names: Any, m: int) -> list[str]:
    if names is None:
        return [f"lf{j}" for j in range(m)]
    names = [str(name) for name in names]
    if len(names) != m or len(set(names)) != m:
        raise ValueError(f"names: expected {m} distinct LF names, got {names!r}")
    return names


def _fresh_name(taken: list[str]) -> str:
    j = len(taken)
    while f"lf{j}" in taken:
        j += 1
    return f"lf{j}"


def _same_thresholds(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) | (np.isnan(a) & np.isnan(b))


def _check_threshold(threshold: Any) -> None:
    """Refuse a bad ``threshold`` argument of an edit (``_KEEP`` = keep the LF's threshold)."""
    if threshold is not _KEEP:
        as_thresholds(threshold, 1)
