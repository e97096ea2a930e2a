"""Posterior encoding: the LF blocks a row's log-likelihood is summed over (one lookup per block
of LFs, fixed order), and :class:`EncodedVotes`, a vote matrix's lookup positions kept for repeated
posteriors (Session)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks.votes import check_cardinality, check_vote_matrix
from .chunks import dense_rows

# A row's log-likelihood is summed over blocks of LFs: a block's table holds the summed
# log-probability of every combination of its LFs' votes (at most this many entries, so that a
# table stays in the L1 cache), and a row costs one lookup per block instead of one per LF (5x
# fewer for K = 2: blocks of 5 LFs, 3^5 = 243 entries).
BLOCK_ENTRIES = 256


class _Blocks:
    """The LF blocks of an (n, m) vote matrix with K classes: consecutive LFs, as many per block
    as ``(K + 1)^size <= BLOCK_ENTRIES`` allows. :meth:`tables` turns flat per-LF log tables into
    per-block tables (one concatenated row per table), :meth:`codes` gives every row's position
    in them, and :func:`_block_sums` adds a row's blocks up, in block order."""

    def __init__(self, m: int, cardinality: int) -> None:
        width = cardinality + 1
        if width < 2:  # a block of width 0 or 1 never fills: the loop below would not end
            raise ValueError(
                f"log tables: expected K + 1 >= 2 entries per LF, got {width} (cardinality "
                f"{cardinality})"
            )
        size = 1
        while width ** (size + 1) <= BLOCK_ENTRIES:
            size += 1
        self.m, self.width = m, width
        self.bounds = [(start, min(start + size, m)) for start in range(0, m, size)]
        entries = [width ** (stop - start) for start, stop in self.bounds]
        self.offsets = np.concatenate([[0], np.cumsum(entries)[:-1]]).astype(np.intp)

    def block_of(self, j: int) -> int:
        return next(b for b, (start, stop) in enumerate(self.bounds) if start <= j < stop)

    def tables(self, log_flat: np.ndarray) -> np.ndarray:
        """(R, m * (K + 1)) per-LF log tables -> (R, entries): a block's entry for the votes
        ``v_start..v_stop-1`` is their log-probabilities summed in LF order."""
        R, W = log_flat.shape[0], self.width
        parts = []
        for start, stop in self.bounds:
            acc = log_flat[:, start * W : (start + 1) * W]
            for j in range(start + 1, stop):
                acc = (acc[:, :, None] + log_flat[:, None, j * W : (j + 1) * W]).reshape(R, -1)
            parts.append(acc)
        return np.ascontiguousarray(np.concatenate(parts, axis=1))

    def codes(self, L: np.ndarray, blocks=None) -> np.ndarray:
        """(n_blocks, rows) positions of each row's block of votes in :meth:`tables`' rows, block
        major (``blocks``: only those blocks, for an update)."""
        chosen = range(len(self.bounds)) if blocks is None else blocks
        out = np.empty((len(chosen), L.shape[0]), dtype=np.intp)
        for k, b in enumerate(chosen):
            start, stop = self.bounds[b]
            # Base K + 1 digits v + 1, the block's first LF most significant.
            code = out[k]
            code[:] = L[:, start]
            code += 1
            for j in range(start + 1, stop):
                code *= self.width
                code += L[:, j]
                code += 1
            code += self.offsets[b]
        return out


