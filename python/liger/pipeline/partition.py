"""Spherical k-means: the regions of embedding space that get a label model of their own.

NumPy only (no scikit-learn at run time). Points are compared by cosine similarity, as the
embeddings are, so rows and centroids are L2-normalised; the assignment of a block of points is one
GEMM against the (s, d) centroids, so memory stays at (block x s).
"""

from __future__ import annotations

import numpy as np

_BLOCK = 65536


def _unit_rows(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def assign(X: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Index of the most similar centroid for every row of ``X`` (ties to the lower index).

    Parameters
    ----------
    X : ndarray of shape (n, d)
    centroids : ndarray of shape (s, d), unit rows

    Returns
    -------
    labels : ndarray of int64, shape (n,)
    """
    labels = np.empty(X.shape[0], dtype=np.int64)
    for start in range(0, X.shape[0], _BLOCK):
        block = X[start : start + _BLOCK]
        labels[start : start + _BLOCK] = np.argmax(block @ centroids.T, axis=1)
    return labels


def spherical_kmeans(
    X: np.ndarray,
    n_clusters: int,
    *,
    n_init: int = 3,
    max_iter: int = 50,
    random_state: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster the rows of ``X`` by cosine similarity (k-means++ seeding, Lloyd iterations).

    Parameters
    ----------
    X : ndarray of shape (n, d)
    n_clusters : int
        Number of parts ``s``, ``1 <= s <= n``.
    n_init : int, default=3
        Restarts; the one with the highest total similarity to its centroid wins.
    max_iter : int, default=50
    random_state : int, optional
        Seed; the same seed gives the same partition.

    Returns
    -------
    centroids : ndarray of float32, shape (s, d)
        Unit-norm centroids, ordered by decreasing part size (so part 0 is the largest).
    labels : ndarray of int64, shape (n,)
    """
    if not 1 <= n_clusters <= X.shape[0]:
        raise ValueError(f"n_clusters: expected 1 <= n_clusters <= {X.shape[0]}, got {n_clusters}")
    U = _unit_rows(np.asarray(X, dtype=np.float32))
    rng = np.random.default_rng(random_state)
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for _ in range(n_init if n_clusters > 1 else 1):
        centroids = _seed(U, n_clusters, rng)
        labels = assign(U, centroids)
        for _ in range(max_iter):
            centroids = _update(U, labels, centroids)
            new_labels = assign(U, centroids)
            if np.array_equal(new_labels, labels):
                break
            labels = new_labels
        objective = float(np.einsum("ij,ij->", U, centroids[labels]))
        if best is None or objective > best[0]:
            best = (objective, centroids, labels)
    _, centroids, labels = best
    # Order parts by size so that the numbering is stable and meaningful.
    order = np.argsort(-np.bincount(labels, minlength=n_clusters), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(n_clusters)
    return centroids[order].astype(np.float32), rank[labels]


def _seed(U: np.ndarray, s: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ on cosine distance (1 - similarity)."""
    centroids = [U[rng.integers(U.shape[0])]]
    distance = 1.0 - U @ centroids[0]
    for _ in range(1, s):
        weights = np.maximum(distance, 0.0)
        total = weights.sum()
        pick = rng.choice(U.shape[0], p=weights / total) if total > 0 else rng.integers(U.shape[0])
        centroids.append(U[pick])
        distance = np.minimum(distance, 1.0 - U @ U[pick])
    return np.stack(centroids)


def _update(U: np.ndarray, labels: np.ndarray, previous: np.ndarray) -> np.ndarray:
    # Per-part sums as one sparse-free GEMM: (s, n) one-hot rows times (n, d).
    one_hot = np.zeros((previous.shape[0], U.shape[0]), dtype=U.dtype)
    one_hot[labels, np.arange(U.shape[0])] = 1.0
    sums = one_hot @ U
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    # An emptied part keeps its previous centroid instead of becoming NaN.
    return np.where(norms > 0, sums / np.where(norms > 0, norms, 1.0), previous)
