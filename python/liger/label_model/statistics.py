"""The sufficient statistics of a vote matrix: everything the label models read from the votes.

:class:`liger.LabelModel` and :class:`liger.MajorityVoter` never look at a vote matrix directly
when they fit: they read a :class:`VoteStatistics`, built in one streaming pass over the rows.

What the statistics are
-----------------------
For a vote matrix ``L`` (n rows, m LFs, K classes, ``-1`` = abstain), every statistic is an
**exact integer count** (int64):

``vote_counts`` (m, K + 1)
    ``vote_counts[j, v + 1]`` = rows where LF j cast ``v`` (``v = -1``: abstained). Coverage,
    the vote rates ``mu_f`` and which votes an LF ever casts come from here.
``features`` (F,) and ``cooccurrence`` (F + 1, F + 1)
    A *feature* ``f = (j, a)``, stored as the flat index ``j * K + a``, is the indicator
    ``1[L_j = a]``; only features that fire at least once are kept, in increasing order.
    ``cooccurrence[f, g]`` = rows where features f and g both fire (its diagonal repeats the vote
    counts). The extra last indicator is "at least two LFs vote in this row": ``cooccurrence[f, F]``
    counts the rows where f fires *and* another LF votes (the rows that carry second-moment
    information about f) and ``cooccurrence[F, F]`` the rows with two or more votes. The triplet
    model's covariances, significance tests and shrinkage weights are functions of these counts
    and of n.
``majority_wins`` (K, K)
    ``majority_wins[t - 1, c]`` = rows with at least one vote whose top vote count is shared by
    exactly ``t`` classes, one of which is ``c``. The majority-vote class balance (ties split
    equally) is ``sum_t majority_wins[t - 1] / t``; counting by tie size keeps it an integer.
``sample_patterns`` (P, m), ``sample_counts`` (P,), ``sample_keys`` (P,)
    The rows the profile likelihood of the class balance is evaluated on: a *systematic sample*
    of at most ``MAX_BALANCE_ROWS`` rows at the global positions
    ``linspace(0, n - 1, MAX_BALANCE_ROWS)`` (all rows when ``n`` is smaller), deduplicated.
    When a row fits a 63-bit base-(K + 1) code (``m log2(K + 1) < 62``) the patterns are the
    distinct sampled rows in increasing code order and the counts how often each occurs
    (``sample_keys`` = the codes); otherwise the sampled rows in row order, each counted once
    (``sample_keys`` = their global row positions).

Why they are sufficient
-----------------------
The triplet model (``label_model.py``) is a method of moments: its estimates are functions of the
first moments ``E[psi_f] = vote_counts / n`` and the second moments
``E[psi_f psi_g] = cooccurrence / n`` of the vote indicators, plus the support counts in the
extra row/column. The class balance estimators read the majority-vote winners' distribution
(``majority_wins``) or the likelihood of the sampled vote patterns (each distinct pattern's
likelihood is computed once and weighted by its count). Majority vote needs the vote counts and the
winners' distribution. Nothing else about ``L`` enters a fit, so a model fitted on
``VoteStatistics.from_votes(L)`` equals the model fitted on ``L``.

Because every statistic is a sum over rows of integers (or, for the sample, a set of rows keyed by
a value independent of the chunking), statistics of disjoint row chunks **merge exactly**:
``from_votes(L)`` equals the merge of ``from_votes(L[a:b], row_offset=a, total_rows=n)`` over any
partition into chunks, array for array and bit for bit, in any merge order. That is the seam for
a Dask reduction. When one LF's column changes (an interactive edit), :meth:`replace_lf` recomputes
only what that column touches — its own features' rows and columns of ``cooccurrence``, the
"two or more votes" indicator, the winners and the sample — in ``O(n (K + F))`` time, never the
``O(n F^2)`` Gram matrix of the other LFs; :meth:`add_lf` and :meth:`remove_lf` are the same
update from / to an LF that never votes (``edits.py``).

Vote matrices
-------------
Dense: any integer NumPy array (int8, int16, int32, int64, unsigned) or array-like, ``-1`` =
abstain, classes ``0..K-1``. It is read chunk by chunk in its own dtype: an int8 matrix is never
widened to int64 as a whole.

Sparse: a ``scipy.sparse`` CSR or CSC matrix/array of integers. **An explicit entry is a vote, a
missing entry is an abstention, and an explicit zero is a vote for class 0** (an explicit ``-1``
is also read as an abstention). SciPy keeps explicit zeros when a matrix is built from triples and
when it is sliced or converted between CSR and CSC, but ``eliminate_zeros()``, and arithmetic that
may drop zeros, would silently turn class-0 votes into abstentions. Build one safely from the
(row, LF, class) triples of the cast votes::

    rows, lfs = np.nonzero(L_dense != -1)
    L_sparse = scipy.sparse.csr_array((L_dense[rows, lfs], (rows, lfs)), shape=L_dense.shape)

Each (row, LF) pair must appear at most once: SciPy's constructor would *add* duplicate entries,
so a matrix with duplicates is rejected. The statistics of a sparse matrix are computed from its
entries (a CSC matrix is converted to CSR, which copies its entries, never densifies); they equal
those of the dense matrix with the same votes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse
from scipy.linalg import blas

from .._checks.validation import ABSTAIN
from .._checks.votes import _check_count, check_cardinality, check_chunk_size, check_vote_matrix
from .chunks import _check_column, _take_rows, dense_rows
from .edits import check_lf, check_source, column_update, old_column, with_column
from .passes import (
    _class_counts,
    _counts_and_wins,
    _majority_wins,
    _merge_samples,
    _sparse_moments,
    _union_ranges,
    _vote_counts,
    _wins,
    check_pairwise_features,
)

# Rows used to estimate the class balance by profile likelihood (systematic sample beyond it):
# the balance is K - 1 numbers, so more rows add time but no accuracy that matters.
MAX_BALANCE_ROWS = 10_000
# Up to this many candidate features (m * K), the co-occurrence pass builds every candidate
# indicator and drops the ones that never fire afterwards; above it, the vote counts are taken in
# a first pass so that the indicator blocks only hold features that occur.
MAX_CANDIDATE_FEATURES = 512
DEFAULT_CHUNK_SIZE = 65536


# --------------------------------------------------------------------------------------------
# The statistics


def balance_sample_positions(total_rows: int) -> np.ndarray:
    """Global row positions of the systematic balance sample of an n-row matrix (sorted)."""
    if total_rows > MAX_BALANCE_ROWS:
        # Deterministic, and it spans data sorted in any order.
        return np.linspace(0, total_rows - 1, MAX_BALANCE_ROWS).astype(np.int64)
    return np.arange(total_rows, dtype=np.int64)


def _balance_sample(
    L, cardinality: int, row_offset: int, total_rows: int, edit=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keys, patterns and counts of this chunk's share of the systematic balance sample;
    ``edit(rows, local)``: the sampled rows of the edited matrix from ``L``'s (int64 rows at the
    chunk's positions ``local``; an LF's column replaced, added or removed)."""
    n = L.shape[0]
    positions = balance_sample_positions(total_rows)
    lo, hi = np.searchsorted(positions, [row_offset, row_offset + n])
    positions = positions[lo:hi]
    rows = _take_rows(L, positions - row_offset)
    if edit is not None:
        rows = edit(rows, positions - row_offset)
    m = rows.shape[1]
    dtype = _pattern_dtype(cardinality)
    if not _codes_fit(m, cardinality):
        return positions, rows.astype(dtype), np.ones(positions.size, dtype=np.int64)
    # Rows as base-(K + 1) integers, deduplicated with a 1-D sort (``np.unique`` with ``axis=0``
    # sorts rows lexicographically, 20x slower). Integer matmul: exact, and not BLAS.
    powers = (cardinality + 1) ** np.arange(m, dtype=np.int64)
    codes = (rows + 1) @ powers
    keys, first, counts = np.unique(codes, return_index=True, return_counts=True)
    return keys, rows[first].astype(dtype), counts.astype(np.int64)


