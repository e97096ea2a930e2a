"""The passes over a vote matrix that :class:`~liger.label_model.statistics.VoteStatistics` is
built from: vote counts, sparse moments, per-class counts and majority wins, the class-balance
sample and its merge."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from .._checks.validation import ABSTAIN
from .chunks import _VoteEntries, dense_rows

# The pairwise statistics and the triplet model's moments hold a few (F + 1) x (F + 1) arrays,
# F the (LF, class) votes that occur (at most m K): measured, about 77 F^2 bytes at the peak of
# LabelModel.fit. Beyond this many (about 1.9 GB) they are refused before anything is allocated.
MAX_PAIRWISE_FEATURES = 5000
PEAK_BYTES_PER_ENTRY = 77


def check_pairwise_features(F: int, m: int, K: int) -> None:
    """Refuse pairwise statistics of more than :data:`MAX_PAIRWISE_FEATURES` features."""
    if F > MAX_PAIRWISE_FEATURES:
        need = PEAK_BYTES_PER_ENTRY * (F + 1) ** 2 / 1e9
        cap = PEAK_BYTES_PER_ENTRY * (MAX_PAIRWISE_FEATURES + 1) ** 2 / 1e9
        raise MemoryError(
            f"L: the label model's pairwise statistics of m = {m} LFs x K = {K} classes hold "
            f"F = {F} distinct (LF, class) votes, and need about {PEAK_BYTES_PER_ENTRY} F^2 "
            f"bytes = {need:.1f} GB; the limit is F <= {MAX_PAIRWISE_FEATURES} (about "
            f"{cap:.1f} GB). Use label_model='majority' (no pairwise statistics), fewer LFs, or "
            "fewer classes per LF"
        )


# --------------------------------------------------------------------------------------------
# The passes


def _vote_counts(L, cardinality: int, chunk_size: int) -> np.ndarray:
    """(m, K + 1) counts: ``counts[j, v + 1]`` = rows where LF j cast v (v = -1 is abstain)."""
    n, m = L.shape
    width = cardinality + 1
    counts = np.zeros(m * width, dtype=np.int64)
    if sparse.issparse(L):
        cast = L.data != ABSTAIN
        codes = L.indices[cast].astype(np.int64) * width + L.data[cast].astype(np.int64) + 1
        counts = np.bincount(codes, minlength=m * width).reshape(m, width)
        counts[:, 0] = n - counts[:, 1:].sum(axis=1)
        return counts
    offsets = np.arange(m, dtype=np.int64) * width + 1
    for start in range(0, n, chunk_size):
        codes = dense_rows(L, start, start + chunk_size) + offsets
        counts += np.bincount(codes.ravel(), minlength=m * width)
    return counts.reshape(m, width)


def _sparse_moments(L, cardinality: int, chunk_size: int):
    """The same statistics from a CSR matrix: sparse indicator blocks, ``B^T B`` in int64."""
    n, m = L.shape
    K = cardinality
    counts = _vote_counts(L, K, chunk_size)
    features = np.flatnonzero(counts[:, 1:].ravel() > 0)
    F = features.size
    check_pairwise_features(F, m, K)
    lookup = np.full(m * K, -1, dtype=np.int64)
    lookup[features] = np.arange(F)
    gram = np.zeros((F + 1, F + 1), dtype=np.int64)
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        entries = _VoteEntries(L, start, stop)
        multi = np.flatnonzero(entries.votes_per_row() >= 2)
        rows = np.concatenate([entries.row, multi])
        cols = np.concatenate([lookup[entries.lf * K + entries.cls], np.full(multi.size, F)])
        B = sparse.csr_array(
            (np.ones(rows.size, dtype=np.int64), (rows, cols)), shape=(stop - start, F + 1)
        )
        gram += (B.T @ B).toarray()
    return counts, features, gram


def _class_counts(Lc: np.ndarray, cardinality: int, voted: np.ndarray) -> np.ndarray:
    """(rows, K) votes per class of a dense block; class 0's from the row's total (one pass
    fewer)."""
    per_class = np.empty((Lc.shape[0], cardinality), dtype=np.int64)
    if cardinality == 2:
        # Votes are -1, 0 or 1: a row's sum is (class-1 votes) - (abstentions); no comparison.
        per_class[:, 1] = Lc.sum(axis=1, dtype=np.int64) + (Lc.shape[1] - voted)
        per_class[:, 0] = voted - per_class[:, 1]
        return per_class
    for c in range(1, cardinality):
        per_class[:, c] = np.count_nonzero(Lc == c, axis=1)
    per_class[:, 0] = voted - per_class[:, 1:].sum(axis=1)
    return per_class


def _wins(per_class: np.ndarray) -> np.ndarray:
    """(K, K) int64: ``[t - 1, c]`` = rows whose top vote count is shared by t classes incl. c."""
    K = per_class.shape[1]
    if K == 2:  # the common case, without the generic (rows, K) temporaries
        c0, c1 = per_class[:, 0], per_class[:, 1]
        tied = np.count_nonzero((c0 == c1) & (c0 > 0))
        return np.array(
            [[np.count_nonzero(c0 > c1), np.count_nonzero(c1 > c0)], [tied, tied]],
            dtype=np.int64,
        )
    top = per_class.max(axis=1, keepdims=True)
    winners = (per_class == top) & (top > 0)
    ties = winners.sum(axis=1, keepdims=True)
    codes = (ties - 1) * K + np.arange(K)
    return np.bincount(codes[winners], minlength=K * K).reshape(K, K)


def _counts_and_wins(L, cardinality: int, chunk_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Vote counts and majority winners in one pass (what ``pairwise=False`` needs): one
    comparison per class and chunk serves both the per-LF and the per-row counts."""
    if sparse.issparse(L):
        return _vote_counts(L, cardinality, chunk_size), _majority_wins(L, cardinality, chunk_size)
    n, m = L.shape
    K = cardinality
    counts = np.zeros((m, K + 1), dtype=np.int64)
    wins = np.zeros((K, K), dtype=np.int64)
    for start in range(0, n, chunk_size):
        Lc = dense_rows(L, start, start + chunk_size)
        per_class = np.empty((Lc.shape[0], K), dtype=np.int64)
        for c in range(K):
            hits = Lc == c
            counts[:, c + 1] += np.count_nonzero(hits, axis=0)
            per_class[:, c] = np.count_nonzero(hits, axis=1)
        wins += _wins(per_class)
    counts[:, 0] = n - counts[:, 1:].sum(axis=1)
    return counts, wins


