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


# --------------------------------------------------------------------------------------------
# The canonical score, bit for bit (rust/metric.rs): float32 arithmetic in a fixed order. The
# searches return the argmax of exactly these values (ties to the lowest index), so a reference
# built on them can demand identical indices and identical score bits, even for near-ties.

LANES = 32


def _lanewise_sums(terms: np.ndarray) -> np.ndarray:
    """Sum float32 ``terms`` over the last axis in the canonical order: 32 lane sums over whole
    blocks (lane l adds terms 32 i + l in turn), a pairwise tree over the lanes, then the tail in
    order."""
    terms = np.asarray(terms, dtype=np.float32)
    d = terms.shape[-1]
    chunks = d // LANES * LANES
    acc = np.zeros(terms.shape[:-1] + (LANES,), dtype=np.float32)
    for start in range(0, chunks, LANES):
        acc = acc + terms[..., start : start + LANES]
    width = LANES
    while width > 1:
        width //= 2
        acc[..., :width] = acc[..., :width] + acc[..., width : 2 * width]
    total = acc[..., 0].copy()
    for j in range(chunks, d):
        total = total + terms[..., j]
    return total


def canonical_norms(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    return np.sqrt(_lanewise_sums(X * X))


def canonical_scores(queries: np.ndarray, base: np.ndarray, metric: str) -> np.ndarray:
    """(q, n) float32 canonical scores (similarities, or distances for euclidean)."""
    Q = np.asarray(queries, dtype=np.float32)[:, None, :]
    B = np.asarray(base, dtype=np.float32)[None, :, :]
    if metric == "euclidean":
        diff = Q - B
        return np.sqrt(_lanewise_sums(diff * diff))
    dot = _lanewise_sums(Q * B)
    if metric == "ip":
        return dot
    qn = canonical_norms(queries).astype(np.float64)[:, None]
    bn = canonical_norms(base).astype(np.float64)[None, :]
    return np.clip((dot.astype(np.float64) / (qn * bn)).astype(np.float32), -1.0, 1.0)


def _order_key(scores: np.ndarray, metric: str) -> np.ndarray:
    """Larger = better."""
    return -scores if metric == "euclidean" else scores


def canonical_nearest_support(queries, base, L_base, metric):
    """Per (query, LF): the support row with the best canonical score, lowest index on ties."""
    S = canonical_scores(queries, base, metric)
    key = _order_key(S, metric)
    q, m = S.shape[0], L_base.shape[1]
    worst = np.inf if metric == "euclidean" else -np.inf
    scores = np.full((q, m), worst, dtype=np.float32)
    indices = np.full((q, m), -1, dtype=np.int64)
    for j in range(m):
        support = np.flatnonzero(L_base[:, j] != -1)
        if support.size:
            best = np.argmax(key[:, support], axis=1)  # first maximum = lowest index
            indices[:, j] = support[best]
            scores[:, j] = S[np.arange(q), support[best]]
    return scores, indices


def canonical_knn(X, k, metric, queries=None, rows=None):
    """Top-k rows of X by canonical score, equal scores by ascending index. Without ``queries``
    the queries are the rows of X (``rows``: only those, by default all) and a row is never its
    own neighbour."""
    exclude_self = queries is None
    if exclude_self:
        rows = np.arange(X.shape[0]) if rows is None else np.asarray(rows)
        Q = X[rows]
    else:
        Q = queries
    S = canonical_scores(Q, X, metric)
    key = _order_key(S, metric).astype(np.float64)
    if exclude_self:
        key[np.arange(len(rows)), rows] = -np.inf
    n = S.shape[1]
    order = np.lexsort((np.broadcast_to(np.arange(n), S.shape), -key), axis=1)[:, :k]
    return np.take_along_axis(S, order, 1), order
