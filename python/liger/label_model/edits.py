"""One LF's column changed, added or removed: the update of the counts of
:class:`~liger.label_model.statistics.VoteStatistics` that reads only the rows where that column
votes (or voted), never the ``O(n F^2)`` Gram matrix of the other LFs.

:func:`column_update` is the one update; ``replace_lf``, ``add_lf`` and ``remove_lf`` are it with
the old column read from the votes (replace, remove) or all abstentions (add), and the new one
given (replace, add) or all abstentions (remove). Removing is then "LF j never votes" followed by
dropping its (now empty) row of counts and renumbering the features of the LFs after it.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .._checks.validation import ABSTAIN
from .._checks.votes import _check_count, check_vote_matrix
from .chunks import _column
from .passes import _wins, check_pairwise_features


def column_update(
    cardinality: int,
    j: int,
    counts: np.ndarray,
    features: np.ndarray,
    cooccurrence: np.ndarray | None,
    majority_wins: np.ndarray,
    take_rows: Callable[[np.ndarray], np.ndarray],
    old: np.ndarray,
    new: np.ndarray,
    chunk_size: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """Vote counts, features, co-occurrences (None when ``cooccurrence`` is) and majority wins
    after column j of an (n, m) vote matrix changed from ``old`` to ``new``.

    ``counts`` (m, K + 1), ``features``, ``cooccurrence`` and ``majority_wins`` are the
    statistics with the old column; ``take_rows(rows)`` returns the (r, m) int64 rows of the
    matrix for sorted row indices (column j as it is: it is overwritten here). Each row where
    the vote changed contributes the difference between its new and its old indicator vector to
    LF j's rows and columns of ``cooccurrence`` and to the "two or more votes" row and column,
    and its old and new majority winners. Exact integer arithmetic: the result equals the
    statistics computed from scratch on the new matrix.
    """
    K = cardinality
    m = counts.shape[0]
    width = K + 1
    counts = counts.copy()
    counts[j] = np.bincount(new + 1, minlength=width)
    old_features = features
    features = np.union1d(features[features // K != j], j * K + np.flatnonzero(counts[j, 1:] > 0))
    if cooccurrence is not None:
        # The label model's pairwise arrays grow as F^2: refused early beyond the memory limit.
        check_pairwise_features(features.size, m, K)
    changed = np.flatnonzero(old != new)
    # Per flat feature code (LF l, class b) of the *other* LFs: the change in its
    # co-occurrence with each of LF j's classes (rows K) and with "two or more votes" (row K).
    delta = np.zeros((K + 1, m * K), dtype=np.int64)
    multi_j = np.zeros((2, K), dtype=np.int64)  # LF j's classes x (old, new) multi rows
    multi_rows = 0
    wins = majority_wins.copy()
    for start in range(0, changed.size, chunk_size):
        rows = changed[start : start + chunk_size]
        block = take_rows(rows)  # (r, m)
        block[:, j] = ABSTAIN
        row, other_lf = np.nonzero(block != ABSTAIN)
        cls = block[row, other_lf]
        code = other_lf * K + cls
        others = np.bincount(row, minlength=rows.size)  # other LFs' votes per row
        o, w = old[rows], new[rows]
        o_voted, w_voted = o != ABSTAIN, w != ABSTAIN
        multi_old, multi_new = others + o_voted >= 2, others + w_voted >= 2
        if cooccurrence is not None:
            for sign, vote, voted in ((-1, o, o_voted), (1, w, w_voted)):
                cast = voted[row]
                pairs = vote[row[cast]] * (m * K) + code[cast]
                delta[:K] += sign * np.bincount(pairs, minlength=K * m * K).reshape(K, m * K)
            # "Two or more votes" changes only in rows where LF j started or stopped voting.
            for sign, flipped in ((1, multi_new & ~multi_old), (-1, multi_old & ~multi_new)):
                delta[K] += sign * np.bincount(code[flipped[row]], minlength=m * K)
            multi_j[0] += np.bincount(o[o_voted & multi_old], minlength=K)
            multi_j[1] += np.bincount(w[w_voted & multi_new], minlength=K)
            multi_rows += int(multi_new.sum()) - int(multi_old.sum())
        per_class = np.bincount(row * K + cls, minlength=rows.size * K)
        per_class = per_class.reshape(rows.size, K)
        for sign, vote, voted in ((-1, o, o_voted), (1, w, w_voted)):
            with_vote = per_class.copy()
            with_vote[voted, vote[voted]] += 1
            wins += sign * _wins(with_vote)
    if cooccurrence is None:
        return counts, features, None, wins

    F = features.size
    gram = np.zeros((F + 1, F + 1), dtype=np.int64)
    # Carry over every old entry whose feature still occurs (LF j's included), then add the
    # changes; a feature of LF j that no longer occurs has only zero entries left.
    still = np.isin(old_features, features)
    old_pos = np.append(np.flatnonzero(still), old_features.size)
    new_pos = np.append(np.searchsorted(features, old_features[still]), F)
    gram[np.ix_(new_pos, new_pos)] = cooccurrence[np.ix_(old_pos, old_pos)]
    others_mask = features // K != j
    other_pos = np.flatnonzero(others_mask)
    other_codes = features[others_mask]
    j_classes = features[~others_mask] - j * K
    j_pos = np.flatnonzero(~others_mask)
    block = delta[j_classes][:, other_codes]
    gram[np.ix_(j_pos, other_pos)] += block
    gram[np.ix_(other_pos, j_pos)] += block.T
    gram[j_pos, j_pos] = counts[j, 1 + j_classes]
    gram[other_pos, F] += delta[K, other_codes]
    gram[F, other_pos] += delta[K, other_codes]
    gram[j_pos, F] += multi_j[1, j_classes] - multi_j[0, j_classes]
    gram[F, j_pos] = gram[j_pos, F]
    gram[F, F] += multi_rows
    return counts, features, gram, wins


def check_lf(stats, lf: Any) -> int:
    """An LF index of ``stats``."""
    j = _check_count("lf", lf, 0)
    if j >= stats.n_lfs:
        raise ValueError(f"lf: expected an LF index in 0..{stats.n_lfs - 1}, got {j}")
    return j


def check_source(stats, L: Any, method: str):
    """The votes ``stats`` were built from, checked (one row range, their shape)."""
    if len(stats.row_ranges) > 1:
        raise ValueError(
            f"{method}: these statistics cover several separate row ranges "
            f"{list(stats.row_ranges)}; update each chunk's statistics and merge them"
        )
    votes = check_vote_matrix("L", L, stats.cardinality, allow_empty_rows=True)
    shape = (stats.n_rows, stats.n_lfs)
    if votes.shape != shape:
        raise ValueError(
            f"L: expected shape {shape} (the rows and LFs of these statistics), got {votes.shape}"
        )
    return votes


def old_column(stats, votes, j: int) -> np.ndarray:
    """LF j's column of ``votes``, checked against its vote counts."""
    old = _column(votes, j)
    old_counts = np.bincount(old + 1, minlength=stats.cardinality + 1)
    if not np.array_equal(old_counts, stats.vote_counts[j]):
        raise ValueError(
            f"L: column {j}'s vote counts {old_counts.tolist()} differ from these statistics' "
            f"{stats.vote_counts[j].tolist()}; pass the votes the statistics were built from"
        )
    return old


def with_column(rows: np.ndarray, j: int, values: np.ndarray | None) -> np.ndarray:
    """``rows`` with column j set to ``values`` (j = its width: appended; None: abstentions)."""
    if j == rows.shape[1]:
        rows = np.concatenate([rows, np.empty((rows.shape[0], 1), dtype=rows.dtype)], axis=1)
    rows[:, j] = ABSTAIN if values is None else values
    return rows