def _codes_fit(n_lfs: int, cardinality: int) -> bool:
    """Whether a row fits a base-(K + 1) integer code in 63 bits."""
    return n_lfs * np.log2(cardinality + 1) < 62


def _pattern_dtype(cardinality: int) -> np.dtype:
    return np.dtype(np.int8) if cardinality <= 127 else np.dtype(np.int32)


def _frozen(array: np.ndarray | None) -> np.ndarray | None:
    if array is None:
        return None
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


class VoteStatistics:
    """Exact integer sufficient statistics of a vote matrix (see the module docstring).

    Build with :meth:`from_votes`; combine row chunks with :meth:`merge` (or ``+``); update after
    one LF's votes changed with :meth:`replace_lf`, after an LF is appended or deleted with
    :meth:`add_lf` / :meth:`remove_lf`. Instances are immutable values: every array is
    read-only and the methods return new objects. ``a == b`` compares every statistic exactly.

    Attributes
    ----------
    cardinality : int
        Number of classes K.
    n_lfs : int
        Number of LFs m.
    total_rows : int
        Rows of the whole matrix these statistics are (part of).
    row_ranges : tuple of (start, stop)
        The global rows counted, as sorted disjoint half-open ranges.
    vote_counts : ndarray of int64, shape (m, K + 1)
    features : ndarray of int64, shape (F,)
    cooccurrence : ndarray of int64, shape (F + 1, F + 1), or None
    majority_wins : ndarray of int64, shape (K, K)
    sample_keys : ndarray of int64, shape (P,), or None
    sample_patterns : ndarray of int8 (int32 when K > 127), shape (P, m), or None
    sample_counts : ndarray of int64, shape (P,), or None
        ``cooccurrence`` and the three ``sample_*`` arrays are None in statistics built with
        ``pairwise=False`` (majority vote only).
    """

    __hash__ = None  # mutable-looking arrays inside; equality is by value

    _ARRAYS = (
        "vote_counts",
        "features",
        "cooccurrence",
        "majority_wins",
        "sample_keys",
        "sample_patterns",
        "sample_counts",
    )

    def __init__(
        self,
        *,
        cardinality: int,
        n_lfs: int,
        total_rows: int,
        row_ranges: tuple[tuple[int, int], ...],
        vote_counts: np.ndarray,
        features: np.ndarray,
        cooccurrence: np.ndarray | None,
        majority_wins: np.ndarray,
        sample_keys: np.ndarray | None,
        sample_patterns: np.ndarray | None,
        sample_counts: np.ndarray | None,
    ) -> None:
        # Internal constructor: from_votes / merge / replace_lf build consistent instances.
        # Called directly, only the shapes everything else relies on are checked.
        self.cardinality = check_cardinality(cardinality)
        self.n_lfs = _check_count("n_lfs", n_lfs, 0)
        self.total_rows = _check_count("total_rows", total_rows, 0)
        K, m = self.cardinality, self.n_lfs
        for name, value, shape in (
            ("vote_counts", vote_counts, (m, K + 1)),
            ("majority_wins", majority_wins, (K, K)),
        ):
            if np.shape(value) != shape:
                raise ValueError(f"{name}: expected shape {shape}, got {np.shape(value)}")
        self.row_ranges = tuple((int(a), int(b)) for a, b in row_ranges)
        self.vote_counts = _frozen(vote_counts)
        self.features = _frozen(features)
        self.cooccurrence = _frozen(cooccurrence)
        self.majority_wins = _frozen(majority_wins)
        self.sample_keys = _frozen(sample_keys)
        self.sample_patterns = _frozen(sample_patterns)
        self.sample_counts = _frozen(sample_counts)

    # ------------------------------------------------------------------------ construction
    @classmethod
    def from_votes(
        cls,
        L: Any,
        cardinality: int,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        row_offset: int = 0,
        total_rows: int | None = None,
        pairwise: bool = True,
    ) -> VoteStatistics:
        """Statistics of a vote matrix, or of one row chunk of a larger one.

        Parameters
        ----------
        L : array-like of int, or scipy.sparse CSR / CSC matrix, shape (n, m)
            Votes, -1 = abstain, classes ``0..K-1``, any integer dtype (read chunk by chunk,
            never widened as a whole); sparse: explicit entries are votes (an explicit 0 is a
            class-0 vote), missing entries abstentions. Not modified.
        cardinality : int
            Number of classes K >= 2.
        chunk_size : int, default=65536
            Rows per chunk of the streaming passes: memory only, the result does not depend on it.
        row_offset : int, default=0
            Global position of ``L``'s first row when it is a chunk of a larger matrix.
        total_rows : int, optional
            Rows of the whole matrix (default ``row_offset + n``). With it, the chunk contributes
            exactly what a whole-matrix computation counts for these rows (the balance sample is
            defined on global positions), so that merging the chunks gives the statistics of
            the whole matrix.
        pairwise : bool, default=True
            False: only the per-LF and per-row statistics (``vote_counts``, ``features``,
            ``majority_wins``), all that :class:`liger.MajorityVoter` reads; ``cooccurrence``
            and the balance sample are None, and skipping them saves the ``O(n F^2)`` pass.
            Such statistics merge with each other, not with pairwise ones.

        Returns
        -------
        VoteStatistics
        """
        K = check_cardinality(cardinality)
        chunk = check_chunk_size(chunk_size)
        votes = check_vote_matrix("L", L, K, allow_empty_rows=True)
        n, m = votes.shape
        offset = _check_count("row_offset", row_offset, 0)
        total = offset + n if total_rows is None else _check_count("total_rows", total_rows, 1)
        if offset + n > total:
            raise ValueError(
                f"total_rows: expected at least row_offset + n = {offset + n} (the chunk's rows "
                f"end there), got {total}"
            )
        if not pairwise:
            counts, wins = _counts_and_wins(votes, K, chunk)
            features = np.flatnonzero(counts[:, 1:].ravel() > 0)
            gram = keys = patterns = sample_counts = None
        else:
            if sparse.issparse(votes):
                counts, features, gram = _sparse_moments(votes, K, chunk)
                wins = _majority_wins(votes, K, chunk)
            else:
                counts, features, gram, wins = _dense_moments(votes, K, chunk)
            keys, patterns, sample_counts = _balance_sample(votes, K, offset, total)
        ranges = ((offset, offset + n),) if n else ()
        sample = (keys, patterns, sample_counts)
        return cls._build(K, m, total, ranges, counts, features, gram, wins, sample)

    # ---------------------------------------------------------------------------- derived
    @property
    def n_rows(self) -> int:
        """Rows counted (the sum of the lengths of ``row_ranges``)."""
        return sum(stop - start for start, stop in self.row_ranges)

    @property
    def is_complete(self) -> bool:
        """True when the statistics cover every row of the whole matrix."""
        return self.row_ranges == ((0, self.total_rows),)

    @property
    def pairwise(self) -> bool:
        """True when the co-occurrence counts and the balance sample are present (the label
        model needs them; see ``from_votes(pairwise=...)``)."""
        return self.cooccurrence is not None

    @property
    def coverage(self) -> np.ndarray:
        """Fraction of the counted rows on which each LF voted, shape (m,)."""
        n = self.n_rows
        return (n - self.vote_counts[:, 0]) / max(n, 1)

    @property
    def n_rows_with_votes(self) -> int:
        """Counted rows on which at least one LF voted (from ``majority_wins``: a row whose top
        vote count t classes share is counted once in each of their t cells of row t - 1)."""
        ties = np.arange(1, self.cardinality + 1, dtype=np.int64)
        return int(np.sum(self.majority_wins.sum(axis=1) // ties))

    def balance_sample(self) -> tuple[np.ndarray, np.ndarray]:
        """The sampled vote patterns (P, m) and their counts as float64 weights (P,)."""
        if not self.pairwise:
            raise ValueError("balance_sample: these statistics were built with pairwise=False")
        return self.sample_patterns, self.sample_counts.astype(np.float64)

    # ------------------------------------------------------------------------------ merge
    def merge(self, other: VoteStatistics) -> VoteStatistics:
        """Statistics of the union of two disjoint sets of rows of the same matrix.

        Exact and order-free: integer sums, a union of features, and the sample keyed by values
        that do not depend on the chunking. ``a.merge(b) == b.merge(a)``.
        """
        if not isinstance(other, VoteStatistics):
            raise TypeError(f"other: expected a VoteStatistics, got {type(other).__name__}")
        mine = (self.cardinality, self.n_lfs, self.total_rows, self.pairwise)
        theirs = (other.cardinality, other.n_lfs, other.total_rows, other.pairwise)
        if mine != theirs:
            raise ValueError(
                "other: expected statistics of the same matrix and kind (cardinality, n_lfs, "
                f"total_rows, pairwise) = {mine}, got {theirs}"
            )
        ranges = _union_ranges(self.row_ranges, other.row_ranges)
        features = np.union1d(self.features, other.features)
        gram = keys = patterns = counts = None
        if self.pairwise:
            check_pairwise_features(features.size, self.n_lfs, self.cardinality)
            gram = np.zeros((features.size + 1, features.size + 1), dtype=np.int64)
            for part in (self, other):
                index = np.append(np.searchsorted(features, part.features), features.size)
                gram[np.ix_(index, index)] += part.cooccurrence
            keys, patterns, counts = _merge_samples(
                (self.sample_keys, other.sample_keys),
                (self.sample_patterns, other.sample_patterns),
                (self.sample_counts, other.sample_counts),
            )
        return self._replaced(
            self.vote_counts + other.vote_counts,
            features,
            gram,
            self.majority_wins + other.majority_wins,
            (keys, patterns, counts),
            ranges,
        )

    def __add__(self, other: VoteStatistics) -> VoteStatistics:
        return self.merge(other)

    # ------------------------------------------------------------------------- replace_lf
    def replace_lf(
        self, lf: int, L: Any, column: Any, *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> VoteStatistics:
        """Statistics after LF ``lf``'s votes changed to ``column``, identical to recomputing.

        ``stats.replace_lf(j, L, column) == VoteStatistics.from_votes(L_new, ...)`` where
        ``L_new`` is ``L`` with column j replaced by ``column`` (same ``row_offset`` and
        ``total_rows``). Only the rows where LF j's vote changed are read again: each contributes
        the difference between its new and its old indicator vector to LF j's rows and columns of
        ``cooccurrence`` and to the "two or more votes" row and column, and its old and new
        majority winners; the co-occurrences among the other LFs (the ``O(n F^2)`` part) are
        kept. Time ``O(n + r (m + K) + F^2)`` for r changed rows, plus the balance sample's
        ``O(min(n, MAX_BALANCE_ROWS) m)`` and one validating min / max pass over ``L`` (``n m``
        compares, no copy).

        The signature takes the *current* votes and the new column rather than a new matrix: the
        old column is what tells which rows changed (a new matrix alone would force a pass over
        every row to recompute the "two or more votes" counts and the winners), and the caller
        need not build a modified copy of a large matrix.

        Parameters
        ----------
        lf : int
            Index of the changed LF (column).
        L : array-like of int or scipy.sparse CSR / CSC, shape (n_rows, m)
            The votes these statistics were built from (LF j's column is checked against its
            vote counts). Not modified.
        column : array-like of int, shape (n_rows,)
            LF j's new votes, -1 = abstain.
        chunk_size : int, default=65536
            Changed rows per chunk (memory only).

        Returns
        -------
        VoteStatistics
        """
        j = check_lf(self, lf)
        chunk = check_chunk_size(chunk_size)
        votes = check_source(self, L, "replace_lf")
        new = _check_column(column, self.n_rows, self.cardinality)
        old = old_column(self, votes, j)
        sample = (lambda rows, local: with_column(rows, j, new[local])) if self.pairwise else None
        return self._updated(j, votes, old, new, chunk, sample)

    # ----------------------------------------------------------------------- add / remove
    def add_lf(
        self, L: Any, column: Any, *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> VoteStatistics:
        """Statistics after appending an LF with votes ``column``, identical to recomputing.

        ``stats.add_lf(L, column) == VoteStatistics.from_votes(L_new, ...)`` where ``L_new`` is
        ``L`` with ``column`` appended as its last column (same ``row_offset`` and
        ``total_rows``). The update of :meth:`replace_lf` from an LF that never votes: only the
        rows where the new LF votes are read. Time ``O(n + r (m + K) + F^2)`` for r such rows,
        plus the balance sample's ``O(min(n, MAX_BALANCE_ROWS) m)`` and one validating min / max
        pass over ``L`` (no copy).

        Parameters
        ----------
        L : array-like of int or scipy.sparse CSR / CSC, shape (n_rows, m)
            The votes these statistics were built from (only their shape is checked against
            the statistics: pass the right ones). Not modified.
        column : array-like of int, shape (n_rows,)
            The new LF's votes, -1 = abstain.
        chunk_size : int, default=65536
            Rows per chunk (memory only).

        Returns
        -------
        VoteStatistics
            With ``n_lfs + 1`` LFs.
        """
        chunk = check_chunk_size(chunk_size)
        votes = check_source(self, L, "add_lf")
        new = _check_column(column, self.n_rows, self.cardinality)
        K, m = self.cardinality, self.n_lfs
        old = np.full(self.n_rows, ABSTAIN, dtype=np.int64)
        # The statistics of L with a silent LF appended: its features would come after every
        # other LF's (codes m * K + a), so the co-occurrences and winners are unchanged.
        silent = np.zeros((1, K + 1), dtype=np.int64)
        silent[0, 0] = self.n_rows
        counts = np.concatenate([self.vote_counts, silent])

        def take(rows):
            return with_column(_take_rows(votes, rows), m, None)

        sample = (lambda rows, local: with_column(rows, m, new[local])) if self.pairwise else None
        return self._updated(m, votes, old, new, chunk, sample, counts=counts, take=take)

    def remove_lf(self, lf: int, L: Any, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> VoteStatistics:
        """Statistics after deleting LF ``lf``'s column, identical to recomputing.

        ``stats.remove_lf(j, L) == VoteStatistics.from_votes(np.delete(L, j, axis=1), ...)``
        (same ``row_offset`` and ``total_rows``). The update of :meth:`replace_lf` to a column
        of abstentions (only the rows where LF j voted are read), then LF j's empty counts are
        dropped and the features of the LFs after it renumbered. Time as :meth:`replace_lf`.

        Parameters
        ----------
        lf : int
            Index of the removed LF (column).
        L : array-like of int or scipy.sparse CSR / CSC, shape (n_rows, m)
            The votes these statistics were built from (LF j's column is checked against its
            vote counts). Not modified.
        chunk_size : int, default=65536
            Rows per chunk (memory only).

        Returns
        -------
        VoteStatistics
            With ``n_lfs - 1`` LFs.
        """
        j = check_lf(self, lf)
        if self.n_lfs == 1:
            raise ValueError("lf: cannot remove the only LF (statistics need at least one)")
        chunk = check_chunk_size(chunk_size)
        votes = check_source(self, L, "remove_lf")
        old = old_column(self, votes, j)
        silent = np.full(self.n_rows, ABSTAIN, dtype=np.int64)
        sample = (lambda rows, local: np.delete(rows, j, axis=1)) if self.pairwise else None
        return self._updated(j, votes, old, silent, chunk, sample, drop=True)

    # ------------------------------------------------------------------ the shared update
    def _updated(
        self, j, votes, old, new, chunk, sample, counts=None, take=None, drop=False
    ) -> VoteStatistics:
        """:func:`~liger.label_model.edits.column_update` of column j from ``old`` to ``new``
        (``counts``: the vote counts before, when they have another LF than these; ``take``:
        the rows of the matrix before, default ``votes``'), the balance sample recomputed from
        ``votes`` through ``sample``; ``drop``: then delete LF j (now silent)."""
        K = self.cardinality
        counts, features, gram, wins = column_update(
            K,
            j,
            self.vote_counts if counts is None else counts,
            self.features,
            self.cooccurrence,
            self.majority_wins,
            (lambda rows: _take_rows(votes, rows)) if take is None else take,
            old,
            new,
            chunk,
        )
        m = counts.shape[0]
        if drop:  # LF j has no features left: the later LFs' codes move down by K
            counts = np.delete(counts, j, axis=0)
            features = np.where(features > j * K, features - K, features)
            m -= 1
        keys = patterns = sample_counts = None
        if sample is not None:
            offset = self.row_ranges[0][0] if self.row_ranges else 0
            keys, patterns, sample_counts = _balance_sample(
                votes, K, offset, self.total_rows, edit=sample
            )
        sample = (keys, patterns, sample_counts)
        return self._build(
            K, m, self.total_rows, self.row_ranges, counts, features, gram, wins, sample
        )

    def _replaced(self, counts, features, gram, wins, sample, row_ranges=None) -> VoteStatistics:
        """Statistics of this one's classes, LFs and total rows with other counts (``row_ranges``:
        this one's unless given)."""
        ranges = self.row_ranges if row_ranges is None else row_ranges
        return VoteStatistics._build(
            self.cardinality,
            self.n_lfs,
            self.total_rows,
            ranges,
            counts,
            features,
            gram,
            wins,
            sample,
        )

    @classmethod
    def _build(cls, K, m, total, ranges, counts, features, gram, wins, sample) -> VoteStatistics:
        """The constructor's keywords from positions; ``sample``: (keys, patterns, counts)."""
        keys, patterns, sample_counts = sample
        return cls(
            cardinality=K,
            n_lfs=m,
            total_rows=total,
            row_ranges=ranges,
            vote_counts=counts,
            features=features,
            cooccurrence=gram,
            majority_wins=wins,
            sample_keys=keys,
            sample_patterns=patterns,
            sample_counts=sample_counts,
        )

    # ----------------------------------------------------------------------------- values
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VoteStatistics):
            return NotImplemented
        same = (self.cardinality, self.n_lfs, self.total_rows, self.row_ranges) == (
            other.cardinality,
            other.n_lfs,
            other.total_rows,
            other.row_ranges,
        )
        return same and all(
            _same_array(getattr(self, name), getattr(other, name)) for name in self._ARRAYS
        )

    def __repr__(self) -> str:
        return (
            f"VoteStatistics(cardinality={self.cardinality}, n_lfs={self.n_lfs}, "
            f"rows={self.n_rows} of {self.total_rows}, features={self.features.size}, "
            f"sample={self.sample_counts.size} patterns)"
        )


def _same_array(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.dtype == b.dtype and np.array_equal(a, b)


def _dense_moments(
    L: np.ndarray, cardinality: int, chunk_size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vote counts, features, co-occurrence counts and majority winners of a dense matrix.

    One ``ssyrk`` per block of rows over the float32 indicators (exact: every partial sum is an
    integer below 2**24), accumulated in int64; the winners from the same block's vote counts.
    """
    n, m = L.shape
    K = cardinality
    classes = np.arange(K)
    if m * K > MAX_CANDIDATE_FEATURES:
        counts = _vote_counts(L, K, chunk_size)
        features = np.flatnonzero(counts[:, 1:].ravel() > 0)
        selected = features
    else:
        counts = None
        features = np.arange(m * K)
        selected = None  # all candidates; the ones that never occur are dropped at the end
    width = features.size
    check_pairwise_features(width, m, K)
    # Wide indicator blocks get fewer rows so that one block stays under ~16 MB.
    step = max(1, min(chunk_size, 1 << 20, max(n, 1), max(1024, (1 << 22) // (width + 1))))
    block = np.empty((step, width + 1), dtype=np.float32)
    gram = np.zeros((width + 1, width + 1), dtype=np.int64)
    totals = np.zeros(m * K, dtype=np.int64)
    wins = np.zeros((K, K), dtype=np.int64)
    for start in range(0, n, step):
        Lc = dense_rows(L, start, start + step)
        rows = Lc.shape[0]
        indicators = (Lc[:, :, None] == classes).reshape(rows, m * K)
        if selected is None:
            totals += np.count_nonzero(indicators, axis=0)
            block[:rows, :width] = indicators
        else:
            block[:rows, :width] = indicators[:, selected]
        voted = np.count_nonzero(Lc != ABSTAIN, axis=1)
        block[:rows, width] = voted >= 2
        wins += _wins(_class_counts(Lc, K, voted))
        # ssyrk on the transposed (Fortran-ordered) view: no copy, half the work of a GEMM, and
        # none of the pathological thread spinning a skinny multithreaded GEMM can show on a
        # busy 2-core machine. It fills the upper triangle.
        gram += blas.ssyrk(1.0, block[:rows].T).astype(np.int64)
    gram = np.triu(gram) + np.triu(gram, 1).T
    if counts is None:
        votes = totals.reshape(m, K)
        counts = np.concatenate([(n - votes.sum(axis=1))[:, None], votes], axis=1)
        keep = np.flatnonzero(totals > 0)
        index = np.append(keep, width)
        features, gram = keep, gram[np.ix_(index, index)]
    return counts, features, gram, wins
