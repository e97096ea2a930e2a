"""`liger run` refuses a WRENCH folder whose valid / test split has no gold labels before it fits
anything (it used to fail only after every fit)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import liger.report
from liger.cli import main


def _wrench(folder, unlabelled):
    folder.mkdir()
    (folder / "label.json").write_text(json.dumps({"0": "c0", "1": "c1"}))
    rng = np.random.default_rng(0)
    for split in ("train", "valid", "test"):
        items = {}
        for i in range(20):
            item = {"data": {"text": f"{split} {i}"}, "weak_labels": [int(rng.integers(-1, 2))]}
            if split != unlabelled:
                item["label"] = int(rng.integers(2))
            items[str(i)] = item
        (folder / f"{split}.json").write_text(json.dumps(items))
        np.save(folder / f"emb_minilm_{split}.npy", rng.normal(size=(20, 4)).astype(np.float32))
    return folder


@pytest.mark.parametrize("unlabelled", ["test", "valid"])
def test_a_split_without_gold_labels_is_refused_before_any_fit(
    unlabelled, tmp_path, monkeypatch, capsys
):
    def no_fit(*args, **kwargs):
        raise AssertionError("evaluate ran: the check came after the fits")

    monkeypatch.setattr(liger.report, "evaluate", no_fit)
    folder = _wrench(tmp_path / "nolabels", unlabelled)
    # A user error: one line on stderr, exit status 2.
    assert main(["run", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{unlabelled}.json has no gold labels" in err[0], err
