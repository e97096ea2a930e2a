"""Diagnostics with many LFs: the extension plot (top-k by effect, threshold x axis, vote
markers, legend outside the axes, distinct colours) rendered to a PNG; tables printed in full."""

from __future__ import annotations

import struct
import warnings

import numpy as np
import pytest

import liger
from liger.diagnostics.plots import COLORMAP, plot_extension_curves


@pytest.fixture(scope="module")
def sms_session(data_dir):
    ds = liger.load_wrench(data_dir / "sms")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return liger.Session(
            ds.train.L, ds.train.X, dev=(ds.valid.L, ds.valid.X, ds.valid.y), names=ds.lf_names
        )


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_sms_extension_plot_renders_readably(sms_session, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    session = sms_session
    assert session.n_lfs_ == 73
    curves = session.extension_curves()
    figure = plot_extension_curves(curves, chosen_levels=session.levels_)
    path = tmp_path / "extension_curves_sms.png"
    figure.savefig(path, dpi=100)
    assert path.stat().st_size > 30_000
    width, height = _png_size(path)
    assert (width, height) == (1400, 520)
    coverage, accuracy = figure.axes[:2]
    # Top 10 of 73, each its own colour of the qualitative map.
    lines = [line for line in coverage.lines if line.get_label()[:1] != "_"]
    assert len(lines) == 10
    colours = {line.get_color() for line in lines}
    assert len(colours) == 10 and colours <= set(plt.get_cmap(COLORMAP).colors)
    assert "10 of 73 LFs" in coverage.get_title(loc="left")
    # The legend lies outside both panels (display coordinates, after a draw).
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    legend = accuracy.get_legend().get_window_extent(renderer)
    for ax in (coverage, accuracy):
        box = ax.get_window_extent(renderer)
        assert legend.x0 >= box.x1 or legend.x1 <= box.x0
    assert legend.x1 <= figure.bbox.x1 + 1  # and inside the figure
    # The x axis is the similarity threshold; the dev markers are sized by their dev votes.
    assert "similarity threshold" in coverage.get_xlabel()
    sizes = np.concatenate([c.get_sizes() for c in accuracy.collections])
    assert sizes.min() < sizes.max()
    plt.close(figure)


def test_top_k_ranks_by_effect(sms_session):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = sms_session.extension_curves(as_frame=False)
    levels = sms_session.levels_
    figure = plot_extension_curves(curves, chosen_levels=levels, top_k=3, x="level")
    shown = [line.get_label() for line in figure.axes[0].lines if line.get_label()[:1] != "_"]
    assert len(shown) == 3
    # The effect with chosen levels: train votes added at the chosen level.
    names = list(dict.fromkeys(curves["lf"]))
    added = []
    for j, name in enumerate(names):
        rows = np.flatnonzero(np.asarray(curves["lf"]) == name)
        at = rows[np.isclose(curves["level"][rows], levels[j])]
        # An LF without a level (not extended, or a threshold in score units) adds nothing.
        added.append(
            curves["train_votes"][at[0]] - curves["train_votes"][rows[0]] if at.size else 0
        )
    best = [names[j] for j in np.argsort(-np.asarray(added), kind="stable")[:3]]
    assert [label.split(": ", 1)[1][:20] for label in shown] == [b[:20] for b in best]
    plt.close(figure)
    many = plot_extension_curves(curves, top_k=None)
    assert len([x for x in many.axes[0].lines if x.get_label()[:1] != "_"]) == 73
    styles = {line.get_linestyle() for line in many.axes[0].lines}
    assert len(styles) >= 4  # past the 10 colours, the line styles cycle
    plt.close(many)
    with pytest.raises(ValueError, match="top_k: expected an int >= 1 or None"):
        plot_extension_curves(curves, top_k=0)
    with pytest.raises(ValueError, match="x: expected one of"):
        plot_extension_curves(curves, x="similarity")


def test_lf_tables_print_every_row_and_column(sms_session):
    pandas = pytest.importorskip("pandas")
    frame = sms_session.lf_table()
    assert isinstance(frame, pandas.DataFrame) and len(frame) == 73
    with pandas.option_context("display.max_rows", 10, "display.max_columns", 3):
        text = repr(frame)
    lines = text.splitlines()
    assert len(lines) == 74 and "..." not in text
    assert all(column in lines[0] for column in frame.columns)
    assert "..." not in frame._repr_html_()
    table = sms_session.lf_table(as_frame=False)
    assert len(str(table).splitlines()) == 74 and repr(table) == str(table)
    short = table.to_string(max_rows=10)
    assert len(short.splitlines()) == 12 and "63 rows not shown" in short
    with pytest.raises(ValueError, match="max_rows"):
        table.to_string(max_rows=1)
    assert type(frame.head()) is pandas.DataFrame  # derived frames are plain
