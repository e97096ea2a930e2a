"""liger.dask on a real ``distributed.LocalCluster`` (2 worker processes, 1 thread each): results
equal the single-machine path exactly, with a broadcast and a chunked base set, and a worker killed
mid-job is replaced and its tasks rerun by Dask with the same exact result."""

from __future__ import annotations

import faulthandler
import logging
import os
import sys

import numpy as np
import pytest

import liger
from liger.datasets import load_wrench

from ..conftest import require_module

require_module("dask")
require_module("distributed")

import cloudpickle  # noqa: E402
import dask.array as da  # noqa: E402
from distributed import Client, LocalCluster, get_worker, wait  # noqa: E402

import liger.dask as ldask  # noqa: E402
from liger.dask import DaskLiger, to_npy  # noqa: E402

# Worker processes cannot import this test module: ship its helpers by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

# A hung cluster must fail the run, not stall CI: dump every thread's stack and exit.
HANG_LIMIT_S = 180
RESULT_TIMEOUT_S = 120


@pytest.fixture(autouse=True)
def hang_guard():
    faulthandler.dump_traceback_later(HANG_LIMIT_S, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="module")
def client():
    faulthandler.dump_traceback_later(HANG_LIMIT_S, exit=True)
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    with cluster, Client(cluster) as client:
        faulthandler.cancel_dump_traceback_later()
        yield client
        faulthandler.dump_traceback_later(HANG_LIMIT_S, exit=True)  # shutting down
    faulthandler.cancel_dump_traceback_later()


def gather(client, *arrays):
    """Compute on the cluster, with a timeout."""
    futures = client.compute(list(arrays))
    wait(futures, timeout=RESULT_TIMEOUT_S)
    return client.gather(futures)


def make_data(seed, n=900, q=400, d=12, m=5):
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((n, d)).astype(np.float32)
    base[rng.integers(0, n, 30)] = base[rng.integers(0, n, 30)]  # exact duplicates: ties
    queries = np.concatenate([base[:50], rng.standard_normal((q - 50, d)).astype(np.float32)])
    coverage = np.array([0.0, 0.02, 0.3, 0.6, 1.0])[:m]
    votes = np.where(rng.random((n, m)) < coverage, rng.integers(0, 3, (n, m)), -1)
    return queries, base, votes


@pytest.mark.parametrize("metric", ["cosine", "ip", "euclidean"])
@pytest.mark.parametrize("base_layout", ["broadcast", "chunked"])
def test_search_on_cluster_equals_local(client, metric, base_layout):
    queries, base, votes = make_data(7)
    expected = liger.nearest_support(queries, base, votes, metric=metric)
    if base_layout == "chunked":
        B, V = da.from_array(base, chunks=(170, -1)), da.from_array(votes, chunks=(200, -1))
    else:
        B, V = base, votes
    Q = da.from_array(queries, chunks=(90, -1))
    scores, indices = gather(client, *ldask.nearest_support(Q, B, V, metric=metric))
    np.testing.assert_array_equal(indices, expected[1])
    np.testing.assert_array_equal(scores, expected[0])


def test_extend_on_cluster_equals_local(client):
    queries, base, votes = make_data(8)
    rng = np.random.default_rng(8)
    L = rng.integers(-1, 3, (queries.shape[0], votes.shape[1]))
    thresholds = np.array([0.1, 0.2, np.nan, 0.3, 0.0], dtype=np.float32)
    expected = liger.extend(L, queries, votes, base, thresholds)
    got = ldask.extend(
        da.from_array(L, chunks=(64, -1)),
        da.from_array(queries, chunks=(100, -1)),
        da.from_array(votes, chunks=(300, -1)),
        da.from_array(base, chunks=(250, -1)),
        thresholds,
    )
    (got,) = gather(client, got)
    np.testing.assert_array_equal(got, expected)
    assert (got != L).any()


def _die_the_first_time(block, marker):
    """Kill this worker process the first time any task runs it (an atomic marker file)."""
    try:
        get_worker()
    except ValueError:  # not in a worker (Dask probing the function): never kill the test run
        return block
    try:
        descriptor = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return block
    os.close(descriptor)
    os._exit(1)


