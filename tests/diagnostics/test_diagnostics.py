"""Diagnostics: per-LF tables, what an edit changed, extension curves and their plot; the same
numbers as pandas DataFrames and as plain tables."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import liger
from liger import Liger, nearest_support
from liger.diagnostics.plots import plot_extension_curves
from liger.diagnostics.tables import (
    Table,
    extension_curves,
    lf_table,
    vote_accuracy,
    vote_statistics,
    what_changed,
)
from liger.extension.tuning import DEFAULT_LEVELS, NearestVotes, threshold_grid


def votes(max_n=30, max_m=6, max_K=4):
    """Vote matrices with every corner: all-abstain rows and columns, one class, K classes."""
    return st.integers(2, max_K).flatmap(
        lambda K: hnp.arrays(
            np.int64,
            st.tuples(st.integers(0, max_n), st.integers(1, max_m)),
            elements=st.integers(-1, K - 1),
        )
    )


def reference_statistics(L):
    n, m = L.shape
    coverage, overlaps, conflicts = np.zeros(m), np.zeros(m), np.zeros(m)
    for i in range(n):
        for j in range(m):
            if L[i, j] == -1:
                continue
            coverage[j] += 1
            others = [L[i, k] for k in range(m) if k != j and L[i, k] != -1]
            overlaps[j] += bool(others)
            conflicts[j] += any(v != L[i, j] for v in others)
    with np.errstate(invalid="ignore"):
        return coverage / n, overlaps / n, conflicts / n


@settings(max_examples=80, deadline=None)
@given(votes())
def test_vote_statistics_match_a_plain_loop(L):
    stats = vote_statistics(L)
    for key, expected in zip(("coverage", "overlaps", "conflicts"), reference_statistics(L)):
        np.testing.assert_allclose(stats[key], expected, equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(votes(), st.data())
def test_vote_accuracy_matches_a_plain_loop(L, data):
    K = max(2, int(L.max(initial=-1)) + 1)
    y = data.draw(hnp.arrays(np.int64, L.shape[0], elements=st.integers(0, K - 1)))
    stats = vote_accuracy(L, y)
    for j in range(L.shape[1]):
        voted = [i for i in range(L.shape[0]) if L[i, j] != -1]
        correct = sum(L[i, j] == y[i] for i in voted)
        assert stats["votes"][j] == len(voted) and stats["correct"][j] == correct
        if voted:
            assert stats["accuracy"][j] == pytest.approx(correct / len(voted))
        else:
            assert np.isnan(stats["accuracy"][j])


def _example():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 200)
    L = np.where(
        rng.random((200, 4)) < 0.4, np.where(rng.random((200, 4)) < 0.7, y[:, None], 0), -1
    )
    L_ext = np.where((L == -1) & (rng.random((200, 4)) < 0.3), y[:, None], L)
    return L, L_ext, y


def test_lf_table_columns_and_numbers_are_the_same_with_and_without_pandas():
    pandas = pytest.importorskip("pandas")
    L, L_ext, y = _example()
    kwargs = dict(L_dev=L[:50], y_dev=y[:50], L_dev_extended=L_ext[:50], names=list("abcd"))
    frame = lf_table(L, L_ext, **kwargs)
    plain = lf_table(L, L_ext, as_frame=False, **kwargs)
    assert isinstance(frame, pandas.DataFrame) and isinstance(plain, Table)
    assert (
        list(frame.columns)
        == plain.columns
        == [
            "lf",
            "coverage",
            "overlaps",
            "conflicts",
            "coverage_extended",
            "overlaps_extended",
            "conflicts_extended",
            "dev_votes",
            "dev_correct",
            "dev_accuracy",
            "dev_votes_extended",
            "dev_correct_extended",
            "dev_accuracy_extended",
        ]
    )
    for column in plain.columns:
        np.testing.assert_array_equal(frame[column].to_numpy(), plain[column])
    np.testing.assert_allclose(plain["coverage_extended"], (L_ext != -1).mean(0))
    np.testing.assert_array_equal(plain["dev_votes"], (L[:50] != -1).sum(0))
    assert len(plain) == 4 and plain["lf"].tolist() == list("abcd")
    assert lf_table(L).columns.tolist() == ["lf", "coverage", "overlaps", "conflicts"]


def test_without_pandas_the_plain_table_is_returned_and_prints(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    L, L_ext, y = _example()
    table = lf_table(L, L_ext, L_dev=L, y_dev=y)
    assert isinstance(table, Table)
    text = str(table)
    lines = text.splitlines()
    assert lines[0].split() == table.columns and len(lines) == 5
    assert f"{(L[:, 0] != -1).mean():.3f}" in lines[1]
    with pytest.raises(ImportError, match="pip install pandas"):
        table.to_pandas()
    with pytest.raises(ImportError, match="pip install pandas"):
        lf_table(L, as_frame=True)


def test_lf_table_bad_input():
    L, L_ext, y = _example()
    with pytest.raises(ValueError, match="L_extended: expected the shape of L"):
        lf_table(L, L_ext[:10])
    with pytest.raises(ValueError, match="L_dev and y_dev: expected both"):
        lf_table(L, L_dev=L)
    with pytest.raises(ValueError, match="names: expected 4 names"):
        lf_table(L, names=["a"])
    with pytest.raises(ValueError, match="L and L_dev: expected the same number of LFs"):
        lf_table(L, L_dev=L[:, :2], y_dev=y)
    with pytest.raises(ValueError, match="y_dev: expected 200 labels"):
        lf_table(L, L_dev=L, y_dev=y[:5])
    with pytest.raises(TypeError, match="L: expected an integer vote matrix"):
        lf_table(L.astype(float))


def test_what_changed_counts_flips_coverage_and_dev_scores():
    rng = np.random.default_rng(1)
    before = rng.dirichlet([1, 1, 1], 100)
    after = before.copy()
    after[:7] = after[:7, ::-1]  # some rows change their argmax
    flipped = int((before.argmax(1) != after.argmax(1)).sum())
    votes_before = np.where(rng.random((100, 3)) < 0.3, 1, -1)
    votes_after = np.where(rng.random((100, 4)) < 0.5, 2, -1)  # an LF was added
    y_dev = rng.integers(0, 3, 40)
    dev_before, dev_after = rng.dirichlet([1, 1, 1], 40), np.eye(3)[y_dev]
    for as_frame in (False, True) if "pandas" in sys.modules else (False,):
        table = what_changed(
            before,
            after,
            votes_before=votes_before,
            votes_after=votes_after,
            dev_before=dev_before,
            dev_after=dev_after,
            y_dev=y_dev,
            metric="macro_f1",
            as_frame=as_frame,
        )

        def value(column, table=table):
            return np.asarray(table[column])[0]

        assert value("n") == 100 and value("flipped") == flipped
        assert value("flipped_share") == pytest.approx(flipped / 100)
        assert value("mean_abs_change") == pytest.approx(np.abs(after - before).max(1).mean())
        assert value("coverage_before") == pytest.approx((votes_before != -1).any(1).mean())
        assert value("coverage_after") == pytest.approx((votes_after != -1).any(1).mean())
        assert value("dev_metric") == "macro_f1" and value("dev_score_after") == 1.0
        expected = liger.metrics.macro_f1(y_dev, dev_before.argmax(1), 3)
        assert value("dev_score_before") == pytest.approx(expected)
        assert value("dev_score_change") == pytest.approx(1.0 - expected)
    labels = what_changed(np.array([0, 1, -1, 2]), np.array([0, 2, 1, 2]), as_frame=False)
    assert labels["flipped"][0] == 2 and labels["coverage_before"][0] == 0.75
    assert labels["coverage_after"][0] == 1.0 and np.isnan(labels["mean_abs_change"][0])
    assert np.isnan(labels["dev_score_before"][0])


def test_what_changed_bad_input():
    p = np.full((4, 2), 0.5)
    with pytest.raises(ValueError, match="before and after: expected predictions of the same"):
        what_changed(p, p[:3])
    with pytest.raises(ValueError, match="dev_before, dev_after, y_dev: expected all three"):
        what_changed(p, p, dev_before=p)
    with pytest.raises(ValueError, match="votes_after: expected 4 rows"):
        what_changed(p, p, votes_after=np.zeros((3, 2), int))
    with pytest.raises(ValueError, match="after: expected probabilities"):
        what_changed(p, np.zeros(4))


def _nearest(seed=0, n=300, n_dev=80, m=4):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((2, 16))
    y = rng.integers(0, 2, n + n_dev)
    X = (centers[y] + rng.standard_normal((n + n_dev, 16))).astype(np.float32)
    L = np.where(
        rng.random((n + n_dev, m)) < 0.2,
        np.where(rng.random((n + n_dev, m)) < 0.85, y[:, None], 1 - y[:, None]),
        -1,
    )
    train = NearestVotes.from_search(L[:n], *nearest_support(X[:n], X[:n], L[:n]), L[:n], "cosine")
    dev = NearestVotes.from_search(L[n:], *nearest_support(X[n:], X[:n], L[:n]), L[:n], "cosine")
    return train, dev, y[n:]


def test_extension_curves_match_extending_one_lf_at_a_time():
    train, dev, y_dev = _nearest()
    m = train.L.shape[1]
    curves = extension_curves(train, dev, y_dev, names=list("abcd"), as_frame=False)
    G = len(DEFAULT_LEVELS)
    assert len(curves) == m * G
    assert curves.columns == [
        "lf",
        "level",
        "threshold",
        "coverage",
        "train_votes",
        "dev_votes",
        "dev_correct",
        "dev_accuracy",
    ]
    grid = threshold_grid(train, DEFAULT_LEVELS)
    for j in range(m):
        rows = slice(j * G, (j + 1) * G)
        assert set(curves["lf"][rows]) == {"abcd"[j]}
        for g in range(G):
            thresholds = np.full(m, np.nan, dtype=np.float32)
            thresholds[j] = grid[j, g]
            train_votes = train.extend(thresholds)[:, j]
            dev_votes = dev.extend(thresholds)[:, j]
            row = j * G + g
            assert curves["coverage"][row] == pytest.approx((train_votes != -1).mean())
            assert curves["train_votes"][row] == (train_votes != -1).sum()
            assert curves["dev_votes"][row] == (dev_votes != -1).sum()
            assert curves["dev_correct"][row] == ((dev_votes == y_dev) & (dev_votes != -1)).sum()
        coverage = curves["coverage"][rows]
        assert coverage[0] == pytest.approx((train.L[:, j] != -1).mean())
        assert np.all(np.diff(coverage) >= 0) and coverage[-1] == pytest.approx(1.0)
    # pandas and plain: same numbers
    pandas = pytest.importorskip("pandas")
    frame = extension_curves(train, dev, y_dev, names=list("abcd"))
    assert isinstance(frame, pandas.DataFrame)
    for column in curves.columns:
        np.testing.assert_array_equal(frame[column].to_numpy(), curves[column])


def test_extension_curves_bad_input():
    train, dev, y_dev = _nearest()
    with pytest.raises(TypeError, match="train: expected a liger.tuning.NearestVotes"):
        extension_curves(train.L)
    with pytest.raises(ValueError, match="dev and y_dev: expected both"):
        extension_curves(train, dev)


def test_plot_extension_curves_draws_one_line_per_lf_and_marks_the_chosen_level():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train, dev, y_dev = _nearest()
    for as_frame in (False, None):
        curves = extension_curves(train, dev, y_dev, names=list("abcd"), as_frame=as_frame)
        chosen = np.array([0.0, 0.2, np.nan, 1.0])
        figure = plot_extension_curves(curves, chosen_levels=chosen, x="level", names=list("abcd"))
        coverage_axes, accuracy_axes = figure.axes[:2]
        # One line per LF plus one marker per chosen (non-NaN) level, on each panel.
        assert len(coverage_axes.lines) == 4 + 3 and len(accuracy_axes.lines) == 4 + 3
        first = coverage_axes.lines[0]
        np.testing.assert_allclose(first.get_xdata(), DEFAULT_LEVELS)
        np.testing.assert_allclose(first.get_ydata(), curves["coverage"][: len(DEFAULT_LEVELS)])
        texts = [t.get_text() for t in accuracy_axes.get_legend().get_texts()]
        assert texts == [*"abcd", "chosen threshold"]
        plt.close(figure)
        # The default x axis: each LF's thresholds (the unextended level 0 has none).
        figure = plot_extension_curves(curves)
        first = figure.axes[0].lines[0]
        G = len(DEFAULT_LEVELS)
        thresholds = np.asarray(curves["threshold"][:G], dtype=float)
        np.testing.assert_allclose(first.get_xdata(), thresholds[np.isfinite(thresholds)])
        assert figure.axes[0].xaxis_inverted()  # cosine: the extension grows rightwards
        plt.close(figure)
    figure, axes = plt.subplots(1, 2)
    assert plot_extension_curves(curves, names=["b"], axes=axes) is figure
    assert len(axes[0].lines) == 1
    plt.close(figure)
    with pytest.raises(ValueError, match="names: expected LFs of the curves"):
        plot_extension_curves(curves, names=["z"])
    with pytest.raises(ValueError, match=r"chosen_levels: expected shape \(4,\)"):
        plot_extension_curves(curves, chosen_levels=[0.1])


def test_plot_without_matplotlib_says_how_to_install(monkeypatch):
    train, dev, y_dev = _nearest()
    curves = extension_curves(train, dev, y_dev, as_frame=False)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'liger\[plot\]'"):
        plot_extension_curves(curves)


def test_liger_lf_summary_as_a_table():
    train, _, _ = _nearest()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 8)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = Liger(thresholds=0.2).fit(train.L, X)
    summary = model.lf_summary(names=list("abcd"))
    plain = summary.table(as_frame=False)
    assert plain.columns == list(summary.to_dict())
    assert str(summary) == str(plain)
    pandas = pytest.importorskip("pandas")
    frame = summary.table()
    assert isinstance(frame, pandas.DataFrame)
    np.testing.assert_array_equal(frame["coverage"].to_numpy(), plain["coverage"])


def test_import_liger_does_not_import_pandas_or_matplotlib():
    import subprocess

    code = (
        "import sys, liger, liger.diagnostics, liger.lf; "
        "print('pandas' in sys.modules, 'matplotlib' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=None
    )
    assert out.stdout.split() == ["False", "False"]
