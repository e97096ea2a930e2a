"""DaskLiger: fitted on a row-chunked train split, it equals Liger fitted on the same arrays,
exactly (thresholds, models, dev score, extended votes, probabilities). Dask's synchronous
scheduler here; tests/test_dask_cluster.py repeats it on worker processes and real data."""

from __future__ import annotations

import numpy as np
import pytest

import liger
from liger.datasets import load_wrench

from ..conftest import require_module

require_module("dask")
require_module("distributed")

import dask  # noqa: E402
import dask.array as da  # noqa: E402

from liger.dask import DaskLiger, to_npy  # noqa: E402


def synthetic(seed, n=1500, n_dev=200, d=8, m=6, K=2):
    rng = np.random.default_rng(seed)
    N = n + n_dev
    y = rng.integers(0, K, N)
    X = (rng.standard_normal((N, d)) + np.eye(K, d)[y] * 1.5).astype(np.float32)
    noise = rng.integers(0, K, (N, m))
    cast = rng.random((N, m)) < np.linspace(0.05, 0.5, m)
    L = np.where(cast, np.where(rng.random((N, m)) < 0.75, y[:, None], noise), -1)
    return (L[:n], X[:n]), (L[n:], X[n:], y[n:])


def chunked(array, rows):
    return da.from_array(array, chunks=(rows, -1))


def assert_same_fit(local, distributed):
    np.testing.assert_array_equal(distributed.thresholds_, local.thresholds_)
    np.testing.assert_array_equal(distributed.levels_, local.levels_)
    assert distributed.dev_score_ == local.dev_score_
    np.testing.assert_array_equal(distributed.classes_, local.classes_)
    for a, b in zip(local._coverage_train, distributed.estimator_._coverage_train):
        np.testing.assert_array_equal(a, b)
    model_a, model_b = local.global_label_model_, distributed.global_label_model_
    for name, value in vars(model_a).items():
        if name.endswith("_") and isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(model_b, name), value, err_msg=name)


PARAMS = [
    {},
    {"metric": "euclidean"},
    {"metric": "ip", "threshold_search": "global"},
    {"fit_on": "extended", "threshold_search": "global"},
    {"class_balance": "likelihood+dev"},
    {"class_balance": "dev"},
    {"label_model": "majority"},
    {"thresholds": 0.4},
    {"thresholds": None},
]


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: ",".join(map(str, p.items())) or "default")
def test_dask_fit_equals_local_fit(params):
    (L, X), (L_dev, X_dev, y_dev) = synthetic(0)
    local = liger.Liger(**params).fit(L, X, L_dev, X_dev, y_dev)
    with dask.config.set(scheduler="sync"):
        model = DaskLiger(liger.Liger(**params), base_chunk_rows=500)
        model.fit(chunked(L, 400), chunked(X, 256), L_dev, X_dev, y_dev)
        assert_same_fit(local, model)
        proba = model.predict_proba(chunked(L_dev, 64), chunked(X_dev, 50))
        assert isinstance(proba, da.Array) and proba.chunks[0] == (50, 50, 50, 50)
        np.testing.assert_array_equal(proba.compute(), local.predict_proba(L_dev, X_dev))
        extended = model.transform(chunked(L, 300), chunked(X, 300)).compute()
        np.testing.assert_array_equal(extended, local.transform(L, X))
        predicted = model.predict(chunked(L_dev, 64), chunked(X_dev, 64)).compute()
        np.testing.assert_array_equal(predicted, local.predict(L_dev, X_dev))


def test_multiclass_with_a_sampled_class_balance_equals_local():
    """K = 3 and more than 10,000 train rows: the label model's balance sample spans chunks."""
    (L, X), (L_dev, X_dev, y_dev) = synthetic(1, n=10_500, n_dev=150, d=6, m=5, K=3)
    params = {"class_balance": "likelihood"}
    local = liger.Liger(**params).fit(L, X, L_dev, X_dev, y_dev)
    with dask.config.set(scheduler="threads", num_workers=2):
        model = DaskLiger(liger.Liger(**params)).fit(
            chunked(L, 2500), chunked(X, 2500), L_dev, X_dev, y_dev
        )
        assert_same_fit(local, model)
        proba = model.predict_proba(chunked(L, 3000), chunked(X, 3000)).compute()
    np.testing.assert_array_equal(proba, local.predict_proba(L, X))


