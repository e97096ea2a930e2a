"""LFs pickle like functions: a module-level decorated LF by reference (module + qualname), an
LF over an importable function with its state; a lambda / local LF raises a PicklingError naming
it. Appliers and sessions built from LFs pickle too."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import liger
from liger import LabelingFunction, LFApplier, labeling_function

from ..helpers import lfs

TEXTS = ["spam spam", "hi", "hello there friend", "win a prize!", "ok"]


@pytest.mark.parametrize("name", ["keywords", "short", "long_texts", "fragile"])
def test_decorated_lf_round_trips_by_reference(name):
    lf = getattr(lfs, name)
    data = pickle.dumps(lf)
    assert len(data) < 200  # a reference, not the code
    assert pickle.loads(data) is lf  # as pickle does for a function


@pytest.mark.parametrize("lf", [lfs.plain, lfs.renamed], ids=["plain", "renamed"])
def test_lf_over_an_importable_function_round_trips_by_value(lf):
    back = pickle.loads(pickle.dumps(lf))
    assert back is not lf and back.name == lf.name and back.func is lf.func
    assert back.fingerprint() == lf.fingerprint()
    assert [back(t) for t in TEXTS] == [lf(t) for t in TEXTS]


def test_resources_and_pre_travel_with_the_lf():
    lf = LabelingFunction(
        lfs.keywords.func, name="kw2", resources={"words": ("ok",)}, pre=[str.lower]
    )
    back = pickle.loads(pickle.dumps(lf))
    assert back.resources == {"words": ("ok",)} and back.pre == (str.lower,)
    assert back("OK then") == lfs.SPAM


def test_lambda_and_local_lfs_name_the_lf():
    with pytest.raises(pickle.PicklingError, match=r"'anon'.*lambda.*top level"):
        pickle.dumps(LabelingFunction(lambda x: -1, name="anon"))

    @labeling_function
    def local(x):
        return -1

    with pytest.raises(pickle.PicklingError, match=r"'local'.*local function"):
        pickle.dumps(local)
    with pytest.raises(pickle.PicklingError, match=r"'pre_lambda'.*preprocessor"):
        pickle.dumps(LabelingFunction(lfs._plain, name="pre_lambda", pre=[lambda x: x]))


def test_copies_need_no_pickling():
    lf = LabelingFunction(lambda x: -1, name="anon", resources={"t": [1]})
    shallow, deep = copy.copy(lf), copy.deepcopy(lf)
    assert shallow.resources is lf.resources and deep.resources == lf.resources
    assert deep.resources is not lf.resources and deep.func is lf.func


def test_applier_pickles_with_its_cache():
    applier = LFApplier(backend="serial")
    L = applier.apply([lfs.keywords, lfs.short, lfs.long_texts], TEXTS)
    back = pickle.loads(pickle.dumps(applier))
    assert np.array_equal(back.apply([lfs.keywords, lfs.short, lfs.long_texts], TEXTS), L)
    assert back.last_report_.cached == ["keywords", "short", "long_texts"]


@pytest.mark.filterwarnings("ignore::liger.LabelModelWarning")
def test_session_from_lfs_pickles():
    rng = np.random.default_rng(0)
    texts = [f"{w} {i}" for i, w in enumerate(rng.choice(["spam", "hi", "win!", "hello you"], 60))]
    X = rng.normal(size=(60, 8)).astype(np.float32)
    session = liger.Session.from_lfs([lfs.keywords, lfs.short, lfs.plain], texts, X, thresholds=0.5)
    back = pickle.loads(pickle.dumps(session))
    assert back.lfs_[0] is lfs.keywords and back.lfs_[2].name == "hello"
    assert np.array_equal(back.predict_proba(), session.predict_proba())
    back.set_lf("short", lfs.renamed)  # the applier came along: it still applies LFs
    assert np.array_equal(back.votes()[:, 1], session.votes()[:, 1])
