"""Determinism: the same inputs and ``random_state`` give bit-identical outputs and fitted state,
across runs, fresh processes (with different ``PYTHONHASHSEED``), liger thread counts and BLAS
thread counts.

The compared digests (``tests/reliability.workload_digests``) cover ``nearest_support``,
``knn_graph``, ``LabelModel``, ``MajorityVoter``, ``EndModel`` and ``Liger`` (tuned thresholds,
tuned and fixed partitions, end model), binary and three-class, every fitted attribute bit for
bit (except ``fit_time_``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import liger

from ..conftest import REPO_ROOT
from ..helpers.reliability import array_digest, blob_problem, state_digest, workload_digests

SUBPROCESS_TIMEOUT = 120


@pytest.fixture(scope="module")
def reference():
    return workload_digests()


def _differences(a: dict, b: dict) -> list[str]:
    assert a.keys() == b.keys()
    return [key for key in a if a[key] != b[key]]


def test_repeated_runs_are_bit_identical(reference):
    assert _differences(workload_digests(), reference) == []


@pytest.mark.parametrize("n_jobs", [1, 3, 8])  # the reference ran with all cores (None)
def test_liger_thread_count_does_not_change_anything(n_jobs, reference):
    assert _differences(workload_digests(n_jobs=n_jobs), reference) == []


def test_fresh_processes_agree_whatever_the_hash_seed_and_threads(reference):
    """Two fresh interpreters at once, each with another PYTHONHASHSEED, LIGER_NUM_THREADS and
    BLAS thread count, compute the same digests as this process."""
    settings = [
        {"PYTHONHASHSEED": "0", "LIGER_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
        {"PYTHONHASHSEED": "2024", "LIGER_NUM_THREADS": "3", "OPENBLAS_NUM_THREADS": "2"},
    ]
    package_root = str(Path(liger.__file__).resolve().parents[1])
    code = (
        "import json, sys; from tests.helpers.reliability import workload_digests; "
        "json.dump(workload_digests(), sys.stdout)"
    )
    processes = []
    for extra in settings:
        env = {k: v for k, v in os.environ.items() if not k.endswith("NUM_THREADS")}
        env.update(extra, PYTHONPATH=os.pathsep.join([package_root, str(REPO_ROOT)]))
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", code],
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    try:
        for extra, process in zip(settings, processes):
            out, err = process.communicate(timeout=SUBPROCESS_TIMEOUT)
            assert process.returncode == 0, f"{extra}: {err}"
            assert _differences(json.loads(out), reference) == [], extra
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_blas_thread_count_does_not_change_results():
    """Large enough for multithreaded BLAS (OpenBLAS splits GEMMs above ~2.6e5 multiply-adds) in
    k-means, the posteriors and the end model."""
    (L, X, _), (L_dev, X_dev, y_dev), (L_test, X_test, _) = blob_problem(
        seed=7, n=3000, n_dev=150, n_test=1000, d=48, m=6, K=3
    )
    digests = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", liger.LabelModelWarning)
        for threads in (1, 2):
            with threadpool_limits(limits=threads):
                model = liger.Liger(thresholds=0.3, n_partitions=3, random_state=0)
                model.fit(L, X, L_dev, X_dev, y_dev)
                proba = model.predict_proba(L, X)
                end = liger.EndModel(penalties=(1e-2,), train_weights=(1.0,), random_state=0)
                end._fit_weak(X, proba, X_dev, y_dev)
                digests.append(
                    (
                        state_digest(model),
                        state_digest(end),
                        array_digest(model.predict_proba(L_test, X_test)),
                        array_digest(end.predict_proba(X_test)),
                    )
                )
    assert digests[0] == digests[1]


def test_random_state_is_what_changes_the_partition():
    # A problem on which the dev guard keeps the partitioned label model for both seeds.
    (L, X, _), (L_dev, X_dev, y_dev), _ = blob_problem(seed=2, K=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", liger.LabelModelWarning)
        fits = [
            liger.Liger(thresholds=0.3, n_partitions=4, random_state=seed).fit(
                L, X, L_dev, X_dev, y_dev
            )
            for seed in (0, 0, 1)
        ]
    np.testing.assert_array_equal(fits[0].centroids_, fits[1].centroids_)
    assert state_digest(fits[0]) == state_digest(fits[1])
    # Not a constant: another seed does reach the state (here the k-means seeding).
    assert not np.array_equal(fits[0].centroids_, fits[2].centroids_)
