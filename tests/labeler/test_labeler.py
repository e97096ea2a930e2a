"""liger.Labeler: a Session's (or a Liger's) pipeline applied to new raw records equals the
session's probabilities for them, in batches, after save / load, and through an encoder."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import liger
from liger import ABSTAIN, Labeler, Liger, Session, labeling_function
from liger.labeler.encoders import HashingEncoder
from liger.labeler.supports import compact_supports, support_rows

from ..session.test_session_lfs import _youtube_lfs


@pytest.fixture(autouse=True)
def _quiet_label_model():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", liger.LabelModelWarning)
        yield


@pytest.fixture(scope="module")
def youtube():
    return liger.load_example("youtube")


def _session(ds, lfs, **params):
    params = {"thresholds": 0.6, "retune": None, **params}
    return Session.from_lfs(
        lfs,
        ds.train.texts,
        ds.train.X,
        dev=(ds.valid.texts, ds.valid.X, ds.valid.y),
        test=(ds.test.texts, ds.test.X),
        **params,
    )


def test_to_labeler_equals_the_session_on_new_records_also_after_save_and_load(youtube, tmp_path):
    ds, lfs = youtube, _youtube_lfs()
    session = _session(ds, lfs, thresholds="tune", retune="lf")

    @labeling_function
    def love(text):
        return 0 if "love" in text.lower() else ABSTAIN

    session.add_lf(love)  # an edit: the labeler is the session's current pipeline
    expected = session.predict_proba("test")
    labeler = session.to_labeler(batch_size=97)  # several batches, one short
    np.testing.assert_array_equal(labeler.predict_proba(ds.test.texts, ds.test.X), expected)
    np.testing.assert_array_equal(
        labeler.predict(list(ds.test.texts), ds.test.X), session.predict("test")
    )
    np.testing.assert_array_equal(labeler.model_.thresholds_, session.thresholds_)
    assert labeler.lf_names_ == session.lf_names_
    path = tmp_path / "labeler.npz"
    labeler.save(path)
    loaded = liger.load(path, lfs=session.lfs_)
    assert isinstance(loaded, Labeler) and loaded.lf_names_ == session.lf_names_
    np.testing.assert_array_equal(loaded.predict_proba(ds.test.texts, ds.test.X), expected)
    again = Labeler.load(path, lfs=session.lfs_)
    np.testing.assert_array_equal(again.predict_proba(iter(ds.test.texts), ds.test.X), expected)
    # The train split through the labeler: the session's train probabilities too.
    np.testing.assert_array_equal(
        loaded.predict_proba(ds.train.texts, ds.train.X), session.predict_proba("train")
    )


@pytest.mark.parametrize("model_selection", ["cv", "dev"])
def test_to_labeler_right_after_a_tuned_build_equals_the_session(youtube, model_selection):
    """No edit yet: the session's model came from its full selection (which chose the
    thresholds too), and the labeler holds that model."""
    ds = youtube
    session = _session(ds, _youtube_lfs(), thresholds="tune", model_selection=model_selection)
    labeler = session.to_labeler()
    np.testing.assert_array_equal(
        labeler.predict_proba(ds.test.texts, ds.test.X), session.predict_proba("test")
    )
    assert labeler.model_.cv_score_ == session.cv_score_


def test_a_labeler_file_keeps_only_the_supports_and_predicts_bit_identically(youtube, tmp_path):
    ds = youtube
    model = Liger().fit(ds.train.L, ds.train.X, ds.valid.L, ds.valid.X, ds.valid.y)
    lfs = [labeling_function(name=name)(lambda x: ABSTAIN) for name in ds.lf_names]
    labeler = Labeler.from_liger(model, lfs)
    rows = support_rows(ds.train.L)
    assert 0 < rows.size < ds.train.L.shape[0]
    np.testing.assert_array_equal(labeler.model_._X_support, ds.train.X[rows])
    np.testing.assert_array_equal(labeler.model_._L_support, ds.train.L[rows])
    assert model._X_support.shape[0] == ds.train.L.shape[0], "the Liger itself is unchanged"
    compact = labeler.model_
    for L, X in ((ds.test.L, ds.test.X), (ds.train.L, ds.train.X), (ds.valid.L, ds.valid.X)):
        np.testing.assert_array_equal(compact.predict_proba(L, X), model.predict_proba(L, X))
        np.testing.assert_array_equal(compact.transform(L, X), model.transform(L, X))
    full, small = tmp_path / "liger.npz", tmp_path / "labeler.npz"
    model.save(full)
    labeler.save(small)
    assert os.path.getsize(small) < os.path.getsize(full)


def test_ties_keep_the_lowest_original_row():
    """Two support points at the same distance: the lower train row wins, before and after the
    rows nobody voted on are dropped (they sit between and before them)."""
    X = np.array([[1, 0], [0, 1], [1, 1e-3], [1, -1e-3], [0, 1], [1, 1e-3]], dtype=np.float32)
    L = np.array([[-1], [-1], [0], [-1], [-1], [1]])
    model = Liger(thresholds=-1.0, label_model="majority", cardinality=2).fit(L, X)
    compact = compact_supports(model)
    assert compact._X_support.shape[0] == 2
    queries = np.array([[1, 1e-3], [1, 0]], dtype=np.float32)
    L_q = np.full((2, 1), -1)
    np.testing.assert_array_equal(compact.transform(L_q, queries), model.transform(L_q, queries))
    assert (model.transform(L_q, queries) == 0).all()  # row 2 (vote 0) before row 5 (vote 1)


def test_an_encoder_labels_texts_without_embeddings(youtube, tmp_path):
    ds, lfs = youtube, _youtube_lfs()
    encoder = HashingEncoder(n_features=64)
    X, X_dev, X_test = (encoder(s.texts) for s in (ds.train, ds.valid, ds.test))
    session = Session.from_lfs(
        lfs,
        ds.train.texts,
        X,
        dev=(ds.valid.texts, X_dev, ds.valid.y),
        test=(ds.test.texts, X_test),
        thresholds=0.5,
        retune=None,
    )
    labeler = session.to_labeler(encoder, batch_size=50)
    expected = session.predict_proba("test")
    np.testing.assert_array_equal(labeler.predict_proba(ds.test.texts), expected)
    path = tmp_path / "labeler.npz"
    labeler.save(path)
    loaded = liger.load(path, lfs=lfs)  # liger's encoders are saved with the labeler
    assert isinstance(loaded.encoder_, HashingEncoder)
    np.testing.assert_array_equal(loaded.predict_proba(ds.test.texts), expected)
    # A user's encoder is code: passed again to load.
    user = lambda texts: encoder(texts)  # noqa: E731
    labeler = session.to_labeler(user)
    labeler.save(path)
    with pytest.raises(ValueError, match="X.*encoder"):
        liger.load(path, lfs=lfs).predict_proba(ds.test.texts)
    np.testing.assert_array_equal(
        liger.load(path, lfs=lfs, encoder=user).predict_proba(ds.test.texts), expected
    )
    # Dict records: the encoder reads text_column.
    records = [{"text": t} for t in ds.test.texts]

    @labeling_function
    def check(record):
        return 1 if "check" in record["text"].lower() else ABSTAIN

    model = Liger(thresholds=0.5).fit(
        liger.apply_lfs([check], [{"text": t} for t in ds.train.texts]), X
    )
    labeler = Labeler.from_liger(model, [check], encoder, text_column="text")
    assert labeler.predict_proba(records).shape == (len(records), 2)
    with pytest.raises(ValueError, match="text_column"):
        Labeler.from_liger(model, [check], encoder, text_column="body").predict(records)


def test_changed_lfs_are_refused_unless_allowed(youtube, tmp_path):
    ds, lfs = youtube, _youtube_lfs()
    labeler = _session(ds, lfs).to_labeler()
    path = tmp_path / "labeler.npz"
    labeler.save(path)

    @labeling_function(name="song")
    def song(text):
        return 0 if "music" in text.lower() else ABSTAIN

    changed = [*lfs[:3], song, lfs[4]]
    with pytest.raises(ValueError, match=r"lfs: the code of \['song'\]"):
        liger.load(path, lfs=changed)
    renamed = [*lfs[:3], labeling_function(name="tune")(song.func), lfs[4]]
    with pytest.raises(ValueError, match="lfs: expected the LFs the labeler was saved with"):
        liger.load(path, lfs=renamed)
    with pytest.raises(ValueError, match="lfs: expected 5 labeling functions"):
        liger.load(path, lfs=lfs[:4], allow_changed_lfs=True)
    loaded = liger.load(path, lfs=changed, allow_changed_lfs=True)
    assert loaded.predict(ds.test.texts, ds.test.X).shape == (len(ds.test.texts),)
    unbound = liger.load(path)
    with pytest.raises(ValueError, match="lfs: this labeler was loaded without"):
        unbound.predict(ds.test.texts, ds.test.X)
    model_path = tmp_path / "liger.npz"
    labeler.model_.save(model_path)
    with pytest.raises(ValueError, match="lfs: only a Labeler file"):
        liger.load(model_path, lfs=lfs)
    with pytest.raises(ValueError, match="not a Labeler"):
        Labeler.load(model_path, lfs=lfs)


def test_argument_errors_name_the_argument(youtube):
    ds, lfs = youtube, _youtube_lfs()
    session = _session(ds, lfs)
    labeler = session.to_labeler()
    with pytest.raises(ValueError, match="X: expected the records' embeddings.*encoder"):
        labeler.predict_proba(ds.test.texts)
    with pytest.raises(ValueError, match="records and X"):
        labeler.predict_proba(ds.test.texts, ds.test.X[:-1])
    with pytest.raises(ValueError, match="X: expected one row per record"):
        labeler.predict_proba(iter(ds.test.texts), ds.test.X[:-1])
    with pytest.raises(TypeError, match="records"):
        labeler.predict_proba("one text", ds.test.X[:1])
    with pytest.raises(ValueError, match="X"):
        labeler.predict_proba(ds.test.texts, ds.test.X[:, :10])
    with pytest.raises(TypeError, match="model"):
        Labeler.from_liger(session, lfs)
    with pytest.raises(liger.NotFittedError):
        Labeler.from_liger(Liger(), lfs)
    with pytest.raises(ValueError, match="batch_size"):
        session.to_labeler(batch_size=0)
    plain = Session(
        session.votes("train"), ds.train.X, dev=(session.votes("dev"), ds.valid.X, ds.valid.y)
    )
    with pytest.raises(ValueError, match="to_labeler: the LFs"):
        plain.to_labeler()
    assert labeler.predict_proba([], np.empty((0, ds.test.X.shape[1]))).shape == (0, 2)


def test_the_session_end_model_goes_with_the_labeler_and_stays_after_an_edit(youtube):
    ds, lfs = youtube, _youtube_lfs()
    session = _session(ds, lfs, end_model="logreg", random_state=0)
    expected = session.predict_proba("test", source="end_model")
    labeler = session.to_labeler()
    np.testing.assert_array_equal(labeler.predict_proba(ds.test.texts, ds.test.X), expected)
    np.testing.assert_array_equal(
        labeler.predict_proba(ds.test.texts, ds.test.X, source="label_model"),
        session.predict_proba("test"),
    )
    session.remove_lf("song")
    session.predict_proba("test", source="end_model")  # refits the session's end model
    np.testing.assert_array_equal(labeler.predict_proba(ds.test.texts, ds.test.X), expected)
