"""No public function or estimator method modifies its inputs: values, dtype, shape, strides and
flags are the same after the call (``tests.helpers.reliability.call_keeping_inputs``), for arrays
in the layouts that take the zero-copy path (C-contiguous float32 / int64) and those that are
converted. Read-only inputs also prove that nothing even tries to write into them."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import liger
from liger import EndModel, LabelModel, Liger, MajorityVoter, metrics

from ..helpers.reliability import blob_problem, call_keeping_inputs, fingerprint

(L, X, _), (L_DEV, X_DEV, Y_DEV), (L_TEST, X_TEST, Y_TEST) = blob_problem(seed=5, K=3, m=5)


def _read_only(array):
    array = array.copy()
    array.flags.writeable = False
    return array


LAYOUTS = {
    "zero-copy": lambda a: a.copy(),
    "read-only": _read_only,
    "fortran": np.asfortranarray,
    "strided": lambda a: np.repeat(a, 2, axis=0)[::2],
    "negative stride": lambda a: np.ascontiguousarray(a[::-1])[::-1],
    "other dtype": lambda a: a.astype(np.float64 if a.dtype.kind == "f" else np.int32),
    "list": lambda a: a.tolist(),
}


@pytest.fixture(autouse=True)
def _quiet_label_model():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", liger.LabelModelWarning)
        yield


def test_the_helper_sees_every_kind_of_change():
    a = np.arange(6.0).reshape(2, 3)
    changes = [
        lambda v: v.__setitem__((0, 0), -1.0),
        lambda v: setattr(v, "shape", (3, 2)),
        lambda v: v.setflags(write=False),
        lambda v: v.sort(axis=1),
    ]
    for change in changes:
        value = a.copy()
        value[0, 0] = 9.0  # unsorted
        with pytest.raises(AssertionError, match="modified its argument 0"):
            call_keeping_inputs(change, value)
    nested = [np.zeros(3), {"k": np.ones(2)}]
    with pytest.raises(AssertionError, match="modified its argument 'x'"):
        call_keeping_inputs(lambda x: x[1]["k"].__setitem__(0, 5.0), x=nested)
    assert fingerprint(np.float32([1, 2])) != fingerprint(np.float64([1, 2]))


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_searches_and_extension(layout):
    make = LAYOUTS[layout]
    queries, base, votes = make(X_TEST), make(X), make(L)
    for metric in ("cosine", "euclidean"):
        call_keeping_inputs(liger.nearest_support, queries, base, votes, metric=metric)
    call_keeping_inputs(liger.knn_graph, base, 4)
    call_keeping_inputs(liger.knn_graph, base, 4, queries=queries, metric="ip")
    thresholds = make(np.linspace(0.1, 0.5, L.shape[1]))
    test_votes = make(L_TEST)
    scores, indices = liger.nearest_support(X_TEST, X, L)
    call_keeping_inputs(
        liger.extend_votes, test_votes, make(scores), make(indices), votes, thresholds
    )
    call_keeping_inputs(liger.extend, test_votes, queries, votes, base, thresholds)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_estimators(layout):
    make = LAYOUTS[layout]
    votes, embeddings = make(L), make(X)
    dev = (make(L_DEV), make(X_DEV), make(Y_DEV))
    test_votes, test_embeddings, test_labels = make(L_TEST), make(X_TEST), make(Y_TEST)
    for cls in (LabelModel, MajorityVoter):
        model = call_keeping_inputs(cls(cardinality=3).fit, votes)
        call_keeping_inputs(cls(cardinality=3, class_balance="dev").fit, votes, y_dev=dev[2])
        call_keeping_inputs(model.predict_proba, test_votes)
        call_keeping_inputs(model.predict, test_votes, tie_break_policy="random", random_state=0)
        call_keeping_inputs(model.score, test_votes, test_labels, metrics=("accuracy", "macro_f1"))
    model = call_keeping_inputs(
        Liger(
            n_partitions=2, end_model="logreg", class_balance=np.full(3, 1 / 3), random_state=0
        ).fit,
        votes,
        embeddings,
        *dev,
    )
    call_keeping_inputs(model.predict_proba, test_votes, test_embeddings)
    call_keeping_inputs(model.transform, test_votes, test_embeddings)
    call_keeping_inputs(model.score, test_votes, test_embeddings, test_labels, metric="macro_f1")
    proba = LabelModel(cardinality=3).fit(L).predict_proba(L)
    end = call_keeping_inputs(
        EndModel(penalties=(1e-2,), train_weights=(1.0,))._fit_weak,
        embeddings,
        make(proba),
        *dev[1:],
    )
    call_keeping_inputs(end.predict_proba, test_embeddings)


def test_parameters_and_fitted_state_are_not_aliased_into_mutation():
    """Array parameters (thresholds, class balance) are read, never written; predicting does not
    change a fitted model."""
    thresholds = _read_only(np.linspace(0.1, 0.5, L.shape[1]))
    balance = _read_only(np.full(3, 1 / 3))
    model = call_keeping_inputs(
        Liger(thresholds=thresholds, class_balance=balance).fit, _read_only(L), _read_only(X)
    )
    before = fingerprint(vars(model))
    model.predict_proba(L_TEST, X_TEST)
    model.lf_summary()
    assert fingerprint(vars(model)) == before


def test_conventions_and_metrics():
    pm1 = np.where(L == -1, 0, np.where(L == 0, -1, 1))[:, :3] * 1
    binary_votes = np.where(L[:, :3] > 1, 1, L[:, :3])
    for make in LAYOUTS.values():
        call_keeping_inputs(liger.from_pm1, make(pm1))
        call_keeping_inputs(liger.to_pm1, make(binary_votes))
        y_true, y_pred = make(Y_TEST), make(np.roll(Y_TEST, 1))
        call_keeping_inputs(metrics.accuracy, y_true, y_pred)
        call_keeping_inputs(metrics.macro_f1, y_true, y_pred, cardinality=3)
        call_keeping_inputs(metrics.f1, make(Y_TEST % 2), make(np.roll(Y_TEST, 1) % 2))


def test_save_does_not_touch_the_model(tmp_path):
    model = Liger(end_model="logreg", random_state=0).fit(L, X, L_DEV, X_DEV, Y_DEV)
    before = fingerprint(vars(model))
    call_keeping_inputs(model.save, tmp_path / "model.npz")
    assert fingerprint(vars(model)) == before
