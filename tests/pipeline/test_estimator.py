"""The Liger estimator: scikit-learn conventions, extension semantics, honest tuning, bad input."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import liger
from liger._estimator import NotFittedError
from liger.label_model.triplet import LabelModel
from liger.pipeline import estimator as estimator_module
from liger.pipeline.estimator import Liger


def _toy(seed=0, n=600, n_dev=150, d=16, m=6):
    """Two Gaussian blobs; unipolar LFs that fire on part of their class, some noise."""
    rng = np.random.default_rng(seed)

    def split(size):
        y = rng.integers(0, 2, size)
        centers = np.where(y[:, None] == 1, 1.0, -1.0) * np.linspace(1, 0.2, d)
        X = (centers + rng.standard_normal((size, d))).astype(np.float32)
        lf_class = np.arange(m) % 2
        fires = rng.random((size, m)) < 0.25
        correct = rng.random((size, m)) < 0.85
        target = y[:, None] == lf_class[None, :]
        L = np.where(fires & (target == correct), lf_class[None, :], -1)
        return L, X, y

    return split(n), split(n_dev), split(n_dev)


@pytest.fixture(autouse=True)
def _quiet_label_model():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_scikit_learn_conventions():
    model = Liger(thresholds=0.5, n_partitions=2, random_state=3)
    params = model.get_params()
    assert params["thresholds"] == 0.5 and params["n_partitions"] == 2
    assert not [k for k in vars(model) if k.endswith("_")], "__init__ only stores parameters"
    assert model.set_params(n_partitions=1) is model and model.n_partitions == 1
    (L, X, _), (L_dev, X_dev, y_dev), _ = _toy()
    assert model.fit(L, X, L_dev, X_dev, y_dev) is model
    for attribute in ("thresholds_", "partitions_", "label_models_", "classes_", "fit_time_"):
        assert hasattr(model, attribute)
    assert model.thresholds_.shape == (L.shape[1],)
    np.testing.assert_array_equal(model.classes_, [0, 1])


def test_no_extension_is_the_plain_label_model():
    (L, X, _), _, (L_test, X_test, _) = _toy()
    model = Liger(thresholds=None).fit(L, X)
    np.testing.assert_array_equal(model.transform(L_test, X_test), L_test)
    expected = LabelModel(cardinality=2).fit(L).predict_proba(L_test)
    np.testing.assert_allclose(model.predict_proba(L_test, X_test), expected)


def test_fixed_thresholds_extend_from_the_train_supports():
    (L, X, _), _, (L_test, X_test, _) = _toy()
    thresholds = np.linspace(0.2, 0.6, L.shape[1])
    model = Liger(thresholds=thresholds).fit(L, X)
    np.testing.assert_array_equal(
        model.transform(L_test, X_test), liger.extend(L_test, X_test, L, X, thresholds)
    )
    proba = model.predict_proba(L_test, X_test)
    assert proba.shape == (L_test.shape[0], 2)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    np.testing.assert_array_equal(model.predict(L_test, X_test), proba.argmax(1))


def test_tuning_scores_dev_labels_only(monkeypatch):
    """Every label vector scored while fitting is y_dev: test labels cannot leak in."""
    (L, X, _), (L_dev, X_dev, y_dev), _ = _toy()
    from liger import splits

    seen = []
    original = splits.compute

    def spy(names, y_true, y_pred, cardinality):
        seen.append(np.asarray(y_true))
        return original(names, y_true, y_pred, cardinality)

    # Every score a fit computes goes through the shared dev objective (splits.dev_score).
    assert not hasattr(estimator_module, "compute")
    monkeypatch.setattr(splits, "compute", spy)
    Liger(n_partitions="tune", random_state=0).fit(L, X, L_dev, X_dev, y_dev)
    assert seen, "tuning scored nothing"
    for y_true in seen:
        np.testing.assert_array_equal(y_true, y_dev)


def test_tuning_needs_dev_and_uses_it():
    (L, X, _), (L_dev, X_dev, y_dev), _ = _toy()
    with pytest.raises(ValueError, match="needs a labelled dev split"):
        Liger().fit(L, X)
    tuned = Liger(random_state=0).fit(L, X, L_dev, X_dev, y_dev)
    assert tuned.dev_score_ is not None and 0 <= tuned.dev_score_ <= 1
    assert tuned.tune_metric_ == "accuracy"


def test_class_balance_modes():
    """Without dev labels the balance is the label model's own estimate from the votes; with
    them the cross-validation chooses between that estimate and the dev labels' frequencies
    (``model_selection="dev"`` keeps the votes' estimate); the dev-label options use the dev
    labels (alone, or weighed against the votes' likelihood)."""
    (L, X, _), (L_dev, X_dev, y_dev), _ = _toy()

    def balance(**params):
        model = Liger(thresholds=None, **params).fit(L, X, L_dev, X_dev, y_dev)
        return model.global_label_model_.class_balance_

    votes_only = LabelModel().fit(L).class_balance_
    np.testing.assert_allclose(balance(model_selection="dev"), votes_only)
    dev_frequencies = (np.bincount(y_dev, minlength=2) + 1) / (y_dev.size + 2)
    chosen = balance()
    assert np.allclose(chosen, votes_only) or np.allclose(chosen, dev_frequencies), chosen
    np.testing.assert_allclose(
        Liger(thresholds=None).fit(L, X).global_label_model_.class_balance_, votes_only
    )
    majority = LabelModel(class_balance="majority").fit(L).class_balance_
    np.testing.assert_allclose(balance(class_balance="majority"), majority)
    combined = LabelModel(class_balance="likelihood").fit(L, y_dev=y_dev).class_balance_
    np.testing.assert_allclose(balance(class_balance="likelihood+dev"), combined)
    frequencies = (np.bincount(y_dev, minlength=2) + 1) / (y_dev.size + 2)
    np.testing.assert_allclose(balance(class_balance="dev"), frequencies)
    np.testing.assert_allclose(balance(class_balance=[0.3, 0.7]), [0.3, 0.7])
    y3 = y_dev + (np.arange(y_dev.size) % 3 == 0)
    model = Liger(thresholds=None, cardinality=3, class_balance="dev").fit(L, X, L_dev, X_dev, y3)
    frequencies = (np.bincount(y3, minlength=3) + 1) / (y3.size + 3)
    np.testing.assert_allclose(model.global_label_model_.class_balance_, frequencies)


def test_part_balances_shrink_routed_dev_frequencies_to_the_global_one():
    (L, X, _), (L_dev, X_dev, y_dev), _ = _toy(n=1200)
    model = Liger(thresholds=None, n_partitions=2, class_balance="dev", random_state=0)
    model.fit(L, X, L_dev, X_dev, y_dev)
    global_balance = model.global_label_model_.class_balance_
    routed = estimator_module.assign(X_dev, model.centroids_)
    for part, part_model in enumerate(model.label_models_):
        counts = np.bincount(y_dev[routed == part], minlength=2)
        pseudo = estimator_module.PART_BALANCE_PSEUDO_COUNT * global_balance
        expected = (counts + pseudo) / (counts.sum() + pseudo.sum())
        np.testing.assert_allclose(part_model.class_balance_, expected)
    # The blobs are the classes: each part's balance leans to its own class.
    assert {int(np.argmax(m.class_balance_)) for m in model.label_models_} == {0, 1}


def test_random_state_makes_partitions_reproducible():
    (L, X, _), _, (L_test, X_test, _) = _toy()
    a = Liger(thresholds=0.3, n_partitions=3, random_state=7).fit(L, X)
    b = Liger(thresholds=0.3, n_partitions=3, random_state=7).fit(L, X)
    np.testing.assert_array_equal(a.centroids_, b.centroids_)
    np.testing.assert_array_equal(a.predict_proba(L_test, X_test), b.predict_proba(L_test, X_test))


def test_lf_summary_reports_coverage_before_and_after():
    (L, X, _), (L_dev, X_dev, y_dev), _ = _toy()
    model = Liger(thresholds=0.0).fit(L, X, L_dev, X_dev, y_dev)
    summary = model.lf_summary()
    np.testing.assert_allclose(summary.coverage, (L != -1).mean(0))
    assert (summary.coverage_extended >= summary.coverage).all()
    assert "coverage_extended" in str(summary)


@pytest.mark.parametrize(
    ("change", "error", "pattern"),
    [
        ({"X": "rows"}, ValueError, r"L_train and X_train: expected the same number of rows"),
        ({"y_dev": None}, ValueError, r"y_dev: expected together with L_dev, X_dev"),
        (
            {"y_dev": "negative"},
            ValueError,
            r"y_dev: expected classes 0..1 \(cardinality=2\), got -1",
        ),
        (
            {"y_dev": "too_many"},
            ValueError,
            r"y_dev: expected classes 0..1 \(cardinality=2\), got 2",
        ),
        ({"X_dev": "dims"}, ValueError, r"X_train and X_dev: expected the same embedding dim"),
        ({"L_dev": "lfs"}, ValueError, r"L_train and L_dev: expected the same number of LFs"),
        ({"L_dev": "rows"}, ValueError, r"L_dev and X_dev: expected the same number of rows"),
    ],
)
def test_fit_rejects_bad_input(change, error, pattern):
    (L, X, _), (L_dev, X_dev, y_dev), _ = _toy()
    args = {"L": L, "X": X, "L_dev": L_dev, "X_dev": X_dev, "y_dev": y_dev}
    edits = {
        "rows": lambda a: a[:-1],
        "dims": lambda a: a[:, :-1],
        "lfs": lambda a: a[:, :-1],
        "negative": lambda a: a - 1,
        "too_many": lambda a: a * 2,
        None: lambda a: None,
    }
    for key, how in change.items():
        args[key] = edits[how](args[key])
    with pytest.raises(error, match=pattern):
        Liger(cardinality=2).fit(args["L"], args["X"], args["L_dev"], args["X_dev"], args["y_dev"])


def test_class_balance_is_checked():
    (L, X, _), (L_dev, X_dev, y_dev), _ = _toy()
    with pytest.raises(ValueError, match=r"class_balance: expected None, one of \('likelihood'"):
        Liger(thresholds=None, class_balance="test").fit(L, X, L_dev, X_dev, y_dev)
    for needs_dev in ("dev", "likelihood+dev"):
        with pytest.raises(
            ValueError, match=re.escape(f"class_balance: '{needs_dev}' needs a dev split")
        ):
            Liger(thresholds=None, class_balance=needs_dev).fit(L, X)
    with pytest.raises(ValueError, match=r"class_balance: expected shape \(2,\)"):
        Liger(thresholds=None, class_balance=[0.2, 0.3, 0.5]).fit(L, X)


def test_predict_rejects_votes_outside_the_fitted_classes():
    (L, X, _), _, (L_test, X_test, _) = _toy()
    model = Liger(thresholds=0.3).fit(L, X)
    bad = L_test.copy()
    bad[0, 0] = 2
    with pytest.raises(ValueError, match=r"L: expected votes in -1..1 \(K=2 from fit\), got 2"):
        model.predict_proba(bad, X_test)
    with pytest.raises(ValueError, match="L and X: expected the same number of rows"):
        model.predict(L_test[:3], X_test)
    with pytest.raises(NotFittedError):
        Liger().predict(L_test, X_test)


@pytest.mark.parametrize(
    "param, value, message",
    [
        ("label_model", "snorkel", "label_model: expected"),
        ("class_balance", "uniformish", "class_balance: expected"),
        ("class_balance", "dev", "class_balance: 'dev' needs a dev split"),
        ("tune_metric", "auc", "tune_metric: expected"),
        ("threshold_search", "grid", "threshold_search: expected"),
        ("thresholds", "best", "thresholds: expected 'tune'"),
        ("fit_on", "both", "fit_on: expected"),
        ("extension", "knn", "extension: expected"),
        ("n_partitions", 0, "n_partitions: expected"),
        ("n_partitions", "auto", "n_partitions: expected"),
        ("end_model", "mlp", "end_model: expected"),
    ],
)
def test_bad_settings_are_refused_before_any_search(monkeypatch, param, value, message):
    """A typo in a setting must not cost the O(n^2) search first."""

    def no_search(*args, **kwargs):
        raise AssertionError("searched before the settings were checked")

    monkeypatch.setattr(estimator_module, "search_nearest", no_search)
    rng = np.random.default_rng(0)
    L = rng.integers(-1, 2, (50, 3))
    X = rng.standard_normal((50, 4)).astype(np.float32)
    with pytest.raises(ValueError, match=message):
        Liger(**{"thresholds": 0.5, param: value}).fit(L, X)