def test_search_survives_a_killed_worker(client, tmp_path):
    queries, base, votes = make_data(9)
    expected = liger.nearest_support(queries, base, votes)
    marker = tmp_path / "killed"
    B = da.from_array(base, chunks=(300, -1)).map_blocks(
        _die_the_first_time, marker=str(marker), meta=np.empty((0, 0), np.float32)
    )
    Q = da.from_array(queries, chunks=(100, -1))
    scores, indices = gather(client, *ldask.nearest_support(Q, B, votes))
    assert marker.exists(), "no worker was killed: the test did not test anything"
    np.testing.assert_array_equal(indices, expected[1])
    np.testing.assert_array_equal(scores, expected[0])


def test_dask_liger_on_cluster_equals_local_on_real_data(client, data_dir):
    """youtube's MiniLM embeddings, train in chunks, the base set chunked too; the dev split
    local. Everything fit and predict produce is equal bit for bit (trec, K = 6, in
    test_dask_estimator.py on the synchronous scheduler)."""
    data = load_wrench(data_dir / "youtube")
    train, valid, test = data.train, data.valid, data.test
    local = liger.Liger().fit(train.L, train.X, valid.L, valid.X, valid.y)
    model = DaskLiger(base_chunk_rows=1000).fit(
        da.from_array(train.L, chunks=(700, -1)),
        da.from_array(train.X, chunks=(700, -1)),
        valid.L,
        valid.X,
        valid.y,
    )
    np.testing.assert_array_equal(model.thresholds_, local.thresholds_)
    assert model.dev_score_ == local.dev_score_
    proba, extended = gather(
        client,
        model.predict_proba(
            da.from_array(test.L, chunks=(100, -1)), da.from_array(test.X, chunks=(100, -1))
        ),
        model.transform(
            da.from_array(train.L, chunks=(500, -1)), da.from_array(train.X, chunks=(500, -1))
        ),
    )
    np.testing.assert_array_equal(proba, local.predict_proba(test.L, test.X))
    np.testing.assert_array_equal(extended, local.transform(train.L, train.X))


def test_dask_liger_survives_a_killed_worker(client, tmp_path):
    """A worker dies in the middle of fit (while the train chunks are searched) and again in the
    middle of predict; Dask reruns the lost tasks and the results stay exact."""
    rng = np.random.default_rng(10)
    n, d, m = 1200, 10, 5
    y = rng.integers(0, 2, n + 150)
    X = (rng.standard_normal((n + 150, d)) + y[:, None]).astype(np.float32)
    cast = rng.random((n + 150, m)) < 0.4
    L = np.where(cast, np.where(rng.random((n + 150, m)) < 0.8, y[:, None], 1 - y[:, None]), -1)
    local = liger.Liger().fit(L[:n], X[:n], L[n:], X[n:], y[n:])
    fit_marker, predict_marker = tmp_path / "fit", tmp_path / "predict"
    meta = np.empty((0, 0), np.float32)
    X_train = da.from_array(X[:n], chunks=(300, -1)).map_blocks(
        _die_the_first_time, marker=str(fit_marker), meta=meta
    )
    model = DaskLiger().fit(da.from_array(L[:n], chunks=(300, -1)), X_train, L[n:], X[n:], y[n:])
    assert fit_marker.exists(), "no worker was killed during fit"
    np.testing.assert_array_equal(model.thresholds_, local.thresholds_)
    X_query = da.from_array(X[:n], chunks=(250, -1)).map_blocks(
        _die_the_first_time, marker=str(predict_marker), meta=meta
    )
    proba = model.predict_proba(da.from_array(L[:n], chunks=(250, -1)), X_query)
    path = to_npy(proba, tmp_path / "proba.npy")  # the tasks write their chunks in place
    assert predict_marker.exists(), "no worker was killed during predict"
    np.testing.assert_array_equal(np.load(path), local.predict_proba(L[:n], X[:n]))
