"""VoteStatistics.add_lf / remove_lf: exactly the statistics from_votes gives on the new matrix
(random shapes, K classes, silent LFs, all-abstain rows, dense and sparse votes, chunks of a
larger matrix, the balance sample's code / position forms), and what they reject."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liger.label_model.statistics import VoteStatistics

from .test_vote_statistics import patched, random_votes, shapes, to_sparse

edits = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _new_column(rng, n, K, density):
    # Silent, always voting, or a subset of the classes.
    classes = rng.choice(K, size=int(rng.integers(1, K + 1)), replace=False)
    return np.where(rng.random(n) < density, rng.choice(classes, n), -1)


@edits
@given(
    shape=shapes,
    new_density=st.floats(0.0, 1.0),
    fmt=st.sampled_from(["dense", "csr", "csc"]),
    chunked=st.booleans(),
    pairwise=st.booleans(),
    dtype=st.sampled_from([np.int8, np.int64]),
)
def test_add_then_remove_equals_recomputing(shape, new_density, fmt, chunked, pairwise, dtype):
    n, m, K, density, seed = shape
    rng = np.random.default_rng(seed)
    L = random_votes(rng, n, m, K, density, silent_lfs=1, empty_rows=3).astype(dtype)
    column = _new_column(rng, n, K, new_density).astype(dtype)
    L_new = np.concatenate([L, column[:, None]], axis=1)
    offset, total = (4, n + 9) if chunked else (0, None)
    chunk = int(rng.integers(1, 30))
    with patched(**({"MAX_BALANCE_ROWS": 6} if chunked else {})):
        kw = dict(row_offset=offset, total_rows=total, pairwise=pairwise)
        before = VoteStatistics.from_votes(L, K, **kw)
        expected = VoteStatistics.from_votes(L_new, K, **kw)
        source = L if fmt == "dense" else to_sparse(L, fmt, rng, 0.2)
        added = before.add_lf(source, column, chunk_size=chunk)
        assert added == expected
        # Removing it again restores the statistics it was added to.
        source_new = L_new if fmt == "dense" else to_sparse(L_new, fmt, rng, 0.2)
        assert added.remove_lf(m, source_new, chunk_size=chunk) == before


@edits
@given(
    shape=shapes,
    lf_seed=st.integers(0, 1000),
    fmt=st.sampled_from(["dense", "csr", "csc"]),
    chunked=st.booleans(),
    pairwise=st.booleans(),
)
def test_remove_any_lf_equals_recomputing(shape, lf_seed, fmt, chunked, pairwise):
    n, m, K, density, seed = shape
    rng = np.random.default_rng(seed)
    L = random_votes(rng, n, m + 1, K, density, silent_lfs=1, empty_rows=3)
    j = lf_seed % (m + 1)
    offset, total = (6, n + 6) if chunked else (0, None)
    with patched(**({"MAX_BALANCE_ROWS": 5} if chunked else {})):
        kw = dict(row_offset=offset, total_rows=total, pairwise=pairwise)
        before = VoteStatistics.from_votes(L, K, **kw)
        expected = VoteStatistics.from_votes(np.delete(L, j, axis=1), K, **kw)
        source = L if fmt == "dense" else to_sparse(L, fmt, rng, 0.2)
        removed = before.remove_lf(j, source, chunk_size=int(rng.integers(1, 30)))
        assert removed == expected
        assert removed.n_lfs == m


@pytest.mark.parametrize("K", [2, 3])
def test_edits_across_the_sample_code_limit(K):
    # m log2(K + 1) < 62 decides the balance sample's form (codes vs positions): an add or a
    # remove may cross it.
    m = (
        39 if K == 2 else 30
    )  # 39 log2(3) = 61.8 < 62 < 40 log2(3); 30 log2(4) = 60 < 62 = 31 log2(4)
    rng = np.random.default_rng(K)
    L = random_votes(rng, 300, m, K, 0.3, empty_rows=5)
    stats = VoteStatistics.from_votes(L, K)
    assert stats.sample_keys.size < 300  # codes (deduplicated); with one more LF: positions
    column = _new_column(rng, 300, K, 0.5)
    L_new = np.concatenate([L, column[:, None]], axis=1)
    assert stats.add_lf(L, column) == VoteStatistics.from_votes(L_new, K)
    wide = VoteStatistics.from_votes(L_new, K)
    assert np.array_equal(wide.sample_keys, np.arange(300))
    for j in (0, m // 2, m):
        assert wide.remove_lf(j, L_new) == VoteStatistics.from_votes(np.delete(L_new, j, 1), K)


def test_add_and_remove_on_many_rows_match_from_votes():
    # Beyond the balance sample (10k rows) and with several chunks.
    rng = np.random.default_rng(11)
    L = random_votes(rng, 30_000, 12, 2, 0.2).astype(np.int8)
    column = _new_column(rng, 30_000, 2, 0.3).astype(np.int8)
    stats = VoteStatistics.from_votes(L, 2)
    L_new = np.concatenate([L, column[:, None]], axis=1)
    added = stats.add_lf(L, column, chunk_size=4096)
    assert added == VoteStatistics.from_votes(L_new, 2)
    assert added.remove_lf(3, L_new) == VoteStatistics.from_votes(np.delete(L_new, 3, 1), 2)


def test_add_and_remove_reject_bad_input():
    L = np.array([[0, 1, -1], [1, 1, 0], [-1, 0, 0], [1, -1, 1]])
    stats = VoteStatistics.from_votes(L, 2)
    column = np.array([1, -1, 0, 0])
    with pytest.raises(ValueError, match=r"L: expected shape \(4, 3\)"):
        stats.add_lf(L[:, :2], column)
    with pytest.raises(ValueError, match=r"column: expected shape \(4,\)"):
        stats.add_lf(L, column[:3])
    with pytest.raises(ValueError, match=r"column: expected votes of -1 .* got 2 at row 1"):
        stats.add_lf(L, np.array([0, 2, 0, 0]))
    other = L.copy()
    other[0, 2] = 1  # not the matrix the statistics were built from
    with pytest.raises(ValueError, match=r"L: column 2's vote counts \[0, 2, 2\] differ from"):
        stats.remove_lf(2, other)
    with pytest.raises(ValueError, match=r"lf: expected an LF index in 0\.\.2, got 3"):
        stats.remove_lf(3, L)
    with pytest.raises(TypeError, match=r"lf: expected an int"):
        stats.remove_lf(1.0, L)
    one = VoteStatistics.from_votes(L[:, :1], 2)
    with pytest.raises(ValueError, match=r"lf: cannot remove the only LF"):
        one.remove_lf(0, L[:, :1])
    gapped = VoteStatistics.from_votes(L[:1], 2, total_rows=4) + VoteStatistics.from_votes(
        L[3:], 2, row_offset=3, total_rows=4
    )
    with pytest.raises(ValueError, match=r"add_lf: these statistics cover several separate"):
        gapped.add_lf(L[[0, 3]], column[:2])
    # Refused edits return nothing and leave the statistics as they were.
    assert stats == VoteStatistics.from_votes(L, 2)
