"""Liger(extension=...): the radius rule in the estimator, and its choice on dev."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import liger
from liger.extension.votes import RADIUS_MAX_NEIGHBORS, RadiusVotes
from liger.pipeline.estimator import Liger


def _two_class_lfs(seed=0, n=500, n_dev=150, d=8, m=4):
    """Two Gaussian blobs; every LF votes both classes (right 75 % of the time) where it fires."""
    rng = np.random.default_rng(seed)

    def split(size):
        y = rng.integers(0, 2, size)
        X = (np.where(y[:, None] == 1, 0.8, -0.8) + rng.standard_normal((size, d))).astype(
            np.float32
        )
        fires = rng.random((size, m)) < 0.3
        right = rng.random((size, m)) < 0.75
        L = np.where(fires, np.where(right, y[:, None], 1 - y[:, None]), -1)
        return L, X, y

    return split(n), split(n_dev), split(n_dev)


@pytest.fixture(autouse=True)
def _quiet_label_model():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_radius_extension_applies_the_radius_rule_with_the_fitted_thresholds():
    (L, X, _), (L_dev, X_dev, y_dev), (L_test, X_test, _) = _two_class_lfs()
    model = Liger(extension="radius", random_state=0).fit(L, X, L_dev, X_dev, y_dev)
    assert model.extension_ == "radius" and model.get_params()["extension"] == "radius"
    expected = liger.extend(
        L_test,
        X_test,
        L,
        X,
        model.thresholds_,
        rule="radius",
        max_neighbors=RADIUS_MAX_NEIGHBORS,
    )
    np.testing.assert_array_equal(model.transform(L_test, X_test), expected)
    nearest = liger.extend(L_test, X_test, L, X, model.thresholds_)
    np.testing.assert_array_equal(expected == -1, nearest == -1)
    assert (expected != nearest).any(), "two-class LFs: the rules differ somewhere"
    proba = model.predict_proba(L_test, X_test)
    np.testing.assert_allclose(proba.sum(1), 1.0)


def test_fixed_thresholds_and_fit_on_extended_use_the_rule_on_train_too():
    (L, X, _), (L_dev, X_dev, y_dev), _ = _two_class_lfs(seed=1)
    model = Liger(extension="radius", thresholds=0.3, fit_on="extended").fit(L, X)
    assert model.dev_score_ is None
    expected = liger.extend(L, X, L, X, 0.3, rule="radius", max_neighbors=RADIUS_MAX_NEIGHBORS)
    np.testing.assert_array_equal(model.transform(L, X), expected)
    tuned = Liger(extension="radius", fit_on="extended", random_state=0)
    assert tuned.fit(L, X, L_dev, X_dev, y_dev).extension_ == "radius"


@pytest.mark.parametrize(("radius_gain", "chosen"), [(0.005, "nearest"), (0.02, "radius")])
def test_tune_keeps_radius_only_when_it_gains_min_gain_on_dev(monkeypatch, radius_gain, chosen):
    (L, X, _), (L_dev, X_dev, y_dev), _ = _two_class_lfs()
    original = Liger._choose_thresholds

    def scored(self, train, dev_votes, dev):
        thresholds, levels, score = original(self, train, dev_votes, dev)
        base = 0.5 if not isinstance(dev_votes, RadiusVotes) else 0.5 + radius_gain
        return thresholds, levels, base

    monkeypatch.setattr(Liger, "_choose_thresholds", scored)
    model = Liger(extension="tune", min_gain=0.01).fit(L, X, L_dev, X_dev, y_dev)
    assert model.extension_ == chosen
    assert model.dev_score_ == (0.5 + radius_gain if chosen == "radius" else 0.5)


def test_tune_scores_dev_labels_only(monkeypatch):
    (L, X, _), (L_dev, X_dev, y_dev), _ = _two_class_lfs()
    from liger import splits

    seen = []
    original = splits.compute

    def spy(names, y_true, y_pred, cardinality):
        seen.append(np.asarray(y_true))
        return original(names, y_true, y_pred, cardinality)

    # Every score a fit computes goes through the shared dev objective (splits.dev_score).
    monkeypatch.setattr(splits, "compute", spy)
    Liger(extension="tune").fit(L, X, L_dev, X_dev, y_dev)
    assert seen
    for y_true in seen:
        np.testing.assert_array_equal(y_true, y_dev)


def test_bad_extension_values():
    (L, X, _), _, _ = _two_class_lfs()
    with pytest.raises(ValueError, match="extension: expected 'nearest', 'radius' or 'tune'"):
        Liger(extension="knn", thresholds=0.3).fit(L, X)
    with pytest.raises(ValueError, match="extension: 'tune' needs a dev split"):
        Liger(extension="tune", thresholds=0.3).fit(L, X)
