"""Session test problems shared by the Session tests: blob problems with dev / test splits and
random vote columns."""

from __future__ import annotations

import numpy as np

from liger import Session


def make_problem(seed=0, n=300, n_dev=60, n_test=40, d=8, m=5, K=2, grid=False):
    """Clustered points whose class follows the cluster; LFs vote (mostly right) on part of their
    clusters. ``grid=True``: small-integer embeddings and duplicated rows (exact score ties)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((3 * K, d)) * 2

    def split(size):
        cluster = rng.integers(0, 3 * K, size)
        y = cluster % K
        if grid:
            X = np.round(centres[cluster] / 2 + rng.integers(-1, 2, (size, d))).astype(np.float32)
            X[~X.any(axis=1), 0] = 1.0
            X[1::7] = X[0::7][: X[1::7].shape[0]]  # duplicated rows
        else:
            X = (centres[cluster] + rng.standard_normal((size, d))).astype(np.float32)
        lf_cluster = rng.integers(0, 3 * K, m)
        L = np.full((size, m), -1)
        for j in range(m):
            fires = (cluster == lf_cluster[j]) & (rng.random(size) < 0.5)
            noise = rng.random(size) < 0.05
            L[fires, j] = lf_cluster[j] % K
            L[noise, j] = rng.integers(0, K, noise.sum())
        return L, X, y

    return split(n), split(n_dev), split(n_test)


def session_of(problem, **params):
    (L, X, _), (L_dev, X_dev, y_dev), (L_test, X_test, _) = problem
    return Session(L, X, dev=(L_dev, X_dev, y_dev), test=(L_test, X_test), **params)


def votes_of(rng, size, K, coverage):
    return np.where(rng.random(size) < coverage, rng.integers(0, K, size), -1)


def three(rng, coverage, sizes=(300, 60, 40), K=2):
    return [votes_of(rng, n, K, coverage) for n in sizes]
