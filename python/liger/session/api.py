"""The interactive loop: edit one LF, get new labels for every point in milliseconds.

A :class:`Session` holds Liger's pipeline fitted on train (and dev / test) and updates only what an
edit touches. The neighbours are paid for once: the exact k-NN graph of every split against train
(:class:`liger.search.neighbours.NeighbourIndex`), plus one nearest-support sweep for the LFs
present at the start. An edit of LF j then costs

- its nearest-support column, read off the graph (exact fallback searches only for points whose k
  neighbours hold none of its support and whose bound clears its threshold);
- the label model's refit on the new votes (the label-model stage, :class:`LabelRecipe`);
- the extension of column j, the dev guard (majority vote replaces the label model when it is
  better on dev beyond the noise, :func:`liger.label_model.guard.fall_back_to_majority`), and the
  posterior of every point.

Every result is the one a from-scratch :meth:`liger.Liger.fit` with the same votes and thresholds
computes (with ``retune="all"``: the same tuning), because both front ends compose the same
stages: the search contract, ``NearestVotes`` extension, the label recipe, ``choose_thresholds`` /
``refine_thresholds``, the dev guard and the label model's posterior. Liger's settings without an
incremental update here (``n_partitions`` other than 1, ``fit_on="extended"``,
``extension="radius"`` / ``"tune"``) are rejected at construction, naming the parameter.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .._checks.labels import check_labels
from .._checks.settings import check_front_end_settings
from .._checks.validation import (
    ABSTAIN,
    as_dense_votes,
    as_embeddings,
    as_thresholds,
    as_votes,
    check_dims,
    check_lfs,
    check_rows,
    check_votes_below,
    resolve_n_jobs,
)
from ..extension.tuning import (
    choose_thresholds,
)
from ..label_model.labeling import LabelRecipe
from ..lf.appliers import LFApplier
from ..lf.definition import LabelingFunction
from ..search.neighbours import DEFAULT_K, TRAIN, NeighbourIndex
from ..splits import check_dev_split, infer_cardinality, resolve_tune_metric
from .engine import (
    _KEEP,
    _as_lf,
    _atomic,
    _check_names,
    _check_retune,
    _check_supported,
    _check_threshold,
    _fresh_name,
    _is_lf,
    _SessionEngine,
    _Split,
    _unpack,
)
from .lf_votes import applier_for, apply_by_split
from .report import EditReport
from .selection import MODEL_SELECTIONS, _SessionSelection
from .views import _SessionViews


class Session(_SessionEngine, _SessionSelection, _SessionViews):
    """An incremental Liger session: add, replace, remove LFs or move thresholds, and get new
    probabilities for every point, identical to a from-scratch :class:`liger.Liger` fit.

    Parameters
    ----------
    L : array-like of int, shape (n, m)
        LF votes on the train points (-1 = abstain); their supports are what gets extended.
    X : array-like of shape (n, d)
        Train embeddings.
    dev : tuple (L_dev, X_dev, y_dev), optional
        A small labelled split: the only data tuning (and the dev score) looks at.
    test : tuple (L_test, X_test), optional
        Points to label as well (no labels: a session never sees test labels).
    names : sequence of m str, optional
        LF names (default ``"lf0"``, ``"lf1"``, ...); edits accept a name or an index.
    metric, thresholds, label_model, class_balance, tune_metric, threshold_search, min_gain, \
