"""The triplet label model: parameter recovery on data sampled from the model, the posterior
against a brute-force Bayes computation, degenerate inputs, properties, and real datasets."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liger import metrics
from liger._estimator import NotFittedError
from liger.label_model.class_balance import LabelModelWarning
from liger.label_model.majority import MajorityVoter
from liger.label_model.triplet import LabelModel

from ..conftest import load_votes
from ..helpers.dawid_skene import lf_table, unipolar

# --------------------------------------------------------------------------------------------
# The generative model: table[j, v + 1, c] = P(L_j = v | Y = c), votes independent given Y.


def sample(table: np.ndarray, balance: np.ndarray, n: int, seed: int):
    """Draw (L, y) from the naive-Bayes model, vectorised by inverse CDF."""
    rng = np.random.default_rng(seed)
    m, width, K = table.shape
    y = rng.choice(K, size=n, p=balance)
    cdf = np.cumsum(table, axis=1)[:, :, y]  # (m, K + 1, n)
    u = rng.random((m, n))
    L = np.minimum((u[:, None, :] >= cdf).sum(axis=1), width - 1).T - 1
    return np.ascontiguousarray(L), y


def true_accuracies(table: np.ndarray, balance: np.ndarray) -> np.ndarray:
    correct = np.einsum("c,jc->j", balance, table[:, 1:, :].diagonal(axis1=1, axis2=2))
    return correct / (1 - table[:, 0, :] @ balance)


def brute_force_posterior(
    table: np.ndarray, balance: np.ndarray, L: np.ndarray, abstention_weights=None
) -> np.ndarray:
    """Bayes' rule written out with Python loops; a vote with probability 0 under every class
    (never cast in fit) is skipped, i.e. carries no evidence. ``abstention_weights`` (m,): the
    power each LF's abstention probability is raised to (a fitted model's
    ``abstention_weights_``: how much abstention evidence it earned); None: 1."""
    n, m = L.shape
    K = balance.size
    weights = np.ones(m) if abstention_weights is None else abstention_weights
    out = np.zeros((n, K))
    for i in range(n):
        joint = []
        for c in range(K):
            value = float(balance[c])
            for j in range(m):
                column = table[j, L[i, j] + 1]
                if column.max() > 0:
                    power = float(weights[j]) if L[i, j] == -1 else 1.0
                    value *= float(column[c]) ** power
            joint.append(value)
        out[i] = np.array(joint) / sum(joint)
    return out


BINARY_BALANCE = np.array([0.7, 0.3])
BINARY_TABLE = np.stack(
    [
        lf_table(2, 0.90, [0.5, 0.6]),  # class-dependent abstention
        lf_table(2, 0.80, 0.3),
        lf_table(2, 0.75, [0.6, 0.4]),
        lf_table(2, 0.70, [0.2, 0.5]),
        lf_table(2, 0.85, 0.4),
        lf_table(2, 0.65, 0.7),
        unipolar(2, 1, 0.4, 0.05),  # only ever votes 1
        unipolar(2, 0, 0.3, 0.08),  # only ever votes 0
    ]
)
MULTI_BALANCE = np.array([0.4, 0.3, 0.2, 0.1])
MULTI_TABLE = np.stack(
    [
        lf_table(4, 0.90, 0.5),
        lf_table(4, 0.80, 0.3),
        lf_table(4, 0.75, 0.6),
        lf_table(4, 0.70, 0.4),
        lf_table(4, 0.85, 0.4),
        lf_table(4, 0.65, 0.7),
        lf_table(4, 0.60, 0.5),
        unipolar(4, 3, 0.5, 0.05),
        unipolar(4, 0, 0.3, 0.08),
    ]
)


@pytest.fixture(scope="module")
def binary_data():
    return sample(BINARY_TABLE, BINARY_BALANCE, 100_000, seed=1)


@pytest.fixture(scope="module")
def multi_data():
    return sample(MULTI_TABLE, MULTI_BALANCE, 100_000, seed=2)


# --------------------------------------------------------------------------------------------
# Recovery of the generating parameters


@pytest.mark.parametrize("class_balance", [None, "given"])
def test_binary_recovers_accuracies_and_balance(binary_data, class_balance):
    L, _ = binary_data
    given_balance = BINARY_BALANCE if class_balance == "given" else None
    model = LabelModel(class_balance=given_balance).fit(L)
    assert np.abs(model.class_balance_ - BINARY_BALANCE).max() < 0.02
    assert np.abs(model.accuracies_ - true_accuracies(BINARY_TABLE, BINARY_BALANCE)).max() < 0.02
    # The whole class-conditional tables, abstentions included (class-dependent for LFs 0, 2, 3).
    assert np.abs(model.cond_probs_ - BINARY_TABLE).max() < 0.02
    assert np.allclose(model.coverage_, (L != -1).mean(axis=0))


@pytest.mark.parametrize("class_balance", ["likelihood", "given"])
def test_multiclass_recovers_accuracies(multi_data, class_balance):
    L, _ = multi_data
    chosen = MULTI_BALANCE if class_balance == "given" else class_balance
    model = LabelModel(4, class_balance=chosen).fit(L)
    assert np.abs(model.class_balance_ - MULTI_BALANCE).max() < 0.02
    assert np.abs(model.accuracies_ - true_accuracies(MULTI_TABLE, MULTI_BALANCE)).max() < 0.02
    assert np.abs(model.cond_probs_ - MULTI_TABLE).max() < 0.02


@pytest.mark.parametrize("which", ["binary", "multi"])
def test_likelihood_balance_weighs_dev_labels_against_the_votes(binary_data, multi_data, which):
    """``fit(L, y_dev=...)`` with "likelihood": the votes' profile likelihood times the dev
    labels' multinomial likelihood. Few dev labels barely move a balance that many rows pin down;
    many dev labels dominate the votes of a few rows."""
    (L, _), K = (binary_data, 2) if which == "binary" else (multi_data, 4)
    votes_only = LabelModel(K, class_balance="likelihood").fit(L).class_balance_
    few = LabelModel(K, class_balance="likelihood").fit(L, y_dev=np.arange(K)).class_balance_
    assert np.abs(few - votes_only).max() < 0.01
    target = np.linspace(1.0, 2.0, K) / np.linspace(1.0, 2.0, K).sum()
    distances = []
    for n_dev in (0, 100, 10_000):
        y_dev = np.repeat(np.arange(K), np.round(target * n_dev).astype(int))
        model = LabelModel(K, class_balance="likelihood")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LabelModelWarning)
            model.fit(L[:300], y_dev=y_dev if n_dev else None)
        distances.append(np.abs(model.class_balance_ - target).max())
    assert distances[2] < 0.03, distances
    assert distances[2] < distances[1] <= distances[0] + 1e-9, distances


def test_multiclass_default_balance_is_the_majority_estimate(multi_data):
    L, _ = multi_data
    model = LabelModel(4).fit(L)
    voter = MajorityVoter(4).fit(L)
    assert np.allclose(model.class_balance_, voter.class_balance_)
    # Biased by inaccurate LFs but in the right region, and the posterior still beats MV.
    assert np.abs(model.class_balance_ - MULTI_BALANCE).max() < 0.06


def test_model_beats_majority_vote_on_its_own_data(binary_data, multi_data):
    for (L, y), K in ((binary_data, 2), (multi_data, 4)):
        model_acc = LabelModel(K).fit(L).score(L, y, tie_break_policy="lowest")
        mv_acc = MajorityVoter(K).fit(L).score(L, y, tie_break_policy="lowest")
        assert model_acc > mv_acc + 0.01


def test_negatively_associated_votes_get_a_negative_sign():
    # LF 3 is a "detector": its vote 0 mostly comes from class 1 (as one tennis LF's does).
    detector = np.array([[0.96, 0.20], [0.02, 0.30], [0.02, 0.50]])
    table = np.concatenate([BINARY_TABLE[:3], detector[None]])
    L, _ = sample(table, BINARY_BALANCE, 100_000, seed=3)
    model = LabelModel(class_balance=BINARY_BALANCE).fit(L)
    assert np.abs(model.cond_probs_ - table).max() < 0.03
    assert model.cond_probs_[3, 1, 1] > model.cond_probs_[3, 1, 0]


# --------------------------------------------------------------------------------------------
# The posterior


@pytest.mark.parametrize(
    ("table", "balance"), [(BINARY_TABLE, BINARY_BALANCE), (MULTI_TABLE, MULTI_BALANCE)]
)
def test_posterior_with_true_parameters_matches_brute_force(table, balance):
    L, _ = sample(table, balance, 300, seed=4)
    K = balance.size
    # Also votes a unipolar LF never casts (probability 0 under every class): no evidence.
    L[:5, -1] = 1
    L[5] = -1
    model = LabelModel.from_params(table, balance)
    expected = brute_force_posterior(table, balance, L)
    assert np.allclose(model.predict_proba(L), expected, rtol=0, atol=1e-12)
    assert model.predict_proba(L).shape == (300, K)


@pytest.mark.parametrize("which", ["binary", "multi"])
def test_posterior_of_fitted_model_matches_brute_force(binary_data, multi_data, which):
    L, _ = binary_data if which == "binary" else multi_data
    K = 2 if which == "binary" else 4
    model = LabelModel(K).fit(L[:20_000])
    rows = L[20_000:20_300]
    expected = brute_force_posterior(
        model.cond_probs_, model.class_balance_, rows, model.abstention_weights_
    )
    assert np.allclose(model.predict_proba(rows), expected, rtol=0, atol=1e-12)


def test_all_abstain_row_gets_exactly_the_class_balance():
    # FlyingSquid gives 0.155 here (the prior multiplied in twice); the Bayes answer is 0.3.
    table = np.stack([lf_table(2, acc, 0.4) for acc in (0.9, 0.8, 0.7)])
    model = LabelModel.from_params(table, [0.7, 0.3])
    proba = model.predict_proba(np.full((1, 3), -1))
    assert proba[0, 1] == pytest.approx(0.3, abs=1e-12)
    multi = LabelModel.from_params(MULTI_TABLE[:7], MULTI_BALANCE)  # symmetric LFs only
    assert np.allclose(multi.predict_proba(np.full((2, 7), -1)), MULTI_BALANCE, atol=1e-12)


def test_all_abstain_row_of_fitted_model_is_close_to_the_balance():
    table = np.stack([lf_table(2, acc, 0.4) for acc in (0.9, 0.8, 0.75, 0.7)])
    L, _ = sample(table, BINARY_BALANCE, 100_000, seed=5)
    model = LabelModel().fit(L)
    proba = model.predict_proba(np.full((1, 4), -1))[0]
    assert np.allclose(proba, model.class_balance_, atol=0.02)


def test_class_dependent_abstention_moves_all_abstain_rows():
    # LF 0 abstains far more on class 0: silence is evidence for class 0.
    model = LabelModel.from_params(BINARY_TABLE, BINARY_BALANCE)
    proba = model.predict_proba(np.full((1, BINARY_TABLE.shape[0]), -1))[0]
    expected = brute_force_posterior(BINARY_TABLE, BINARY_BALANCE, np.full((1, 8), -1))[0]
    assert np.allclose(proba, expected)
    assert proba[0] > BINARY_BALANCE[0]


def test_binary_fast_path_equals_general_softmax(binary_data):
    L, _ = binary_data
    model = LabelModel().fit(L[:5000])
    log_joint = model.predict_log_joint(L[:1000])
    general = np.exp(log_joint - log_joint.max(axis=1, keepdims=True))
    general /= general.sum(axis=1, keepdims=True)
    assert np.allclose(model.predict_proba(L[:1000]), general, rtol=0, atol=1e-12)


def test_predict_proba_is_vectorised():
    rng = np.random.default_rng(0)
    L = rng.integers(-1, 2, size=(200_000, 20))
    model = LabelModel().fit(L[:2000])
    start = time.perf_counter()
    proba = model.predict_proba(L)
    elapsed = time.perf_counter() - start
    assert proba.shape == (200_000, 2)
    # ~30 ms when vectorised; a Python loop over rows takes several seconds.
    assert elapsed < 2.0


# --------------------------------------------------------------------------------------------
# Degenerate inputs: warnings, fallbacks, never NaN


def _fit_quietly(model, L, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(L, **kwargs)
    return [w for w in caught if issubclass(w.category, LabelModelWarning)]


def _assert_valid(proba: np.ndarray) -> None:
    assert np.all(np.isfinite(proba))
    assert np.all((proba >= 0) & (proba <= 1))
    assert np.allclose(proba.sum(axis=1), 1.0)


@pytest.mark.parametrize("m", [1, 2])
def test_fewer_than_three_lfs_fall_back_with_a_warning(binary_data, m):
    L, y = binary_data
    model = LabelModel()
    caught = _fit_quietly(model, L[:, :m])
    assert caught and "triplets need at least 3" in str(caught[0].message)
    assert np.all(np.isfinite(model.accuracies_)) and np.all(np.isfinite(model.cond_probs_))
    proba = model.predict_proba(L[:, :m])
    _assert_valid(proba)
    # With one LF the prediction follows its vote wherever it votes.
    if m == 1:
        voted = L[:, 0] != -1
        assert np.array_equal(proba[voted].argmax(axis=1), L[voted, 0])


def test_lf_that_never_votes(binary_data):
    L, _ = binary_data
    silent = np.concatenate([L[:20_000], np.full((20_000, 1), -1)], axis=1)
    model = LabelModel()
    caught = _fit_quietly(model, silent)
    assert any("never vote" in str(w.message) for w in caught)
    assert np.all(np.isfinite(model.accuracies_))
    assert model.coverage_[-1] == 0
    reference = LabelModel().fit(L[:20_000])
    assert np.allclose(model.predict_proba(silent[:500]), reference.predict_proba(L[:500]))


def test_lfs_that_never_overlap():
    # Four LFs, each voting on its own quarter of the rows: no covariance to learn from.
    n = 4000
    y = np.arange(n) % 2
    L = np.full((n, 4), -1)
    for j in range(4):
        rows = slice(j * n // 4, (j + 1) * n // 4)
        L[rows, j] = y[rows]
    model = LabelModel()
    caught = _fit_quietly(model, L)
    # Nothing to act on for the LFs (the prior is the estimate for such an LF): no warning
    # about them, only the attribute identified_ (the class balance's warning says what to do).
    assert not any("prior precision" in str(w.message) for w in caught)
    assert not model.identified_.any()
    proba = model.predict_proba(L)
    _assert_valid(proba)
    assert np.array_equal(proba.argmax(axis=1), y)  # every row follows its single vote


def test_no_lf_ever_votes():
    model = LabelModel(3)
    caught = _fit_quietly(model, np.full((50, 4), -1))
    assert caught
    proba = model.predict_proba(np.full((3, 4), -1))
    assert np.allclose(proba, model.class_balance_)
    assert np.all(np.isfinite(model.accuracies_))


def test_unipolar_lfs_put_no_mass_on_votes_they_never_cast(binary_data):
    L, _ = binary_data
    model = LabelModel().fit(L)
    assert not model.emitted_[6, 1] and not model.emitted_[7, 2]  # LF 6 never votes 0, 7 never 1
    assert np.all(model.cond_probs_[6, 1, :] == 0) and np.all(model.cond_probs_[7, 2, :] == 0)
    assert np.allclose(model.cond_probs_.sum(axis=1), 1.0)
    # At predict time an unseen vote counts as no evidence at all, never as NaN.
    row = L[:1].copy()
    row[0, 6] = 0
    expected = brute_force_posterior(
        model.cond_probs_, model.class_balance_, row, model.abstention_weights_
    )
    assert np.allclose(model.predict_proba(row), expected)


def test_lf_that_always_votes_has_no_abstention_mass():
    rng = np.random.default_rng(6)
    y = rng.integers(0, 2, 5000)
    noisy = np.where(rng.random((5000, 4)) < 0.8, y[:, None], 1 - y[:, None])
    model = LabelModel().fit(noisy)
    assert not model.emitted_[:, 0].any()
    assert np.all(model.cond_probs_[:, 0, :] == 0)
    assert np.abs(model.accuracies_ - 0.8).max() < 0.03


# --------------------------------------------------------------------------------------------
# Properties over random shapes


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 60),
    m=st.integers(1, 6),
    K=st.integers(2, 5),
    density=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**31 - 1),
    aggregation=st.sampled_from(["median", "mean"]),
)
def test_random_inputs_give_valid_probabilities(n, m, K, density, seed, aggregation):
    rng = np.random.default_rng(seed)
    L = np.where(rng.random((n, m)) < density, rng.integers(0, K, (n, m)), -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LabelModelWarning)
        model = LabelModel(K, aggregation=aggregation).fit(L)
    proba = model.predict_proba(L)
    assert proba.shape == (n, K)
    _assert_valid(proba)
    assert np.all(np.isfinite(model.accuracies_)) and np.all(np.isfinite(model.class_balance_))
    assert np.isclose(model.class_balance_.sum(), 1.0)
    pred = model.predict(L)
    assert pred.shape == (n,) and pred.min() >= -1 and pred.max() < K
    assert np.array_equal(pred[pred >= 0], proba[pred >= 0].argmax(axis=1))


# --------------------------------------------------------------------------------------------
# Estimator protocol, ties, scores


def test_params_protocol():
    model = LabelModel(3, class_balance="dev", prior_strength=5.0)
    params = model.get_params()
    assert params["cardinality"] == 3 and params["class_balance"] == "dev"
    assert params["prior_strength"] == 5.0 and params["method"] == "triplet"
    assert model.set_params(aggregation="mean") is model and model.aggregation == "mean"
    with pytest.raises(ValueError, match="set_params: expected a parameter"):
        model.set_params(learning_rate=0.1)
    assert repr(model) == (
        "LabelModel(aggregation='mean', cardinality=3, class_balance='dev', prior_strength=5.0)"
    )
    assert not hasattr(LabelModel(), "class_balance_")  # __init__ learns nothing


def test_sklearn_clone_works():
    base = pytest.importorskip("sklearn.base")
    model = LabelModel(4, class_balance=np.array([0.1, 0.2, 0.3, 0.4]), min_z=1.5)
    clone = base.clone(model)
    assert clone.get_params()["min_z"] == 1.5 and clone is not model


def test_fit_ignores_y_and_keeps_the_input(binary_data):
    L, y = binary_data
    L = L[:5000].copy()
    L.setflags(write=False)  # read-only input works, and is never written to
    before = L.copy()
    a = LabelModel().fit(L)
    b = LabelModel().fit(L, y[:5000])
    assert np.array_equal(L, before)
    assert np.array_equal(a.cond_probs_, b.cond_probs_)
    a.predict_proba(L)
    assert np.array_equal(L, before)


def test_tie_break_policies():
    table = np.stack([lf_table(2, 0.8, 0.5)] * 3)
    model = LabelModel.from_params(table, [0.5, 0.5])
    L = np.full((400, 3), -1)
    L[0] = [0, 1, -1]  # a genuine tie too
    assert np.all(model.predict(L) == -1)
    assert np.all(model.predict(L, tie_break_policy="lowest") == 0)
    random = model.predict(L, tie_break_policy="random", random_state=0)
    assert set(random) == {0, 1}
    assert np.array_equal(random, model.predict(L, tie_break_policy="random", random_state=0))
    clear = model.predict(np.array([[1, 1, -1]]))
    assert clear[0] == 1


def test_score_returns_requested_metrics(binary_data, multi_data):
    L, y = binary_data
    model = LabelModel().fit(L[:20_000])
    scores = model.score(L[:2000], y[:2000], metrics=["accuracy", "f1", "macro_f1"])
    pred = model.predict(L[:2000])
    assert scores == {
        "accuracy": metrics.accuracy(y[:2000], pred),
        "f1": metrics.f1(y[:2000], pred),
        "macro_f1": metrics.macro_f1(y[:2000], pred, 2),
    }
    # One metric by name: a float (scikit-learn's score); a list of names: a dict.
    accuracy = model.score(L[:10], y[:10])
    assert type(accuracy) is float
    assert accuracy == metrics.accuracy(y[:10], model.predict(L[:10]))
    assert model.score(L[:10], y[:10], metrics=["accuracy"]) == {"accuracy": accuracy}
    L4, y4 = multi_data
    model4 = LabelModel(4).fit(L4[:20_000])
    macro = model4.score(L4[:500], y4[:500], metrics="macro_f1")
    assert macro == metrics.macro_f1(y4[:500], model4.predict(L4[:500]), 4)
    assert set(model4.score(L4[:500], y4[:500], metrics=("macro_f1",))) == {"macro_f1"}
    with pytest.raises(ValueError, match="'f1' is the binary F1"):
        model4.score(L4[:500], y4[:500], metrics=["f1"])


def test_metrics_match_scikit_learn():
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(7)
    y = rng.integers(0, 3, 300)
    pred = np.where(rng.random(300) < 0.7, y, rng.integers(-1, 3, 300))
    assert metrics.accuracy(y, pred) == pytest.approx(skm.accuracy_score(y, pred))
    assert metrics.macro_f1(y, pred, 3) == pytest.approx(
        skm.f1_score(y, pred, labels=[0, 1, 2], average="macro", zero_division=0)
    )
    yb, pb = y % 2, np.where(pred >= 0, pred % 2, -1)
    assert metrics.f1(yb, pb) == pytest.approx(
        skm.f1_score(yb, pb, labels=[1], average="macro", zero_division=0)
    )


# --------------------------------------------------------------------------------------------
# Bad input


L_OK = np.array([[0, 1, -1], [1, 1, 0], [-1, 0, 0], [1, -1, 1]])


@pytest.mark.parametrize(
    ("init", "fit_args", "error", "pattern"),
    [
        ({}, {"L": L_OK.astype(float)}, TypeError, r"L: expected an integer vote matrix"),
        ({}, {"L": L_OK + 1}, ValueError, r"L: expected votes .* class 0\.\.1 .*got 2"),
        ({}, {"L": L_OK - 1}, ValueError, r"L: expected votes of -1 .*got -2"),
        ({}, {"L": L_OK[0]}, ValueError, r"L: expected a 2-D array"),
        ({}, {"L": None}, TypeError, r"L: expected an array, got None"),
        ({"cardinality": 1}, {}, ValueError, r"cardinality: expected an int >= 2, got 1"),
        ({"cardinality": 2.5}, {}, TypeError, r"cardinality: expected an int"),
        ({"method": "sgd"}, {}, ValueError, r"method: expected one of"),
        ({"aggregation": "mode"}, {}, ValueError, r"aggregation: expected one of"),
        ({"class_balance": [0.5, 0.3, 0.2]}, {}, ValueError, r"class_balance: expected shape"),
        ({"class_balance": [1.2, -0.2]}, {}, ValueError, r"class_balance: expected positive"),
        ({"class_balance": "test"}, {}, ValueError, r"class_balance: expected None, one of"),
        ({"class_balance": "dev"}, {}, ValueError, r"y_dev: class_balance='dev' needs"),
        (
            {"class_balance": "majority"},
            {"y_dev": [0, 1]},
            ValueError,
            r"y_dev: only used with class_balance='dev' or 'likelihood'",
        ),
        (
            {"class_balance": [0.5, 0.5]},
            {"y_dev": [0, 1]},
            ValueError,
            r"y_dev: only used .* got a fixed class_balance",
        ),
        ({}, {"y_dev": [0, 2]}, ValueError, r"y_dev: expected classes 0"),
        ({"class_balance": "dev"}, {"y_dev": [0, 2]}, ValueError, r"y_dev: expected classes 0"),
        ({"class_balance": "dev"}, {"y_dev": [0.0, 1.0]}, TypeError, r"y_dev: expected integer"),
        ({"prior_accuracy": 1.5}, {}, ValueError, r"prior_accuracy: expected None or a number"),
        ({"prior_strength": -1}, {}, ValueError, r"prior_strength: expected a number >= 0"),
        ({"chunk_size": 0}, {}, ValueError, r"chunk_size: expected a positive int"),
    ],
)
def test_fit_rejects_bad_input(init, fit_args, error, pattern):
    args = {"L": L_OK, **fit_args}
    with pytest.raises(error, match=pattern):
        LabelModel(**init).fit(args.pop("L"), **args)


def test_predict_and_score_reject_bad_input():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        LabelModel().predict_proba(L_OK)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LabelModelWarning)
        model = LabelModel().fit(L_OK)
    with pytest.raises(ValueError, match=r"L: expected 3 columns .*got 2"):
        model.predict_proba(L_OK[:, :2])
    with pytest.raises(ValueError, match=r"tie_break_policy: expected one of"):
        model.predict(L_OK, tie_break_policy="first")
    with pytest.raises(ValueError, match=r"y: expected 4 labels|same number of rows"):
        model.score(L_OK, [0, 1])
    with pytest.raises(ValueError, match=r"y: expected classes 0\.\.1"):
        model.score(L_OK, [0, 1, 2, 0])
    with pytest.raises(ValueError, match=r"metrics: expected names among"):
        model.score(L_OK, [0, 1, 1, 0], metrics=["auc"])
    with pytest.raises(ValueError, match=r"cond_probs: expected every"):
        LabelModel.from_params(np.ones((2, 3, 2)), [0.5, 0.5])


# --------------------------------------------------------------------------------------------
# Real datasets: fit on train votes, class balance from the votes (or dev labels), score on test
# (tennis has no test split: its valid split is scored, so its dev labels are never used).

DATASETS = {"youtube": "test", "sms": "test", "trec": "test", "tennis": "valid"}
# Floors a little under what the model scores today, to catch regressions (see the bench).
TRIPLET_FLOORS = {"youtube": 0.83, "sms": 0.89, "trec": 0.58, "tennis": 0.87}


def _real(data_dir, name):
    L_train, _ = load_votes(data_dir, name, "train")
    L_valid, y_valid = load_votes(data_dir, name, "valid")
    L_eval, y_eval = load_votes(data_dir, name, DATASETS[name])
    K = int(max(L_train.max(), y_valid.max())) + 1
    return K, L_train, y_valid, L_eval, y_eval


def test_triplet_beats_majority_vote_on_real_data(data_dir):
    model_acc, mv_acc = {}, {}
    for name in DATASETS:
        K, L_train, y_valid, L_eval, y_eval = _real(data_dir, name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LabelModelWarning)
            model = LabelModel(K).fit(L_train)
        model_acc[name] = model.score(L_eval, y_eval, tie_break_policy="lowest")
        # MV as in the data README: ties to the lowest class, uncovered rows to the most frequent
        # dev class (tennis has no uncovered rows, and its valid labels are the scored ones).
        dev = {"class_balance": "dev"} if name != "tennis" else {}
        voter = MajorityVoter(K, **dev).fit(L_train, y_dev=y_valid if dev else None)
        mv_acc[name] = voter.score(L_eval, y_eval, tie_break_policy="lowest")
        assert model_acc[name] >= TRIPLET_FLOORS[name], (name, model_acc[name])
    assert np.mean(list(model_acc.values())) >= np.mean(list(mv_acc.values())) + 0.01, (
        model_acc,
        mv_acc,
    )


def test_dev_class_balance_on_real_data(data_dir):
    gains = []
    for name in ("youtube", "sms", "trec"):
        K, L_train, y_valid, L_eval, y_eval = _real(data_dir, name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LabelModelWarning)
            model = LabelModel(K, class_balance="dev").fit(L_train, y_dev=y_valid)
        smoothed = (np.bincount(y_valid, minlength=K) + 1) / (y_valid.size + K)
        assert np.allclose(model.class_balance_, smoothed)
        voter = MajorityVoter(K, class_balance="dev").fit(L_train, y_dev=y_valid)
        gains.append(
            model.score(L_eval, y_eval, tie_break_policy="lowest")
            - voter.score(L_eval, y_eval, tie_break_policy="lowest")
        )
    # Dev balances are noisy (120-500 items; trec's test balance differs from its dev's): the
    # mode must not lose to majority vote on average, and today gains +0.003 (see the bench).
    assert np.mean(gains) >= 0.0, gains
