"""VoteStatistics: against a plain NumPy reference, identical across dtypes and sparse formats,
exact under chunk merges in any order, and exact after replacing one LF's column."""

from __future__ import annotations

import contextlib
import warnings
from unittest import mock

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liger._checks.votes import check_vote_matrix
from liger.label_model import statistics as vs
from liger.label_model.class_balance import LabelModelWarning
from liger.label_model.majority import MajorityVoter
from liger.label_model.statistics import VoteStatistics
from liger.label_model.triplet import LabelModel

# --------------------------------------------------------------------------------------------
# A plain reference: one statistic at a time, written the obvious way.


def reference(L: np.ndarray, K: int, row_offset: int = 0, total_rows: int | None = None):
    n, m = L.shape
    total = row_offset + n if total_rows is None else total_rows
    counts = np.array([[np.sum(L[:, j] == v) for v in range(-1, K)] for j in range(m)])
    features = np.array([j * K + a for j in range(m) for a in range(K) if counts[j, a + 1] > 0])
    features = features.astype(np.int64)
    B = np.zeros((n, features.size + 1), dtype=np.int64)
    for col, f in enumerate(features):
        B[:, col] = L[:, f // K] == f % K
    B[:, -1] = (L != -1).sum(axis=1) >= 2
    gram = B.T @ B
    wins = np.zeros((K, K), dtype=np.int64)
    for row in L:
        per_class = np.array([np.sum(row == c) for c in range(K)])
        if per_class.max() == 0:
            continue
        top = np.flatnonzero(per_class == per_class.max())
        wins[top.size - 1, top] += 1
    if total > vs.MAX_BALANCE_ROWS:
        positions = np.linspace(0, total - 1, vs.MAX_BALANCE_ROWS).astype(np.int64)
    else:
        positions = np.arange(total)
    positions = positions[(positions >= row_offset) & (positions < row_offset + n)]
    rows = L[positions - row_offset]
    if m * np.log2(K + 1) < 62:
        tally: dict[int, tuple[np.ndarray, int]] = {}
        for row in rows:
            code = sum(int(v + 1) * (K + 1) ** j for j, v in enumerate(row))
            tally[code] = (row, tally.get(code, (row, 0))[1] + 1)
        keys = np.array(sorted(tally), dtype=np.int64)
        patterns = np.array([tally[k][0] for k in sorted(tally)]).reshape(-1, m)
        sample_counts = np.array([tally[k][1] for k in sorted(tally)], dtype=np.int64)
    else:
        keys, patterns, sample_counts = positions, rows, np.ones(positions.size, dtype=np.int64)
    return {
        "vote_counts": counts,
        "features": features,
        "cooccurrence": gram,
        "majority_wins": wins,
        "sample_keys": keys,
        "sample_patterns": patterns,
        "sample_counts": sample_counts,
    }


def patched(**limits):
    """Smaller module limits (to reach the sampled / count-first paths on small data), or none."""
    return mock.patch.multiple(vs, **limits) if limits else contextlib.nullcontext()


def assert_matches_reference(stats: VoteStatistics, expected: dict) -> None:
    for name, value in expected.items():
        got = getattr(stats, name)
        assert got.shape == np.shape(value), name
        assert np.array_equal(got, value), name


def random_votes(rng, n, m, K, density, silent_lfs=0, empty_rows=0):
    L = np.where(rng.random((n, m)) < density, rng.integers(0, K, (n, m)), -1)
    if silent_lfs:
        L[:, rng.choice(m, min(silent_lfs, m), replace=False)] = -1
    if empty_rows and n:
        L[rng.choice(n, min(empty_rows, n), replace=False)] = -1
    return L


def to_sparse(L: np.ndarray, fmt: str, rng=None, explicit_abstain: float = 0.0):
    """CSR/CSC with explicit entries for the votes (class 0 stored as an explicit zero); some
    abstentions optionally stored as explicit -1 entries, and indices optionally unsorted."""
    stored = L != -1
    if rng is not None and explicit_abstain:
        stored |= rng.random(L.shape) < explicit_abstain
    rows, cols = np.nonzero(stored)
    if rng is not None:
        order = rng.permutation(rows.size)
        rows, cols = rows[order], cols[order]
    matrix = sp.coo_array((L[rows, cols], (rows, cols)), shape=L.shape)
    return matrix.tocsr() if fmt == "csr" else matrix.tocsc()


shapes = st.tuples(
    st.integers(0, 70),  # n (0: an empty chunk)
    st.integers(1, 8),  # m
    st.integers(2, 5),  # K
    st.floats(0.0, 1.0),  # density
    st.integers(0, 2**31 - 1),  # seed
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=shapes, silent=st.integers(0, 2), empty=st.integers(0, 5), small=st.booleans())
def test_statistics_match_the_reference(shape, silent, empty, small):
    n, m, K, density, seed = shape
    rng = np.random.default_rng(seed)
    L = random_votes(rng, n, m, K, density, silent, empty)
    # `small`: force the "count first, then only occurring features" path and a systematic
    # balance sample smaller than n.
    limits = {"MAX_CANDIDATE_FEATURES": 3, "MAX_BALANCE_ROWS": 7} if small else {}
    with patched(**limits):
        stats = VoteStatistics.from_votes(L, K, chunk_size=int(rng.integers(1, 40)))
        assert_matches_reference(stats, reference(L, K))
    assert stats.n_rows == n and stats.total_rows == n
    assert stats.is_complete == (n > 0)


def test_wide_matrices_keep_sampled_rows_in_order():
    # 45 binary LFs: a row does not fit a 63-bit code, so the sample is keyed by row position.
    rng = np.random.default_rng(0)
    L = random_votes(rng, 300, 45, 2, 0.1)
    with mock.patch.object(vs, "MAX_BALANCE_ROWS", 50):
        stats = VoteStatistics.from_votes(L, 2, chunk_size=64)
        assert_matches_reference(stats, reference(L, 2))
    assert np.array_equal(stats.sample_keys, np.linspace(0, 299, 50).astype(np.int64))


# --------------------------------------------------------------------------------------------
# Dtypes and sparse formats


DTYPES = (np.int8, np.int16, np.int32, np.int64)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=shapes, silent=st.integers(0, 2))
def test_dtypes_and_sparse_formats_give_identical_statistics(shape, silent):
    n, m, K, density, seed = shape
    rng = np.random.default_rng(seed)
    L = random_votes(rng, n, m, K, density, silent, empty_rows=3)
    chunk = int(rng.integers(1, 50))
    expected = VoteStatistics.from_votes(L, K)
    for dtype in DTYPES:
        assert VoteStatistics.from_votes(L.astype(dtype), K, chunk_size=chunk) == expected
    for fmt in ("csr", "csc"):
        for explicit in (0.0, 0.3):
            matrix = to_sparse(L, fmt, rng, explicit_abstain=explicit)
            assert VoteStatistics.from_votes(matrix, K, chunk_size=chunk) == expected
    # An unsigned dtype cannot hold -1 but is a valid matrix of votes only.
    full = np.where(L == -1, 0, L)
    assert VoteStatistics.from_votes(full.astype(np.uint8), K) == VoteStatistics.from_votes(full, K)


