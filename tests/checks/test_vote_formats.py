"""Vote matrices as users bring them: int8/16/32/64 read without a widening copy, and scipy.sparse
CSR / CSC supports (explicit entries = votes, an explicit 0 is class 0, missing = abstain), all
giving the results of the dense int64 matrix."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import liger
from liger._checks.validation import as_core_votes, as_votes

from ..helpers import reference

settings.register_profile("liger", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("liger")

SIGNED = [np.int8, np.int16, np.int32, np.int64]


def to_sparse(L: np.ndarray, fmt: str, dtype=np.int64, explicit_abstain: bool = False):
    """``L`` as a sparse matrix whose explicit entries are the votes (zeros included); with
    ``explicit_abstain`` some -1 entries are stored explicitly too."""
    keep = L != -1
    if explicit_abstain:
        keep |= (np.arange(L.size).reshape(L.shape) % 3) == 0
    rows, cols = np.nonzero(keep)
    M = sp.coo_matrix((L[rows, cols].astype(dtype), (rows, cols)), shape=L.shape)
    return M.tocsr() if fmt == "csr" else M.tocsc()


@st.composite
def search_problems(draw):
    n = draw(st.integers(1, 60))
    q = draw(st.integers(1, 20))
    d = draw(st.integers(1, 20))
    m = draw(st.integers(1, 6))
    grid = st.integers(-2, 2).map(float)
    base = draw(arrays(np.float32, (n, d), elements=grid))
    base[~base.any(axis=1), 0] = 1.0
    queries = draw(arrays(np.float32, (q, d), elements=grid))
    queries[~queries.any(axis=1), 0] = 1.0
    votes = draw(arrays(np.int64, (n, m), elements=st.integers(-1, 3)))
    if draw(st.booleans()):
        votes[:, draw(st.integers(0, m - 1))] = -1  # an empty support
    return queries, base, votes


@given(search_problems(), st.sampled_from(["cosine", "ip", "euclidean"]))
@settings(max_examples=80)
def test_every_vote_format_gives_the_dense_int64_result(problem, metric):
    queries, base, votes = problem
    expected = liger.nearest_support(queries, base, votes, metric=metric)
    np.testing.assert_array_equal(
        expected[1], reference.canonical_nearest_support(queries, base, votes, metric)[1]
    )
    variants = [votes.astype(t) for t in SIGNED[:-1]]
    variants += [to_sparse(votes, f, t) for f in ("csr", "csc") for t in (np.int8, np.int64)]
    variants.append(to_sparse(votes, "csr", explicit_abstain=True))
    variants.append(sp.csr_array(to_sparse(votes, "csr")))
    for L in variants:
        got = liger.nearest_support(queries, base, L, metric=metric)
        np.testing.assert_array_equal(got[1], expected[1], err_msg=repr(type(L)))
        assert got[0].tobytes() == expected[0].tobytes()
    scores, indices = expected
    thresholds = np.quantile(scores[np.isfinite(scores)], 0.5) if np.isfinite(scores).any() else 0
    own = np.where(np.random.default_rng(0).random(scores.shape) < 0.5, -1, 1)
    ext = liger.extend_votes(own, scores, indices, votes, thresholds, metric=metric)
    assert ext.dtype == np.int64
    for L in variants:
        got = liger.extend_votes(own.astype(np.int8), scores, indices, L, thresholds, metric=metric)
        np.testing.assert_array_equal(got, ext)
        # The output takes the wider of the two vote dtypes.
        base_dtype = L.dtype
        assert got.dtype == np.result_type(np.int8, base_dtype)


@pytest.mark.parametrize("dtype", SIGNED)
def test_signed_votes_are_borrowed_without_a_copy(dtype):
    L = np.array([[-1, 0], [1, -1]], dtype=dtype)
    votes, shape = as_core_votes("L_base", L)
    assert votes is L and shape == (2, 2)
    assert as_votes("L", L, keep_width=True) is L
    assert as_votes("L", L).dtype == np.int64  # what the label models read, unchanged
    assert np.shares_memory(as_votes("L", L.astype(np.int64)), L.astype(np.int64)) is False


def test_other_integer_dtypes_are_converted_or_rejected():
    L = np.array([[0, 1], [2, 0]], dtype=np.uint8)
    votes, _ = as_core_votes("L_base", L)
    assert votes.dtype == np.int16
    np.testing.assert_array_equal(votes, L)
    big_endian = np.array([[-1, 1]], dtype=">i4")
    assert as_core_votes("L_base", big_endian)[0].dtype == np.int32
    with pytest.raises(ValueError, match="int64"):
        as_core_votes("L_base", np.array([[2**63]], dtype=np.uint64))
    with pytest.raises(TypeError, match="L_base: expected an integer vote matrix"):
        as_core_votes("L_base", np.zeros((2, 2), dtype=bool))
    with pytest.raises(TypeError, match="L_base: expected an integer vote matrix"):
        as_core_votes("L_base", sp.csr_matrix(np.ones((2, 2))))
    X = np.eye(2, dtype=np.float32)
    np.testing.assert_array_equal(
        liger.nearest_support(X, X, L)[1], liger.nearest_support(X, X, L.astype(np.int64))[1]
    )


def test_sparse_votes_are_read_as_given():
    X = np.array([[1, 0], [0, 1], [1, 1]], dtype=np.float32)
    # LF 0: an explicit 0 on row 1 (class 0), an explicit -1 on row 2 (abstain); LF 1: row 2 only.
    L = sp.csr_matrix(
        (np.array([0, -1, 1], dtype=np.int8), np.array([0, 0, 1]), np.array([0, 0, 1, 3])),
        shape=(3, 2),
    )
    scores, indices = liger.nearest_support(X, X, L)
    np.testing.assert_array_equal(indices[:, 0], [1, 1, 1])
    np.testing.assert_array_equal(indices[:, 1], [2, 2, 2])
    ext = liger.extend_votes(np.full((3, 2), -1), scores, indices, L, 0.0)
    np.testing.assert_array_equal(ext, [[0, 1], [0, 1], [0, 1]])


def test_sparse_input_is_never_modified_or_densified():
    rng = np.random.default_rng(4)
    dense = np.where(rng.random((200, 5)) < 0.3, rng.integers(0, 2, (200, 5)), -1)
    csr = to_sparse(dense, "csr")
    # Reverse the column order inside each row: unsorted indices the core must not see.
    for r in range(csr.shape[0]):
        a, b = csr.indptr[r], csr.indptr[r + 1]
        csr.indices[a:b] = csr.indices[a:b][::-1].copy()
        csr.data[a:b] = csr.data[a:b][::-1].copy()
    csr.has_sorted_indices = False
    before = (csr.indices.copy(), csr.data.copy())
    X = rng.standard_normal((200, 8)).astype(np.float32)
    got = liger.nearest_support(X[:20], X, csr)
    np.testing.assert_array_equal(got[1], liger.nearest_support(X[:20], X, dense)[1])
    np.testing.assert_array_equal(csr.indices, before[0])
    np.testing.assert_array_equal(csr.data, before[1])
    parts, shape = as_core_votes("L_base", to_sparse(dense, "csr", np.int8))
    assert isinstance(parts, tuple) and shape == (200, 5) and parts[2].dtype == np.int8
    ext = liger.extend(dense[:20], X[:20], csr, X, 0.5)
    np.testing.assert_array_equal(ext, liger.extend(dense[:20], X[:20], dense, X, 0.5))


def test_bad_sparse_votes_are_clear_errors():
    X = np.eye(3, dtype=np.float32)
    coo = sp.coo_matrix(np.zeros((3, 2), dtype=np.int64))
    with pytest.raises(TypeError, match=r"L_base: .*COO.*tocsr"):
        liger.nearest_support(X, X, coo)
    bad = sp.csr_matrix((np.array([0, -3]), np.array([0, 1]), np.array([0, 1, 2, 2])), (3, 2))
    with pytest.raises(ValueError, match=r"L_base: .*got -3 at row 1, column 1"):
        liger.nearest_support(X, X, bad)
    dup = sp.csr_matrix((np.array([0, 1]), np.array([1, 1]), np.array([0, 2, 2, 2])), (3, 2))
    with pytest.raises(ValueError, match="duplicate"):
        liger.nearest_support(X, X, dup)
    with pytest.raises(ValueError, match="L_base"):
        liger.nearest_support(X, X, sp.csr_matrix((4, 2), dtype=np.int64))


@pytest.mark.parametrize("dtype", [np.int8, np.int16])
def test_liger_reads_narrow_votes_without_widening(dtype):
    """Liger keeps the train votes as given (no int64 copy of an n x m matrix), and a fit on
    int8 / int16 votes equals the fit on the same votes as int64."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 8)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    L64 = np.where(
        rng.random((300, 4)) < 0.4,
        np.where(rng.random((300, 4)) < 0.8, y[:, None], 1 - y[:, None]),
        -1,
    )
    L = L64.astype(dtype)
    dev = slice(0, 60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        narrow = liger.Liger(random_state=0).fit(L, X, L[dev], X[dev], y[dev])
        wide = liger.Liger(random_state=0).fit(L64, X, L64[dev], X[dev], y[dev])
    # Kept in its own dtype (not widened), and owned: a copy, not the caller's buffer.
    assert narrow._L_support.dtype == L.dtype and not np.shares_memory(narrow._L_support, L)
    np.testing.assert_array_equal(narrow.thresholds_, wide.thresholds_)
    np.testing.assert_array_equal(narrow.predict_proba(L, X), wide.predict_proba(L64, X))
    np.testing.assert_array_equal(narrow.transform(L, X), wide.transform(L64, X))


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_liger_and_session_accept_sparse_votes(fmt):
    """A sparse train / dev / query vote matrix gives exactly the dense result (densified once, to
    int8, for the estimators' dense per-(point, LF) arrays)."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((300, 8)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    right = rng.random((300, 4)) < 0.8
    L = np.where(rng.random((300, 4)) < 0.4, np.where(right, y[:, None], 1 - y[:, None]), -1)
    dev = slice(0, 60)
    S_train, S_dev = to_sparse(L, fmt), to_sparse(L[dev], fmt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dense = liger.Liger(random_state=0).fit(L, X, L[dev], X[dev], y[dev])
        model = liger.Liger(random_state=0).fit(S_train, X, S_dev, X[dev], y[dev])
        session = liger.Session(S_train, X, dev=(S_dev, X[dev], y[dev]))
        session_dense = liger.Session(L, X, dev=(L[dev], X[dev], y[dev]))
    assert model._L_support.dtype == np.int8
    np.testing.assert_array_equal(model.thresholds_, dense.thresholds_)
    np.testing.assert_array_equal(
        model.predict_proba(S_dev, X[dev]), dense.predict_proba(L[dev], X[dev])
    )
    np.testing.assert_array_equal(session.predict_proba(), session_dense.predict_proba())
    indptr = np.r_[0, np.full(300, 2)]  # row 0 holds two entries for column 2
    duplicated = sp.csr_matrix((np.array([1, 1]), np.array([2, 2]), indptr), shape=(300, 4))
    with pytest.raises(ValueError, match="L_train: expected at most one entry per"):
        liger.Liger(thresholds=0.5).fit(duplicated, X)
