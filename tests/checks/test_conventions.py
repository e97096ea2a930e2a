"""Converters between FlyingSquid's {-1, +1} / 0 = abstain convention and Liger's."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from liger._checks.labels import check_labels
from liger._checks.votes import check_votes
from liger.conventions import from_pm1, to_pm1

from ..conftest import load_votes


def test_from_pm1_maps_values():
    pm1 = np.array([[-1, 0, 1], [1, 1, 0]])
    assert from_pm1(pm1).tolist() == [[0, -1, 1], [1, 1, -1]]
    assert to_pm1(from_pm1(pm1)).tolist() == pm1.tolist()
    # floats with whole values (FlyingSquid's .npy files are float64) and 1-D label vectors
    assert from_pm1(pm1.astype(float)).dtype == np.int64
    assert from_pm1(np.array([-1, 1, 1])).tolist() == [0, 1, 1]


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.int64, st.tuples(st.integers(1, 20), st.integers(1, 6)), elements=st.integers(-1, 1))
)
def test_round_trips(L):
    before = L.copy()
    assert np.array_equal(to_pm1(from_pm1(L)), L)
    assert np.array_equal(from_pm1(to_pm1(L)), L)
    assert np.array_equal(L, before)  # inputs are never modified
    assert np.array_equal(from_pm1(L) == -1, L == 0)  # abstentions in the same places


@pytest.mark.parametrize("convert", [from_pm1, to_pm1])
@pytest.mark.parametrize(
    ("value", "error", "pattern"),
    [
        (np.array([[0, 1, 2]]), ValueError, r"L: expected only the values -1, 0 and 1, got 2"),
        (np.array([[-2, 0]]), ValueError, r"got -2"),
        (np.array([[0.5, 1.0]]), ValueError, r"got 0.5"),
        (np.array([[np.nan, 1.0]]), ValueError, r"got nan"),
        (np.array([[True, False]]), TypeError, r"L: expected an integer or float array"),
        (np.array([["a"]]), TypeError, r"L: expected an integer or float array"),
        (np.zeros((2, 2, 2), dtype=int), ValueError, r"L: expected a 1-D or 2-D array"),
        (None, TypeError, r"L: expected an array, got None"),
    ],
)
def test_converters_reject(convert, value, error, pattern):
    with pytest.raises(error, match=pattern):
        convert(value)


def test_check_votes_hints_at_snorkel_metal_convention():
    metal = np.array([[0, 1, 2], [2, 2, 0]])  # 0 = abstain, classes 1..K with K = 2
    with pytest.raises(ValueError, match=r"0 = abstain and classes 1\.\.K .*L - 1"):
        check_votes("L", metal, 2)
    with pytest.raises(ValueError, match=r"L: expected votes .*got 2") as info:
        check_votes("L", np.array([[-1, 2]]), 2)
    assert "MeTaL" not in str(info.value)  # has -1: not that convention, no misleading hint
    assert check_votes("L", metal - 1, 2).tolist() == (metal - 1).tolist()


def test_check_labels():
    assert check_labels("y", [0, 2, 1], 3).tolist() == [0, 2, 1]
    with pytest.raises(ValueError, match=r"y: expected 2 labels \(one per row of L\), got 3"):
        check_labels("y", [0, 1, 1], 2, n=2)
    with pytest.raises(ValueError, match=r"y: expected classes 0\.\.1 .*got -1 at index 1"):
        check_labels("y", [0, -1], 2)
    with pytest.raises(TypeError, match=r"y: expected integer class labels"):
        check_labels("y", [0.0, 1.0], 2)


def test_tennis_through_the_converter(data_dir):
    raw = np.load(data_dir / "tennis" / "L_dev_video.npy")
    L, y = load_votes(data_dir, "tennis", "valid")
    assert set(np.unique(raw)) == {-1.0, 0.0, 1.0}
    assert np.array_equal(L == -1, raw == 0) and np.array_equal(L == 1, raw == 1)
    assert y.tolist() == ((np.load(data_dir / "tennis" / "Y_dev_video.npy") + 1) // 2).tolist()