def _majority_wins(L, cardinality: int, chunk_size: int) -> np.ndarray:
    """(K, K) int64 majority winners by tie size (see the module docstring), in one pass."""
    K = cardinality
    n = L.shape[0]
    wins = np.zeros((K, K), dtype=np.int64)
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        if sparse.issparse(L):
            entries = _VoteEntries(L, start, stop)
            per_class = np.bincount(
                entries.row * K + entries.cls, minlength=(stop - start) * K
            ).reshape(stop - start, K)
        else:
            Lc = dense_rows(L, start, stop)
            per_class = _class_counts(Lc, K, np.count_nonzero(Lc != ABSTAIN, axis=1))
        wins += _wins(per_class)
    return wins


def _merge_samples(keys, patterns, counts):
    """Union of two samples keyed by code (counts added) or by global position (disjoint)."""
    all_keys = np.concatenate(keys)
    all_patterns = np.concatenate(patterns)
    all_counts = np.concatenate(counts)
    unique, first, inverse = np.unique(all_keys, return_index=True, return_inverse=True)
    merged = np.zeros(unique.size, dtype=np.int64)
    np.add.at(merged, inverse, all_counts)
    return unique, all_patterns[first], merged


def _union_ranges(a, b) -> tuple[tuple[int, int], ...]:
    ranges = sorted(a + b)
    out: list[list[int]] = []
    for start, stop in ranges:
        if out and start < out[-1][1]:
            raise ValueError(
                f"other: expected statistics of disjoint rows, but rows {start}..{out[-1][1] - 1} "
                "are counted twice"
            )
        if out and start == out[-1][1]:
            out[-1][1] = stop
        else:
            out.append([start, stop])
    return tuple((start, stop) for start, stop in out)
