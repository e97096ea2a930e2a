"""Fit-time warnings: once per fit, naming the LFs and what to do; none with nothing to act on
(sms: 73 keyword LFs, most too rare for a triplet)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import liger
from liger.label_model.class_balance import LabelModelWarning
from liger.label_model.fit_warnings import describe_lfs, once_per_fit


def _caught(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return [w for w in caught if issubclass(w.category, LabelModelWarning)]


@pytest.fixture(scope="module")
def sms(data_dir):
    return liger.load_wrench(data_dir / "sms")


def test_sms_fits_warn_nothing(sms):
    t, v = sms.train, sms.valid
    assert not _caught(lambda: liger.LabelModel().fit(t.L))
    assert not _caught(lambda: liger.Liger(thresholds=0.8).fit(t.L, t.X))
    assert not _caught(lambda: liger.Session(t.L, t.X, dev=(v.L, v.X, v.y)))


def test_a_silent_lf_is_named_once_per_fit_with_what_to_do(sms):
    L = sms.train.L.copy()
    L[:, 3] = -1
    caught = _caught(lambda: liger.Liger(thresholds=0.8).fit(L, sms.train.X))
    assert len(caught) == 1, [str(w.message) for w in caught]
    message = str(caught[0].message)
    assert "LFs [3] never vote" in message and "remove them" in message
    assert caught[0].filename == __file__  # points at the user's call
    names = [f"lf{j}" for j in range(L.shape[1])]
    caught = _caught(lambda: liger.Session(L, sms.train.X, thresholds=0.8, names=names))
    assert len(caught) == 1 and "['lf3' (3)]" in str(caught[0].message)


def test_once_per_fit_dedups_and_passes_other_warnings():
    def fit():
        with once_per_fit(["a", "b"]):
            for _ in range(3):
                warnings.warn(
                    f"LFs {describe_lfs(np.array([1]))} odd", LabelModelWarning, stacklevel=1
                )
            warnings.warn("other", RuntimeWarning, stacklevel=1)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    messages = [(w.category, str(w.message)) for w in caught]
    assert messages.count((LabelModelWarning, "LFs ['b' (1)] odd")) == 1
    assert (RuntimeWarning, "other") in messages
    assert describe_lfs(np.arange(12)).endswith(", ...]")  # outside a fit: indices


def test_fewer_than_three_lfs_say_what_to_do():
    rng = np.random.default_rng(0)
    L = np.where(rng.random((500, 2)) < 0.5, rng.integers(0, 2, (500, 2)), -1)
    caught = _caught(lambda: liger.LabelModel().fit(L))
    assert any("add LFs, or use label_model='majority'" in str(w.message) for w in caught)
