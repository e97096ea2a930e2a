"""Scale-out benchmark: time of liger.dask against the number of Dask workers, on one machine.

Not part of the test run. Usage::

    python benches/bench_dask.py                      # n = 40,000 train points, 1 and 2 workers
    python benches/bench_dask.py --n 100000 --workers 1 2 4 --repeats 5

Synthetic data (class-shifted Gaussian embeddings, d = 128, m = 10 LFs, K = 2, a 300-point dev
split). For each worker count a ``LocalCluster`` of that many worker *processes* with one thread
each runs ``DaskLiger.fit`` on the train split in row chunks (the base set chunked too), then
``predict_proba`` of the train split written with ``to_npy``. The single-machine ``Liger`` with
``n_jobs`` equal to the worker count is timed in the same loop, interleaved, as the reference, and
every Dask result is checked equal to it (thresholds and probabilities, exactly). Times are medians
of ``--repeats`` runs; cluster start-up is not timed. On a machine shared with other jobs, compare
the rows of one run, not numbers from different runs.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

import liger
from liger.label_model.class_balance import LabelModelWarning


def synthetic(n: int, d: int, m: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = (rng.standard_normal((n, d)) + 0.5 * y[:, None] * (np.arange(d) < 8)).astype(np.float32)
    coverage = np.linspace(0.05, 0.4, m)
    accuracy = np.linspace(0.65, 0.9, m)
    cast = rng.random((n, m)) < coverage
    correct = rng.random((n, m)) < accuracy
    L = np.where(cast, np.where(correct, y[:, None], 1 - y[:, None]), -1)
    return L, X, y


def median_time(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return float(np.median(times)), result


def one_row(workers: int, args, data, path: Path) -> str:
    """Time the local and the Dask path with ``workers`` cores / worker processes."""
    import dask.array as da
    from distributed import Client, LocalCluster

    from liger.dask import DaskLiger, to_npy

    L_train, X_train, L_dev, X_dev, y_dev = data
    chunks = (args.chunk, -1)
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    with cluster, Client(cluster):
        L_d, X_d = da.from_array(L_train, chunks=chunks), da.from_array(X_train, chunks=chunks)
        local_fit, local = median_time(
            lambda: liger.Liger(n_jobs=workers).fit(L_train, X_train, L_dev, X_dev, y_dev),
            args.repeats,
        )
        dask_fit, model = median_time(
            lambda: DaskLiger(base_chunk_rows=4 * args.chunk).fit(L_d, X_d, L_dev, X_dev, y_dev),
            args.repeats,
        )
        local_proba, expected = median_time(
            lambda: local.predict_proba(L_train, X_train), args.repeats
        )
        dask_proba, _ = median_time(
            lambda: to_npy(model.predict_proba(L_d, X_d), path), args.repeats
        )
        exact = np.array_equal(model.thresholds_, local.thresholds_) and np.array_equal(
            np.load(path), expected
        )
    return (
        f"{workers:>7}  {local_fit:>9.2f}s  {dask_fit:>9.2f}s  {local_proba:>10.2f}s  "
        f"{dask_proba:>9.2f}s  {'exact' if exact else 'MISMATCH'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40_000, help="train points")
    parser.add_argument("--d", type=int, default=128, help="embedding dimension")
    parser.add_argument("--m", type=int, default=10, help="LFs")
    parser.add_argument("--chunk", type=int, default=5_000, help="rows per chunk")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    warnings.simplefilter("ignore", LabelModelWarning)
    L, X, y = synthetic(args.n + 300, args.d, args.m)
    data = (L[:-300], X[:-300], L[-300:], X[-300:], y[-300:])
    print(
        f"n={args.n} d={args.d} m={args.m} chunk={args.chunk} rows, cores={os.cpu_count()}, "
        f"median of {args.repeats}; the machine may be shared with other jobs"
    )
    header = ("workers", "local fit", "dask fit", "local proba", "dask proba")
    print("{:>7}  {:>10}  {:>10}  {:>11}  {:>10}".format(*header))
    with tempfile.TemporaryDirectory() as folder:
        for workers in args.workers:
            print(one_row(workers, args, data, Path(folder) / "proba.npy"), flush=True)


if __name__ == "__main__":
    main()
