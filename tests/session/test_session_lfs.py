"""Session built from labeling functions (``Session.from_lfs``): only what changed is applied,
refused edits change nothing, and the loop's diagnostics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import liger
from liger import Liger, Session
from liger.extension.tuning import NearestVotes as _NearestVotes

from ..helpers.sessions import make_problem, session_of, three


@pytest.fixture(autouse=True)
def _quiet_label_model():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _youtube_lfs():
    from liger import ABSTAIN, labeling_function

    @labeling_function
    def check_out(text):
        return 1 if "check out" in text.lower() else ABSTAIN

    @labeling_function
    def subscribe(text):
        return 1 if "subscribe" in text.lower() else ABSTAIN

    @labeling_function
    def link(text):
        return 1 if "http" in text.lower() or ".com" in text.lower() else ABSTAIN

    @labeling_function
    def song(text):
        return 0 if "song" in text.lower() else ABSTAIN

    @labeling_function(vectorized=True)
    def short(texts):
        return np.where(np.array([len(t.split()) for t in texts]) < 5, 0, ABSTAIN)

    return [check_out, subscribe, link, song, short]


def test_session_from_lfs_applies_only_what_changed_and_matches_from_scratch():
    from liger import ABSTAIN, labeling_function

    ds = liger.load_example("youtube")
    lfs = _youtube_lfs()
    session = Session.from_lfs(
        lfs,
        ds.train.texts,
        ds.train.X,
        dev=(ds.valid.texts, ds.valid.X, ds.valid.y),
        test=(ds.test.texts, ds.test.X),
        thresholds=0.6,
        retune=None,
    )
    assert session.lf_names_ == ["check_out", "subscribe", "link", "song", "short"]
    applier = liger.LFApplier()
    L = applier.apply(lfs, ds.train.texts)
    np.testing.assert_array_equal(session.votes("train"), L)

    @labeling_function(name="song")
    def music(text):
        return 0 if "song" in text.lower() or "music" in text.lower() else ABSTAIN

    session.set_lf("song", music)
    assert session._applier.last_report_.ran == ["song"], "only the edited LF runs"
    assert session.lfs_[3] is music
    L[:, 3] = applier.apply([music], ds.train.texts)[:, 0]
    L_dev = applier.apply(session.lfs_, ds.valid.texts)
    L_test = applier.apply(session.lfs_, ds.test.texts)
    model = Liger(thresholds=0.6).fit(L, ds.train.X, L_dev, ds.valid.X, ds.valid.y)
    np.testing.assert_array_equal(model.predict_proba(L, ds.train.X), session.predict_proba())
    np.testing.assert_array_equal(
        model.predict_proba(L_test, ds.test.X), session.predict_proba("test")
    )

    @labeling_function
    def love(text):
        return 0 if "love" in text.lower() else ABSTAIN

    session.add_lf(love, threshold=0.7)
    assert session.lf_names_[-1] == "love" and session.lfs_[-1] is love
    session.remove_lf("check_out")
    assert session.lf_names_ == ["subscribe", "link", "song", "short", "love"]
    kept = applier.apply(session.lfs_, ds.train.texts)
    np.testing.assert_array_equal(session.votes("train"), kept)
    with pytest.raises(ValueError, match="dev, test: given an LF"):
        session.set_lf("love", love, dev=np.zeros(120, int))
    plain = session_of(make_problem(0), thresholds=0.1, retune=None)
    with pytest.raises(ValueError, match="votes: an LF needs the records"):
        plain.set_lf(0, love)


def test_a_refused_edit_changes_nothing_and_array_lfs_can_become_functions():
    from liger import ABSTAIN, labeling_function

    ds = liger.load_example("youtube")
    session = Session.from_lfs(
        _youtube_lfs(),
        ds.train.texts,
        ds.train.X,
        dev=(ds.valid.texts, ds.valid.X, ds.valid.y),
        thresholds=0.6,
        retune=None,
    )
    applier = liger.LFApplier()

    @labeling_function
    def love(text):
        return 0 if "love" in text.lower() else ABSTAIN

    def state():
        return (
            list(session.lf_names_),
            session.thresholds_.copy(),
            session.votes("train").copy(),
            session.predict_proba().copy(),
            session.predict_proba("dev").copy(),
        )

    def assert_same(a, b):
        assert a[0] == b[0]
        for x, y in zip(a[1:], b[1:]):
            np.testing.assert_array_equal(x, y)

    before = state()
    with pytest.raises(TypeError, match="threshold"):
        session.set_lf("song", love, threshold="bad")
    assert_same(before, state())
    with pytest.raises(ValueError, match="retune"):
        session.set_lf("song", love, retune="some")
    assert_same(before, state())
    with pytest.raises(TypeError, match="threshold"):
        session.add_lf(love, threshold="bad")
    assert_same(before, state())
    assert session.lfs_[3].name == "song"

    # An LF added as vote arrays, later replaced by a function.
    votes = applier.apply([love], ds.train.texts)[:, 0]
    dev_votes = applier.apply([love], ds.valid.texts)[:, 0]
    session.add_lf(votes, dev=dev_votes, name="arrays", threshold=0.7)
    session.set_lf("arrays", love)
    assert session.lf_names_[-1] == "love" and session.lfs_[-1] is love
    np.testing.assert_array_equal(session.votes("train")[:, -1], votes)


def test_diagnostics_of_the_loop():
    from liger import diagnostics

    problem = make_problem(14)
    session = session_of(problem, thresholds=0.4, retune=None)
    before = {s: session.predict_proba(s).copy() for s in session.splits}
    ext_before = session.votes("train", extended=True)
    train, dev, test = three(np.random.default_rng(4), 0.3)
    report = session.set_lf(2, train, dev=dev, test=test)
    changed = session.what_changed(as_frame=False)
    assert changed["flipped"][0] == report.flipped["train"]
    expected = diagnostics.what_changed(
        before["train"],
        session.predict_proba(),
        votes_before=ext_before,
        votes_after=session.votes("train", extended=True),
        dev_before=before["dev"],
        dev_after=session.predict_proba("dev"),
        y_dev=session._splits["dev"].y,
        metric=session.tune_metric_,
        as_frame=False,
    )
    for column in expected.columns:
        np.testing.assert_array_equal(changed[column], expected[column])
    assert changed["dev_score_before"][0] == report.dev_score_before
    assert changed["dev_score_after"][0] == report.dev_score_after
    # Add, then remove: the shapes before and after differ.
    session.add_lf(train, dev=dev, test=test, threshold=0.5)
    assert session.what_changed("dev", as_frame=False)["n"][0] == 60
    table = session.lf_table(as_frame=False)
    reference = diagnostics.lf_table(
        session.votes("train"),
        session.votes("train", extended=True),
        L_dev=session.votes("dev"),
        y_dev=session._splits["dev"].y,
        L_dev_extended=session.votes("dev", extended=True),
        names=session.lf_names_,
        as_frame=False,
    )
    for column in reference.columns:
        np.testing.assert_array_equal(table[column], reference[column])
    (_, X, _), (_, X_dev, y_dev), _ = problem
    L, L_dev = session.votes("train"), session.votes("dev")
    train_votes = _NearestVotes.from_search(L, *liger.nearest_support(X, X, L), L, "cosine")
    dev_votes = _NearestVotes.from_search(L_dev, *liger.nearest_support(X_dev, X, L), L, "cosine")
    curves = session.extension_curves(as_frame=False)
    reference = diagnostics.extension_curves(
        train_votes, dev_votes, session._splits["dev"].y, names=session.lf_names_, as_frame=False
    )
    for column in reference.columns:
        np.testing.assert_array_equal(curves[column], reference[column])
