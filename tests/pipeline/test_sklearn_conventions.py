"""scikit-learn conventions of every estimator: ``clone``, ``check_is_fitted``, ``n_features_in_``,
a float ``score``, scikit-learn's ``NotFittedError``, ``get_params`` / ``set_params``, tags, and
``check_estimator`` on :class:`liger.EndModel` (at most 2 documented failures)."""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone, is_classifier  # noqa: E402
from sklearn.exceptions import NotFittedError as SklearnNotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.utils import get_tags  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402

import liger  # noqa: E402
from liger import EndModel, LabelModel, Liger, MajorityVoter  # noqa: E402

#: The checks of ``check_estimator(EndModel())`` that fail, and why (at most 2).
ENDMODEL_EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "integer sample weights and repeated rows give the same optimum only within the "
        "iterative solver's tolerance: the fit computes in float32 (the embeddings' dtype, half "
        "the memory traffic) and stops L-BFGS at its default tolerance, so predict_proba agrees "
        "to about 1e-6 relative, not the check's rtol=1e-7 (test_integer_weights_are_repeated_"
        "rows checks the equivalence at 1e-4)"
    ),
}


@pytest.fixture(scope="module")
def example():
    return liger.load_example()


def _fitted(example):
    """Every estimator fitted on a slice of the example data set."""
    tr, va = example.train, example.valid
    L, X = tr.L[:600], tr.X[:600]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "Liger": Liger(random_state=0, n_jobs=1).fit(L, X, va.L, va.X, va.y),
            "LabelModel": LabelModel().fit(L),
            "MajorityVoter": MajorityVoter().fit(L),
            "EndModel": EndModel().fit(va.X, va.y),
        }


UNFITTED = {
    "Liger": lambda: Liger(random_state=0, n_jobs=1),
    "LabelModel": LabelModel,
    "MajorityVoter": MajorityVoter,
    "EndModel": EndModel,
}


def _all_unfitted():
    out = {name: make() for name, make in UNFITTED.items()}
    try:
        import liger.dask

        out["DaskLiger"] = liger.dask.DaskLiger(Liger(thresholds=0.5))
    except ImportError:  # the dask extra is optional
        pass
    return out


@pytest.mark.parametrize("name", [*UNFITTED, "DaskLiger"])
def test_clone_and_params_round_trip(name):
    estimators = _all_unfitted()
    if name not in estimators:
        pytest.skip("dask is not installed")
    estimator = estimators[name]
    copy = clone(estimator)
    assert type(copy) is type(estimator) and copy is not estimator
    assert repr(copy) == repr(estimator)
    params = estimator.get_params(deep=False)
    assert copy.get_params(deep=False).keys() == params.keys()
    assert type(estimator).__name__ in repr(estimator)
    # set_params with get_params' own values changes nothing; returns the estimator.
    assert estimator.set_params(**params) is estimator
    assert repr(estimator) == repr(copy)
    # Deep parameters reach the wrapped estimator (DaskLiger) and survive clone.
    deep = estimator.get_params(deep=True)
    if name == "DaskLiger":
        assert deep["estimator__thresholds"] == 0.5
        estimator.set_params(estimator__thresholds=0.25)
        assert clone(estimator).estimator.thresholds == 0.25
        assert clone(estimator).estimator is not estimator.estimator


@pytest.mark.parametrize("name", [*UNFITTED, "DaskLiger"])
def test_check_is_fitted_before_fit(name):
    estimators = _all_unfitted()
    if name not in estimators:
        pytest.skip("dask is not installed")
    with pytest.raises(SklearnNotFittedError):
        check_is_fitted(estimators[name])


def test_fitted_estimators(example):
    te = example.test
    for name, model in _fitted(example).items():
        check_is_fitted(model)
        # clone gives the unfitted estimator with the same parameters.
        unfitted = clone(model)
        assert repr(unfitted) == repr(model)
        with pytest.raises(SklearnNotFittedError):
            check_is_fitted(unfitted)
        if name == "Liger":
            score = model.score(te.L, te.X, te.y)
        elif name == "EndModel":
            assert model.n_features_in_ == te.X.shape[1]
            score = model.score(te.X, te.y)
        else:
            assert model.n_features_in_ == te.L.shape[1] == model.n_lfs_
            score = model.score(te.L, te.y)
            assert type(model.score(te.L, te.y, metrics="macro_f1")) is float
            both = model.score(te.L, te.y, metrics=["accuracy", "macro_f1"])
            assert both == {"accuracy": score, "macro_f1": both["macro_f1"]}
        assert type(score) is float and 0.5 < score <= 1.0, (name, score)


@pytest.mark.parametrize("name", ["LabelModel", "MajorityVoter", "EndModel"])
def test_n_features_in_only_after_fit(name):
    assert not hasattr(UNFITTED[name](), "n_features_in_")


@pytest.mark.parametrize("name", list(UNFITTED))
def test_not_fitted_error_is_scikit_learns(name):
    estimator = UNFITTED[name]()
    args = {
        "Liger": (np.zeros((2, 3), int), np.ones((2, 4), np.float32)),
        "EndModel": (np.ones((2, 4)),),
    }.get(name, (np.zeros((2, 3), int),))
    with pytest.raises(SklearnNotFittedError) as info:
        estimator.predict_proba(*args)
    error = info.value
    assert isinstance(error, liger.NotFittedError)
    assert isinstance(error, ValueError) and isinstance(error, AttributeError)
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and again.args == error.args


