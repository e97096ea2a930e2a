"""The incremental Session: after every edit, bit for bit what a from-scratch Liger.fit computes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import liger
from liger import Liger, Session
from liger.extension.tuning import DEFAULT_LEVELS, threshold_grid
from liger.extension.tuning import NearestVotes as _NearestVotes

from ..helpers.sessions import make_problem, session_of, three, votes_of

settings.register_profile("liger", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("liger")


@pytest.fixture(autouse=True)
def _quiet_label_model():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


LIGER_PARAMS = ("metric", "label_model", "class_balance", "tune_metric", "min_gain")


def assert_matches_from_scratch(session, problem, thresholds=None, **params):
    """The session's every output equals a fresh Liger fitted on the session's current votes
    (both make their choices by the same rule: ``model_selection`` of the session)."""
    (_, X, _), (_, X_dev, _), (_, X_test, _) = problem
    L = session.votes("train")
    L_dev, L_test = session.votes("dev"), session.votes("test")
    y_dev = session._splits["dev"].y
    setting = session.thresholds_ if thresholds is None else thresholds
    params = {"model_selection": session.model_selection, **params}
    model = Liger(thresholds=setting, **params).fit(L, X, L_dev, X_dev, y_dev)
    np.testing.assert_array_equal(model.thresholds_, session.thresholds_)
    if isinstance(setting, str):
        np.testing.assert_array_equal(model.levels_, session.levels_)
    for name, votes, points in (("train", L, X), ("dev", L_dev, X_dev), ("test", L_test, X_test)):
        np.testing.assert_array_equal(
            model.transform(votes, points), session.votes(name, extended=True)
        )
        np.testing.assert_array_equal(
            model.predict_proba(votes, points), session.predict_proba(name)
        )
    assert model.dev_score_ == session.dev_score_
    # The dev guard decided the same (majority vote or the label model), on the same numbers.
    assert model.fallback_ == session.fallback_
    assert model.guard_ == session.guard_
    assert type(model.global_label_model_) is type(session.label_model_)
    np.testing.assert_array_equal(
        model.global_label_model_.class_balance_, session.label_model_.class_balance_
    )
    return model


@st.composite
def edit_scripts(draw):
    steps = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["set", "set_empty", "add", "remove", "threshold", "keep"]),
                st.integers(0, 2**31 - 1),
            ),
            min_size=1,
            max_size=5,
        )
    )
    return steps


@given(
    st.integers(0, 2**31 - 1),
    st.sampled_from(["cosine", "ip", "euclidean"]),
    st.sampled_from([2, 3]),
    st.booleans(),
    edit_scripts(),
    st.integers(1, 6),
)
@settings(max_examples=40)
def test_every_edit_matches_a_from_scratch_fit(seed, metric, K, grid, script, k):
    """Random edit scripts (new votes, empty supports, added and removed LFs, moved thresholds),
    integer embeddings with exact ties, small k (many fallback points)."""
    problem = make_problem(seed, n=120, n_dev=30, n_test=20, d=4, m=4, K=K, grid=grid)
    (L, X, _), (L_dev, X_dev, y_dev), (L_test, X_test, _) = problem
    rng = np.random.default_rng(seed)
    # Fixed thresholds at a quantile of the scores, so that extension happens.
    scores, _ = liger.nearest_support(X, X, L, metric=metric)
    finite = scores[np.isfinite(scores)]
    start = float(np.quantile(finite, 0.6 if metric == "euclidean" else 0.4)) if finite.size else 0
    session = session_of(problem, metric=metric, thresholds=start, k=k, retune=None)
    assert_matches_from_scratch(session, problem, metric=metric)
    sizes = {"train": 120, "dev": 30, "test": 20}
    for action, salt in script:
        r = np.random.default_rng(salt)
        m = session.n_lfs_
        j = int(r.integers(0, m))
        if action in ("set", "set_empty", "add"):
            coverage = 0.0 if action == "set_empty" else float(r.choice([0.05, 0.2, 0.6]))
            cols = {s: votes_of(r, size, K, coverage) for s, size in sizes.items()}
            threshold = float(r.choice(finite)) if finite.size and r.random() < 0.5 else None
            if action == "add":
                report = session.add_lf(
                    cols["train"], dev=cols["dev"], test=cols["test"], threshold=threshold
                )
                assert report.lf == m and session.n_lfs_ == m + 1
            else:
                report = session.set_lf(j, cols["train"], dev=cols["dev"], test=cols["test"])
        elif action == "remove" and m > 1:
            report = session.remove_lf(j)
        elif action == "threshold" and finite.size:
            report = session.set_thresholds({j: float(r.choice(finite))})
        else:
            report = session.set_thresholds(session.thresholds_.copy())
            assert report.thresholds_changed.size == 0
        assert_matches_from_scratch(session, problem, metric=metric)
    del rng


def test_retune_all_matches_from_scratch_tuning():
    problem = make_problem(1)
    session = session_of(problem, retune="all")
    assert_matches_from_scratch(session, problem, thresholds="tune")
    rng = np.random.default_rng(5)
    for j in (0, 3):
        cols = {s: votes_of(rng, n, 2, 0.3) for s, n in (("train", 300), ("dev", 60), ("test", 40))}
        session.set_lf(j, cols["train"], dev=cols["dev"], test=cols["test"])
        assert_matches_from_scratch(session, problem, thresholds="tune")
    session.add_lf(*three(rng, 0.2)[:1], dev=three(rng, 0.2)[1], test=three(rng, 0.2)[2])
    assert_matches_from_scratch(session, problem, thresholds="tune")
    session.remove_lf(1)
    assert_matches_from_scratch(session, problem, thresholds="tune")
    session.set_thresholds(0.9)
    assert_matches_from_scratch(session, problem)
    session.set_thresholds("tune")
    assert_matches_from_scratch(session, problem, thresholds="tune")


def reference_retune_lf(session_before, problem, j, new_votes, min_gain=0.01):
    """The guarded one-LF step, recomputed from scratch: LF j's grid from a fresh nearest-support
    search, each candidate scored by a fresh Liger fit, moves kept only on a gain of min_gain."""
    (_, X, _), (_, X_dev, _), _ = problem
    L = session_before.votes("train")
    L[:, j] = new_votes["train"]
    L_dev = session_before.votes("dev")
    L_dev[:, j] = new_votes["dev"]
    y_dev = session_before._splits["dev"].y
    scores, indices = liger.nearest_support(X, X, L)
    train = _NearestVotes.from_search(L, scores, indices, L, "cosine")
    grid = threshold_grid(train, DEFAULT_LEVELS)[j]
    levels = np.asarray(DEFAULT_LEVELS)
    level = session_before.levels_[j]
    if not np.isfinite(level):
        level = session_before._global_level
    g = int(np.argmin(np.abs(levels - level))) if np.isfinite(level) else 0

    def dev_score(g):
        # The label model's dev score (what the tuning compares), before the dev guard.
        thresholds = session_before.thresholds_.copy()
        thresholds[j] = grid[g]
        fresh = Liger(thresholds=thresholds, model_selection="dev")
        return fresh.fit(L, X, L_dev, X_dev, y_dev).guard_.label_model

    best = dev_score(g)
    if not np.isnan(grid).all():
        for _ in range(2):
            moved = False
            for candidate in range(len(levels)):
                if candidate != g:
                    score = dev_score(candidate)
                    if score >= best + min_gain:
                        best, g, moved = score, candidate, True
            if not moved:
                break
    return grid[g], levels[g], best


@pytest.mark.parametrize("seed", [2, 3])
def test_retune_lf_is_the_guarded_step_recomputed_from_scratch(seed):
    problem = make_problem(seed)
    # The in-sample rule (the dev guard's score is what the step compares); the cross-validated
    # one is checked by test_cv_session_matches_from_scratch_fits.
    session = session_of(problem, model_selection="dev")  # retune "auto" -> "lf"
    assert session.retune == "lf"
    rng = np.random.default_rng(seed)
    for j in (1, 4):
        train, dev, test = three(rng, 0.3)
        expected = reference_retune_lf(session, problem, j, {"train": train, "dev": dev})
        session.set_lf(j, train, dev=dev, test=test)
        assert session.thresholds_[j] == np.float32(expected[0]) or (
            np.isnan(session.thresholds_[j]) and np.isnan(expected[0])
        )
        assert session.levels_[j] == expected[1]
        assert session.guard_.label_model == expected[2]
        assert_matches_from_scratch(session, problem, thresholds=session.thresholds_.copy())
    # A new LF starts from the global level of the last full tuning and is re-tuned alone.
    train, dev, test = three(rng, 0.3)
    others = session.thresholds_.copy()
    session.add_lf(train, dev=dev, test=test)
    np.testing.assert_array_equal(session.thresholds_[:-1], others)
    assert np.isfinite(session.levels_[-1])
    assert_matches_from_scratch(session, problem, thresholds=session.thresholds_.copy())


def _guard_problem(seed):
    """Six LFs of accuracy 0.75 on random-ish embeddings (as tests/test_guard.py)."""

    def split(n, salt):
        rng = np.random.default_rng(seed * 100 + salt)
        y = rng.integers(0, 2, n)
        votes = rng.random((n, 6)) < 0.4
        right = rng.random((n, 6)) < 0.75
        L = np.where(votes, np.where(right, y[:, None], 1 - y[:, None]), -1)
        X = (rng.standard_normal((n, 8)) + 2 * y[:, None]).astype(np.float32)
        return L, X, y

    return split(600, 0), split(120, 1), split(50, 2)


def test_dev_guard_runs_after_every_step_as_in_liger_fit():
    """A class balance far from the truth makes the label model lose to majority vote on dev:
    the session falls back exactly when a from-scratch fit does, step after step, both ways."""
    balance = [0.02, 0.98]
    problem = _guard_problem(0)
    (_, _, y), (_, _, y_dev), (_, _, y_test) = problem
    session = session_of(problem, thresholds=0.9, class_balance=balance, retune=None)
    assert session.fallback_ == "majority" and session.last_edit_.fallback == "majority"
    assert isinstance(session.label_model_, liger.MajorityVoter)
    assert_matches_from_scratch(session, problem, class_balance=balance)
    rng = np.random.default_rng(0)
    for j in range(3):
        cols = [np.where(rng.random(v.size) < 0.6, v, -1) for v in (y, y_dev, y_test)]
        report = session.set_lf(j, cols[0], dev=cols[1], test=cols[2])
        assert report.fallback == session.fallback_
        assert_matches_from_scratch(session, problem, class_balance=balance)
    # Dev labels the skewed model fits: the guard keeps it; then the true labels again.
    session.set_dev_labels(np.ones_like(y_dev))
    assert session.fallback_ is None and "dev guard" not in str(session.last_edit_)
    assert_matches_from_scratch(session, problem, class_balance=balance)
    session.set_thresholds(0.5)
    assert_matches_from_scratch(session, problem, class_balance=balance)
    session.set_dev_labels(y_dev)
    assert session.fallback_ == "majority" and "majority vote (dev guard)" in str(
        session.last_edit_
    )
    assert_matches_from_scratch(session, problem, class_balance=balance)
    # Removing and adding an LF: the guard follows too.
    session.remove_lf(5)
    assert_matches_from_scratch(session, problem, class_balance=balance)
    session.add_lf(y, dev=y_dev, test=y_test, threshold=0.5)
    assert_matches_from_scratch(session, problem, class_balance=balance)


def test_dev_guard_does_not_change_what_tuning_scores():
    """Tuning scores thresholds with the label model, the guard runs after it (as Liger.fit):
    with a fallback in place, re-tuning still matches a from-scratch tuned fit."""
    balance = [0.02, 0.98]
    problem = _guard_problem(1)
    (_, _, y), (_, _, y_dev), (_, _, y_test) = problem
    session = session_of(problem, class_balance=balance, retune="all")
    assert session.fallback_ == "majority"
    assert_matches_from_scratch(session, problem, thresholds="tune", class_balance=balance)
    rng = np.random.default_rng(1)
    cols = [np.where(rng.random(v.size) < 0.3, 1 - v, -1) for v in (y, y_dev, y_test)]
    session.set_lf(2, cols[0], dev=cols[1], test=cols[2])
    assert_matches_from_scratch(session, problem, thresholds="tune", class_balance=balance)
    session.set_thresholds("tune")
    assert_matches_from_scratch(session, problem, thresholds="tune", class_balance=balance)


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("n_partitions", 2),
        ("n_partitions", "tune"),
        ("n_partitions", True),
        ("fit_on", "extended"),
        ("extension", "radius"),
        ("extension", "tune"),
    ],
)
def test_settings_without_an_incremental_update_are_rejected_by_name(param, value):
    (L, X, _), dev, _ = make_problem(5)
    with pytest.raises(ValueError, match=rf"^{param}: a Session supports only"):
        Session(L, X, dev=dev, **{param: value})
    # Liger's defaults are accepted (they are what a session computes).
    Session(L, X, dev=dev, thresholds=0.2, retune=None, n_partitions=1, fit_on="original")


def test_edit_report_says_what_changed():
    problem = make_problem(4)
    session = session_of(problem, thresholds=0.5, retune=None)
    before = {s: session.predict(s).copy() for s in session.splits}
    dev_before = session.dev_score_
    report = session.set_lf(0, np.full(300, -1), dev=np.full(60, -1), test=np.full(40, -1))
    assert report is session.last_edit_ and session.history_[-1] is report
    assert report.action == "set_lf" and report.lf == 0
    for s in session.splits:
        assert report.flipped[s] == np.count_nonzero(session.predict(s) != before[s])
    assert report.dev_score_before == dev_before and report.dev_score_after == session.dev_score_
    stages = {"statistics", "label_model", "neighbours", "extension", "posterior", "total"}
    assert set(report.seconds) >= stages
    assert "set_lf (LF 0)" in str(report)
    table = session.lf_summary()
    assert table.coverage[0] == 0 and table.names[0] == "lf0"


def test_empty_supports_and_named_lfs():
    problem = make_problem(6, m=3)
    (L, X, _), (L_dev, X_dev, y_dev), (L_test, X_test, _) = problem
    L = L.copy()
    L[:, 2] = -1  # an LF with an empty support from the start
    session = Session(
        L,
        X,
        dev=(L_dev, X_dev, y_dev),
        test=(L_test, X_test),
        names=["a", "b", "c"],
        thresholds=0.0,
        retune=None,
    )
    assert_matches_from_scratch(session, problem)
    rng = np.random.default_rng(0)
    train, dev, test = three(rng, 0.3)
    session.set_lf("c", train, dev=dev, test=test)  # the empty support fills up
    assert_matches_from_scratch(session, problem)
    session.set_lf("a", np.full(300, -1), dev=dev, test=test)  # and another one empties
    assert_matches_from_scratch(session, problem)
    session.add_lf(train, dev=dev, test=test, name="d", threshold=0.2)
    assert session.lf_names_ == ["a", "b", "c", "d"]
    assert_matches_from_scratch(session, problem)
    session.remove_lf("b")
    assert session.lf_names_ == ["a", "c", "d"]
    assert_matches_from_scratch(session, problem)


@pytest.mark.parametrize(
    "params",
    [
        {"class_balance": "dev"},
        {"class_balance": "likelihood+dev"},
        {"label_model": "majority"},
        {"class_balance": [0.3, 0.7]},
    ],
)
def test_dev_labels_and_class_balance_options(params):
    problem = make_problem(7)
    session = session_of(problem, thresholds=0.3, retune=None, **params)
    assert_matches_from_scratch(session, problem, **params)
    rng = np.random.default_rng(1)
    y_new = rng.integers(0, 2, 60)
    session.set_dev_labels(y_new)
    session._splits["dev"].y  # noqa: B018 (the session keeps its own copy)
    assert_matches_from_scratch(session, problem, **params)
    train, dev, test = three(rng, 0.2)
    session.set_lf(2, train, dev=dev, test=test)
    assert_matches_from_scratch(session, problem, **params)


def test_set_dev_labels_retunes_all_when_the_session_tunes():
    problem = make_problem(8)
    session = session_of(problem)
    y_new = np.random.default_rng(2).integers(0, 2, 60)
    session.set_dev_labels(y_new)
    assert_matches_from_scratch(session, problem, thresholds="tune")


def test_multiclass_and_youtube_edit_match_from_scratch():
    problem = make_problem(9, K=3, m=6)
    session = session_of(problem, thresholds="tune", retune="all")
    assert_matches_from_scratch(session, problem, thresholds="tune")
    train, dev, test = three(np.random.default_rng(3), 0.3, K=3)
    session.set_lf(5, train, dev=dev, test=test)
    assert_matches_from_scratch(session, problem, thresholds="tune")

    ds = liger.load_example("youtube")
    session = Session(
        ds.train.L,
        ds.train.X,
        dev=(ds.valid.L, ds.valid.X, ds.valid.y),
        test=(ds.test.L, ds.test.X),
        names=ds.lf_names,
        retune=None,
    )
    model = Liger().fit(ds.train.L, ds.train.X, ds.valid.L, ds.valid.X, ds.valid.y)
    np.testing.assert_array_equal(model.thresholds_, session.thresholds_)
    L = ds.train.L.copy()
    L[::2, 4] = -1  # halve one LF's support
    session.set_lf(4, L[:, 4], dev=ds.valid.L[:, 4], test=ds.test.L[:, 4])
    fresh = Liger(thresholds=session.thresholds_).fit(
        L, ds.train.X, ds.valid.L, ds.valid.X, ds.valid.y
    )
    np.testing.assert_array_equal(fresh.predict_proba(L, ds.train.X), session.predict_proba())
    np.testing.assert_array_equal(
        fresh.predict_proba(ds.test.L, ds.test.X), session.predict_proba("test")
    )


def test_inputs_are_not_modified_and_outputs_are_read_only():
    problem = make_problem(10)
    copies = [[a.copy() for a in part] for part in problem]
    session = session_of(problem, thresholds=0.2, retune=None)
    votes = np.full(300, -1)
    session.set_lf(0, votes, dev=np.zeros(60, dtype=int), test=np.zeros(40, dtype=int))
    for part, saved in zip(problem, copies):
        for a, b in zip(part, saved):
            np.testing.assert_array_equal(a, b)
    proba = session.predict_proba("dev")
    with pytest.raises(ValueError):
        proba[0, 0] = 1.0


def test_end_model_is_refitted_warm_after_an_edit():
    """The first end model is Liger's (cross-validated); after an edit it is refitted warm (the
    chosen penalty kept, started from the previous coefficients), as Liger(warm_start=True)."""
    problem = make_problem(11)
    session = session_of(problem, thresholds=0.3, retune=None, end_model="logreg", random_state=0)
    (_, X, _), (_, X_dev, y_dev), (_, X_test, _) = problem
    first = session.predict_proba("test", source="end_model")
    model = Liger(thresholds=0.3, end_model="logreg", warm_start=True, random_state=0)
    model.fit(session.votes("train"), X, session.votes("dev"), X_dev, y_dev)
    np.testing.assert_allclose(model.predict_proba(session.votes("test"), X_test), first)
    penalty = session.end_model_.penalty_
    train, dev, test = three(np.random.default_rng(0), 0.5)
    session.set_lf(0, train, dev=dev, test=test)
    model.fit(session.votes("train"), X, session.votes("dev"), X_dev, y_dev)
    np.testing.assert_allclose(
        model.predict_proba(session.votes("test"), X_test),
        session.predict_proba("test", source="end_model"),
        rtol=1e-6,
    )
    assert session.end_model_.penalty_ == penalty
    np.testing.assert_array_equal(
        session.predict("dev", source="end_model"),
        np.argmax(session.end_model_.predict_proba(X_dev), axis=1),
    )


def test_bad_arguments_name_themselves():
    problem = make_problem(12)
    (L, X, _), (L_dev, X_dev, y_dev), _ = problem
    with pytest.raises(ValueError, match="dev: tuning"):
        Session(L, X)
    with pytest.raises(ValueError, match="retune: expected"):
        Session(L, X, thresholds=0.1, retune="some")
    with pytest.raises(ValueError, match="dev: expected a tuple"):
        Session(L, X, dev=L_dev)
    with pytest.raises(ValueError, match="threshold_search"):
        Session(L, X, dev=(L_dev, X_dev, y_dev), threshold_search="grid")
    with pytest.raises(ValueError, match="names: expected 5 distinct"):
        Session(L, X, thresholds=0.1, retune=None, names=["a"] * 5)
    session = session_of(problem, thresholds=0.1, retune=None)
    with pytest.raises(ValueError, match="votes: expected a 1-D array of 300"):
        session.set_lf(0, np.zeros(10, dtype=int), dev=np.zeros(60, int), test=np.zeros(40, int))
    with pytest.raises(ValueError, match="dev: expected the LF's votes on the dev split"):
        session.set_lf(0, np.zeros(300, dtype=int), test=np.zeros(40, int))
    with pytest.raises(ValueError, match=r"votes: expected votes in -1..1"):
        session.set_lf(0, np.full(300, 2), dev=np.zeros(60, int), test=np.zeros(40, int))
    with pytest.raises(TypeError, match="votes: expected an integer vote matrix"):
        session.set_lf(0, np.zeros(300), dev=np.zeros(60, int), test=np.zeros(40, int))
    with pytest.raises(ValueError, match="lf: expected an index in"):
        session.remove_lf(7)
    with pytest.raises(ValueError, match="lf: expected an LF name"):
        session.remove_lf("nope")
    with pytest.raises(ValueError, match="thresholds: expected 'tune'"):
        session.set_thresholds("best")
    with pytest.raises(ValueError, match="split: expected one of"):
        session.predict_proba("valid")
    with pytest.raises(ValueError, match="y_dev: expected 60 labels"):
        session.set_dev_labels([0, 1])
    with pytest.raises(ValueError, match="source: 'end_model' needs"):
        session.predict_proba(source="end_model")
    no_dev = Session(L, X, thresholds=0.1, retune=None)
    with pytest.raises(ValueError, match="dev: the session has no dev split"):
        no_dev.set_lf(0, np.zeros(300, int), dev=np.zeros(60, int))
    with pytest.raises(ValueError, match="retune: re-tuning needs a dev split"):
        no_dev.set_lf(0, np.zeros(300, int), retune="lf")


def test_fallback_points_are_searched_exactly_and_only_when_needed():
    """k = 1 leaves most points without a support point among their neighbours: a loose
    threshold must search them (exactly), a threshold stricter than every bound searches none."""
    problem = make_problem(13, n=400)
    session = session_of(problem, thresholds=None, retune=None, k=1)
    rng = np.random.default_rng(0)
    train, dev, test = three(rng, 0.05, sizes=(400, 60, 40))
    strict = session.set_lf(1, train, dev=dev, test=test, threshold=1.01)
    assert strict.fallback_points == 0
    assert_matches_from_scratch(session, problem)
    loose = session.set_thresholds({1: -1.0})
    assert loose.fallback_points > 0
    assert_matches_from_scratch(session, problem)
    again = session.set_thresholds({1: -0.5})  # already settled for a looser threshold: cached
    assert again.fallback_points == 0
    assert_matches_from_scratch(session, problem)


def test_cv_session_matches_from_scratch_fits():
    """The cross-validated rule: at the start and after a full re-tune the session equals
    ``Liger(thresholds="tune")``; after any other edit ``Liger(thresholds=session.thresholds_)``
    (the label recipe chosen again by cross-validation for those thresholds)."""
    problem = make_problem(6)
    session = session_of(problem, thresholds="tune")
    assert session.model_selection == "cv" and session.selection_ is not None
    model = assert_matches_from_scratch(session, problem, thresholds="tune")
    assert model.selection_.same_as(session.selection_)
    assert model.cv_score_ == session.cv_score_ and model.cv_se_ == session.cv_se_
    rng = np.random.default_rng(6)
    train, dev, test = three(rng, 0.3)
    session.set_lf(2, train, dev=dev, test=test)  # retune="lf": LF 2 in-sample, recipe by CV
    model = assert_matches_from_scratch(session, problem)
    assert model.selection_.same_as(session.selection_)
    session.set_thresholds({0: 0.1})
    assert_matches_from_scratch(session, problem)
    session.add_lf(*three(rng, 0.2)[:1], dev=three(rng, 0.2)[1], test=three(rng, 0.2)[2])
    assert_matches_from_scratch(session, problem)
    session.set_thresholds("tune")
    model = assert_matches_from_scratch(session, problem, thresholds="tune")
    assert model.selection_.same_as(session.selection_)
