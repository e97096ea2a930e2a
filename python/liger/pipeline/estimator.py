"""The Liger estimator: extend LF votes through embeddings, tune on dev, fit label model(s)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .._checks.labels import check_class_names, check_labels
from .._checks.settings import check_front_end_settings
from .._checks.validation import (
    ABSTAIN,
    as_dense_votes,
    as_embeddings,
    as_thresholds,
    check_bool,
    check_dims,
    check_lfs,
    check_names,
    check_rows,
    check_votes_below,
    core_errors_named,
    resolve_n_jobs,
)
from .._estimator import NotFittedError, ParamsMixin, SaveMixin
from ..diagnostics.lf_summary import LFSummary
from ..end_model import EndModel
from ..extension.tuning import (
    DEFAULT_LEVELS,
    NearestVotes,
)
from ..label_model.fit_warnings import once_per_fit
from ..label_model.labeling import PART_BALANCE_PSEUDO_COUNT, LabelRecipe  # noqa: F401 (re-exported)
from ..search.core import nearest_support_of_checked
from ..search.nearest import search_nearest
from ..selection import select_pipeline
from ..splits import (
    TUNE_METRICS,
    check_dev_split,
    check_tune_metric,
    dev_score,
    infer_cardinality,
    is_int,
    resolve_tune_metric,
)
from .in_sample import InSampleChoices
from .output import SetOutputMixin, column_names, index_of
from .output import frame as pandas_frame
from .partition import assign
from .state import check_liger_state, owned


class Liger(InSampleChoices, ParamsMixin, SetOutputMixin, SaveMixin, saveable=True):
    """Weak supervision with embeddings (Liger / Epoxy), scikit-learn style.

    Every LF is extended from the train points where it voted (its support) to points where it
    abstains: such a point takes the vote of its nearest support point when their similarity clears
    the LF's threshold. A closed-form label model (optionally one per k-means region of the
    embedding space) turns the extended votes of any point into ``P(y | votes)``. Thresholds and
    the number of regions are tuned on a small labelled dev split only.

    Parameters
    ----------
    metric : {"cosine", "ip", "euclidean"}, default="cosine"
        How embeddings are compared.
    thresholds : "tune", float, array-like of shape (m,), or None, default="tune"
        ``"tune"``: chosen on the dev split (needs ``L_dev, X_dev, y_dev`` in :meth:`fit`); a float
        or an (m,) array: fixed similarity (or distance) thresholds, NaN = do not extend that LF;
        ``None``: no extension at all (the plain label model, the baseline to compare against).
    n_partitions : int or "tune", default=1
        Number of k-means parts of the train embeddings with a label model each; ``"tune"`` picks
        from 1-4 on dev. Parts too small for a label model use the global model.
    label_model : {"triplet", "majority"}, default="triplet"
    tune_metric : {"auto", "accuracy", "f1", "macro_f1"}, default="auto"
        Dev objective. ``"auto"``: accuracy for balanced binary tasks, F1 of class 1 for imbalanced
        binary tasks (minority share below 30 % on dev), macro-F1 for multiclass.
    threshold_search : {"per_lf", "global"}, default="per_lf"
        ``"global"``: one extension level for all LFs; ``"per_lf"``: then guarded coordinate
        ascent LF by LF.
    min_gain : float, default=0.01
        Smallest dev improvement that justifies a more complex setting (a per-LF threshold that
        differs from the global one, or more partitions). Guards small dev sets against overfitting.
    fit_on : {"original", "extended"}, default="original"
        Votes the label model is fitted on. ``"original"``: the train votes as cast; extension
        is applied to the points being labelled (train, dev, test alike). ``"extended"``: the
        extended train votes (the Liger paper's choice). Extended votes of one LF are copies of
        its neighbours' votes, which breaks the label model's conditional independence and its
        model of abstentions; on youtube, sms and trec (tuned on valid) fitting on the original
        votes scored higher, and it makes tuning cheap: a threshold candidate costs one
        vectorised extension and one posterior of the dev split, no refit.
    class_balance : None, "likelihood", "majority", "dev", "likelihood+dev" or array-like \
of shape (K,), default=None
        Class balance ``P(y)`` of the label model(s). ``None``: the label model's own estimate
        from the train votes (:class:`liger.LabelModel`: ``"likelihood"`` for K = 2,
        ``"majority"`` for K > 2). ``"dev"``: the add-one smoothed class frequencies of the dev
        labels. ``"likelihood+dev"``: the vote likelihood of ``p`` times the dev labels'
        multinomial likelihood. An array: as given. With partitions, each part's model gets the
        dev labels of the dev points routed to it (``"dev"``: their frequencies shrunk towards
        the global balance). The dev-label options are unbiased but did not score higher: tuned
        on valid, test scores of Liger fell on youtube, sms and trec
        (docs/BENCHMARKS.md, "Class balance").
    extension : {"nearest", "radius", "tune"}, default="nearest"
        How an abstaining LF is extended to a point whose nearest support point clears the LF's
        threshold. ``"nearest"``: that point's vote (Liger's rule). ``"radius"``: the
        similarity-weighted vote of all the LF's support points within the threshold (the
        ``RADIUS_MAX_NEIGHBORS`` = 256 most similar at most;
        :class:`liger.extension.votes.RadiusVotes`).
        ``"tune"``: both, thresholds tuned for each; ``"radius"`` is kept only when it beats
        ``"nearest"`` on dev by ``min_gain``. The same (point, LF) pairs are extended either way;
        only their votes differ, and only for LFs that vote more than one class (every LF of the
        youtube, sms and trec sets votes a single class: there the two rules are identical).
    end_model : {None, "logreg"}, default=None
        ``"logreg"``: also train a multinomial logistic regression on the embeddings from the
        label model's posteriors on train (weighted by confidence) and the gold dev labels, its
        penalty chosen by cross-validation on dev (:class:`liger.EndModel`). It generalises past
        the LFs' coverage; :meth:`predict_proba` then comes from it.
    model_selection : {"cv", "dev"}, default="cv"
        How the choices a fit makes from the dev labels are made. ``"cv"``: by repeated
        stratified k-fold cross-validation on dev (:mod:`liger.selection`): extension or not,
        one global level or one per LF (``threshold_search`` caps it), majority vote or the label
        model, the class balance from the dev labels or from the votes, abstentions as earned
        evidence or ignored; the simplest candidate within one standard error of the best is
        kept, and ``cv_score_`` is the out-of-fold score of that whole procedure. It applies to
        the settings it covers (``extension="nearest"``, ``n_partitions=1``,
        ``fit_on="original"``, ``class_balance=None``; with fixed thresholds only the label
        recipe is chosen); others keep
        ``"dev"``. ``"dev"``: the in-sample rule of earlier versions (thresholds by coordinate
        ascent on all dev items, then the dev guard), which the interactive ``Session`` uses.
    warm_start : bool, default=False
        With ``end_model="logreg"``: a refit keeps the end model of the previous :meth:`fit` and
        its cross-validated penalty and train weight, and retrains it from its coefficients (one
        fit instead of the whole cross-validation; :class:`liger.EndModel` ``warm_start``). For
        the interactive loop; a cold fit chooses them again.
    cardinality : int, optional
        Number of classes K; inferred from the votes and dev labels when None.
    random_state : int, optional
        Seed of the k-means partitioning.
    n_jobs : int, optional
        Threads of the nearest-support search (None or -1 = all cores).
    verbose : bool, default=False
        Print tuning progress to stderr.

    Attributes
    ----------
    thresholds_ : ndarray of shape (m,)
        Threshold per LF (NaN = not extended).
    extension_ : str
        The extension rule used, ``"nearest"`` or ``"radius"``.
    lf_names_ : list or None
        Column names of ``L_train`` when it was a DataFrame.
    class_names_ : list or None
        The ``class_names`` given to :meth:`fit`.
    levels_ : ndarray of shape (m,)
        Fraction of the train points where each LF abstains that it was extended to (when tuned).
    classes_ : ndarray of shape (K,)
    partitions_ : int
        Number of parts used.
    centroids_ : ndarray of shape (partitions_, d)
    label_models_ : list
        One fitted label model per part; entry ``p`` is None where part ``p`` uses the global model.
    global_label_model_ : label model fitted on all train points.
    dev_score_ : float or None
        Dev score of the chosen setting (``tune_metric_``).
    fallback_ : None or "majority"
        ``"majority"`` when the dev guard replaced the label model by majority vote: with a dev
        split, the label model's dev score is compared with majority vote's (same extended
        votes, same objective) and majority vote is used when it is better beyond the dev noise
        (one-sided paired bootstrap, :mod:`liger.label_model.guard`); a warning says so.
    guard_ : DevComparison or None
        The dev comparison behind ``fallback_`` (None without a dev split, with
        ``label_model="majority"`` or when the cross-validation chose).
    selection_ : Selection or None
        What the cross-validation on dev compared and chose (``selection_.table()`` prints it);
        None when it did not run.
    cv_score_, cv_se_ : float or None
        Out-of-fold dev score (``tune_metric_``) of the whole selection procedure and its
        standard error: the honest estimate of the test score, unlike ``dev_score_`` (in-sample).
    fit_time_ : float
        Seconds spent in :meth:`fit`.
    """

    _FITTED = "thresholds_"  # check_is_fitted; scikit-learn tags: votes and embeddings

    def __init__(
        self,
        *,
        metric: str = "cosine",
        thresholds: Any = "tune",
        n_partitions: Any = 1,
        label_model: str = "triplet",
        tune_metric: str = "auto",
        threshold_search: str = "per_lf",
        min_gain: float = 0.01,
        fit_on: str = "original",
        class_balance: Any = None,
        extension: str = "nearest",
        end_model: str | None = None,
        model_selection: str = "cv",
        warm_start: bool = False,
        cardinality: int | None = None,
        random_state: int | None = None,
        n_jobs: int | None = None,
        verbose: bool = False,
    ):
        self.metric = metric
        self.thresholds = thresholds
        self.n_partitions = n_partitions
        self.label_model = label_model
        self.tune_metric = tune_metric
        self.threshold_search = threshold_search
        self.min_gain = min_gain
        self.fit_on = fit_on
        self.class_balance = class_balance
        self.extension = extension
        self.end_model = end_model
        self.model_selection = model_selection
        self.warm_start = warm_start
        self.cardinality = cardinality
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        L_train: Any,
        X_train: Any,
        L_dev: Any = None,
        X_dev: Any = None,
        y_dev: Any = None,
        *,
        class_names: Any = None,
    ) -> Liger:
        """Search the train supports, fit the label model(s), tune on dev (only).

        Parameters
        ----------
        L_train : array-like of int, shape (n, m)
            LF votes on the train points (-1 = abstain). Their supports are what gets extended.
        X_train : array-like of shape (n, d)
            Train embeddings.
        L_dev, X_dev, y_dev : array-like of shapes (n_dev, m), (n_dev, d), (n_dev,), optional
            A small labelled split: the only data tuning looks at. Required when anything is
            ``"tune"``. Test labels must never be passed here.
        class_names : sequence of K labels, optional
            Names of the classes 0..K-1: the columns of :meth:`predict_proba` under
            ``set_output(transform="pandas")`` (default: the class indices).

        Returns
        -------
        self : Liger

        Notes
        -----
        Every array argument may be a pandas DataFrame / Series (nullable dtypes included; a
        missing value is an error). With ``L_train`` a DataFrame, its column names name the LFs
        (``lf_names_``) and a DataFrame ``L`` given later must have the same columns.
        """
        started = time.perf_counter()
        metric, threads = self._check_settings(has_dev=y_dev is not None)
        lf_names_from, X_given = L_train, X_train
        L_train = as_dense_votes("L_train", L_train)
        X_train = as_embeddings("X_train", X_train, threads)
        check_rows("L_train", L_train, "X_train", X_train)

        def search(dev):
            self.lf_names_ = column_names(lf_names_from)
            train_scores, train_indices = search_nearest(
                X_train,
                X_train,
                L_train,
                metric=metric,
                n_jobs=self.n_jobs,
                names=("X_train", "X_train", "L_train"),
            )
            train = NearestVotes.from_search(L_train, train_scores, train_indices, L_train, metric)
            dev_votes = None
            if dev is not None:
                dev_scores, dev_indices = search_nearest(
                    dev[1],
                    X_train,
                    L_train,
                    metric=metric,
                    n_jobs=self.n_jobs,
                    names=("X_dev", "X_train", "L_train"),
                )
                dev_votes = NearestVotes.from_search(
                    dev[0], dev_scores, dev_indices, L_train, metric
                )
            # A fitted model owns what it keeps: the caller may reuse its buffers after fit.
            self._L_support = owned(L_train, lf_names_from)
            self._X_support = owned(X_train, X_given)
            return train, dev_votes

        self._fit_from_searched_votes(L_train, X_train, L_dev, X_dev, y_dev, search, X_train)
        self.class_names_ = check_class_names(class_names, self.n_classes_)
        self.fit_time_ = time.perf_counter() - started
        return self

    def _check_settings(self, has_dev: bool) -> tuple[str, int]:
        """Refuse bad settings before any search: a typo must not cost an O(n^2) sweep first.
        (Settings that need K or m, such as a balance array or per-LF thresholds, are checked
        where K and m are known.) The settings a Session shares are checked by
        :func:`~liger._checks.settings.check_front_end_settings`. Returns the checked metric and
        the thread count. Called by :meth:`fit` and by ``liger.dask.DaskLiger.fit``."""
        LabelRecipe.check_names(self.label_model, self.class_balance, has_dev)
        check_tune_metric(self.tune_metric)
        metric, _, _ = check_front_end_settings(
            thresholds=self.thresholds,
            threshold_search=self.threshold_search,
            end_model=self.end_model,
            metric=self.metric,
            min_gain=self.min_gain,
            random_state=self.random_state,
        )
        if self.fit_on not in ("original", "extended"):
            raise ValueError(f"fit_on: expected 'original' or 'extended', got {self.fit_on!r}")
        if self.model_selection not in ("cv", "dev"):
            raise ValueError(
                f"model_selection: expected 'cv' or 'dev', got {self.model_selection!r}"
            )
        if self.extension not in ("nearest", "radius", "tune"):
            raise ValueError(
                f"extension: expected 'nearest', 'radius' or 'tune', got {self.extension!r}"
            )
        if self.extension == "tune" and not has_dev:
            raise ValueError("extension: 'tune' needs a dev split (L_dev, X_dev, y_dev), got none")
        s = self.n_partitions
        if not (s == "tune" if isinstance(s, str) else is_int(s) and s >= 1):
            raise ValueError(f"n_partitions: expected an int >= 1 or 'tune', got {s!r}")
        threads = resolve_n_jobs(self.n_jobs)
        check_bool("warm_start", self.warm_start)
        check_bool("verbose", self.verbose)
        return metric, threads

    def _fit_from_searched_votes(
        self, L_train, X_train, L_dev, X_dev, y_dev, search, X_partitions=None
    ) -> None:
        """The one seam of the front ends that fit a Liger: :meth:`fit` and
        ``liger.dask.DaskLiger.fit`` (which runs the searches over row chunks). After
        :meth:`_check_settings`: checks the dev split against the train split (``L_train`` /
        ``X_train``: their shapes and dtypes are read, so row-chunked Dask arrays do), calls
        ``search(dev)`` -> ``(train, dev_votes)`` (the train split's :class:`NearestVotes` or a
        twin read only through ``L``, ``grid``, ``statistics``, ``coverage``, ``extend``; the dev
        split's NearestVotes or None), then runs every stage after the searches
        (:meth:`_fit_searched`). ``X_partitions``: the train embeddings the partitions and the end
        model read (None for Dask, which supports neither)."""
        dev = self._check_dev(L_train, X_train, L_dev, X_dev, y_dev, resolve_n_jobs(self.n_jobs))
        train, dev_votes = search(dev)
        # Each label-model warning once per fit, naming the LFs (not once per internal model).
        with once_per_fit(getattr(self, "lf_names_", None)):
            self._fit_searched(train, X_partitions, dev, dev_votes)

    def _fit_searched(self, train, X_train, dev, dev_votes) -> None:
        """Everything :meth:`fit` does after the searches: label model(s), tuning, partitions.

        ``train`` is the train split's :class:`NearestVotes`; the train votes are read only
        through its ``L`` (shape and largest vote), ``grid``, ``statistics``, ``coverage`` and
        ``extend``. ``liger.dask`` passes a twin whose arrays are row-chunked Dask arrays, with
        ``X_train=None`` (no partitions or end model there); ``dev`` stays local.
        """
        self.n_classes_ = self._infer_cardinality(train.L, dev)
        self.classes_ = np.arange(self.n_classes_)
        self.n_lfs_ = train.L.shape[1]
        self._recipe = LabelRecipe.resolve(
            self.label_model, self.class_balance, self.n_classes_, dev is not None
        )
        self.tune_metric_ = resolve_tune_metric(
            self.tune_metric, self.n_classes_, None if dev is None else dev[2]
        )
        # The dev embeddings and labels the partition fits read, for this fit only: a fitted (and
        # saved) model must not carry the dev embeddings.
        self._dev_labels = None if dev is None else (dev[1], dev[2])
        try:
            self._fit_stages(train, X_train, dev, dev_votes)
        finally:
            del self._dev_labels

    def _selects_by_cv(self, dev) -> bool:
        """Whether this fit makes its choices by cross-validation on dev (:mod:`liger.selection`):
        with a dev split and ``model_selection="cv"``, for the settings the selection covers
        (nearest extension with tuned, fixed or no thresholds, one part, the label model fitted
        on the votes as cast, the class balance left to the fit)."""
        return (
            dev is not None
            and self.model_selection == "cv"
            and self.extension == "nearest"
            and self.n_partitions == 1
            and self.fit_on == "original"
            and self.class_balance is None
        )

    def _fit_selected(self, train, X_train, dev, dev_votes) -> None:
        """Every choice by repeated stratified k-fold CV on dev (:mod:`liger.selection`)."""
        chosen = select_pipeline(
            train,
            dev_votes,
            dev[2],
            self.n_classes_,
            self.tune_metric_,
            levels=DEFAULT_LEVELS,
            threshold_search=self.threshold_search if self.thresholds is not None else None,
            label_model=self.label_model,
            random_state=self.random_state,
            thresholds=None
            if self.thresholds is None or isinstance(self.thresholds, str)
            else as_thresholds(self.thresholds, train.L.shape[1]),
        )
        self._log("model selection by cross-validation on dev:\n" + chosen.selection.table())
        self.selection_ = chosen.selection
        self.cv_score_, self.cv_se_ = chosen.selection.cv_score, chosen.selection.cv_se
        self.extension_ = "nearest"
        self.thresholds_, self.levels_ = chosen.thresholds, chosen.levels
        self.partitions_, self.centroids_ = 1, None
        self.global_label_model_, self.label_models_ = chosen.model, [chosen.model]
        L_dev_ext = dev_votes.extend(self.thresholds_)
        self.dev_score_ = self._score_dev(dev, L_dev_ext)
        self._coverage_train = (train.coverage(None), train.coverage(self.thresholds_))
        self._dev_for_summary = (np.array(dev[0]), L_dev_ext, np.array(dev[2]))  # owned copies
        self.fallback_ = chosen.fallback
        self.guard_ = None
        self.end_model_ = self._fit_end_model(X_train, train, dev)

    def _fit_stages(self, train, X_train, dev, dev_votes) -> None:
        self.selection_ = self.cv_score_ = self.cv_se_ = None
        if self._selects_by_cv(dev):
            self._fit_selected(train, X_train, dev, dev_votes)
            return
        # The partitions (and their models) are set first with one part: tuning scores candidate
        # thresholds against them; with fit_on="extended" it refits them per candidate.
        self._set_partitions(1, X_train, train, None)
        self.extension_, train, dev_votes, chosen = self._choose_extension(
            train, X_train, dev_votes, dev
        )
        self.thresholds_, self.levels_, self.dev_score_ = chosen
        # Thresholds of the votes the label model is fitted on (None: the votes as cast).
        fit_thresholds = self.thresholds_ if self.fit_on == "extended" else None
        L_dev_ext = None if dev_votes is None else dev_votes.extend(self.thresholds_)
        self._coverage_train = (train.coverage(None), train.coverage(self.thresholds_))
        self._dev_for_summary = (
            None if dev is None else (np.array(dev[0]), L_dev_ext, np.array(dev[2]))
        )
        self._choose_partitions(X_train, train, fit_thresholds, dev, L_dev_ext)
        self.fallback_, self.guard_ = self._guard_against_majority(
            train, fit_thresholds, dev, L_dev_ext
        )
        self.end_model_ = self._fit_end_model(X_train, train, dev)

    def _fit_end_model(self, X_train, train, dev):
        if self.end_model is None:
            return None
        L_ext = train.extend(self.thresholds_)
        proba = self._proba_extended(L_ext, X_train)
        # Rows without a vote (after extension) carry only the prior: the end model must not
        # learn from them as if they were labelled.
        evidence = (L_ext != ABSTAIN).any(axis=1)
        if not evidence.all():
            X_train, proba = X_train[evidence], proba[evidence]
        X_dev, y_dev = (None, None) if dev is None else (dev[1], dev[2])
        previous = getattr(self, "end_model_", None)
        if self.warm_start and isinstance(previous, EndModel):
            model = previous.set_params(warm_start=True)
        else:
            model = EndModel(
                cv_metric=self.tune_metric_,
                random_state=self.random_state,
                warm_start=self.warm_start,
            )
        return model._fit_weak(X_train, proba, X_dev, y_dev)

    def _check_dev(self, L_train, X_train, L_dev, X_dev, y_dev, threads):
        needs_dev = isinstance(self.thresholds, str) or isinstance(self.n_partitions, str)
        return check_dev_split(
            L_train, X_train, L_dev, X_dev, y_dev, self.cardinality, needs_dev, threads
        )

    def _infer_cardinality(self, L_train, dev) -> int:
        return infer_cardinality(self.cardinality, L_train, dev)

    def _fit_label_model(self, statistics, y_dev, shrink_towards, kind=None):
        """A label model fitted on the vote ``statistics`` by the shared recipe
        (:class:`liger.label_model.labeling.LabelRecipe`): its class balance uses ``y_dev`` (the
        dev labels
        of the points it will label); ``shrink_towards``: the global balance, for a part's
        model; ``kind``: overrides ``label_model``."""
        return self._recipe.fit_statistics(statistics, y_dev, shrink_towards, kind=kind)

    def _partition_state(self):
        return self.partitions_, self.centroids_, self.label_models_, self.global_label_model_

    _check_state = check_liger_state  # the fitted state's schema, checked by liger.load

    def _log(self, message: str) -> None:
        if self.verbose:
            import sys

            print(f"[liger] {message}", file=sys.stderr)

    # -------------------------------------------------------------- predict
    def transform(self, L: Any, X: Any) -> np.ndarray:
        """Extend the votes of any points from the train supports with the fitted thresholds.

        Parameters
        ----------
        L : array-like of int, shape (q, m)
        X : array-like of shape (q, d)

        Returns
        -------
        L_extended : ndarray of int64, shape (q, m)
            A DataFrame (columns: ``lf_names_``) under ``set_output(transform="pandas")``.
        """
        L_ext = self._extend(L, X)[0]
        if self._wants_pandas():
            columns = self.lf_names_ or list(range(self.n_lfs_))
            return pandas_frame(L_ext, index_of(L, X), columns)
        return L_ext

    def _extend(self, L: Any, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Validated, extended votes and the embeddings as float32 (converted once)."""
        self._check_fitted("thresholds_")
        names, fitted_names = column_names(L), getattr(self, "lf_names_", None)
        if names is not None and fitted_names is not None and names != fitted_names:
            raise ValueError(f"L: expected the LF columns {fitted_names} of L_train, got {names}")
        L = as_dense_votes("L", L, allow_empty_rows=True)
        threads = resolve_n_jobs(self.n_jobs)
        X = as_embeddings("X", X, threads)
        check_rows("L", L, "X", X)
        if not hasattr(self, "_L_support"):
            raise NotFittedError(
                "this Liger was fitted by liger.dask.DaskLiger on a Dask train split, whose "
                "support points stay distributed: call predict / transform on that DaskLiger"
            )
        check_lfs("L_train", self._L_support, "L", L)
        check_dims("X_train", self._X_support, "X", X)
        check_votes_below("L", L, self.n_classes_, " from fit")
        if getattr(self, "extension_", "nearest") == "radius":
            return self._radius_votes(L, X, self.thresholds_[:, None]).extend(self.thresholds_), X
        # The core directly: the support arrays were validated by fit (or by load), and the
        # public wrapper would re-scan all n x d of them for NaN on every call (~0.2 s at n = 1M
        # for a batch of any size). Errors of the core name this method's arguments.
        with core_errors_named({"queries": "X", "base": "X_train", "L_base": "L_train"}):
            scores, indices = nearest_support_of_checked(
                X, self._X_support, self._L_support, self.metric, threads
            )
        votes = NearestVotes.from_search(L, scores, indices, self._L_support, self.metric)
        return votes.extend(self.thresholds_), X

    def predict_proba(self, L: Any, X: Any, *, source: str = "auto") -> np.ndarray:
        """Class probabilities for any points.

        Parameters
        ----------
        L : array-like of int, shape (q, m)
        X : array-like of shape (q, d)
        source : {"auto", "label_model", "end_model"}, default="auto"
            ``"label_model"``: ``P(y | extended votes)``; ``"end_model"``: the end model's
            ``P(y | x)`` (needs ``end_model="logreg"``); ``"auto"``: the end model if fitted.

        Returns
        -------
        proba : ndarray of shape (q, K)
            Rows sum to 1. Under ``set_output(transform="pandas")`` a DataFrame whose columns are
            the ``class_names`` given to :meth:`fit` (else the class indices) and whose index is
            that of ``L`` (or ``X``) when it is a pandas object.
        """
        proba = self._predict_proba(L, X, source)
        if self._wants_pandas():
            columns = getattr(self, "class_names_", None) or list(self.classes_)
            return pandas_frame(proba, index_of(L, X), columns)
        return proba

    def _predict_proba(self, L: Any, X: Any, source: str) -> np.ndarray:
        if source not in ("auto", "label_model", "end_model"):
            raise ValueError(
                f"source: expected 'auto', 'label_model' or 'end_model', got {source!r}"
            )
        L_ext, X = self._extend(L, X)
        if source == "end_model" and self.end_model_ is None:
            raise ValueError("source: 'end_model' needs Liger(end_model='logreg')")
        if source != "label_model" and self.end_model_ is not None:
            return self.end_model_.predict_proba(X)
        return self._proba_extended(L_ext, X)

    def predict(self, L: Any, X: Any, *, source: str = "auto") -> np.ndarray:
        """Most probable class per point (ties to the lowest class), shape (q,)."""
        return np.argmax(self._predict_proba(L, X, source), axis=1)

    def score(self, L: Any, X: Any, y: Any, metric: str = "accuracy") -> float:
        """``metric`` ("accuracy", "f1" or "macro_f1") of :meth:`predict` against labels ``y``."""
        self._check_fitted("thresholds_")
        if metric not in TUNE_METRICS:
            raise ValueError(f"metric: expected one of {TUNE_METRICS}, got {metric!r}")
        y = check_labels("y", y, self.n_classes_)
        predictions = self.predict(L, X)
        if y.shape[0] != predictions.shape[0]:
            raise ValueError(
                f"L and y: expected the same number of rows, got {predictions.shape[0]} and "
                f"{y.shape[0]}"
            )
        return dev_score(metric, y, predictions, self.n_classes_)

    def lf_summary(self, names=None) -> LFSummary:
        """Per-LF table: train coverage before / after extension, dev accuracy before / after,
        threshold and level, and the label model's estimated accuracy.

        Parameters
        ----------
        names : sequence of m str, optional
            LF names for the first column (e.g. ``Dataset.lf_names``).
        """
        self._check_fitted("thresholds_")
        return LFSummary.of_votes(
            self._coverage_train,
            self._dev_for_summary,
            self.thresholds_,
            self.levels_,
            self.global_label_model_,
            check_names("names", names, self.n_lfs_),
        )

    def _proba_extended(self, L_ext: np.ndarray, X: np.ndarray) -> np.ndarray:
        if self.partitions_ == 1:
            return self.global_label_model_.predict_proba(L_ext)
        part = assign(X, self.centroids_)
        proba = np.empty((L_ext.shape[0], self.n_classes_))
        for p, model in enumerate(self.label_models_):
            rows = part == p
            if rows.any():
                proba[rows] = (model or self.global_label_model_).predict_proba(L_ext[rows])
        return proba