def test_not_fitted_error_without_scikit_learn():
    """scikit-learn stays optional: ``import liger`` and a NotFittedError import nothing of it."""
    code = (
        "import sys, numpy as np, liger\n"
        "try:\n"
        "    liger.EndModel().predict(np.ones((2, 3)))\n"
        "except liger.NotFittedError as e:\n"
        "    assert type(e) is liger.NotFittedError, type(e)\n"
        "    assert isinstance(e, ValueError) and isinstance(e, AttributeError)\n"
        "assert 'sklearn' not in sys.modules\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_tags():
    for votes in (LabelModel(), MajorityVoter()):
        tags = get_tags(votes)
        assert tags.input_tags.categorical and tags.input_tags.sparse
        assert not tags.target_tags.required and tags.estimator_type is None
        assert votes._more_tags()["X_types"] == ["categorical"]
    tags = get_tags(EndModel())
    assert is_classifier(EndModel()) and tags.target_tags.required
    assert not tags.input_tags.sparse and not tags.input_tags.categorical
    assert get_tags(Liger())._skip_test  # (L, X) inputs: no generic check can build them


def test_check_estimator_end_model():
    assert len(ENDMODEL_EXPECTED_FAILED_CHECKS) <= 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(
            EndModel(),
            expected_failed_checks=ENDMODEL_EXPECTED_FAILED_CHECKS,
            on_fail=None,
            on_skip=None,
        )
    failed = {r["check_name"]: r["exception"] for r in results if r["status"] == "failed"}
    assert not failed, failed
    xfailed = {r["check_name"] for r in results if r["status"] == "xfail"}
    assert xfailed <= set(ENDMODEL_EXPECTED_FAILED_CHECKS)
    assert sum(r["status"] == "passed" for r in results) >= 50


# ------------------------------------------------------------------------------- EndModel.fit


def _blobs(n=300, d=6, K=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, K, n)
    X = rng.normal(size=(K, d))[y] * 2 + rng.normal(size=(n, d))
    return X.astype(np.float32), y


def test_hard_labels_of_any_kind():
    X, y = _blobs()
    names = np.array(["cat", "dog", "eel"])[y]
    model = EndModel().fit(X, names)
    assert list(model.classes_) == ["cat", "dog", "eel"]
    assert set(model.predict(X)) <= set(model.classes_)
    assert model.score(X, names) > 0.8
    by_int = EndModel().fit(X, y + 10)
    np.testing.assert_array_equal(by_int.classes_, [10, 11, 12])
    np.testing.assert_array_equal(by_int.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(
        by_int.predict(X) - 10, np.searchsorted(model.classes_, model.predict(X))
    )


def test_soft_labels_and_default_penalty():
    X, y = _blobs()
    soft = np.full((len(y), 3), 0.1)
    soft[np.arange(len(y)), y] = 0.8
    model = EndModel().fit(X, soft)
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    assert model.penalty_ == 1e-2 and model.cv_scores_ is None  # second strongest of penalties
    assert EndModel(penalties=(0.5,)).fit(X, soft).penalty_ == 0.5
    assert model.score(X, y) > 0.8
    # Deterministic: the same fit twice is bit-identical.
    np.testing.assert_array_equal(EndModel().fit(X, soft).coef_, model.coef_)


def test_zero_weights_are_removed_rows_and_integer_weights_repeated_rows():
    X, y = _blobs(n=120)
    weights = np.tile([0, 1, 2], 40)
    weighted = EndModel().fit(X, y, sample_weight=weights)
    repeated = EndModel().fit(np.repeat(X, weights, axis=0), np.repeat(y, weights))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-4)
    unweighted = EndModel().fit(X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_array_equal(unweighted.coef_, EndModel().fit(X, y).coef_)


def test_end_model_in_model_selection():
    X, y = _blobs()
    scores = cross_val_score(EndModel(), X, y, cv=3)
    assert scores.shape == (3,) and (scores > 0.8).all()
    search = GridSearchCV(EndModel(), {"penalties": [(1e-3,), (1e-1,)]}, cv=3).fit(X, y)
    assert search.best_params_["penalties"] in [(1e-3,), (1e-1,)]


def test_weak_fit_is_what_liger_calls(example):
    """``Liger(end_model="logreg")`` fits its end model by ``_fit_weak`` (weak labels and dev
    labels, cross-validated), not by the scikit-learn ``fit``."""
    tr, va = example.train, example.valid
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = Liger(end_model="logreg", random_state=0, n_jobs=1).fit(
            tr.L[:600], tr.X[:600], va.L, va.X, va.y
        )
    assert model.end_model_.cv_scores_ is not None  # chosen by cross-validation over dev
    np.testing.assert_array_equal(model.end_model_.classes_, [0, 1])


def test_old_end_model_file_gets_classes():
    from pathlib import Path

    saved = Path(__file__).resolve().parent.parent / "data" / "saved_by_0d8a99b" / "EndModel.npz"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = liger.load(saved)
    np.testing.assert_array_equal(model.classes_, np.arange(model.coef_.shape[1]))
    check_is_fitted(model)
