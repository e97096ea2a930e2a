"""The label model's fast paths: posteriors summed over blocks of LFs, the class-balance grid
evaluated in one batched pass, and EncodedVotes. Each is checked against the plain computation
(one lookup per LF, one candidate balance at a time)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse

from liger._checks.votes import check_vote_matrix
from liger.label_model import encoding
from liger.label_model import triplet as lm
from liger.label_model.class_balance import _marginal_log_likelihoods
from liger.label_model.encoding import EncodedVotes, _Blocks, _log_likelihoods
from liger.label_model.majority import MajorityVoter
from liger.label_model.moments import _Triplets
from liger.label_model.statistics import VoteStatistics
from liger.label_model.triplet import LabelModel

from ..conftest import load_votes
from ..helpers.dawid_skene import REGIMES, sample_regime


@pytest.fixture(autouse=True)
def _quiet_label_model():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lm.LabelModelWarning)
        yield


def _votes(rng, n, m, K, density):
    L = np.where(rng.random((n, m)) < density, rng.integers(0, K, (n, m)), -1)
    if n:
        L[rng.integers(0, n)] = -1  # an all-abstain row
    return L


def _plain_log_likelihoods(L, log_flat):
    """The reference: per row, the log-probabilities of its m votes added one LF at a time."""
    n, m = L.shape
    width = log_flat.shape[1] // m
    out = np.zeros((log_flat.shape[0], n))
    for j in range(m):
        out += log_flat[:, j * width + L[:, j].astype(np.int64) + 1]
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(0, 70),
    m=st.integers(1, 23),
    K=st.sampled_from([2, 3, 4, 6, 15, 16]),
    R=st.integers(1, 3),
    density=st.sampled_from([0.0, 0.2, 0.7, 1.0]),
    chunk=st.sampled_from([1, 7, 65536]),
    dtype=st.sampled_from([np.int8, np.int64]),
    seed=st.integers(0, 2**31 - 1),
)
def test_block_sums_equal_the_sum_over_lfs(n, m, K, R, density, chunk, dtype, seed):
    rng = np.random.default_rng(seed)
    L = _votes(rng, n, m, K, density).astype(dtype)
    log_flat = np.log(rng.random((R, m * (K + 1))))
    expected = _plain_log_likelihoods(L, log_flat)
    got = _log_likelihoods(L, log_flat, chunk)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-12)
    # Block sums are a fixed order: precomputed codes and EncodedVotes give the very same
    # numbers (the Session and Liger must agree bit for bit).
    encoded = EncodedVotes(L, K)
    assert np.array_equal(_log_likelihoods(encoded, log_flat, chunk), got)
    codes = _Blocks(m, K).codes(L)
    assert np.array_equal(_log_likelihoods(L, log_flat, chunk, codes), got)


def test_block_sums_read_sparse_votes_like_dense_ones():
    rng = np.random.default_rng(0)
    L = _votes(rng, 300, 13, 3, 0.3)
    log_flat = np.log(rng.random((2, 13 * 4)))
    # CSR with an explicit entry for every vote (class 0 an explicit zero), none for abstentions.
    rows, cols = np.nonzero(L != -1)
    votes = sparse.csr_matrix((L[rows, cols], (rows, cols)), shape=L.shape)
    assert votes.nnz == rows.size
    votes = check_vote_matrix("L", votes, 3)
    assert np.array_equal(_log_likelihoods(votes, log_flat, 64), _log_likelihoods(L, log_flat, 64))


def test_block_layout():
    assert _Blocks(20, 2).bounds == [(0, 5), (5, 10), (10, 15), (15, 20)]  # 3^5 = 243 entries
    assert _Blocks(7, 3).bounds == [(0, 4), (4, 7)]  # 4^4 = 256
    assert _Blocks(3, 6).bounds == [(0, 2), (2, 3)]  # 7^2 = 49
    assert _Blocks(2, 16).bounds == [(0, 1), (1, 2)]  # 17^2 > 256: one LF per block


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 60),
    m=st.integers(1, 17),
    K=st.sampled_from([2, 3, 5]),
    seed=st.integers(0, 2**31 - 1),
)
def test_encoded_votes_follow_column_updates(n, m, K, seed):
    rng = np.random.default_rng(seed)
    L = _votes(rng, n, m, K, 0.4)
    encoded = EncodedVotes(L, K)
    for _ in range(3):
        j = int(rng.integers(0, m))
        L[:, j] = _votes(rng, n, 1, K, 0.5)[:, 0]
        encoded.update(L, [j])
        assert np.array_equal(encoded.codes, EncodedVotes(L, K).codes)


def test_models_read_encoded_votes_as_votes():
    rng = np.random.default_rng(3)
    for K in (2, 3):
        L = _votes(rng, 2000, 8, K, 0.4)
        model = LabelModel(cardinality=K).fit(L)
        encoded = EncodedVotes(L, K)
        assert np.array_equal(model.predict_proba(encoded), model.predict_proba(L))
        assert np.array_equal(model.predict_log_joint(encoded), model.predict_log_joint(L))
        assert np.array_equal(model.predict(encoded), model.predict(L))
    voter = MajorityVoter(cardinality=3).fit(L)
    with pytest.raises(TypeError, match="L: MajorityVoter needs the vote matrix"):
        voter.predict_proba(encoded)
    with pytest.raises(ValueError, match="L: expected votes of 2 classes, got EncodedVotes of 3"):
        LabelModel().fit(_votes(rng, 500, 8, 2, 0.4)).predict_proba(encoded)
    with pytest.raises(ValueError, match=r"L: expected 8 columns"):
        LabelModel(cardinality=3).fit(L).predict_proba(EncodedVotes(L[:, :5], 3))
    with pytest.raises(ValueError, match=r"L: expected shape \(2000, 8\)"):
        encoded.update(L[:10], [0])


# ---------------------------------------------------------------- the batched balance grid
def _triplets(seed, K):
    rng = np.random.default_rng(seed)
    L = _votes(rng, 3000, 9, K, 0.4)
    stats = VoteStatistics.from_votes(L, K)
    return _Triplets(stats, 2.0, 20.0, 2000), stats


@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("prior_accuracy", [None, 0.8])
def test_tables_of_a_grid_equal_the_tables_of_each_balance(K, prior_accuracy):
    tri, stats = _triplets(K, K)
    emitted = tri.counts > 0
    sign = np.where(tri.sign_z < -2.0, -1.0, 1.0)
    rng = np.random.default_rng(K)
    balances = rng.dirichlet(np.ones(K), 7)
    d2 = np.stack([tri.magnitudes(p, "median") for p in balances])
    args = (sign, prior_accuracy, 20.0, 1e-4)
    table, identified, prior = lm._tables(tri, emitted, balances, d2, *args)
    for g, p in enumerate(balances):
        one = lm._tables(tri, emitted, p[None], d2[g : g + 1], *args)
        assert np.array_equal(one[0][0], table[g])
        assert np.array_equal(one[1][0], identified[g])
        assert one[2][0] == prior[g]


@pytest.mark.parametrize("K", [2, 3, 9])
def test_marginal_of_a_grid_equals_the_marginal_of_each_balance(K):
    rng = np.random.default_rng(K)
    log_lik = np.log(rng.random((5, K, 1000)))
    weights = rng.integers(1, 4, 1000).astype(np.float64)
    balances = rng.dirichlet(np.ones(K), 5)
    batched = _marginal_log_likelihoods(log_lik, weights, balances)
    for g in range(5):
        one = _marginal_log_likelihoods(log_lik[g : g + 1], weights, balances[g : g + 1])
        assert one[0] == batched[g]


def _outputs(L, K, y_dev, **params):
    model = LabelModel(cardinality=K, **params).fit(L, y_dev=y_dev)
    estimate = model.balance_estimate_
    return {
        "class_balance_": model.class_balance_,
        "cond_probs_": model.cond_probs_,
        "accuracies_": model.accuracies_,
        "proba": model.predict_proba(L),
        "log_joint": model.predict_log_joint(L),
        "likelihood": None if estimate is None else estimate.likelihood,
        "modes": None if estimate is None else estimate.profile_modes,
    }


def _assert_close_to_per_lf_sums(monkeypatch, L, K, y_dev=None, **params):
    """The fit equals the one whose sums run one LF at a time (blocks of one LF: the order of
    the label model before blocks) within 1e-12 (log joints: relative)."""
    fast = _outputs(L, K, y_dev, **params)
    with monkeypatch.context() as patched:
        patched.setattr(encoding, "BLOCK_ENTRIES", 1)
        plain = _outputs(L, K, y_dev, **params)
    assert fast["modes"] == plain["modes"]
    for name in ("class_balance_", "cond_probs_", "accuracies_", "proba", "likelihood"):
        if plain[name] is not None:
            np.testing.assert_allclose(fast[name], plain[name], rtol=0, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(fast["log_joint"], plain["log_joint"], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("regime", [r.key for r in REGIMES])
def test_fits_of_the_simulation_regimes_match_per_lf_sums(monkeypatch, regime):
    for seed in (0, 1):
        L, y = sample_regime(regime, seed)
        K = int(max(L.max(), y.max())) + 1
        _assert_close_to_per_lf_sums(monkeypatch, L, K)
        _assert_close_to_per_lf_sums(monkeypatch, L, K, y[:200], class_balance="likelihood")


@pytest.mark.parametrize("name", ["youtube", "sms", "trec", "tennis"])
def test_fits_of_the_shared_datasets_match_per_lf_sums(monkeypatch, data_dir, name):
    L, _ = load_votes(data_dir, name, "train")
    L_valid, y_valid = load_votes(data_dir, name, "valid")
    K = int(max(L.max(), L_valid.max(), y_valid.max())) + 1
    _assert_close_to_per_lf_sums(monkeypatch, L, K)
    _assert_close_to_per_lf_sums(monkeypatch, L, K, y_valid, class_balance="likelihood")
    _assert_close_to_per_lf_sums(monkeypatch, L, K, aggregation="mean")