def _fitted_models(L, K):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LabelModelWarning)
        return LabelModel(K).fit(L), MajorityVoter(K).fit(L)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 400),
    m=st.integers(1, 7),
    K=st.integers(2, 4),
    density=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**31 - 1),
)
def test_dtypes_and_sparse_formats_give_identical_models(n, m, K, density, seed):
    rng = np.random.default_rng(seed)
    L = random_votes(rng, n, m, K, density, silent_lfs=1, empty_rows=2)
    model, voter = _fitted_models(L, K)
    proba, proba_mv = model.predict_proba(L), voter.predict_proba(L)
    formats = [L.astype(d) for d in DTYPES] + [to_sparse(L, f, rng, 0.2) for f in ("csr", "csc")]
    for other in formats:
        model2, voter2 = _fitted_models(other, K)
        for name in ("class_balance_", "cond_probs_", "emitted_", "accuracies_", "coverage_"):
            assert np.array_equal(getattr(model2, name), getattr(model, name)), name
        assert np.array_equal(voter2.class_balance_, voter.class_balance_)
        assert np.array_equal(voter2.coverage_, voter.coverage_)
        # Predicting from any format gives the same probabilities too.
        assert np.array_equal(model.predict_proba(other), proba)
        assert np.array_equal(voter.predict_proba(other), proba_mv)


def test_int8_votes_are_not_widened_as_a_whole():
    L = np.full((200_000, 10), -1, dtype=np.int8)
    L[::3, 0] = 1
    checked = check_vote_matrix("L", L, 2)
    assert checked is L  # validated in place: no int64 copy (it would be 16 MB)
    stats = VoteStatistics.from_votes(L, 2, chunk_size=10_000)
    assert stats.vote_counts[0, 2] == 66_667


