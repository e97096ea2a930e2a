"""The README runs as written: its tutorial (every python block between the ``<!-- tutorial -->``
markers, in order, in one namespace, in a temporary folder, on the shipped youtube example), and
its other python blocks, and they do what their comments say."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

# The repository root, or the folder scripts/test-wheel copies README.md and tests/ into.
README = Path(__file__).resolve().parents[2] / "README.md"
TUTORIAL = re.compile(r"<!-- tutorial -->(.*?)<!-- /tutorial -->", re.S)
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def readme_blocks() -> tuple[list[str], list[str]]:
    """(the tutorial's python blocks, the other python blocks), each in README order."""
    text = README.read_text(encoding="utf-8")
    tutorial = TUTORIAL.search(text)
    assert tutorial, "README: the tutorial's <!-- tutorial --> markers are missing"
    inside = PYTHON_BLOCK.findall(tutorial.group(1))
    outside = PYTHON_BLOCK.findall(text[: tutorial.start()] + text[tutorial.end() :])
    return inside, outside


def run_blocks(blocks: list[str], after_block=None) -> dict:
    """Run the blocks in order in one namespace; ``after_block(namespace)`` after each."""
    namespace: dict = {"__name__": "__readme__"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for block in blocks:
            exec(compile(block, "README.md", "exec"), namespace)
            if after_block is not None:
                after_block(namespace)
    return namespace


def test_readme_tutorial_runs(tmp_path, monkeypatch, capsys):
    blocks, _ = readme_blocks()
    assert len(blocks) >= 6, "README: the tutorial lost its python blocks"
    monkeypatch.chdir(tmp_path)
    ran_at_edit = []

    def after_block(ns):
        if "report" in ns and not ran_at_edit:  # the block with the edit
            ran_at_edit.append(ns["session"]._applier.last_report_.ran)

    ns = run_blocks(blocks, after_block)

    session, report = ns["session"], ns["report"]
    names = ["check_out", "subscribe", "link", "please", "my", "song", "short"]
    assert session.lf_names_ == names
    assert report.action == "set_lf" and report.lf == 4
    assert ran_at_edit == [["my"]], "the edit re-applies the edited LF only"
    labels = ns["labels"]
    assert labels.shape == (1586, 2)
    np.testing.assert_allclose(labels.sum(axis=1), 1.0)

    # The labeler (saved and loaded back) labels the new batch as the session labels its points.
    labeler, proba = ns["labeler"], ns["proba"]
    assert (tmp_path / "youtube-labeler.npz").is_file()
    assert labeler.lf_names_ == names
    assert proba.shape == (250, 2)
    np.testing.assert_array_equal(proba, session.predict_proba("test"))
    np.testing.assert_array_equal(labeler.predict_proba(ns["new_texts"], X=ns["X_new"]), proba)
    np.testing.assert_array_equal(ns["predicted"], proba.argmax(axis=1))
    assert ns["spam_filter"].encoder_ is ns["encoder"]

    printed = capsys.readouterr().out
    assert printed.startswith("1586 120 250\n")
    assert "1 0 -1\n" in printed
    assert f"dev accuracy {session.history_[0].dev_score_after:.3f}" in printed
    assert "set_lf (LF 4): labels flipped" in printed
    assert "test accuracy " in printed
    assert printed.rstrip().endswith("[1 0]")


def test_readme_other_examples_run(tmp_path, monkeypatch, capsys):
    _, blocks = readme_blocks()
    assert blocks, "README: the estimator and end-model examples are missing"
    monkeypatch.chdir(tmp_path)
    ns = run_blocks(blocks)
    model = ns["model"]
    assert model.model_selection == "cv" and model.selection_ is not None
    assert 0.0 < model.cv_score_ <= 1.0 and model.cv_se_ >= 0.0
    assert ns["proba"].shape == (250, 2)
    printed = capsys.readouterr().out
    assert printed.startswith(f"cv {model.cv_score_:.3f} +- {model.cv_se_:.3f}, test ")
    assert "<- chosen" in printed and "liger + end model: test " in printed
