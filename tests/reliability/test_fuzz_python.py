"""Hypothesis fuzz of the Python entry points: arbitrary-ish arguments (any dtype from a broad
list, shapes from 0-sized to mismatched, NaN / inf / huge / subnormal values, odd memory layouts,
random keyword values), and one property for every call:

- it returns a well-formed result (shapes, dtypes, indices in range, finite probabilities that
  sum to 1), equal to the NumPy reference (``tests/helpers/reference.py``, bit for bit for the
  searches)
  whenever the reference applies; or it raises ``ValueError`` / ``TypeError``; nothing else;
- for the searches and the extension an oracle also says *which* it must be: valid inputs must
  give the reference result, invalid ones (non-finite values, norms >= 2^62, zero rows under
  cosine, bad votes, mismatched shapes, k out of range, ...) must raise: accepting them silently
  would be a wrong answer;
- no argument is modified (``tests.helpers.reliability.fingerprint``), whatever the outcome.

Bounded by the profiles registered in ``tests/conftest.py`` (``LIGER_FUZZ_PROFILE``: ``ci`` by
default, derandomized; ``long`` for local bug hunting).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import liger
from liger import LabelModel, MajorityVoter

from ..conftest import fuzz_settings
from ..helpers import reference
from ..helpers.reliability import fingerprint

MAX_NORM = 2.0**62
METRICS = ("cosine", "ip", "euclidean")
BAD_INPUT = (ValueError, TypeError)

# ------------------------------------------------------------------------------- strategies

#: Dtypes an array argument is drawn in: mostly the expected kind, any of these otherwise.
FLOATS = ("<f4", "<f8", "<f2", ">f4", ">f8")
INTS = ("<i1", "<i2", "<i4", "<i8", ">i8", "<u1", "<u2", "<u4", "<u8")
OTHERS = ("?", "<c8", "O", "<U3")


@st.composite
def layouts(draw, array: np.ndarray):
    """``array`` in one of the memory layouts every entry point must read like a C copy."""
    if array.ndim != 2 or array.dtype == object:
        return array
    kind = draw(st.sampled_from(("c", "c", "fortran", "strided", "reversed", "read-only")))
    if kind == "fortran":
        return np.asfortranarray(array)
    if kind == "strided":
        return np.repeat(array, 2, axis=0)[::2]
    if kind == "reversed":
        return np.ascontiguousarray(array[::-1])[::-1]
    if kind == "read-only":
        array = array.copy()
        array.flags.writeable = False
    return array


@st.composite
def float_matrix(draw, rows: int, cols: int, *, valid_bias: int = 4):
    """An (rows, cols) array meant as embeddings: usually a float dtype with ordinary values
    (on a coarse grid: exact ties), sometimes special values, sometimes another dtype."""
    dtype = np.dtype(
        draw(rarely(st.sampled_from(FLOATS), st.sampled_from(INTS + OTHERS), valid_bias + 2))
    )
    if dtype.kind in "fc":
        grid = st.integers(-4, 4).map(lambda v: v / 2)
        values = np.array(
            draw(st.lists(grid, min_size=rows * cols, max_size=rows * cols)), dtype=np.float64
        ).reshape(rows, cols)
        if values.size and draw(rarely(st.just(False), st.just(True), 3)):
            # One special value (a sharp case: everything else is ordinary).
            kind = draw(st.sampled_from(("huge", "non-finite", "tiny")))
            special = {
                "huge": (1e19, -1e30, 3e38),
                "tiny": (1e-40, -0.0, 1e-20),
                "non-finite": (np.nan, np.inf, -np.inf, 1e300),
            }[kind]
            at = draw(st.integers(0, values.size - 1))
            values.flat[at] = draw(st.sampled_from(special))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # overflow to inf in float16 is part of the point
            array = values.astype(dtype)
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        array = draw(
            hnp.arrays(
                dtype, (rows, cols), elements=st.integers(max(info.min, -3), min(info.max, 3))
            )
        )
    elif dtype.kind == "O":
        array = np.array(
            draw(
                st.lists(
                    st.sampled_from([1.0, "a", None]), min_size=rows * cols, max_size=rows * cols
                )
            ),
            dtype=object,
        ).reshape(rows, cols)
    else:
        array = draw(hnp.arrays(dtype, (rows, cols)))
    return draw(layouts(array))


@st.composite
def vote_matrix(draw, rows: int, cols: int, K: int = 3):
    """An (rows, cols) vote matrix: usually integers in -1..K-1 (some columns empty, some full),
    sometimes votes < -1, a float / bool dtype, or unsigned."""
    dtype = np.dtype(
        draw(
            rarely(
                st.sampled_from(("<i8", "<i1", "<i4", ">i2", "<u1")), st.sampled_from(("<f8", "?"))
            )
        )
    )
    votes = draw(hnp.arrays(np.int64, (rows, cols), elements=st.integers(-1, K - 1)))
    if cols and draw(st.booleans()):
        votes[:, draw(st.integers(0, cols - 1))] = -1  # an empty support
    if rows and cols and draw(rarely(st.just(False), st.just(True), 5)):
        votes[draw(st.integers(0, rows - 1)), draw(st.integers(0, cols - 1))] = draw(
            st.sampled_from((-2, -128, K, 2**40))
        )
    with np.errstate(all="ignore"):
        if dtype.kind in "i" and not (
            votes.size == 0
            or np.iinfo(dtype).min <= votes.min() <= votes.max() <= np.iinfo(dtype).max
        ):
            dtype = np.dtype(np.int64)
        array = votes.astype(dtype)
    return draw(layouts(array))


@st.composite
def rarely(draw, usual, unusual, one_in: int = 8):
    """``usual``, or one time in about ``one_in`` ``unusual`` (decided by a middle value of a
    range: hypothesis favours the bounds of ranges, which would make the rare case common)."""
    return draw(unusual) if draw(st.integers(0, 2 * one_in)) == one_in else draw(usual)


def sizes(low: int = 0, high: int = 6):
    """A size in ``low..high``; 0 (when allowed) only one time in eight."""
    if low > 0:
        return st.integers(low, high)
    return rarely(st.integers(1, high), st.just(0))


def mismatch(size: int):
    """The size another argument should have, or (sometimes) one off."""
    return rarely(st.just(size), st.integers(0, size + 2), one_in=10)


# ------------------------------------------------------------------------------- oracles


def as_real(array) -> np.ndarray | None:
    """The float32 matrix the library reads, or None when the input is not a valid one
    (wrong dtype or shape, empty, non-finite, or a norm >= 2^62)."""
    array = np.asarray(array)
    if array.dtype == np.bool_ or array.dtype.kind not in "fiu" or array.ndim != 2:
        return None
    if array.shape[0] == 0 or array.shape[1] == 0:
        return None
    with np.errstate(over="ignore"):
        converted = array.astype(np.float32)
    if not np.isfinite(converted).all():
        return None
    if (np.sqrt(np.einsum("ij,ij->i", *(converted.astype(np.float64),) * 2)) >= MAX_NORM).any():
        return None
    return converted


def as_votes(array) -> np.ndarray | None:
    array = np.asarray(array)
    if array.dtype == np.bool_ or array.dtype.kind not in "iu" or array.ndim != 2:
        return None
    if array.shape[0] == 0 or array.shape[1] == 0:
        return None
    if array.dtype.kind == "u" and array.size and array.max() > np.iinfo(np.int64).max:
        return None
    votes = array.astype(np.int64)
    return None if (votes < -1).any() else votes


def zero_rows(X: np.ndarray, rows=None) -> bool:
    sq = reference.canonical_norms(X if rows is None else X[rows]) ** 2
    return bool((sq == 0).any())


def called(function, *args, **kwargs):
    """``(result, None)`` or ``(None, error)``; any exception but ValueError / TypeError fails
    the test, and so does a modified argument."""
    before = fingerprint([args, kwargs])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result, error = function(*args, **kwargs), None
    except BAD_INPUT as exc:
        result, error = None, exc
    assert fingerprint([args, kwargs]) == before, f"{function.__name__} modified its arguments"
    return result, error


def same_bits(a: np.ndarray, b: np.ndarray) -> None:
    np.testing.assert_array_equal(
        np.asarray(a, np.float32).view(np.uint32), np.asarray(b, np.float32).view(np.uint32)
    )


# ------------------------------------------------------------------------------- searches


@fuzz_settings()
@given(data=st.data())
def test_fuzz_nearest_support(data):
    q, n, d, m = (data.draw(sizes(0, 6)) for _ in range(4))
    queries = data.draw(float_matrix(q, data.draw(mismatch(d))))
    base = data.draw(float_matrix(n, d))
    L_base = data.draw(vote_matrix(data.draw(mismatch(n)), m))
    metric = data.draw(rarely(st.sampled_from(METRICS), st.just("l1")))
    kernel = data.draw(st.sampled_from(("auto", "exact", "screened")))
    result, error = called(
        liger.nearest_support, queries, base, L_base, metric=metric, kernel=kernel, n_jobs=1
    )
    Q, B, L = as_real(queries), as_real(base), as_votes(L_base)
    valid = (
        metric in METRICS
        and Q is not None
        and B is not None
        and L is not None
        and Q.shape[1] == B.shape[1]
        and L.shape[0] == B.shape[0]
    )
    if valid and metric == "cosine":
        union = (L != -1).any(axis=1)
        if union.any():
            valid = not zero_rows(B, union) and not zero_rows(Q)
    event("valid input" if valid else "invalid input")
    if not valid:
        assert error is not None, (
            f"invalid input accepted: {metric} {queries!r} {base!r} {L_base!r}"
        )
        return
    assert error is None, f"valid input rejected: {error!r}"
    expected = reference.canonical_nearest_support(Q, B, L, metric)
    np.testing.assert_array_equal(result[1], expected[1])
    same_bits(result[0], expected[0])


@fuzz_settings()
@given(data=st.data())
def test_fuzz_knn_and_radius(data):
    n, d = data.draw(sizes(0, 7)), data.draw(sizes(0, 5))
    X = data.draw(float_matrix(n, d))
    self_search = data.draw(st.booleans())
    queries = (
        None
        if self_search
        else data.draw(float_matrix(data.draw(sizes(0, 5)), data.draw(mismatch(d))))
    )
    metric = data.draw(st.sampled_from(METRICS))
    k = data.draw(st.one_of(st.integers(-1, n + 1), st.sampled_from((2.0, True, "3"))))
    result, error = called(liger.knn_graph, X, k, metric=metric, queries=queries, n_jobs=1)
    B = as_real(X)
    Q = B if self_search else (None if queries is None else as_real(queries))
    candidates = -1 if B is None else B.shape[0] - int(self_search)
    valid = (
        B is not None
        and Q is not None
        and Q.shape[1] == B.shape[1]
        and isinstance(k, int)
        and not isinstance(k, bool)
        and 1 <= k <= candidates
    )
    if valid and metric == "cosine":
        valid = not zero_rows(B) and not zero_rows(Q)
    event("valid input" if valid else "invalid input")
    if not valid:
        assert error is not None, f"invalid input accepted: k={k!r} {X!r} {queries!r}"
    else:
        assert error is None, f"valid input rejected: {error!r}"
        scores, indices = reference.canonical_knn(B, k, metric, None if self_search else Q)
        np.testing.assert_array_equal(result[1], indices)
        same_bits(result[0], scores)

    radius = data.draw(st.sampled_from((0.5, -0.5, 0.0, 2.0, np.nan, np.inf, 1e300, "0.5")))
    max_neighbors = data.draw(st.sampled_from((None, None, 1, 3, 0)))
    result, error = called(
        liger.radius_neighbors,
        X,
        radius,
        metric=metric,
        queries=queries,
        max_neighbors=max_neighbors,
        n_jobs=1,
    )
    with np.errstate(over="ignore"):
        radius_fits = isinstance(radius, float) and bool(np.isfinite(np.float32(radius)))
    valid = (
        B is not None
        and Q is not None
        and Q.shape[1] == B.shape[1]
        and radius_fits
        and max_neighbors != 0
        and not (metric == "euclidean" and radius < 0)
    )
    if valid and metric == "cosine":
        valid = not zero_rows(B) and not zero_rows(Q)
    event("valid input" if valid else "invalid input")
    if not valid:
        assert error is not None, f"invalid input accepted: radius={radius!r} {X!r}"
        return
    assert error is None, f"valid input rejected: {error!r}"
    S = reference.canonical_scores(Q, B, metric)
    if self_search:
        np.fill_diagonal(S, np.nan)  # never its own neighbour
    with np.errstate(invalid="ignore"):
        inside = S <= np.float32(radius) if metric == "euclidean" else S >= np.float32(radius)
    assert result.shape == S.shape and result.has_sorted_indices
    stored = {
        (r, int(c))
        for r in range(result.shape[0])
        for c in result.indices[result.indptr[r] : result.indptr[r + 1]]
    }
    if max_neighbors is None:
        # Every pair that clears the radius (a stored score may be 0), with its canonical score.
        rows, cols = np.nonzero(inside)
        assert stored == set(zip(rows.tolist(), cols.tolist()))
        same_bits(result.toarray()[rows, cols], S[rows, cols])
    else:
        assert stored <= set(zip(*(a.tolist() for a in np.nonzero(inside))))
        assert (np.diff(result.indptr) == np.minimum(inside.sum(axis=1), max_neighbors)).all()


# ------------------------------------------------------------------------------- extension


@fuzz_settings()
@given(data=st.data())
def test_fuzz_extend_votes(data):
    q, n, m = data.draw(sizes(0, 6)), data.draw(sizes(1, 6)), data.draw(sizes(0, 4))
    L = data.draw(vote_matrix(q, m))
    L_base = data.draw(vote_matrix(n, data.draw(mismatch(m))))
    scores = data.draw(float_matrix(q, data.draw(mismatch(m)), valid_bias=8))
    if np.size(scores) and np.asarray(scores).dtype.kind == "f":
        if data.draw(rarely(st.just(False), st.just(True), 4)):  # what a search returns
            scores = np.array(scores)
            scores.flat[data.draw(st.integers(0, scores.size - 1))] = data.draw(
                st.sampled_from((np.nan, np.inf, -np.inf))
            )
    indices = data.draw(hnp.arrays(np.int64, (q, m), elements=st.integers(-1, n - 1)))
    if indices.size and data.draw(rarely(st.just(False), st.just(True), 6)):
        indices.flat[data.draw(st.integers(0, indices.size - 1))] = data.draw(
            st.sampled_from((-2, n))
        )
    metric = data.draw(st.sampled_from(METRICS))
    thresholds = data.draw(
        st.one_of(
            st.sampled_from((None, 0.0, 0.5, np.nan, np.inf, "high")),
            hnp.arrays(
                np.float64, data.draw(mismatch(m)), elements=st.sampled_from((0.0, 0.5, np.nan))
            ),
        )
    )
    result, error = called(
        liger.extend_votes, L, scores, indices, L_base, thresholds, metric=metric, n_jobs=1
    )
    votes, base = as_votes(L), as_votes(L_base)  # zero rows are an error, as for the searches
    S = np.asarray(scores)
    valid = (
        votes is not None
        and base is not None
        and np.asarray(L).dtype.kind in "iu"
        and np.asarray(L).ndim == 2
        and m > 0
        and (votes >= -1).all()
        and base.shape[1] == m
        and S.dtype.kind == "f"
        and S.shape == (q, m)
        and not np.isnan(S.astype(np.float64)).any()
        and ((indices >= -1) & (indices < n)).all()
        and not isinstance(thresholds, str)
        and (np.ndim(thresholds) == 0 or np.shape(thresholds) == (m,))
    )
    event("valid input" if valid else "invalid input")
    if not valid:
        assert error is not None, "invalid input accepted"
        return
    assert error is None, f"valid input rejected: {error!r}"
    t = (
        np.full(m, np.nan)
        if thresholds is None
        else np.broadcast_to(np.asarray(thresholds, dtype=np.float64), (m,))
    )
    with np.errstate(over="ignore"):
        expected = reference.extend_votes(
            votes.astype(np.int64),
            S.astype(np.float32),
            indices,
            base,
            t.astype(np.float32),
            metric,
        )
    np.testing.assert_array_equal(result, expected)


# ------------------------------------------------------------------------------- models


def check_proba(proba, n, K) -> None:
    proba = np.asarray(proba)
    assert proba.shape == (n, K) and np.isfinite(proba).all() and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


@fuzz_settings(0.5)
@given(data=st.data())
def test_fuzz_label_models(data):
    n, m, K = data.draw(sizes(0, 30)), data.draw(sizes(0, 5)), data.draw(st.integers(1, 4))
    L = data.draw(vote_matrix(n, m, K))
    cls = data.draw(st.sampled_from((LabelModel, MajorityVoter)))
    balance = data.draw(st.sampled_from((None, None, "majority", [0.5, 0.5], [np.nan, 1])))
    model, error = called(cls(cardinality=K, class_balance=balance).fit, L)
    votes = as_votes(L)
    valid = (
        K >= 2
        and votes is not None
        and (votes < K).all()
        and (balance is None or balance == "majority" or (balance == [0.5, 0.5] and K == 2))
    )
    event("valid input" if valid else "invalid input")
    if not valid:
        assert error is not None, f"invalid input accepted: K={K} {balance!r} {L!r}"
        return
    assert error is None, f"valid input rejected: {error!r}"
    L_new = data.draw(vote_matrix(data.draw(sizes(0, 8)), data.draw(mismatch(m)), K))
    proba, error = called(model.predict_proba, L_new)
    new = np.asarray(L_new)
    valid_new = (
        new.ndim == 2
        and new.shape[1] == m
        and new.dtype.kind in "iu"
        and (new.size == 0 or (new.min() >= -1 and new.max() < K))
    )
    if not valid_new:
        assert error is not None, f"invalid votes accepted by predict_proba: {L_new!r}"
        return
    assert error is None, f"valid votes rejected: {error!r}"
    check_proba(proba, new.shape[0], K)


@fuzz_settings(0.3)
@given(data=st.data())
def test_fuzz_liger_and_end_model(data):
    n, d, m = data.draw(sizes(2, 24)), data.draw(sizes(1, 4)), data.draw(sizes(1, 3))
    L = data.draw(vote_matrix(n, m, 2))
    X = data.draw(float_matrix(data.draw(mismatch(n)), d, valid_bias=8))
    params = {
        "thresholds": data.draw(st.sampled_from((0.3, None, "tune", np.nan, [0.1]))),
        "metric": data.draw(st.sampled_from(METRICS)),
        "n_partitions": data.draw(st.sampled_from((1, 2, 0))),
        "end_model": data.draw(st.sampled_from((None, "logreg"))),
        "random_state": 0,
        "n_jobs": 1,
    }
    model, error = called(liger.Liger(**params).fit, L, X)
    if error is None:
        K = model.n_classes_
        proba, error = called(model.predict_proba, L, X)
        assert error is None, f"predicting the train points failed: {error!r}"
        check_proba(proba, n, K)
        X_new = data.draw(float_matrix(data.draw(sizes(1, 5)), data.draw(mismatch(d))))
        L_new = data.draw(vote_matrix(np.shape(X_new)[0], m, K))
        proba, error = called(model.predict_proba, L_new, X_new)
        if error is None:
            check_proba(proba, np.shape(X_new)[0], K)
            assert as_real(X_new) is not None and as_votes(L_new) is not None

    proba_train = data.draw(float_matrix(data.draw(mismatch(n)), 2, valid_bias=8))
    end, error = called(
        liger.EndModel(penalties=(0.1,), train_weights=(1.0,))._fit_weak, X, proba_train
    )
    if error is None:
        P = np.asarray(proba_train, dtype=np.float64)
        assert as_real(X) is not None and np.isfinite(P).all() and (P >= 0).all()
        np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-6)
        check_proba(end.predict_proba(np.asarray(X, np.float32)), np.shape(X)[0], 2)


# ------------------------------------------------------------------------------- small functions


@fuzz_settings()
@given(data=st.data())
def test_fuzz_conversions_metrics_statistics(data):
    n, m = data.draw(sizes(0, 8)), data.draw(sizes(0, 4))
    L = data.draw(vote_matrix(n, m, 2))
    for function in (liger.from_pm1, liger.to_pm1):
        result, error = called(function, L)
        if error is None:
            assert np.isin(np.asarray(L), (-1, 0, 1)).all()
            assert result.shape == np.shape(L) and result.dtype == np.int64
    y_true = data.draw(hnp.arrays(np.int64, n, elements=st.integers(-1, 2)))
    y_pred = data.draw(
        hnp.arrays(
            data.draw(st.sampled_from((np.int64, np.float64))),
            data.draw(mismatch(n)),
            elements=st.integers(-2, 2),
        )
    )
    for name in ("accuracy", "f1", "macro_f1"):
        value, error = called(getattr(liger.metrics, name), y_true, y_pred)
        if error is None:
            assert 0.0 <= value <= 1.0 and n > 0 and (y_true >= 0).all()
    K = data.draw(st.integers(0, 4))
    stats, error = called(liger.VoteStatistics.from_votes, L, K)
    if error is None:
        votes = as_votes(L) if n else np.asarray(L)
        assert K >= 2 and votes is not None and (np.asarray(L) < K).all()
        assert stats.n_lfs == m and stats.n_rows == n
    table, error = called(liger.diagnostics.lf_table, L, as_frame=False)
    if error is None:
        assert len(table) == m


@pytest.mark.parametrize("profile", ["ci", "long"])
def test_fuzz_profiles_are_bounded_and_reproducible(profile, monkeypatch):
    """The CI profile is derandomized with no deadline (cannot flake on a loaded machine) and
    bounded; the long one is random and larger."""
    monkeypatch.setenv("LIGER_FUZZ_PROFILE", profile)
    chosen = fuzz_settings()
    assert chosen.deadline is None
    assert chosen.derandomize is (profile == "ci")
    assert (chosen.max_examples <= 200) is (profile == "ci")