# --------------------------------------------------------------------------------------------
# Merging row chunks


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=shapes,
    cuts=st.lists(st.floats(0.0, 1.0), max_size=5),
    order_seed=st.integers(0, 1000),
    small=st.booleans(),
    sparse=st.booleans(),
)
def test_merged_chunks_equal_the_whole_matrix(shape, cuts, order_seed, small, sparse):
    n, m, K, density, seed = shape
    rng = np.random.default_rng(seed)
    L = random_votes(rng, max(n, 1), m, K, density, silent_lfs=1, empty_rows=2)
    n = L.shape[0]
    bounds = sorted({0, n, *(int(c * n) for c in cuts)})
    source = to_sparse(L, "csr") if sparse else L
    limits = {"MAX_BALANCE_ROWS": 9} if small else {}
    with patched(**limits):
        whole = VoteStatistics.from_votes(L, K)
        parts = [
            VoteStatistics.from_votes(source[a:b], K, row_offset=a, total_rows=n)
            for a, b in zip(bounds[:-1], bounds[1:])
        ]
    for part in parts:
        assert part.total_rows == n
        assert part.is_complete == (len(parts) == 1)
    # Any merge order (a random binary tree over a shuffled list) gives the same statistics.
    order = np.random.default_rng(order_seed).permutation(len(parts))
    pool = [parts[i] for i in order]
    while len(pool) > 1:
        i = int(np.random.default_rng(order_seed + len(pool)).integers(0, len(pool) - 1))
        pool[i : i + 2] = [pool[i] + pool[i + 1]]
    merged = pool[0]
    assert merged == whole
    assert merged.is_complete


def test_fit_on_merged_statistics_equals_fit_on_the_matrix():
    rng = np.random.default_rng(3)
    L = random_votes(rng, 30_000, 8, 3, 0.4)  # more rows than the balance sample
    model, voter = _fitted_models(L, 3)
    parts = [
        VoteStatistics.from_votes(L[a : a + 7_000], 3, row_offset=a, total_rows=L.shape[0])
        for a in range(0, L.shape[0], 7_000)
    ]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    for balance in (None, "likelihood", "majority"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LabelModelWarning)
            a = LabelModel(3, class_balance=balance).fit(L)
            b = LabelModel(3, class_balance=balance).fit_statistics(merged)
        assert np.array_equal(a.cond_probs_, b.cond_probs_)
        assert np.array_equal(a.class_balance_, b.class_balance_)
        assert np.array_equal(a.predict_proba(L), b.predict_proba(L))
    voter2 = MajorityVoter(3).fit_statistics(merged)
    assert np.array_equal(voter.class_balance_, voter2.class_balance_)
    assert np.array_equal(model.predict_proba(L[:100]), LabelModel(3).fit(L).predict_proba(L[:100]))


def test_merge_rejects_overlaps_and_foreign_statistics():
    L = np.array([[0, 1, -1], [1, 1, 0], [-1, 0, 0], [1, -1, 1]])
    a = VoteStatistics.from_votes(L[:2], 2, total_rows=4)
    b = VoteStatistics.from_votes(L[1:], 2, row_offset=1, total_rows=4)
    with pytest.raises(ValueError, match="other: expected statistics of disjoint rows"):
        a.merge(b)
    with pytest.raises(ValueError, match="other: expected statistics of the same matrix"):
        a.merge(VoteStatistics.from_votes(L[2:], 3, row_offset=2, total_rows=4))
    with pytest.raises(TypeError, match="other: expected a VoteStatistics"):
        a.merge(L)
    with pytest.raises(ValueError, match=r"stats: expected statistics of all 4 rows"):
        LabelModel().fit_statistics(a)
    with pytest.raises(ValueError, match=r"stats: expected statistics of 3 classes"):
        MajorityVoter(3).fit_statistics(VoteStatistics.from_votes(L, 2))
    with pytest.raises(ValueError, match=r"total_rows: expected at least row_offset \+ n = 5"):
        VoteStatistics.from_votes(L, 2, row_offset=1, total_rows=4)
    # a gap is fine to hold, and fills in later
    c = VoteStatistics.from_votes(L[3:], 2, row_offset=3, total_rows=4)
    gapped = a + c
    assert gapped.row_ranges == ((0, 2), (3, 4)) and not gapped.is_complete
    middle = VoteStatistics.from_votes(L[2:3], 2, row_offset=2, total_rows=4)
    assert gapped + middle == VoteStatistics.from_votes(L, 2)


