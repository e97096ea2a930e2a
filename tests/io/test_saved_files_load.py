"""Model files saved by commit 0d8a99b (before the package layout move) still load, and predict
bit for bit what they predicted when saved."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import liger

SAVED = Path(__file__).resolve().parent.parent / "data" / "saved_by_0d8a99b"


@pytest.fixture(scope="module")
def example():
    return liger.load_example()


@pytest.mark.parametrize("name", ["Liger", "LabelModel", "MajorityVoter", "EndModel"])
def test_saved_file_loads_and_predicts_the_same(name, example):
    with np.load(SAVED / "expected.npz") as z:
        expected = z[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = liger.load(SAVED / f"{name}.npz")
        te = example.test
        assert type(model).__name__ == name
        if name == "Liger":
            got = model.predict_proba(te.L[:50], te.X[:50])
        elif name == "EndModel":
            got = model.predict_proba(te.X[:50])
        else:
            got = model.predict_proba(te.L[:50])
    assert np.array_equal(got, expected)
