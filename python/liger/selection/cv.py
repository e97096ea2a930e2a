"""Model selection on the dev split by repeated stratified k-fold cross-validation.

Why
---
A fit makes several choices from the dev labels: extend or not, one global extension level or one
per LF, the label model or majority vote, where the class balance comes from, whether abstentions
count as evidence. Chosen by their in-sample dev score, each of them overfits a dev set of a few
hundred items (164 LFs, 178 dev items: per-LF thresholds reached dev macro-F1 0.80 and test 0.63,
where no extension scored 0.71), and the in-sample score then tells the user nothing. So every
choice here is made the honest way (METHOD.md section 4):

1. The dev items are dealt into ``N_SPLITS`` stratified folds, ``N_REPEATS`` times.
2. Every *candidate pipeline* (:class:`Candidate`: a label recipe and an extension mode) is
   fitted on the training folds only (its thresholds tuned there, its class balance taken from
   their labels) and scored on the held-out fold: out-of-fold (OOF) predictions of every dev item,
   once per repeat.
3. The candidate with the best mean OOF score is found; then the *simplest* candidate whose gap
   to it does not exceed one standard error of the paired per-fold gap is chosen (candidates are
   listed simplest first: majority vote before the label model, no extension before one global
   level before per-LF levels).
4. The chosen candidate is refitted on all dev items (thresholds tuned on all of them).

The estimate reported (``cv_score``) is the out-of-fold score of this *whole procedure*: for each
held-out fold the choice of step 3 is remade from the other folds' OOF predictions only, and the
chosen candidate's predictions on the held-out fold are scored. (The candidates' OOF predictions
on the other folds were tuned on training folds that include the held-out one: the choice never
sees the held-out fold's score, but the thresholds behind the other folds' scores did see its
labels. A fully nested loop would cost ``N_SPLITS`` times more for a second-order difference.)

Cost: the label models are fitted on the train votes (no dev labels) once per recipe, plus once
per fold for recipes whose balance comes from the dev labels (milliseconds: the statistics are
shared). A threshold candidate only changes which dev cells are extended, and the posterior is a
sum over LFs, so :class:`_DevPosterior` keeps every dev row's log joint and updates only the rows
whose cell of the changed LF flips: a candidate costs O(changed rows x K) plus the metric.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..io.registry import saveable
from ..label_model.class_balance import LabelModelWarning, balance_from_labels
from ..label_model.majority import MajorityVoter
from ..label_model.triplet import LabelModel
from .posterior import _DevPosterior, _Tuner, score, thresholds_of

N_SPLITS = 5
N_REPEATS = 2
SEED = 0
EXTENSIONS = ("none", "global", "per_lf")


@dataclass(frozen=True)
class Candidate:
    """One pipeline the selection may choose.

    Attributes
    ----------
    model : {"majority", "triplet"}
    balance : {"dev", "votes"}
        Class balance from the (training folds') dev labels, add-one smoothed, or the label
        model's own estimate from the votes (majority vote: always the dev labels).
    abstentions : {"ignore", "earned", "-"}
        The label model's ``abstentions`` ("-" for majority vote).
    extension : {"none", "global", "per_lf", "fixed"}
        ``"fixed"``: thresholds given by the caller (the label recipe alone is chosen).
    """

    model: str
    balance: str
    abstentions: str
    extension: str

    @property
    def name(self) -> str:
        if self.model == "majority":
            return f"majority vote, extension {self.extension}"
        return (
            f"label model (balance {self.balance}, abstentions {self.abstentions}), "
            f"extension {self.extension}"
        )

    @property
    def tier(self) -> int:
        """Complexity: majority vote before the label model, less extension before more. The
        balance source and the abstention mode are variants of one label model (same tier)."""
        extension = 0 if self.extension == "fixed" else EXTENSIONS.index(self.extension)
        return 2 * extension + (self.model == "triplet")

    def recipe(self) -> tuple:
        return (self.model, self.balance, self.abstentions)


def candidates(extensions=EXTENSIONS, model: str | None = None) -> list[Candidate]:
    """Every candidate, simplest first. ``model``: only that model kind (None: both)."""
    recipes = [("majority", "dev", "-")]
    recipes += [
        ("triplet", balance, abstentions)
        for balance in ("dev", "votes")
        for abstentions in ("ignore", "earned")
    ]
    if model is not None:
        recipes = [r for r in recipes if r[0] == model]
    return [Candidate(*recipe, extension) for extension in extensions for recipe in recipes]


@saveable
# eq=False: the fields hold NumPy arrays (element-wise ``==``); compare with ``same_as``.
@dataclass(frozen=True, eq=False)
class Selection:
    """What the cross-validation chose, and how sure it is (``Liger.selection_``).

    Attributes
    ----------
    metric : str
        The dev objective.
    names : list of str
        The candidates, simplest first.
    scores : ndarray of shape (C,)
        Mean OOF score of each candidate (over repeats).
    gaps_se : ndarray of shape (C,)
        Standard error of the paired per-fold gap between the best candidate and each one.
    chosen : int
        Index of the chosen candidate.
    cv_score : float
        OOF score of the whole selection procedure (see the module docstring).
    cv_se : float
        Its standard error (over folds).
    majority_score : float
        Mean OOF score of majority vote on the votes as cast (the first candidate).
    n_folds : int
        Folds times repeats.
    """

    metric: str
    names: list
    scores: np.ndarray
    gaps_se: np.ndarray
    chosen: int
    cv_score: float
    cv_se: float
    majority_score: float
    n_folds: int

    def same_as(self, other: Selection) -> bool:
        """The same candidates, scores, choice and estimate (bit for bit)."""
        return (
            self.metric == other.metric
            and self.names == other.names
            and np.array_equal(self.scores, other.scores)
            and np.array_equal(self.gaps_se, other.gaps_se)
            and (self.chosen, self.cv_score, self.cv_se, self.majority_score, self.n_folds)
            == (other.chosen, other.cv_score, other.cv_se, other.majority_score, other.n_folds)
        )

    @property
    def chosen_name(self) -> str:
        return self.names[self.chosen]

    def table(self) -> str:
        """The candidates with their OOF scores, the chosen one marked."""
        width = max(len(name) for name in self.names)
        lines = [f"{'candidate':<{width}}  {self.metric:>9}  {'gap se':>7}"]
        for c, name in enumerate(self.names):
            mark = "  <- chosen" if c == self.chosen else ""
            lines.append(f"{name:<{width}}  {self.scores[c]:9.4f}  {self.gaps_se[c]:7.4f}{mark}")
        lines.append(
            f"out-of-fold score of the selection: {self.cv_score:.4f} +- {self.cv_se:.4f} "
            f"({self.n_folds} folds)"
        )
        return "\n".join(lines)


def stratified_folds(y: np.ndarray, K: int, n_splits: int, rng: np.random.Generator) -> np.ndarray:
    """Fold of every item: each class dealt round-robin over the folds in a random order (every
    fold sees every class that has at least ``n_splits`` items)."""
    folds = np.empty(len(y), dtype=np.int64)
    offset = int(rng.integers(n_splits))
    for c in range(K):
        rows = rng.permutation(np.flatnonzero(y == c))
        folds[rows] = (np.arange(rows.size) + offset) % n_splits
        offset += rows.size
    return folds


class ModelFactory:
    """Fits the label model of a recipe on the train statistics, with a given dev-label set."""

    def __init__(self, statistics, K: int) -> None:
        self.statistics, self.K = statistics, K
        self._cache: dict = {}

    def fit(self, recipe: tuple, y_dev_rows: np.ndarray | None, quiet: bool = True):
        """The fitted model (cached); ``quiet``: its warnings are not shown (the candidates of
        every fold; the chosen one is refitted loudly, so a fit warns once)."""
        model, balance, abstentions = recipe
        if balance == "dev":
            p = balance_from_labels(y_dev_rows, self.K)
            key = (recipe, p.tobytes())
        else:
            p, key = None, (recipe, None)
        if key in self._cache and quiet:
            return self._cache[key]
        if model == "majority":
            fitted = MajorityVoter(cardinality=self.K, class_balance=p)
        else:
            fitted = LabelModel(cardinality=self.K, class_balance=p, abstentions=abstentions)
        with warnings.catch_warnings():
            if quiet:
                warnings.simplefilter("ignore", LabelModelWarning)
            fitted.fit_statistics(self.statistics)
        self._cache[key] = fitted
        return fitted


def select(
    statistics,
    dev,
    y_dev: np.ndarray,
    grid: np.ndarray,
    K: int,
    metric: str,
    *,
    extensions=EXTENSIONS,
    model: str | None = None,
    random_state=None,
    fixed: np.ndarray | None = None,
):
    """Choose a pipeline by cross-validation on dev, refit it on all dev items.

    Parameters
    ----------
    statistics : VoteStatistics
        Of the train votes as cast (with co-occurrences unless ``model="majority"``).
    dev : NearestVotes
        The dev split's votes, nearest supports and scores.
    y_dev : ndarray of int, shape (n_dev,)
    grid : ndarray of shape (m, G)
        Candidate thresholds per LF (extension levels, from the train split).
    K : int
    metric : str
    extensions : sequence of str
        The extension modes to consider.
    model : {"triplet", "majority"} or None
        Only that model kind (None: both).
    random_state : int or None
        Seed of the folds (None: a fixed seed, so that a fit is deterministic).
    fixed : ndarray of shape (m,), optional
        Given thresholds (NaN: not extended): only the label recipe is chosen; ``grid`` and
        ``extensions`` are then ignored.

    Returns
    -------
    (Selection, Candidate, fitted label model, thresholds (m,), levels column per LF (m,))
    """
    if fixed is not None:
        extensions, grid = ("fixed",), np.asarray(fixed, dtype=np.float32)[:, None]
        L_fixed = dev.extend(grid[:, 0])
    cands = candidates(extensions, model)
    factory = ModelFactory(statistics, K)
    y_dev = np.asarray(y_dev, dtype=np.int64)
    n = y_dev.size
    rng = np.random.default_rng(SEED if random_state is None else random_state)
    n_splits = max(2, min(N_SPLITS, n))
    C = len(cands)
    folds_of = [stratified_folds(y_dev, K, n_splits, rng) for _ in range(N_REPEATS)]
    oof = np.zeros((C, N_REPEATS, n), dtype=np.int64)
    fold_scores = np.zeros((C, N_REPEATS, n_splits))
    posteriors: dict = {}
    for r, folds in enumerate(folds_of):
        for f in range(n_splits):
            held, train_rows = folds == f, np.flatnonzero(folds != f)
            for c, cand in enumerate(cands):
                fitted = factory.fit(cand.recipe(), y_dev[train_rows])
                if fixed is not None:
                    # Nothing to tune: each model's predictions of the extended dev votes, once.
                    pred = posteriors.get(id(fitted))
                    if pred is None:
                        pred = posteriors[id(fitted)] = _predictions(fitted, L_fixed)
                else:
                    post = posteriors.get(id(fitted))
                    if post is None:
                        post = posteriors[id(fitted)] = _DevPosterior(fitted, dev, K)
                    tuner = _Tuner(post, grid, y_dev, train_rows, metric, K)
                    pred = tuner.predictions(tuner.tune(cand.extension))
                oof[c, r, held] = pred[held]
                fold_scores[c, r, f] = score(metric, y_dev[held], pred[held], K)
    means = np.array(
        [[score(metric, y_dev, oof[c, r], K) for r in range(N_REPEATS)] for c in range(C)]
    )
    tiers = np.array([cand.tier for cand in cands])
    chosen, gaps_se = _one_se_choice(means.mean(axis=1), fold_scores.reshape(C, -1), tiers)
    # The procedure's own OOF score: for each held-out fold, choose from the other folds only.
    procedure = np.zeros((N_REPEATS, n), dtype=np.int64)
    procedure_folds = []
    for r, folds in enumerate(folds_of):
        for f in range(n_splits):
            held = folds == f
            others = ~held
            inner = np.array([score(metric, y_dev[others], oof[c, r, others], K) for c in range(C)])
            other_folds = np.delete(fold_scores[:, r, :], f, axis=1)
            pick, _ = _one_se_choice(inner, other_folds, tiers)
            procedure[r, held] = oof[pick, r, held]
            procedure_folds.append(fold_scores[pick, r, f])
    cv_scores = [score(metric, y_dev, procedure[r], K) for r in range(N_REPEATS)]
    cv_se = float(np.std(procedure_folds, ddof=1) / np.sqrt(len(procedure_folds)))
    best = cands[chosen]
    # Refit the chosen candidate on every dev item.
    fitted = factory.fit(best.recipe(), y_dev, quiet=False)
    if fixed is not None:
        columns = np.zeros(grid.shape[0], dtype=np.int64)  # the given thresholds
    else:
        tuner = _Tuner(_DevPosterior(fitted, dev, K), grid, y_dev, np.arange(n), metric, K)
        columns = tuner.tune(best.extension)
    selection = Selection(
        metric=metric,
        names=[c.name for c in cands],
        scores=means.mean(axis=1),
        gaps_se=gaps_se,
        chosen=int(chosen),
        cv_score=float(np.mean(cv_scores)),
        cv_se=cv_se,
        majority_score=float(means[0].mean()),
        n_folds=N_REPEATS * n_splits,
    )
    return selection, best, fitted, thresholds_of(grid, columns), columns


def _predictions(model, L: np.ndarray) -> np.ndarray:
    """A fitted model's labels of the votes ``L``: the argmax of its probabilities (ties to the
    lowest class; majority vote's rows without votes: its class balance's largest)."""
    return np.argmax(model.predict_proba(L), axis=1)


def _one_se_choice(
    means: np.ndarray, fold_scores: np.ndarray, tiers: np.ndarray
) -> tuple[int, np.ndarray]:
    """The best candidate of the lowest complexity tier that holds a candidate whose gap to the
    best mean is within one standard error of the paired per-fold gap; and those errors."""
    best = int(np.argmax(means))
    gaps = fold_scores[best][None, :] - fold_scores
    k = gaps.shape[1]
    se = gaps.std(axis=1, ddof=1) / np.sqrt(k) if k > 1 else np.zeros(len(means))
    close = means[best] - means <= se
    tier = tiers[close].min()
    in_tier = np.flatnonzero(tiers == tier)
    # argmax: ties go to the first listed (the simpler variant).
    return int(in_tier[np.argmax(means[in_tier])]), se


@dataclass(frozen=True)
class Chosen:
    """What :func:`select_pipeline` gives a front end: the selection, the chosen candidate, its
    label model refitted with every dev label, its thresholds and extension levels (m,), and
    ``fallback`` ("majority" when majority vote was chosen over the label model, else None)."""

    selection: Selection
    candidate: Candidate
    model: object
    thresholds: np.ndarray
    levels: np.ndarray
    fallback: str | None


def select_pipeline(
    train,
    dev,
    y_dev,
    K: int,
    metric: str,
    *,
    levels,
    threshold_search: str = "per_lf",
    label_model: str = "triplet",
    random_state=None,
    thresholds: np.ndarray | None = None,
    statistics=None,
) -> Chosen:
    """:func:`select` for a front end: the train split's statistics (votes as cast) and level
    grid are read through its ``SplitVotes`` seam (``statistics``, ``grid``: local or Dask);
    ``threshold_search="global"`` leaves per-LF levels out, ``label_model="majority"`` the label
    model, ``threshold_search=None`` every extension (thresholds=None: the label model choice
    alone). ``thresholds``: given thresholds (m,), the label recipe alone is chosen (no grid is
    read). ``statistics``: the train votes' statistics when the caller keeps them (a Session),
    else read through the seam. Warns when the chosen pipeline is not better than majority vote
    out of fold."""
    extensions = {"per_lf": EXTENSIONS, "global": EXTENSIONS[:2], None: EXTENSIONS[:1]}[
        threshold_search
    ]
    model = None if label_model == "triplet" else "majority"
    if statistics is None:
        statistics = train.statistics(K, None, model is None)
    grid = None if thresholds is not None else train.grid(levels)
    selection, chosen, fitted, thresholds, columns = select(
        statistics,
        dev,
        y_dev,
        grid,
        K,
        metric,
        extensions=extensions,
        model=model,
        random_state=random_state,
        fixed=thresholds,
    )
    if selection.cv_score <= selection.majority_score:
        warnings.warn(
            f"the chosen pipeline ({selection.chosen_name}) is not better than majority vote on "
            f"the votes as cast out of fold ({metric} {selection.cv_score:.3f} vs "
            f"{selection.majority_score:.3f}): the LFs and embeddings add nothing a vote count "
            "does not; check the LFs (lf_summary()) or add dev labels",
            LabelModelWarning,
            stacklevel=3,
        )
    grid_levels = np.asarray(levels, dtype=np.float64)
    level_of = np.where(columns >= 0, grid_levels[np.maximum(columns, 0)], np.nan)
    if thresholds is not None:
        level_of = np.full(columns.shape, np.nan)  # thresholds in score units, no level
    fallback = "majority" if chosen.model == "majority" and model is None else None
    return Chosen(selection, chosen, fitted, thresholds, level_of, fallback)