def test_trec_multiclass_real_data_equals_local(data_dir):
    """trec: K = 6, 68 LFs, MiniLM embeddings; train and base set chunked, dev local."""
    data = load_wrench(data_dir / "trec")
    train, valid, test = data.train, data.valid, data.test
    local = liger.Liger().fit(train.L, train.X, valid.L, valid.X, valid.y)
    with dask.config.set(scheduler="sync"):
        model = DaskLiger(base_chunk_rows=2000).fit(
            chunked(train.L, 1000), chunked(train.X, 1000), valid.L, valid.X, valid.y
        )
        assert_same_fit(local, model)
        proba = model.predict_proba(chunked(test.L, 200), chunked(test.X, 200)).compute()
    np.testing.assert_array_equal(proba, local.predict_proba(test.L, test.X))


def test_numpy_in_numpy_out_and_a_locally_fitted_model_labels_dask_arrays():
    """ParallelPostFit's conventions: NumPy train arrays fit with plain Liger.fit (partitions and
    end model allowed); NumPy inputs give NumPy outputs, Dask inputs Dask outputs."""
    (L, X), (L_dev, X_dev, y_dev) = synthetic(2, n=600)
    params = {"n_partitions": 2, "end_model": "logreg", "random_state": 0}
    local = liger.Liger(**params).fit(L, X, L_dev, X_dev, y_dev)
    model = DaskLiger(liger.Liger(**params)).fit(L, X, L_dev, X_dev, y_dev)
    assert model.partitions_ == 2 and model.estimator is not model.estimator_
    for source in ("label_model", "end_model"):
        expected = local.predict_proba(L_dev, X_dev, source=source)
        got = model.predict_proba(L_dev, X_dev, source=source)
        assert isinstance(got, np.ndarray)
        np.testing.assert_array_equal(got, expected)
        with dask.config.set(scheduler="sync"):
            lazy = model.predict_proba(chunked(L_dev, 30), chunked(X_dev, 30), source=source)
            np.testing.assert_array_equal(lazy.compute(), expected)


def test_probabilities_are_written_chunk_by_chunk(tmp_path):
    (L, X), (L_dev, X_dev, y_dev) = synthetic(3, n=800)
    local = liger.Liger().fit(L, X, L_dev, X_dev, y_dev)
    with dask.config.set(scheduler="threads", num_workers=2):
        model = DaskLiger().fit(chunked(L, 200), chunked(X, 200), L_dev, X_dev, y_dev)
        path = to_npy(model.predict_proba(chunked(L, 128), chunked(X, 128)), tmp_path / "p.npy")
    np.testing.assert_array_equal(np.load(path, mmap_mode="r"), local.predict_proba(L, X))
    # The inner estimator holds no train arrays: it says where to predict instead of failing
    # with an AttributeError.
    with pytest.raises(liger.NotFittedError, match="call predict / transform on that DaskLiger"):
        model.estimator_.predict_proba(L, X)


def test_bad_input_names_the_argument():
    (L, X), (L_dev, X_dev, y_dev) = synthetic(4, n=300)
    Ld, Xd = chunked(L, 100), chunked(X, 100)
    with pytest.raises(ValueError, match="n_partitions: with a Dask train split"):
        DaskLiger(liger.Liger(n_partitions="tune")).fit(Ld, Xd, L_dev, X_dev, y_dev)
    with pytest.raises(ValueError, match="end_model: with a Dask train split"):
        DaskLiger(liger.Liger(end_model="logreg")).fit(Ld, Xd, L_dev, X_dev, y_dev)
    with pytest.raises(TypeError, match="estimator: expected a liger.Liger"):
        DaskLiger(estimator="liger").fit(Ld, Xd, L_dev, X_dev, y_dev)
    with pytest.raises(ValueError, match="L_train and X_train: expected the same number of rows"):
        DaskLiger().fit(Ld[:200], Xd, L_dev, X_dev, y_dev)
    with pytest.raises(ValueError, match="L_dev, X_dev, y_dev: tuning"):
        DaskLiger().fit(Ld, Xd)
    bad = L.copy()
    bad[5, 0] = -2
    with pytest.raises(ValueError, match="L_train: expected votes of -1"):
        DaskLiger().fit(chunked(bad, 100), Xd, L_dev, X_dev, y_dev)
    with pytest.raises(ValueError, match="n_jobs: expected a positive int"):
        DaskLiger(n_jobs=0).fit(Ld, Xd, L_dev, X_dev, y_dev)
    with pytest.raises(liger.NotFittedError):
        DaskLiger().predict_proba(Ld, Xd)
    with dask.config.set(scheduler="sync"):
        model = DaskLiger().fit(Ld, Xd, L_dev, X_dev, y_dev)
        with pytest.raises(ValueError, match="L_train and L: expected the same number of LFs"):
            model.predict_proba(Ld[:, :2], Xd)
        with pytest.raises(ValueError, match="L: expected votes in -1..1"):
            model.predict_proba(Ld + 1, Xd).compute()
    assert DaskLiger().get_params()["n_jobs"] == 1