def _block_sums(tables: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """(R, rows) ``sum_b tables[r, codes[b, i]]``, added block after block (a fixed order:
    results do not depend on how rows are chunked)."""
    # mode="clip": codes of validated votes are in range, and "raise" would buffer the output.
    out = np.take(tables, codes[0], axis=1, mode="clip")
    for b in range(1, codes.shape[0]):
        out += np.take(tables, codes[b], axis=1, mode="clip")
    return out


class EncodedVotes:
    """A vote matrix as a :class:`LabelModel` posterior reads it: every row's position in the
    per-block log tables (see :data:`BLOCK_ENTRIES`).

    Computing the positions costs about as much as the lookups themselves, so a caller that
    scores the same, slowly changing matrix many times (the interactive ``Session``) keeps them
    and re-encodes only the block of a changed column; ``predict_proba`` and
    ``predict_log_joint`` of :class:`LabelModel` accept an ``EncodedVotes`` wherever they accept
    votes, with identical results.

    Parameters
    ----------
    L : array-like of int, shape (n, m)
        Votes, -1 = abstain, classes ``0..K-1``. Not kept (only read).
    cardinality : int
        Number of classes K.
    """

    def __init__(self, L: Any, cardinality: int) -> None:
        K = check_cardinality(cardinality)
        L = check_vote_matrix("L", L, K, allow_empty_rows=True)
        self.shape = L.shape
        self.cardinality = K
        self._blocks = _Blocks(L.shape[1], K)
        self.codes = _codes_of(L, self._blocks, DEFAULT_CHUNK_ROWS)

    def block_of(self, j: int) -> int:
        """The row of :attr:`codes` (the block) LF ``j``'s votes are encoded in."""
        return self._blocks.block_of(int(j))

    def update(self, L: Any, columns) -> None:
        """Re-encode the blocks of ``columns`` from ``L``, the (n, m) votes after they changed."""
        if L.shape != self.shape:
            raise ValueError(f"L: expected shape {self.shape} (the encoded votes), got {L.shape}")
        blocks = sorted({self._blocks.block_of(int(j)) for j in columns})
        if blocks:
            self.codes[blocks] = self._blocks.codes(L, blocks)


# Rows per chunk of the codes pass of EncodedVotes (bounds the dense copy of a sparse chunk).
DEFAULT_CHUNK_ROWS = 65536


def _codes_of(L: Any, blocks: _Blocks, chunk_size: int) -> np.ndarray:
    n = L.shape[0]
    out = np.empty((len(blocks.bounds), n), dtype=np.intp)
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        out[:, start:stop] = blocks.codes(dense_rows(L, start, stop))
    return out


def _log_likelihoods(
    L: Any, log_flat: np.ndarray, chunk_size: int, codes: np.ndarray | None = None
) -> np.ndarray:
    """(R, n) ``sum_j log_flat[r, position of L[i, j]]``, class (table row) major: one 1-D
    ``np.take`` per table row, block and chunk of rows on the per-block tables (:class:`_Blocks`).

    ``L``: a validated vote matrix, dense (any integer dtype) or CSR (densified chunk by chunk),
    or an :class:`EncodedVotes`. ``codes`` (from :func:`_codes_of`) may be passed when the same
    rows are evaluated many times; computing them costs about as much as the lookups.
    """
    n, m = L.shape
    R = log_flat.shape[0]
    width = log_flat.shape[1] // m
    blocks = _Blocks(m, width - 1)
    tables = blocks.tables(log_flat)
    if isinstance(L, EncodedVotes):
        codes = L.codes
    out = np.empty((R, n))
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        if codes is None:
            chunk = blocks.codes(dense_rows(L, start, stop))
        else:
            chunk = codes[:, start:stop]
        out[:, start:stop] = _block_sums(tables, chunk)
    return out


def rows_without_votes(L: Any, chunk_size: int = DEFAULT_CHUNK_ROWS) -> np.ndarray:
    """(n,) bool: the rows of a validated vote matrix (dense, CSR, or :class:`EncodedVotes`) on
    which every LF abstains."""
    if isinstance(L, EncodedVotes):
        # A block whose LFs all abstain has code ``offsets[b]`` (every digit v + 1 = 0).
        return np.all(L.codes == L._blocks.offsets[:, None], axis=0)
    n = L.shape[0]
    out = np.empty(n, dtype=bool)
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        out[start:stop] = ~np.any(dense_rows(L, start, stop) != -1, axis=1)
    return out
