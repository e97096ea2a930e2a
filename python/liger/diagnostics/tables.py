"""Diagnostics for the interactive loop: what each LF does, what an edit changed, and how
coverage and dev accuracy move with an LF's extension level.

- :func:`lf_table`: per LF coverage, overlaps, conflicts and dev accuracy (with the counts behind
  it), as cast and after extension;
- :func:`what_changed`: two predictions of the same points compared (labels flipped, coverage,
  dev score before and after);
- :func:`extension_curves`: per LF, train coverage and dev accuracy at every extension level of
  :data:`liger.extension.tuning.DEFAULT_LEVELS` (plotted by
  :func:`liger.diagnostics.plots.plot_extension_curves`).

Every table is a pandas DataFrame when pandas is installed and a :class:`Table` otherwise (same
columns, same numbers; ``as_frame=False`` asks for the plain one). pandas and matplotlib are
imported only when used (``pip install "liger[plot]"`` for the plot).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._checks.labels import check_labels
from .._checks.validation import (
    ABSTAIN,
    MAX_CLASSES,
    _as_array,
    as_probabilities,
    as_votes,
    check_levels,
    check_lfs,
    check_names,
    check_rows,
)
from ..extension.tuning import DEFAULT_LEVELS, NearestVotes, threshold_grid
from ..metrics import compute
from .frames import full_frame


class Table:
    """A column table printed as text: what the diagnostics return without pandas.

    Parameters
    ----------
    columns : dict of str to sequence
        Column name -> values; all of the same length.

    Examples
    --------
    >>> t = Table({"lf": ["a", "b"], "coverage": [0.5, 0.25]})
    >>> t["coverage"]
    array([0.5 , 0.25])
    >>> print(t)
    lf  coverage
     a     0.500
     b     0.250
    """

    def __init__(self, columns: dict):
        if not isinstance(columns, dict):
            raise TypeError(
                f"columns: expected a dict of name -> values, got {type(columns).__name__}"
            )
        try:
            lengths = {name: len(values) for name, values in columns.items()}
        except TypeError:
            raise TypeError("columns: expected sequences of values (one per row)") from None
        if len(set(lengths.values())) > 1:
            raise ValueError(f"columns: expected equal lengths, got {lengths}")
        self._columns = {name: _column_array(values) for name, values in columns.items()}
        for name, values in self._columns.items():
            if values.ndim != 1:
                raise ValueError(
                    f"columns: expected 1-D columns, got shape {values.shape} for {name!r}"
                )

    @property
    def columns(self) -> list:
        """Column names, in order."""
        return list(self._columns)

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._columns:
            raise KeyError(f"column {name!r} not in {self.columns}")
        return self._columns[name]

    def __len__(self) -> int:
        return len(next(iter(self._columns.values()))) if self._columns else 0

    def to_dict(self) -> dict:
        """Column name -> array (a copy)."""
        return {name: values.copy() for name, values in self._columns.items()}

    def to_pandas(self):
        """The same table as a pandas DataFrame (needs pandas)."""
        pandas = _import("pandas", "pip install pandas")
        return pandas.DataFrame(self.to_dict())

    def to_string(self, max_rows: int | None = None) -> str:
        """The table as text: every column, every row (``max_rows``: at most that many, the
        first and last halves around a line saying how many were left out)."""
        if max_rows is not None and (
            isinstance(max_rows, bool)
            or not isinstance(max_rows, (int, np.integer))
            or max_rows < 2
        ):
            raise ValueError(f"max_rows: expected None or an int >= 2, got {max_rows!r}")
        headers = self.columns
        n = len(self)
        rows = list(range(n))
        if max_rows is not None and n > max_rows:
            rows = rows[: (max_rows + 1) // 2] + [None] + rows[n - max_rows // 2 :]
        cells = [None if i is None else [_cell(self._columns[h][i]) for h in headers] for i in rows]
        shown = [row for row in cells if row is not None]
        widths = [max([len(h)] + [len(row[c]) for row in shown]) for c, h in enumerate(headers)]
        lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths))]
        for row in cells:
            if row is None:
                lines.append(f"... ({n - len(shown)} rows not shown; to_string() shows all)")
            else:
                lines.append("  ".join(v.rjust(w) for v, w in zip(row, widths)))
        return "\n".join(lines)

    def __str__(self) -> str:  # every row and column
        return self.to_string()

    __repr__ = __str__


def _column_array(values) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values.copy()
    values = list(values)
    if values and all(isinstance(v, str) for v in values):
        return np.array(values, dtype=object)
    return np.asarray(values)


def _cell(value) -> str:
    if isinstance(value, (float, np.floating)):
        return "-" if np.isnan(value) else f"{value:.3f}"
    return str(value)


def _import(module: str, install: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"{module} is needed for this: {install}") from exc


def as_table(columns: dict, as_frame: bool | None = None):
    """``columns`` as a pandas DataFrame (``as_frame=None`` and pandas installed, or True) or a
    :class:`Table` (``as_frame=False``, or pandas missing)."""
    if as_frame is not None and not isinstance(as_frame, (bool, np.bool_)):
        raise TypeError(f"as_frame: expected None, True or False, got {as_frame!r}")
    if as_frame is False:
        return Table(columns)
    if as_frame is None:
        try:
            import pandas  # noqa: F401 (installed?)
        except ImportError:
            return Table(columns)
        return full_frame(Table(columns).to_dict())
    _import("pandas", "pip install pandas")
    return full_frame(Table(columns).to_dict())


# ----------------------------------------------------------------------- per LF
def vote_statistics(L: np.ndarray) -> dict:
    """Per LF (columns of ``L``): ``coverage`` (share of rows it votes on), ``overlaps`` (share of
    rows where it and at least one other LF vote), ``conflicts`` (share of rows where another LF
    votes a different class). O(n m) memory: per-row counts, never an LF x LF x row array."""
    n, m = L.shape
    voted = L != ABSTAIN
    if n == 0:
        empty = np.full(m, np.nan)
        return {"coverage": empty, "overlaps": empty.copy(), "conflicts": empty.copy()}
    n_votes = voted.sum(axis=1)
    K = int(L.max()) + 1 if voted.any() else 1
    if K > MAX_CLASSES:  # (n, K) counts below: a vote of 2**40 would ask for terabytes
        raise ValueError(f"L: expected classes below {MAX_CLASSES}, got a vote {K - 1}")
    # counts[i, c]: LFs voting class c on row i; an LF conflicts where some vote is not its own.
    rows = np.broadcast_to(np.arange(n)[:, None], L.shape)[voted]
    counts = np.bincount(rows * K + L[voted], minlength=n * K).reshape(n, K)
    own = np.where(voted, counts[np.arange(n)[:, None], np.maximum(L, 0)], 0)
    return {
        "coverage": voted.mean(axis=0),
        "overlaps": (voted & (n_votes[:, None] > 1)).mean(axis=0),
        "conflicts": (voted & (n_votes[:, None] > own)).mean(axis=0),
    }


def vote_accuracy(L: np.ndarray, y: np.ndarray) -> dict:
    """Per LF: ``votes`` (rows it votes on), ``correct`` (of them, equal to ``y``) and
    ``accuracy`` = correct / votes (NaN where it never votes)."""
    voted = L != ABSTAIN
    votes = voted.sum(axis=0)
    correct = ((L == y[:, None]) & voted).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(votes > 0, correct / np.maximum(votes, 1), np.nan)
    return {"votes": votes, "correct": correct, "accuracy": accuracy}


def lf_table(
    L: Any,
    L_extended: Any = None,
    *,
    L_dev: Any = None,
    y_dev: Any = None,
    L_dev_extended: Any = None,
    names: Sequence[str] | None = None,
    as_frame: bool | None = None,
):
    """Per-LF diagnostics, as cast and (when given) after extension.

    Parameters
    ----------
    L : array-like of int, shape (n, m)
        Votes on the points being labelled (train), -1 = abstain.
    L_extended : array-like of int, shape (n, m), optional
        The same points' votes after extension (e.g. ``Liger.transform``).
    L_dev, y_dev : array-like of shapes (n_dev, m) and (n_dev,), optional
        Dev votes and gold labels, for the empirical accuracy.
    L_dev_extended : array-like of shape (n_dev, m), optional
        Dev votes after extension.
    names : sequence of m str, optional
        LF names (default: 0..m-1).
    as_frame : bool, optional
        None: a pandas DataFrame if pandas is installed, else a :class:`Table`; True / False:
        force one.

    Returns
    -------
    DataFrame or Table, one row per LF
        ``lf``, ``coverage``, ``overlaps``, ``conflicts`` (shares of the n points); with
        ``L_extended`` the same three with suffix ``_extended``; with dev labels
        ``dev_votes``, ``dev_correct``, ``dev_accuracy`` (and ``_extended`` with
        ``L_dev_extended``).
    """
    L = as_votes("L", L, allow_empty_rows=True)
    m = L.shape[1]
    table: dict = {"lf": _names(names, m)}
    table.update(vote_statistics(L))
    if L_extended is not None:
        L_extended = _same_shape("L_extended", L_extended, "L", L)
        for key, value in vote_statistics(L_extended).items():
            table[f"{key}_extended"] = value
    if (L_dev is None) != (y_dev is None):
        raise ValueError("L_dev and y_dev: expected both (dev accuracy needs votes and labels)")
    if L_dev_extended is not None and L_dev is None:
        raise ValueError("L_dev_extended: expected together with L_dev and y_dev")
    if L_dev is not None:
        L_dev = as_votes("L_dev", L_dev)
        check_lfs("L", L, "L_dev", L_dev)
        y_dev = _dev_labels(y_dev, "L_dev", L_dev.shape[0])
        for key, value in vote_accuracy(L_dev, y_dev).items():
            table[f"dev_{key}"] = value
        if L_dev_extended is not None:
            L_dev_extended = _same_shape("L_dev_extended", L_dev_extended, "L_dev", L_dev)
            for key, value in vote_accuracy(L_dev_extended, y_dev).items():
                table[f"dev_{key}_extended"] = value
    return as_table(table, as_frame)


def _names(names, m: int) -> list:
    checked = check_names("names", names, m)
    return list(range(m)) if checked is None else checked


def _dev_labels(y_dev: Any, rows_name: str, rows: int) -> np.ndarray:
    """Gold dev labels: a non-empty 1-D integer array of classes >= 0, one per row of
    ``rows_name``."""
    if y_dev is None:
        raise TypeError("y_dev: expected an array of labels, got None")
    array = _as_array("y_dev", y_dev)
    if array.ndim == 1 and array.size and np.issubdtype(array.dtype, np.integer):
        K = max(2, int(array.max()) + 1)
    else:
        K = 2  # check_labels reports the dtype / shape / emptiness
    labels = check_labels("y_dev", array, min(K, MAX_CLASSES))
    if labels.shape[0] != rows:
        raise ValueError(
            f"y_dev: expected {rows} labels (one per row of {rows_name}), got {labels.shape[0]}"
        )
    return labels


def _same_shape(name: str, value, reference_name: str, reference: np.ndarray) -> np.ndarray:
    value = as_votes(name, value, allow_empty_rows=True)
    if value.shape != reference.shape:
        raise ValueError(
            f"{name}: expected the shape of {reference_name} {reference.shape}, got {value.shape}"
        )
    return value


# --------------------------------------------------------------- what changed
def _labels(name: str, value) -> tuple[np.ndarray, np.ndarray | None]:
    """Predicted labels (ties to the lowest class) and the probabilities when given."""
    if value is None:
        raise TypeError(f"{name}: expected probabilities (n, K) or labels (n,), got None")
    array = _as_array(name, value)
    if array.ndim == 2:
        if not np.issubdtype(array.dtype, np.floating) or array.shape[1] < 2:
            raise ValueError(
                f"{name}: expected probabilities (n, K) with K >= 2 or labels (n,), got "
                f"dtype {array.dtype} shape {array.shape}"
            )
        proba = as_probabilities(name, array, allow_empty_rows=True)
        return np.argmax(proba, axis=1), proba
    if array.ndim == 1 and np.issubdtype(array.dtype, np.integer) and array.dtype != np.bool_:
        if array.size and array.min() < ABSTAIN:
            raise ValueError(f"{name}: expected labels >= -1 (-1 = abstain), got {array.min()}")
        return array.astype(np.int64), None
    raise ValueError(
        f"{name}: expected probabilities (n, K) or integer labels (n,), got dtype {array.dtype} "
        f"shape {array.shape}"
    )


def what_changed(
    before: Any,
    after: Any,
    *,
    votes_before: Any = None,
    votes_after: Any = None,
    dev_before: Any = None,
    dev_after: Any = None,
    y_dev: Any = None,
    metric: str = "accuracy",
    as_frame: bool | None = None,
):
    """What an edit changed: two predictions of the same points, and of the dev split.

    Parameters
    ----------
    before, after : array-like, shape (n, K) probabilities or (n,) labels (-1 = abstain)
        Predictions of the same n points before and after the edit (e.g. two fits'
        ``predict_proba``). Labels of probabilities are their argmax (ties to the lowest class).
    votes_before, votes_after : array-like of int, shape (n, m) and (n, m'), optional
        The (extended) votes behind each prediction, for the coverage: the share of points with
        at least one vote. Without them the coverage is the share of labels that are not -1
        (NaN for probabilities).
    dev_before, dev_after, y_dev : optional
        Predictions of the dev split before / after and its gold labels: the dev score.
    metric : {"accuracy", "f1", "macro_f1"}, default="accuracy"
    as_frame : bool, optional
        As in :func:`lf_table`.

    Returns
    -------
    DataFrame or Table, one row
        ``n``, ``flipped`` (points whose label changed), ``flipped_share``,
        ``mean_abs_change`` (mean over points of the largest change of a class probability;
        NaN for labels), ``coverage_before``, ``coverage_after``, ``coverage_change``,
        ``dev_metric``, ``dev_score_before``, ``dev_score_after``, ``dev_score_change`` (NaN
        without dev).
    """
    labels_before, proba_before = _labels("before", before)
    labels_after, proba_after = _labels("after", after)
    if labels_before.shape != labels_after.shape:
        raise ValueError(
            f"before and after: expected predictions of the same points, got "
            f"{labels_before.shape[0]} and {labels_after.shape[0]}"
        )
    n = labels_before.shape[0]
    flipped = int((labels_before != labels_after).sum())
    change = np.nan
    if proba_before is not None and proba_after is not None:
        if proba_before.shape != proba_after.shape:
            raise ValueError(
                f"before and after: expected the same shape, got {proba_before.shape} and "
                f"{proba_after.shape}"
            )
        change = float(np.abs(proba_after - proba_before).max(axis=1).mean()) if n else np.nan
    coverage_before = _coverage("votes_before", votes_before, labels_before, proba_before, n)
    coverage_after = _coverage("votes_after", votes_after, labels_after, proba_after, n)
    score_before = score_after = np.nan
    if not isinstance(metric, str) or metric not in ("accuracy", "f1", "macro_f1"):
        raise ValueError(f"metric: expected 'accuracy', 'f1' or 'macro_f1', got {metric!r}")
    given = [v is not None for v in (dev_before, dev_after, y_dev)]
    if any(given) and not all(given):
        raise ValueError("dev_before, dev_after, y_dev: expected all three or none")
    if all(given):
        dev_labels_before, p_before = _labels("dev_before", dev_before)
        dev_labels_after, p_after = _labels("dev_after", dev_after)
        check_rows("dev_before", dev_labels_before[:, None], "dev_after", dev_labels_after[:, None])
        y = _dev_labels(y_dev, "dev_before", dev_labels_before.shape[0])
        K = max(
            2,
            int(y.max()) + 1,
            int(dev_labels_before.max(initial=0)) + 1,
            int(dev_labels_after.max(initial=0)) + 1,
            0 if p_before is None else p_before.shape[1],
            0 if p_after is None else p_after.shape[1],
        )
        score_before = compute(metric, y, dev_labels_before, K)[metric]
        score_after = compute(metric, y, dev_labels_after, K)[metric]
    return as_table(
        {
            "n": [n],
            "flipped": [flipped],
            "flipped_share": [flipped / n if n else np.nan],
            "mean_abs_change": [change],
            "coverage_before": [coverage_before],
            "coverage_after": [coverage_after],
            "coverage_change": [coverage_after - coverage_before],
            "dev_metric": [metric],
            "dev_score_before": [score_before],
            "dev_score_after": [score_after],
            "dev_score_change": [score_after - score_before],
        },
        as_frame,
    )


def _coverage(name, votes, labels, proba, n) -> float:
    if votes is not None:
        votes = as_votes(name, votes, allow_empty_rows=True)
        if votes.shape[0] != n:
            raise ValueError(f"{name}: expected {n} rows (one per point), got {votes.shape[0]}")
        return float((votes != ABSTAIN).any(axis=1).mean()) if n else np.nan
    if proba is None and n:
        return float((labels != ABSTAIN).mean())
    return np.nan


# ---------------------------------------------------------- extension curves
def extension_curves(
    train: NearestVotes,
    dev: NearestVotes | None = None,
    y_dev: Any = None,
    *,
    levels: Sequence[float] = DEFAULT_LEVELS,
    names: Sequence[str] | None = None,
    as_frame: bool | None = None,
):
    """Per LF and extension level: its train coverage and dev accuracy when extended alone.

    The thresholds are :func:`liger.extension.tuning.threshold_grid`'s: level ``g`` extends an LF
    to the fraction ``levels[g]`` of the train points where it abstains, closest first.

    Parameters
    ----------
    train : NearestVotes
        The train split's votes and nearest-support results
        (``NearestVotes.from_search(L, *nearest_support(X, X, L), L, metric)``).
    dev : NearestVotes, optional
        The dev split's, searched against the train supports.
    y_dev : array-like of int, shape (n_dev,), optional
        Dev labels (needed with ``dev``).
    levels : sequence of float, default=liger.extension.tuning.DEFAULT_LEVELS
    names : sequence of m str, optional
    as_frame : bool, optional

    Returns
    -------
    DataFrame or Table, one row per (LF, level), LF-major
        ``lf``, ``level``, ``threshold`` (NaN = not extended), ``coverage`` and ``train_votes``
        (train: the share and the number of points it votes on), and with dev ``dev_votes``,
        ``dev_correct``, ``dev_accuracy``.
    """
    if not isinstance(train, NearestVotes):
        raise TypeError(f"train: expected a liger.tuning.NearestVotes, got {type(train).__name__}")
    if (dev is None) != (y_dev is None):
        raise ValueError("dev and y_dev: expected both or neither")
    m = train.L.shape[1]
    names = _names(names, m)
    levels = check_levels(levels)
    grid = threshold_grid(train, levels)
    y = None
    if dev is not None:
        if not isinstance(dev, NearestVotes):
            raise TypeError(f"dev: expected a liger.tuning.NearestVotes, got {type(dev).__name__}")
        check_lfs("train.L", train.L, "dev.L", dev.L)
        y = _dev_labels(y_dev, "dev.L", dev.L.shape[0])
    table: dict = {"lf": [], "level": [], "threshold": [], "coverage": [], "train_votes": []}
    if dev is not None:
        table.update({"dev_votes": [], "dev_correct": [], "dev_accuracy": []})
    for j in range(m):
        train_votes = _extend_one(train, j, grid[j])  # (G, n)
        coverage = (train_votes != ABSTAIN).mean(axis=1)
        counts = (train_votes != ABSTAIN).sum(axis=1)
        if dev is not None:
            stats = vote_accuracy(_extend_one(dev, j, grid[j]).T, y)
        for g, level in enumerate(levels):
            table["lf"].append(names[j])
            table["level"].append(level)
            table["threshold"].append(float(grid[j, g]))
            table["coverage"].append(float(coverage[g]))
            table["train_votes"].append(int(counts[g]))
            if dev is not None:
                table["dev_votes"].append(int(stats["votes"][g]))
                table["dev_correct"].append(int(stats["correct"][g]))
                table["dev_accuracy"].append(float(stats["accuracy"][g]))
    return as_table(table, as_frame)


def _extend_one(votes: NearestVotes, j: int, thresholds: np.ndarray) -> np.ndarray:
    """LF ``j``'s extended votes at each threshold, shape (G, n); NaN = do not extend."""
    scores = votes.scores[:, j][None, :]
    with np.errstate(invalid="ignore"):
        close = (
            scores >= thresholds[:, None]
            if votes.higher_is_better
            else scores <= thresholds[:, None]
        )
    own = votes.L[:, j][None, :]
    return np.where((own == ABSTAIN) & close, votes.candidate[:, j][None, :], own)
