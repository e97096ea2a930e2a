"""The plot of the extension curves (:func:`plot_extension_curves`), readable with many LFs: the
top-k LFs by effect, the similarity threshold on the x axis, dev accuracy markers sized by their
dev votes, train votes on a secondary axis, distinct colours and the legend outside the axes.
matplotlib is imported when it is called (``pip install "liger[plot]"``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._checks.pandas import is_pandas
from .tables import Table, _import

__all__ = ["plot_extension_curves"]

# A qualitative colormap; past its size the line styles cycle (colour i % 10, style i // 10).
COLORMAP = "tab10"
LINESTYLES = ("-", "--", ":", "-.")
LABEL_CHARS = 40  # longer LF names (regular expressions) are cut in the legend
X_AXES = ("threshold", "level")


def plot_extension_curves(
    curves: Any,
    *,
    chosen_levels: Any = None,
    names: Sequence[str] | None = None,
    axes: Any = None,
    top_k: int | None = 10,
    x: str = "threshold",
):
    """Plot train coverage and dev accuracy against each LF's extension threshold.

    Parameters
    ----------
    curves : DataFrame or Table
        From :func:`liger.diagnostics.extension_curves` (with dev columns for the accuracy
        panel).
    chosen_levels : array-like of shape (m,), optional
        The level chosen for each LF (``Liger.levels_``, ``Session.levels_``), marked on its line
        with an open circle; it also ranks the LFs (below).
    names : sequence of str, optional
        Only these LFs, in this order (then ``top_k`` is not used).
    axes : sequence of two matplotlib Axes, optional
        Where to draw; default: a new figure with two panels.
    top_k : int or None, default=10
        Plot the ``top_k`` LFs of largest effect (None: every LF). The effect of an LF: with
        ``chosen_levels``, the train votes its extension adds at its chosen level; otherwise,
        with dev labels, the largest change of its dev accuracy along the curve; otherwise the
        train votes added at the largest level. Ties keep the curves' order.
    x : {"threshold", "level"}, default="threshold"
        The x axis: the similarity (or distance) threshold, oriented so that the extension grows
        to the right, or the extension level (the share of the LF's abstentions filled).
        Unextended points (level 0) have no threshold: with ``x="threshold"`` the lines start
        at the first extended one.

    Returns
    -------
    matplotlib.figure.Figure
        Coverage panel: train coverage, the train votes on the right axis. Accuracy panel: dev
        accuracy of the LF's votes, markers of area proportional to the dev votes behind each.
        The legend is outside the axes, right of the last panel.
    """
    pyplot = _import("matplotlib.pyplot", "pip install 'liger[plot]'")
    column = _column_reader(curves)
    if isinstance(names, (str, bytes)):
        raise TypeError(f"names: expected a sequence of LF names, got {names!r}")
    if top_k is not None and (
        isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1
    ):
        raise ValueError(f"top_k: expected an int >= 1 or None, got {top_k!r}")
    if not isinstance(x, str) or x not in X_AXES:
        raise ValueError(f"x: expected one of {X_AXES}, got {x!r}")
    lf_column = list(column("lf"))
    order = list(dict.fromkeys(lf_column))
    rows_of = {name: np.array([lf == name for lf in lf_column]) for name in order}
    if names is not None:
        shown = list(names)
        unknown = [name for name in shown if name not in order]
        if unknown:
            raise ValueError(f"names: expected LFs of the curves, got unknown {unknown}")
    has_dev = "dev_accuracy" in list(curves.columns)
    try:
        chosen = None if chosen_levels is None else np.asarray(chosen_levels, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"chosen_levels: expected numbers, got {chosen_levels!r}") from None
    if chosen is not None and chosen.shape != (len(order),):
        raise ValueError(
            f"chosen_levels: expected shape ({len(order)},) (one level per LF), got {chosen.shape}"
        )
    level = np.asarray(column("level"), dtype=float)
    coverage = np.asarray(column("coverage"), dtype=float)
    votes = _train_votes(curves, column)
    if names is None:
        amounts = coverage if votes is None else votes
        effect = _effects(order, rows_of, level, amounts, chosen, column if has_dev else None)
        ranked = sorted(range(len(order)), key=lambda j: -effect[j])  # stable: ties in order
        shown = [order[j] for j in (ranked if top_k is None else ranked[:top_k])]
    if axes is None:
        figure, axes = pyplot.subplots(
            1, 2 if has_dev else 1, figsize=(14 if has_dev else 9, 5.2), layout="constrained"
        )
        axes = np.atleast_1d(axes)
    else:
        axes = np.atleast_1d(axes)
        figure = axes[0].figure
    panels = [("coverage", "train coverage")]
    if has_dev:
        panels.append(("dev_accuracy", "dev accuracy of its votes (area: dev votes)"))
    if len(axes) < len(panels):
        raise ValueError(f"axes: expected {len(panels)} Axes, got {len(axes)}")
    thresholds = np.asarray(column("threshold"), dtype=float)
    xs = level if x == "level" else thresholds
    colours = pyplot.get_cmap(COLORMAP).colors
    long_names = any(len(str(name)) > LABEL_CHARS for name in shown)  # then "j: name…"
    dev_votes = np.asarray(column("dev_votes"), dtype=float) if has_dev else None
    largest = max(float(np.nanmax(dev_votes)), 1.0) if has_dev and dev_votes.size else 1.0
    for ax, (key, label) in zip(axes, panels):
        values = coverage if key == "coverage" else np.asarray(column(key), dtype=float)
        for i, name in enumerate(shown):
            rows = rows_of[name] & np.isfinite(xs)
            style = {
                "color": colours[i % len(colours)],
                "linestyle": LINESTYLES[i // len(colours) % 4],
            }
            label_of = _label(name, order.index(name), long_names)
            (line,) = ax.plot(xs[rows], values[rows], label=label_of, lw=1.6, **style)
            if key == "dev_accuracy":
                sizes = 6 + 144 * dev_votes[rows] / largest
                ax.scatter(xs[rows], values[rows], s=sizes, color=style["color"], alpha=0.6, lw=0)
            else:
                line.set_marker(".")
            if chosen is not None and not np.isnan(chosen[order.index(name)]):
                at = rows & np.isclose(level, chosen[order.index(name)])
                ax.plot(xs[at], values[at], "o", ms=10, mfc="none", mew=1.6, color=style["color"])
        ax.set_xlabel(_x_label(x, thresholds, level, rows_of))
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        if x == "threshold" and _higher_is_better(thresholds, level, rows_of):
            ax.invert_xaxis()  # higher similarity = less extension: the extension grows rightwards
    if votes is not None and len(shown):
        n = _rows_of_train(coverage, votes)
        if n:
            right = axes[0].secondary_yaxis("right", functions=(lambda c: c * n, lambda v: v / n))
            right.set_ylabel("train votes")
    total = len(order)
    what = "chosen" if chosen is not None else ("dev" if has_dev else "largest")
    ranked_by = {
        "chosen": "train votes added at the chosen level",
        "dev": "change of dev accuracy",
        "largest": "train votes added",
    }[what]
    title = f"{len(shown)} of {total} LFs" + ("" if names is not None else f", by {ranked_by}")
    axes[0].set_title(f"extension curves: {title}", loc="left", fontsize="medium")
    handles, labels = axes[len(panels) - 1].get_legend_handles_labels()
    if chosen is not None:
        marker = pyplot.Line2D([], [], marker="o", ls="", mfc="none", color="black", ms=9)
        handles, labels = handles + [marker], labels + ["chosen threshold"]
    # Outside the last panel: with many LFs a legend inside would hide the curves.
    axes[len(panels) - 1].legend(
        handles,
        labels,
        fontsize="small",
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0.0,
        ncols=1 if len(labels) <= 24 else 2,
    )
    return figure


def _train_votes(curves, column) -> np.ndarray | None:
    if "train_votes" not in list(curves.columns):
        return None  # curves from before the column
    return np.asarray(column("train_votes"), dtype=float)


def _rows_of_train(coverage: np.ndarray, votes: np.ndarray) -> float:
    """n, the train points (votes / coverage where the coverage is positive)."""
    positive = coverage > 0
    return (
        float(np.round(np.median(votes[positive] / coverage[positive]))) if positive.any() else 0.0
    )


def _effects(order, rows_of, level, votes, chosen, dev_column) -> list[float]:
    """Each LF's effect (see ``top_k`` in :func:`plot_extension_curves`); the coverage stands
    for the train votes in curves without them."""
    accuracy = None if dev_column is None else np.asarray(dev_column("dev_accuracy"), dtype=float)
    effects = []
    for j, name in enumerate(order):
        rows = np.flatnonzero(rows_of[name])
        base = rows[np.argmin(level[rows])]
        if chosen is not None:
            at = rows[np.isclose(level[rows], chosen[j])] if np.isfinite(chosen[j]) else rows[:0]
            effect = float(votes[at[0]] - votes[base]) if at.size else 0.0
        elif accuracy is not None:
            change = np.abs(accuracy[rows] - accuracy[base])
            effect = float(np.nanmax(change)) if np.isfinite(change).any() else 0.0
        else:
            effect = float(votes[rows[np.argmax(level[rows])]] - votes[base])
        effects.append(effect)
    return effects


def _label(name, j: int, long_names: bool) -> str:
    text = f"{j}: {name}" if long_names else str(name)
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _higher_is_better(thresholds, level, rows_of) -> bool:
    """Whether the thresholds fall as the level grows (a similarity), from the curves."""
    for rows in rows_of.values():
        t = thresholds[rows][np.argsort(level[rows], kind="stable")]
        t = t[np.isfinite(t)]
        if t.size >= 2 and t[0] != t[-1]:
            return bool(t[-1] < t[0])
    return True


def _x_label(x, thresholds, level, rows_of) -> str:
    if x == "level":
        return "extension level (share of the LF's abstentions filled)"
    if _higher_is_better(thresholds, level, rows_of):
        return "similarity threshold (lower: more extended) →"
    return "distance threshold (higher: more extended) →"


def _column_reader(table):
    """Reads the columns of ``curves`` (a Table or DataFrame from extension_curves)."""
    if isinstance(table, Table):
        read = table.__getitem__
    elif is_pandas(table) and hasattr(table, "columns"):
        read = lambda name: table[name].to_numpy()  # noqa: E731
    else:
        raise TypeError(
            "curves: expected the Table or DataFrame of extension_curves, got "
            f"{type(table).__name__}"
        )
    missing = [c for c in ("lf", "level", "coverage") if c not in list(table.columns)]
    if missing:
        raise ValueError(f"curves: expected the columns of extension_curves, missing {missing}")
    return read