# --------------------------------------------------------------------------------------------
# Replacing one LF's column


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=shapes,
    lf_seed=st.integers(0, 1000),
    new_density=st.floats(0.0, 1.0),
    sparse=st.booleans(),
    chunked=st.booleans(),
)
def test_replace_lf_equals_recomputing(shape, lf_seed, new_density, sparse, chunked):
    n, m, K, density, seed = shape
    rng = np.random.default_rng(seed)
    L = random_votes(rng, max(n, 1), m, K, density, silent_lfs=1, empty_rows=2)
    n = L.shape[0]
    j = lf_seed % m
    L_new = L.copy()
    # The new column may be silent, always voting, or use a subset of classes.
    classes = rng.choice(K, size=int(rng.integers(1, K + 1)), replace=False)
    L_new[:, j] = np.where(rng.random(n) < new_density, rng.choice(classes, n), -1)
    # `chunked`: the statistics of a middle chunk of a larger matrix (offset, total_rows).
    offset, total = (5, n + 11) if chunked else (0, n)
    with patched(**({"MAX_BALANCE_ROWS": 6} if chunked else {})):
        before = VoteStatistics.from_votes(L, K, row_offset=offset, total_rows=total)
        expected = VoteStatistics.from_votes(L_new, K, row_offset=offset, total_rows=total)
        source = to_sparse(L, "csc", rng, 0.2) if sparse else L
        column = L_new[:, j].astype(np.int8)
        updated = before.replace_lf(j, source, column, chunk_size=int(rng.integers(1, 30)))
        assert updated == expected
        # Replacing it back restores the original statistics.
        assert updated.replace_lf(j, L_new, L[:, j]) == before


def test_replace_lf_model_equals_a_fit_from_scratch():
    rng = np.random.default_rng(5)
    L = random_votes(rng, 20_000, 12, 2, 0.3)
    stats = VoteStatistics.from_votes(L, 2)
    L_new = L.copy()
    L_new[:, 4] = np.where(rng.random(20_000) < 0.5, 1, -1)  # now a unipolar LF
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LabelModelWarning)
        a = LabelModel().fit(L_new)
        b = LabelModel().fit_statistics(stats.replace_lf(4, L, L_new[:, 4]))
    assert np.array_equal(a.predict_proba(L_new), b.predict_proba(L_new))


def test_replace_lf_rejects_bad_input():
    L = np.array([[0, 1, -1], [1, 1, 0], [-1, 0, 0], [1, -1, 1]])
    stats = VoteStatistics.from_votes(L, 2)
    column = np.array([1, -1, 0, 0])
    other = L.copy()
    other[0, 2] = 1  # not the matrix the statistics were built from
    with pytest.raises(ValueError, match=r"L: column 2's vote counts \[0, 2, 2\] differ from"):
        stats.replace_lf(2, other, column)
    with pytest.raises(ValueError, match=r"L: expected shape \(4, 3\)"):
        stats.replace_lf(0, L[:3], column)
    with pytest.raises(ValueError, match=r"lf: expected an LF index in 0\.\.2, got 3"):
        stats.replace_lf(3, L, column)
    with pytest.raises(TypeError, match=r"lf: expected an int"):
        stats.replace_lf(1.0, L, column)
    with pytest.raises(ValueError, match=r"column: expected shape \(4,\)"):
        stats.replace_lf(0, L, column[:3])
    with pytest.raises(ValueError, match=r"column: expected votes of -1 .* got 2 at row 1"):
        stats.replace_lf(0, L, np.array([1, 2, 0, 0]))
    with pytest.raises(TypeError, match=r"column: expected an integer vote matrix"):
        stats.replace_lf(0, L, column.astype(float))
    gapped = VoteStatistics.from_votes(L[:1], 2, total_rows=4) + VoteStatistics.from_votes(
        L[2:], 2, row_offset=2, total_rows=4
    )
    with pytest.raises(ValueError, match="replace_lf: these statistics cover several"):
        gapped.replace_lf(0, L[[0, 2, 3]], column[:3])