end_model, cardinality, random_state, n_jobs
        As in :class:`liger.Liger`. ``thresholds="tune"`` tunes at the start (needs ``dev``).
    model_selection : {"cv", "dev"}, default="cv"
        As in :class:`liger.Liger`: with a dev split, the choices are made by cross-validation
        on dev (:mod:`liger.session.selection`): the whole selection at the start and on every
        full re-tune, the label recipe again after every other edit (``selection_``,
        ``cv_score_``). ``"dev"``: the in-sample rule, with the dev guard of
        :meth:`liger.Liger.fit` after every step (``fallback_``, ``guard_``).
    n_partitions : 1, default=1
    fit_on : "original", default="original"
    extension : "nearest", default="nearest"
        :class:`liger.Liger`'s settings a session supports: one label model for all points,
        fitted on the votes as cast, and Liger's nearest-support extension rule. Any other
        value is rejected with a ``ValueError`` naming the parameter (more partitions, a label
        model fitted on extended votes, and the radius rule would each need their own
        incremental update: k-means parts, statistics that move with every threshold, radius
        neighbourhoods); fit those with :class:`liger.Liger`.
    retune : {"lf", "all", None} or "auto", default="auto"
        What an edit re-tunes on dev unless told otherwise: ``"lf"`` the edited LF's extension
        level only (the guarded per-LF step of the tuning, others fixed), ``"all"`` everything as
        a from-scratch ``Liger(thresholds="tune")`` would, None nothing (the edited LF keeps its
        threshold; a new LF gets the one passed, default no extension). ``"auto"``: ``"lf"`` when
        ``thresholds="tune"``, else None. (``"lf"`` is in-sample: the cheap interactive step; a
        full, cross-validated re-decision is ``"all"``.)
    k : int, default=64
        Neighbours per point in the k-NN graphs (see
        :class:`liger.search.neighbours.NeighbourIndex`).

    Attributes
    ----------
    thresholds_ : ndarray of float32, shape (m,)
    levels_ : ndarray of shape (m,)
        Extension level of each LF where it was tuned (NaN otherwise).
    label_model_ : fitted label model (:class:`liger.LabelModel` or :class:`liger.MajorityVoter`)
        The model the posteriors come from: the one ``label_model`` names, or majority vote
        when the dev guard fell back to it.
    fallback_ : None or "majority"
        ``"majority"`` when the dev guard replaced the label model by majority vote (as
        :attr:`liger.Liger.fallback_`, re-decided after every step).
    guard_ : DevComparison or None
        The dev comparison behind ``fallback_`` (None without a dev split or with
        ``label_model="majority"``).
    dev_score_ : float or None
    tune_metric_ : str
    n_classes_ : int
    lf_names_ : list of str
    last_edit_ : EditReport
    history_ : list of EditReport
    index_ : NeighbourIndex
    build_seconds_ : float
        Wall time of the one-time build (graphs, sweep, first fit).

    Notes
    -----
    Every edit (``set_lf``, ``add_lf``, ``remove_lf``, ``set_thresholds``, ``set_dev_labels``)
    is all-or-nothing: if it raises anything, ``KeyboardInterrupt`` included, the session is
    exactly as it was before the edit. A session may be shared between threads: its edits and
    views hold one lock, so they run one at a time (a second thread waits for the first).
    """

    def __init__(
        self,
        L: Any,
        X: Any,
        *,
        dev: Sequence | None = None,
        test: Sequence | None = None,
        names: Sequence[str] | None = None,
        metric: str = "cosine",
        thresholds: Any = "tune",
        label_model: str = "triplet",
        class_balance: Any = None,
        tune_metric: str = "auto",
        threshold_search: str = "per_lf",
        min_gain: float = 0.01,
        retune: Any = "auto",
        model_selection: str = "cv",
        end_model: str | None = None,
        cardinality: int | None = None,
        n_partitions: Any = 1,
        fit_on: str = "original",
        extension: str = "nearest",
        k: int = DEFAULT_K,
        random_state: int | None = None,
        n_jobs: int | None = None,
    ) -> None:
        started = time.perf_counter()
        self._lock = threading.RLock()  # edits and views run one at a time (see Reliability)
        _check_supported(n_partitions, fit_on, extension)
        self.metric, self.min_gain, self.random_state = check_front_end_settings(
            thresholds=thresholds,
            threshold_search=threshold_search,
            end_model=end_model,
            metric=metric,
            min_gain=min_gain,
            random_state=random_state,
        )
        self.threshold_search = threshold_search
        if model_selection not in MODEL_SELECTIONS:
            raise ValueError(f"model_selection: expected 'cv' or 'dev', got {model_selection!r}")
        self.model_selection = model_selection
        self.n_jobs = n_jobs
        threads = resolve_n_jobs(n_jobs)
        if retune == "auto":
            retune = "lf" if isinstance(thresholds, str) else None
        self.retune = _check_retune(retune)
        self.end_model = end_model

        L_train = as_dense_votes("L", L)
        X_train = as_embeddings("X", X, threads)
        check_rows("L", L_train, "X", X_train)
        dev_parts = _unpack("dev", dev, 3)
        needs_dev = isinstance(thresholds, str) or self.retune is not None
        if needs_dev and dev is None:
            raise ValueError(
                "dev: tuning (thresholds='tune', or retune='lf' / 'all') needs a labelled dev "
                "split (L_dev, X_dev, y_dev); pass one, or fix thresholds with retune=None"
            )
        checked = check_dev_split(L_train, X_train, *dev_parts, cardinality, needs_dev, threads)
        test_parts = self._check_test(_unpack("test", test, 2), L_train, X_train, threads)
        self.n_classes_ = infer_cardinality(cardinality, L_train, checked, ("L", "L_dev", "y_dev"))
        if test_parts is not None:
            check_votes_below("test[0]", test_parts[0], self.n_classes_)
        self._recipe = LabelRecipe.resolve(
            label_model, class_balance, self.n_classes_, checked is not None
        )
        self.tune_metric_ = resolve_tune_metric(
            tune_metric, self.n_classes_, None if checked is None else checked[2]
        )
        self._tune_metric_param = tune_metric

        # The session's own vote matrices (copies: it edits them in place), in the smallest dtype
        # that holds the classes: every pass over them (statistics checks, posteriors,
        # extension) reads 8x less than int64.
        self._dtype = np.dtype(np.int8 if self.n_classes_ <= 127 else np.int32)
        L_train = L_train.astype(self._dtype)
        self._splits: dict[str, _Split] = {TRAIN: _Split(TRAIN, L_train)}
        queries = {}
        if checked is not None:
            self._splits["dev"] = _Split("dev", checked[0].astype(self._dtype), checked[2])
            queries["dev"] = checked[1]
        if test_parts is not None:
            self._splits["test"] = _Split("test", test_parts[0].astype(self._dtype))
            queries["test"] = test_parts[1]
        self._X_train = X_train
        self.index_ = NeighbourIndex(
            X_train,
            queries,
            k=k,
            metric=self.metric,
            n_jobs=n_jobs,
            labels={TRAIN: "X", "dev": "X_dev", "test": "test[1]"},
        )
        self._higher = self.index_.higher_is_better
        m = L_train.shape[1]
        self.lf_names_ = _check_names(names, m)

        # The LFs present at the start: one exact sweep per split over the union of the supports
        # (cheaper than m graph columns with fallbacks when every column is wanted in full).
        for split in self._splits.values():
            split.columns = self.index_.exact_columns(split.name, L_train, split.L == ABSTAIN)
            split.candidates = [None] * m
            for j in range(m):
                self._write_column(split, j)

        self._stats = self._recipe.statistics(L_train)
        self._candidate = self._chosen = None
        self.selection_ = self.cv_score_ = self.cv_se_ = None
        if self._selects_by_cv() and (thresholds is None or isinstance(thresholds, str)):
            self._select(thresholds)  # thresholds, levels and the label model, as Liger.fit
        else:
            self._model = self._fit_label_model()
            result = choose_thresholds(
                thresholds,
                self._splits[TRAIN].nearest(self._higher),
                self._dev_objective(),
                has_dev=self._has_dev,
                threshold_search=threshold_search,
                min_gain=min_gain,
            )
            self.thresholds_ = np.asarray(result.thresholds, dtype=np.float32).copy()
            self.levels_ = np.asarray(result.levels, dtype=float).copy()
            self._global_level = result.global_level
        for split in self._splits.values():
            extended = split.nearest(self._higher).extend(self.thresholds_).astype(self._dtype)
            split.set_extended(extended, self.n_classes_)
        self._posteriors()
        self.dev_score_ = self._dev_score_now()
        self.end_model_ = None
        self._end_model_stale = True
        self._end_model_cold = True
        self.history_: list[EditReport] = []
        self._lfs: dict[str, LabelingFunction] = {}
        self._records: dict[str, Any] | None = None
        self._applier: LFApplier | None = None
        self.build_seconds_ = time.perf_counter() - started
        self._record(
            EditReport(
                "build",
                None,
                {},
                None,
                self.dev_score_,
                np.arange(m),
                0,
                {"total": self.build_seconds_},
                self.fallback_,
            )
        )

    @classmethod
    def from_lfs(
        cls,
        lfs: Iterable[Any],
        records: Any,
        X: Any,
        *,
        dev: Sequence | None = None,
        test: Sequence | None = None,
        applier: LFApplier | None = None,
        fault_tolerant: bool | None = None,
        **params: Any,
    ) -> Session:
        """A session over labeling functions applied to raw records.

        Parameters
        ----------
        lfs : iterable of LabelingFunction (or plain callables of one record)
            The LFs (``@liger.labeling_function``); their names name the session's LFs.
        records : list of records, pandas DataFrame or Series
            The n train records (what the LFs read), in the row order of ``X``.
        X : array-like of shape (n, d)
            Their embeddings.
        dev : tuple (records_dev, X_dev, y_dev), optional
        test : tuple (records_test, X_test), optional
        applier : LFApplier, optional
            Applies the LFs and caches each one's votes per split (default: a new
            ``LFApplier(cardinality=params.get("cardinality"))``).
        fault_tolerant : bool, optional
            ``LFApplier(fault_tolerant=True)``: a row on which an LF raises abstains; the faults
            per LF and split are ``faults_`` (and the ``faults`` column of :meth:`lf_table`).
            Default: the given applier's setting (False for a new one).
        **params
            The other :class:`Session` parameters.

        Returns
        -------
        Session
            Its :meth:`add_lf` / :meth:`set_lf` then also take an LF, applied to every split (an
            unchanged LF comes from the applier's cache).
        """
        if callable(lfs) or isinstance(lfs, (str, bytes)) or not isinstance(lfs, Iterable):
            raise TypeError(
                f"lfs: expected a list of labeling functions, got {type(lfs).__name__}; wrap one "
                "LF in a list"
            )
        lfs = [_as_lf(lf) for lf in lfs]
        if not lfs:
            raise ValueError("lfs: expected at least one labeling function, got none")
        applier = applier_for(applier, fault_tolerant, params.get("cardinality"))
        key = uuid.uuid4().hex  # the session's records never change: no need to hash them
        splits = {TRAIN: records}
        dev_parts = _unpack("dev", dev, 3)
        test_parts = _unpack("test", test, 2)
        if dev is not None:
            splits["dev"] = dev_parts[0]
        if test is not None:
            splits["test"] = test_parts[0]
        votes, faults = apply_by_split(applier, lfs, splits, key)
        session = cls(
            votes[TRAIN],
            X,
            dev=None if dev is None else (votes["dev"], dev_parts[1], dev_parts[2]),
            test=None if test is None else (votes["test"], test_parts[1]),
            names=[lf.name for lf in lfs],
            **params,
        )
        session._lfs = dict(zip(session.lf_names_, lfs))
        session._lf_faults = faults
        session._records = splits
        session._applier = applier
        session._data_key = key
        return session

    # ---------------------------------------------------------------------------- inputs
    @property
    def _has_dev(self) -> bool:
        return "dev" in self._splits

    @property
    def n_lfs_(self) -> int:
        return self._splits[TRAIN].L.shape[1]

    @property
    def splits(self) -> tuple[str, ...]:
        """The splits the session labels: ``"train"``, and ``"dev"`` / ``"test"`` if given."""
        return tuple(self._splits)

    def _check_test(self, parts, L_train, X_train, threads):
        if parts[0] is None and parts[1] is None:
            return None
        L_test = as_votes("test[0]", parts[0], allow_empty_rows=True)
        X_test = as_embeddings("test[1]", parts[1], threads)
        check_rows("test[0]", L_test, "test[1]", X_test)
        check_lfs("L", L_train, "test[0]", L_test)
        check_dims("X", X_train, "test[1]", X_test)
        return L_test, X_test

    def _lf_index(self, lf: Any) -> int:
        if isinstance(lf, str):
            if lf not in self.lf_names_:
                raise ValueError(f"lf: expected an LF name among {self.lf_names_}, got {lf!r}")
            return self.lf_names_.index(lf)
        if isinstance(lf, bool) or not isinstance(lf, (int, np.integer)):
            raise TypeError(f"lf: expected an LF index or name, got {type(lf).__name__}")
        m = self.n_lfs_
        if not -m <= lf < m:
            raise ValueError(f"lf: expected an index in [{-m}, {m}), got {lf}")
        return int(lf) % m

    def _new_votes(self, new: Any, dev: Any, test: Any):
        """(the LF or None, its votes per split) for an edit given an LF or vote arrays."""
        if not _is_lf(new):
            return None, self._vote_columns(new, dev, test)
        if self._records is None:
            raise ValueError(
                "votes: an LF needs the records to apply it to (Session.from_lfs); this session "
                "was built from vote arrays: pass the LF's votes per split"
            )
        if dev is not None or test is not None:
            raise ValueError("dev, test: given an LF, the session applies it to every split")
        function = _as_lf(new)
        votes, faults = apply_by_split(self._applier, [function], self._records, self._data_key)
        vars(self).setdefault("_lf_faults", {}).update(faults)  # shown once the edit is made
        votes = {name: matrix[:, 0] for name, matrix in votes.items()}
        columns = self._vote_columns(votes[TRAIN], votes.get("dev"), votes.get("test"))
        return function, columns

    @property
    def lfs_(self) -> list:
        """The session's LFs in column order (None where an LF was given as votes)."""
        return [self._lfs.get(name) for name in self.lf_names_]

    def _vote_columns(self, votes: Any, dev: Any, test: Any) -> dict[str, np.ndarray]:
        """One LF's votes per split, validated: a train column, and a dev / test column exactly
        when the session has that split."""
        given = {TRAIN: votes, "dev": dev, "test": test}
        names = {TRAIN: "votes", "dev": "dev", "test": "test"}
        out = {}
        for name, value in given.items():
            if name not in self._splits:
                if value is not None:
                    raise ValueError(
                        f"{names[name]}: the session has no {name} split, got votes for one"
                    )
                continue
            if value is None:
                raise ValueError(
                    f"{names[name]}: expected the LF's votes on the {name} split (the session "
                    f"labels it), got None"
                )
            column = np.asarray(value)
            expected = self._splits[name].L.shape[0]
            if column.ndim != 1 or column.shape[0] != expected:
                raise ValueError(
                    f"{names[name]}: expected a 1-D array of {expected} votes (one per {name} "
                    f"point), got shape {column.shape}"
                )
            column = as_votes(names[name], column[:, None], allow_empty_rows=True)[:, 0]
            check_votes_below(names[name], column[:, None], self.n_classes_)
            out[name] = column.copy()
        return out

    # ------------------------------------------------------------------------------ edits
    @_atomic
    def set_lf(
        self,
        lf: Any,
        votes: Any,
        *,
        dev: Any = None,
        test: Any = None,
        threshold: Any = _KEEP,
        retune: Any = "default",
    ) -> EditReport:
        """Replace one LF's votes (e.g. after editing its code) and update every posterior.

        Parameters
        ----------
        lf : int or str
            Index or name of the LF.
        votes : LabelingFunction, or array-like of int of shape (n,)
            The new LF (sessions from :meth:`from_lfs`: applied to every split; an unchanged
            LF's votes come from the applier's cache), or its new votes on the train points.
        dev, test : array-like of int, shapes (n_dev,), (n_test,)
            With vote arrays: its new votes on the dev / test points (required when the session
            has that split).
        threshold : float or None, optional
            A new threshold for it (None = do not extend); default: keep its threshold.
        retune : {"lf", "all", None}, optional
            Override the session's ``retune`` for this edit.

        Returns
        -------
        EditReport
            Also stored as ``last_edit_``.
        """
        j = self._lf_index(lf)
        function, columns = self._new_votes(votes, dev, test)
        # Every argument is checked before the session changes: a refused edit changes nothing.
        mode = self._retune_for(retune)
        _check_threshold(threshold)
        if function is not None:
            name = function.name
            if name != self.lf_names_[j] and name in self.lf_names_:
                raise ValueError(f"votes: the LF's name {name!r} is already another LF's")
            # An LF given as vote arrays has no function to drop.
            self._lfs.pop(self.lf_names_[j], None)
            self.lf_names_[j] = name
            self._lfs[name] = function
        return self._edit("set_lf", j, columns, threshold, mode)

    @_atomic
    def add_lf(
        self,
        votes: Any,
        *,
        dev: Any = None,
        test: Any = None,
        name: str | None = None,
        threshold: Any = None,
        retune: Any = "default",
    ) -> EditReport:
        """Append an LF (an LF or its votes per split, as in :meth:`set_lf`) and update every
        posterior.

        ``name``: default the LF's name (or ``"lf<m>"``); ``threshold``: its threshold when it is
        not re-tuned (default None: not extended).
        """
        function, columns = self._new_votes(votes, dev, test)
        # Every argument is checked before the session changes: a refused edit changes nothing.
        mode = self._retune_for(retune)
        _check_threshold(threshold)
        before = self._snapshot()
        j = self.n_lfs_
        if name is None and function is not None:
            name = function.name
        label = str(name) if name is not None else _fresh_name(self.lf_names_)
        if label in self.lf_names_:
            raise ValueError(f"name: expected a new LF name, got {label!r} (already used)")
        for split in self._splits.values():
            new = columns[split.name].astype(self._dtype)[:, None]
            split.L = np.concatenate([split.L, new], axis=1)
            split.candidates.append(None)
            split.set_extended(
                np.concatenate([split.L_ext, split.L[:, j : j + 1]], axis=1), self.n_classes_
            )
            split.columns.append(None)
        self.lf_names_.append(label)
        if function is not None:
            self._lfs[label] = function
        self.thresholds_ = np.append(self.thresholds_, np.float32(np.nan))
        self.levels_ = np.append(self.levels_, np.nan)
        return self._edit("add_lf", j, columns, threshold, mode, added=True, before=before)

    @_atomic
    def remove_lf(self, lf: Any, *, retune: Any = "default") -> EditReport:
        """Drop one LF and update every posterior (``retune="all"`` re-tunes the others)."""
        j = self._lf_index(lf)
        if self.n_lfs_ == 1:
            raise ValueError("lf: cannot remove the only LF of the session")
        mode = self._retune_for(retune)
        before = self._snapshot()
        started = time.perf_counter()
        seconds = {}
        keep = np.arange(self.n_lfs_) != j
        L_train = self._splits[TRAIN].L  # the votes the statistics were built from
        for split in self._splits.values():
            split.L = np.ascontiguousarray(split.L[:, keep])
            del split.candidates[j]
            split.set_extended(np.ascontiguousarray(split.L_ext[:, keep]), self.n_classes_)
            del split.columns[j]
        self._lfs.pop(self.lf_names_[j], None)
        del self.lf_names_[j]
        old_thresholds = np.delete(self.thresholds_, j)
        self.thresholds_ = old_thresholds.copy()
        self.levels_ = np.delete(self.levels_, j)
        tick = time.perf_counter()
        # Only the rows where LF j voted are read.
        self._stats = self._stats.remove_lf(j, L_train)
        seconds["statistics"] = time.perf_counter() - tick
        tick = time.perf_counter()
        self._model = self._fit_label_model()
        seconds["label_model"] = time.perf_counter() - tick
        fallback = 0
        if mode == "all":
            fallback, seconds["tuning"] = self._retune_all()
        changed, searched = self._reextend(old_thresholds, seconds)
        return self._finish("remove_lf", j, before, started, seconds, changed, fallback + searched)

    @_atomic
    def set_thresholds(self, thresholds: Any) -> EditReport:
        """Move thresholds and update every posterior.

        Parameters
        ----------
        thresholds : "tune", float, None, array-like of shape (m,), or mapping
            ``"tune"``: re-tune all on dev (as a from-scratch ``Liger(thresholds="tune")``); a
            number / None / (m,) array: for every LF; a mapping ``{lf: threshold}`` (index or
            name): for those LFs only. None / NaN = do not extend.
        """
        before = self._snapshot()
        started = time.perf_counter()
        seconds: dict[str, float] = {}
        old = self.thresholds_.copy()
        fallback = 0
        if isinstance(thresholds, str):
            if thresholds != "tune":
                raise ValueError(
                    f"thresholds: expected 'tune', a number, None, an array of shape "
                    f"({self.n_lfs_},) or a mapping {{lf: threshold}}, got {thresholds!r}"
                )
            if not self._has_dev:
                raise ValueError("thresholds: 'tune' needs a dev split, the session has none")
            fallback, seconds["tuning"] = self._retune_all()
        elif isinstance(thresholds, Mapping):
            new = self.thresholds_.copy()
            for lf, value in thresholds.items():
                j = self._lf_index(lf)
                new[j] = as_thresholds(value, 1)[0]
            self._set_fixed(new)
        else:
            self._set_fixed(as_thresholds(thresholds, self.n_lfs_))
        changed, searched = self._reextend(old, seconds)
        return self._finish(
            "set_thresholds", None, before, started, seconds, changed, fallback + searched
        )

    @_atomic
    def set_dev_labels(self, y_dev: Any, *, retune: Any = "default") -> EditReport:
        """New labels for the dev points (e.g. corrected or newly labelled): the dev objective,
        the class balance where it uses them, and (``retune="all"``) the thresholds follow.

        ``retune`` defaults to ``"all"`` when the session re-tunes at all, else None.
        """
        if not self._has_dev:
            raise ValueError("y_dev: the session has no dev split")
        dev = self._splits["dev"]
        y = check_labels("y_dev", y_dev, self.n_classes_)
        if y.shape != (dev.L.shape[0],):
            raise ValueError(
                f"y_dev: expected {dev.L.shape[0]} labels (one per dev point), got shape {y.shape}"
            )
        mode = self._retune_for(retune)
        mode = None if mode is None else "all"
        before = self._snapshot()
        started = time.perf_counter()
        seconds: dict[str, float] = {}
        dev.y = y.copy()
        self._end_model_cold = True  # new labels: choose the end model's penalty again
        self.tune_metric_ = resolve_tune_metric(self._tune_metric_param, self.n_classes_, dev.y)
        before = before[0], self._dev_score_now()  # the old predictions under the new labels
        tick = time.perf_counter()
        if self._recipe.uses_dev:
            self._model = self._fit_label_model()
        seconds["label_model"] = time.perf_counter() - tick
        old = self.thresholds_.copy()
        fallback = 0
        if mode == "all":
            fallback, seconds["tuning"] = self._retune_all()
        changed, searched = self._reextend(old, seconds)
        return self._finish(
            "set_dev_labels", None, before, started, seconds, changed, fallback + searched
        )
