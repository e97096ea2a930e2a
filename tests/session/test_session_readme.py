"""The README's interactive-loop example runs as written, and does what its comments say."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    block = re.search(
        r"<!-- interactive-example -->\s*```python\n(.*?)```\s*<!-- /interactive-example -->",
        text,
        re.S,
    )
    assert block, "README: the interactive-loop example block is missing"
    return block.group(1)


def test_readme_interactive_example_runs(capsys):
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(readme_example(), "README.md", "exec"), namespace)
    session, report = namespace["session"], namespace["report"]
    assert session.lf_names_ == ["check_out", "subscribe", "link", "please", "my", "song", "short"]
    assert report.action == "set_lf" and report.lf == 4
    assert session._applier.last_report_.ran == ["my"], "only the edited LF is re-applied"
    assert namespace["labels"].shape == (1586, 2)
    np.testing.assert_allclose(namespace["labels"].sum(axis=1), 1.0)
    printed = capsys.readouterr().out
    assert printed.startswith(f"dev accuracy {session.history_[0].dev_score_after:.3f}")
    assert "set_lf (LF 4): labels flipped" in printed