def test_statistics_without_pairwise_counts_serve_majority_vote():
    rng = np.random.default_rng(8)
    L = random_votes(rng, 3000, 9, 3, 0.4, silent_lfs=1, empty_rows=20)
    full = VoteStatistics.from_votes(L, 3)
    for source in (L, L.astype(np.int8), to_sparse(L, "csr")):
        light = VoteStatistics.from_votes(source, 3, pairwise=False, chunk_size=700)
        assert not light.pairwise and light.cooccurrence is None and light.sample_keys is None
        for name in ("vote_counts", "features", "majority_wins"):
            assert np.array_equal(getattr(light, name), getattr(full, name)), name
    parts = [
        VoteStatistics.from_votes(L[a : a + 1000], 3, row_offset=a, total_rows=3000, pairwise=False)
        for a in (2000, 0, 1000)
    ]
    assert parts[0] + parts[1] + parts[2] == light
    L_new = L.copy()
    L_new[:, 3] = rng.integers(-1, 3, 3000)
    assert light.replace_lf(3, L, L_new[:, 3]) == VoteStatistics.from_votes(
        L_new, 3, pairwise=False
    )
    voter = MajorityVoter(3).fit(L)
    for stats in (light, full):
        other = MajorityVoter(3).fit_statistics(stats)
        assert np.array_equal(other.class_balance_, voter.class_balance_)
        assert np.array_equal(other.coverage_, voter.coverage_)
    with pytest.raises(ValueError, match="stats: the label model needs the co-occurrence"):
        LabelModel(3).fit_statistics(light)
    with pytest.raises(ValueError, match="other: expected statistics of the same matrix and kind"):
        light.merge(full)


# --------------------------------------------------------------------------------------------
# Sparse input: the convention and its checks


def test_explicit_zero_is_a_class_zero_vote():
    # Row 0: LF 0 votes class 0 (an explicit zero), LF 1 abstains (missing).
    matrix = sp.csr_array((np.array([0, 1, 1]), (np.array([0, 1, 1]), np.array([0, 0, 1]))))
    stats = VoteStatistics.from_votes(matrix, 2)
    assert stats.vote_counts.tolist() == [[0, 1, 1], [1, 0, 1]]
    dense = np.array([[0, -1], [1, 1]])
    assert stats == VoteStatistics.from_votes(dense, 2)
    # The module docstring's recipe round-trips a dense matrix.
    rows, lfs = np.nonzero(dense != -1)
    recipe = sp.csr_array((dense[rows, lfs], (rows, lfs)), shape=dense.shape)
    assert VoteStatistics.from_votes(recipe, 2) == stats


@pytest.mark.parametrize(
    ("matrix", "error", "pattern"),
    [
        (sp.coo_array(np.array([[0, 1]])), TypeError, r"L: expected .* CSR/CSC matrix, got COO"),
        (sp.csr_array(np.array([[0.0, 1.0]])), TypeError, r"L: expected an integer vote matrix"),
        (sp.csr_array(np.array([[0, 2]])), ValueError, r"L: expected votes .*got 2 at row 0, col"),
        (sp.csr_array(np.array([[0, -2]])), ValueError, r"L: expected votes of -1 .*got -2"),
        (
            sp.csr_array((np.array([1, 0]), np.array([0, 0]), np.array([0, 2])), shape=(1, 2)),
            ValueError,
            r"L: expected at most one entry per \(row, LF\), got several at row 0, column 0",
        ),
        (sp.csr_array((0, 3), dtype=np.int64), ValueError, r"L: expected a non-empty array"),
    ],
)
def test_sparse_input_is_checked(matrix, error, pattern):
    with pytest.raises(error, match=pattern):
        LabelModel().fit(matrix)


def test_statistics_survive_pickling():
    # Dask ships statistics between processes.
    import pickle

    rng = np.random.default_rng(2)
    stats = VoteStatistics.from_votes(random_votes(rng, 300, 4, 3, 0.5), 3)
    assert pickle.loads(pickle.dumps(stats)) == stats


def test_inputs_are_not_modified_and_statistics_are_read_only():
    rng = np.random.default_rng(1)
    L = random_votes(rng, 500, 5, 3, 0.5)
    matrix = to_sparse(L, "csc", rng, 0.1)
    copies = L.copy(), matrix.copy()
    stats = VoteStatistics.from_votes(matrix, 3)
    column = L[:, 1].copy()
    stats.replace_lf(2, matrix, column)
    stats.replace_lf(2, L, column)
    assert np.array_equal(L, copies[0]) and np.array_equal(column, L[:, 1])
    assert (matrix != copies[1]).nnz == 0 and matrix.format == "csc"
    with pytest.raises(ValueError, match="read-only"):
        stats.cooccurrence[0, 0] = 5
