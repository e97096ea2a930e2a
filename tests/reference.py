"""Plain NumPy references (float64, brute force) that the Rust kernels are checked against."""

from __future__ import annotations

import numpy as np


def pair_scores(queries: np.ndarray, base: np.ndarray, metric: str) -> np.ndarray:
    """(q, n) float64 scores, "higher is better" oriented (distances negated)."""
    Q = np.asarray(queries, dtype=np.float64)
    B = np.asarray(base, dtype=np.float64)
    if metric == "cosine":
        Q = Q / np.linalg.norm(Q, axis=1, keepdims=True)
        B = B / np.linalg.norm(B, axis=1, keepdims=True)
        return Q @ B.T
    if metric == "ip":
        return Q @ B.T
    sq = (Q**2).sum(1)[:, None] + (B**2).sum(1)[None, :] - 2 * Q @ B.T
    return -np.sqrt(np.maximum(sq, 0.0))


def to_metric(oriented: np.ndarray, metric: str) -> np.ndarray:
    return -oriented if metric == "euclidean" else oriented


def nearest_support(queries, base, L_base, metric):
    """Reference nearest support: for each LF the first (lowest-index) best support row."""
    S = pair_scores(queries, base, metric)
    q, m = S.shape[0], L_base.shape[1]
    worst = np.inf if metric == "euclidean" else -np.inf
    scores = np.full((q, m), worst)
    indices = np.full((q, m), -1, dtype=np.int64)
    for j in range(m):
        support = np.flatnonzero(L_base[:, j] != -1)
        if support.size:
            best = np.argmax(S[:, support], axis=1)  # first maximum = lowest index
            indices[:, j] = support[best]
            scores[:, j] = to_metric(S[np.arange(q), support[best]], metric)
    return scores, indices


def knn(X, k, metric, queries=None):
    exclude_self = queries is None
    Q = X if exclude_self else queries
    S = pair_scores(Q, X, metric)
    if exclude_self:
        np.fill_diagonal(S, -np.inf)
    # Sort by score descending, then index ascending.
    order = np.lexsort((np.broadcast_to(np.arange(S.shape[1]), S.shape), -S), axis=1)[:, :k]
    return to_metric(np.take_along_axis(S, order, 1), metric), order


def extend_votes(L, scores, indices, L_base, thresholds, metric):
    out = L.copy()
    for i, j in zip(*np.nonzero(L == -1)):
        t = thresholds[j]
        if indices[i, j] < 0 or np.isnan(t):
            continue
        ok = scores[i, j] <= t if metric == "euclidean" else scores[i, j] >= t
        if ok:
            out[i, j] = L_base[indices[i, j], j]
    return out
