"""The extension-level threshold grid of :func:`liger.extension.tuning.threshold_grid`, exactly,
over row-chunked Dask arrays.

A grid entry is an order statistic (numpy's ``quantile(..., method="lower")``) of one LF's finite
scores on the points where it abstains. Sorting a column of a hundred million rows on one machine
is what scale-out avoids, so the order statistic is found by a two-pass radix select on the
scores' order-preserving 32-bit keys: pass 1 counts the distinct high 16 bits of the keys per LF
(summed across chunks), which tells the bin holding the wanted rank; pass 2 counts, per chunk, the
distinct low 16 bits inside just those bins. Both reductions are integer sums, so the selected
value is the exact element ``threshold_grid`` picks.
"""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np

from .._checks.validation import ABSTAIN
from ._dask_search import tree_reduce


def _keys(scores: np.ndarray) -> np.ndarray:
    """uint32 keys ordered like the float32 values (negative floats have their bits flipped)."""
    bits = np.ascontiguousarray(scores, dtype=np.float32).view(np.uint32)
    negative = (bits >> np.uint32(31)).astype(bool)
    return np.where(negative, ~bits, bits | np.uint32(0x80000000))


def _from_keys(keys: np.ndarray) -> np.ndarray:
    keys = np.asarray(keys, dtype=np.uint32)
    positive = (keys >> np.uint32(31)).astype(bool)
    bits = np.where(positive, keys & np.uint32(0x7FFFFFFF), ~keys)
    return bits.view(np.float32)


def _candidates(L: np.ndarray, scores: np.ndarray, j: int) -> np.ndarray:
    """Keys of LF j's finite scores where it abstains: the values ``threshold_grid`` ranks."""
    column = scores[:, j]
    return _keys(column[(L[:, j] == ABSTAIN) & np.isfinite(column)])


def _high_counts(L: np.ndarray, scores: np.ndarray) -> list:
    """Per LF: the distinct high 16 bits of its candidate keys and their counts (sparse: a chunk
    has at most as many distinct values as rows, whatever the 65,536 possible bins)."""
    return [
        np.unique(_candidates(L, scores, j) >> np.uint32(16), return_counts=True)
        for j in range(L.shape[1])
    ]


def _merge_counts(values: list, counts: list) -> tuple[np.ndarray, np.ndarray]:
    distinct, inverse = np.unique(np.concatenate(values), return_inverse=True)
    totals = np.bincount(inverse, weights=np.concatenate(counts), minlength=distinct.size)
    return distinct, totals.astype(np.int64)  # float64 sums of counts are exact below 2**53


def _merge_high_counts(*parts: list) -> list:
    return [
        _merge_counts([part[j][0] for part in parts], [part[j][1] for part in parts])
        for j in range(len(parts[0]))
    ]


def _low_counts(L: np.ndarray, scores: np.ndarray, wanted: tuple) -> dict:
    """For each (LF, high bin) in ``wanted``: distinct low 16 bits and their counts."""
    found = {}
    for j, high in wanted:
        keys = _candidates(L, scores, j)
        lows = keys[(keys >> np.uint32(16)) == high] & np.uint32(0xFFFF)
        found[(j, high)] = np.unique(lows, return_counts=True)
    return found


def _merge_low_counts(*parts: dict) -> dict:
    return {
        key: _merge_counts([part[key][0] for part in parts], [part[key][1] for part in parts])
        for key in parts[0]
    }


def _blocks(L: da.Array, scores: da.Array) -> list:
    if L.chunks[0] != scores.chunks[0]:
        scores = scores.rechunk({0: L.chunks[0]})
    return list(zip(L.to_delayed()[:, 0], scores.to_delayed()[:, 0]))


def grid_ranks(count: int, levels, higher_is_better: bool) -> list:
    """Per level: None (no extension) or the 0-based rank among ``count`` sorted values that
    ``np.quantile(values, q, method="lower")`` returns, ``floor((count - 1) * q)``."""
    ranks = []
    for level in levels:
        if level <= 0 or count == 0:
            ranks.append(None)
            continue
        q = 1.0 - level if higher_is_better else level
        q = min(max(q, 0.0), 1.0)
        ranks.append(int(np.floor((count - 1) * np.float64(q))))
    return ranks


def threshold_grid(L: da.Array, scores: da.Array, levels, higher_is_better: bool) -> np.ndarray:
    """(m, len(levels)) float32 thresholds, equal to ``liger.extension.tuning.threshold_grid`` on
    the computed arrays. Two passes over the chunks (two ``compute`` calls)."""
    blocks = _blocks(L, scores)
    m = L.shape[1]
    high = dask.delayed(_high_counts, pure=True)
    (highs,) = dask.compute(tree_reduce([high(Lb, Sb) for Lb, Sb in blocks], _merge_high_counts))
    targets = {}  # (j, g) -> (high bits, rank among the keys sharing them)
    for j, (values, counts) in enumerate(highs):
        cumulative = np.cumsum(counts)
        total = int(cumulative[-1]) if cumulative.size else 0
        for g, rank in enumerate(grid_ranks(total, levels, higher_is_better)):
            if rank is None:
                continue
            b = int(np.searchsorted(cumulative, rank, side="right"))
            before = int(cumulative[b - 1]) if b > 0 else 0
            targets[(j, g)] = (int(values[b]), rank - before)
    grid = np.full((m, len(levels)), np.nan, dtype=np.float32)
    if not targets:
        return grid
    wanted = tuple(sorted({(j, b) for (j, _), (b, _) in targets.items()}))
    low = dask.delayed(_low_counts, pure=True)
    parts = [low(Lb, Sb, wanted) for Lb, Sb in blocks]
    (lows,) = dask.compute(tree_reduce(parts, _merge_low_counts))
    for (j, g), (b, inside) in targets.items():
        values, counts = lows[(j, b)]
        position = int(np.searchsorted(np.cumsum(counts), inside, side="right"))
        key = (np.uint32(b) << np.uint32(16)) | values[position]
        grid[j, g] = _from_keys(np.array([key]))[0]
    return grid
