"""LFApplier(fault_tolerant=True): a row on which an LF raises abstains, faults counted per LF
(serial, threads, processes), cached with their counts; apply_lfs and Session.from_lfs pass it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import liger
from liger import ABSTAIN, LabelingFunctionError, LFApplier, apply_lfs

from ..helpers import lfs

# Rows 1 and 4 (and every 7th of the big one) make ``fragile`` raise.
TEXTS = ["win!", "boom", "hi", "spam!", "boom!", "hello there friend"]


def _big(n=3000):
    return [("boom" if i % 7 == 0 else "x") + ("!" if i % 2 else "") for i in range(n)]


def _apply(applier, lf_list, records):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        L = applier.apply(lf_list, records)
    return L, [str(w.message) for w in caught]


@pytest.mark.parametrize("backend", ["serial", "threads", "processes"])
def test_raising_rows_abstain_and_are_counted(backend):
    records = _big()
    applier = LFApplier(backend=backend, n_jobs=2, fault_tolerant=True, cache=False)
    L, messages = _apply(applier, [lfs.fragile, lfs.short, lfs.long_texts], records)
    expected = np.array(
        [ABSTAIN if "boom" in t else (1 if t.endswith("!") else ABSTAIN) for t in records]
    )
    assert np.array_equal(L[:, 0], expected)
    faulted = sum("boom" in t for t in records)
    assert applier.faults_ == {"fragile": faulted, "short": 0, "long_texts": 0}
    assert applier.last_report_.faults == applier.faults_
    assert len(messages) == 1 and f"'fragile' on {faulted} of {len(records)} rows" in messages[0]
    if backend == "processes":
        assert applier.last_report_.backend["per_record"] == "processes"
    # The other LFs' votes are those of a plain apply.
    plain = LFApplier(backend="serial", cache=False).apply([lfs.short, lfs.long_texts], records)
    assert np.array_equal(L[:, 1:], plain)


def test_without_fault_tolerance_the_lf_still_raises():
    with pytest.raises(LabelingFunctionError, match="'fragile' raised KeyError on row 1"):
        LFApplier(backend="serial").apply([lfs.fragile], TEXTS)


@pytest.mark.parametrize("backend", ["serial", "threads"])
def test_a_raising_vectorized_lf_abstains_everywhere(backend):
    applier = LFApplier(backend=backend, n_jobs=2, fault_tolerant=True)
    L, messages = _apply(applier, [lfs.fragile_vectorized, lfs.long_texts], TEXTS)
    assert (L[:, 0] == ABSTAIN).all() and applier.faults_["fragile_vectorized"] == len(TEXTS)
    assert "fragile_vectorized" in messages[0]
    L, _ = _apply(applier, [lfs.fragile_vectorized], ["ok", "fine"])  # no boom: no fault
    assert (L[:, 0] == 0).all() and applier.faults_ == {"fragile_vectorized": 0}


def test_returned_non_votes_are_errors_not_faults():
    bad = liger.LabelingFunction(lambda x: "spam", name="returns_str")
    with pytest.raises(LabelingFunctionError, match="returns_str"):
        LFApplier(fault_tolerant=True).apply([bad], TEXTS)
    mark = liger.LabelingFunction(lambda x: -128, name="returns_mark")
    with pytest.raises(LabelingFunctionError, match="returned -128"):
        LFApplier(fault_tolerant=True).apply([mark], TEXTS)


def test_cache_keeps_the_fault_counts():
    applier = LFApplier(backend="serial", fault_tolerant=True)
    first, _ = _apply(applier, [lfs.fragile, lfs.short], TEXTS)
    again, messages = _apply(applier, [lfs.fragile, lfs.short], TEXTS)
    assert applier.last_report_.cached == ["fragile", "short"]
    assert np.array_equal(first, again) and applier.faults_ == {"fragile": 2, "short": 0}
    assert messages  # the faults are reported again, from the cache
    # Not tolerant any more: the faulted column is not reused, the LF raises.
    applier.fault_tolerant = False
    with pytest.raises(LabelingFunctionError, match="fragile"):
        applier.apply([lfs.fragile], TEXTS)
    assert np.array_equal(applier.apply([lfs.short], TEXTS)[:, 0], first[:, 1])


def test_fault_tolerant_is_checked():
    with pytest.raises(TypeError, match="fault_tolerant: expected True or False"):
        LFApplier(fault_tolerant="yes").apply([lfs.short], TEXTS)


def test_apply_lfs_passes_it():
    with pytest.warns(UserWarning, match="fragile"):
        L = apply_lfs([lfs.fragile], TEXTS, fault_tolerant=True, backend="serial")
    assert L[:, 0].tolist() == [1, -1, -1, 1, -1, -1]


@pytest.mark.filterwarnings("ignore::liger.LabelModelWarning")
@pytest.mark.filterwarnings("ignore:labeling functions raised:UserWarning")
def test_session_from_lfs_counts_faults_per_lf():
    rng = np.random.default_rng(0)
    texts = list(rng.choice(["win!", "boom", "hi", "spam!", "hello there friend"], 80))
    X = rng.normal(size=(80, 8)).astype(np.float32)
    dev_texts = list(rng.choice(["boom!", "hi there", "win!"], 30))
    dev = (dev_texts, rng.normal(size=(30, 8)).astype(np.float32), rng.integers(0, 2, 30))
    with pytest.raises(LabelingFunctionError, match="fragile"):
        liger.Session.from_lfs([lfs.fragile, lfs.short], texts, X, dev=dev, thresholds=0.5)
    session = liger.Session.from_lfs(
        [lfs.fragile, lfs.short, lfs.keywords],
        texts,
        X,
        dev=dev,
        thresholds=0.5,
        fault_tolerant=True,
    )
    train = sum("boom" in t for t in texts)
    on_dev = sum("boom" in t for t in dev_texts)
    assert session.faults_ == {
        "fragile": {"train": train, "dev": on_dev},
        "short": {"train": 0, "dev": 0},
        "keywords": {"train": 0, "dev": 0},
    }
    table = session.lf_table(as_frame=False)
    assert table["faults"].tolist() == [train + on_dev, 0, 0]
    session.set_lf("short", lfs.fragile_vectorized)  # raises on the splits holding "boom"
    assert session.faults_["fragile_vectorized"] == {"train": 80, "dev": 30}
    assert "short" not in session.faults_
    with pytest.raises(ValueError, match="fault_tolerant"):
        liger.Session.from_lfs(
            [lfs.short], texts, X, applier=LFApplier(), fault_tolerant=True, thresholds=0.5
        )
