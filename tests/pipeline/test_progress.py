"""liger.progress: the stages a build reports, the callback protocol, nesting, the tqdm bars (a
stand-in tqdm) and the stderr lines. (The core's reports during a long search, an exception of
the callback and Ctrl-C with progress on: tests/search/test_interrupts.py.)"""

from __future__ import annotations

import io
import sys
import types
import warnings

import numpy as np
import pytest

import liger
from liger import _progress
from liger._native import _core

from ..helpers.sessions import make_problem, session_of


def _recorded():
    calls = []
    return calls, lambda stage, done, total: calls.append((stage, done, total))


def _check_protocol(calls):
    """Each stage: (0, 0) first, done monotone and <= total, last done == total >= 1."""
    stages: dict[str, list] = {}
    current = None
    for stage, done, total in calls:
        if (done, total) == (0, 0):
            current = stages.setdefault(stage, [])
            current.append([])
        assert stage in stages
        stages[stage][-1].append((done, total))
    for runs in stages.values():
        for run in runs:
            dones = [d for d, _ in run]
            assert dones == sorted(dones)
            assert all(d <= t for d, t in run[1:])
            assert run[-1][0] == run[-1][1] >= 1
    del current
    return stages


def test_a_session_build_reports_its_stages():
    problem = make_problem(0)
    calls, record = _recorded()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with liger.progress(record):
            session = session_of(problem, end_model="logreg")
            session.predict_proba("test", source="end_model")
            column = [np.where(split[0][:, 0] == -1, 1, -1) for split in problem]
            session.add_lf(column[0], dev=column[1], test=column[2])
    stages = _check_protocol(calls)
    assert {"k-NN graphs", "end model"} <= set(stages)
    # The graph searches of every split count towards the one "k-NN graphs" stage.
    assert "k-NN graph" not in stages and len(stages["k-NN graphs"]) == 1
    assert not _progress._contexts  # the context is closed and the core's hook cleared


def test_a_liger_fit_reports_and_reports_nothing_outside_a_context():
    (L, X, _), (L_dev, X_dev, y_dev), _ = make_problem(1)
    calls, record = _recorded()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with liger.progress(record):
            a = liger.Liger(random_state=0, end_model="logreg").fit(L, X, L_dev, X_dev, y_dev)
        n_calls = len(calls)
        b = liger.Liger(random_state=0, end_model="logreg").fit(L, X, L_dev, X_dev, y_dev)
    assert {"nearest support", "end model"} <= set(_check_protocol(calls))
    assert len(calls) == n_calls  # nothing after the context
    # Reporting changes no result.
    assert np.array_equal(a.predict_proba(L_dev, X_dev), b.predict_proba(L_dev, X_dev))


def test_contexts_nest_and_false_silences():
    X = np.random.default_rng(0).standard_normal((50, 8)).astype(np.float32)
    outer, record_outer = _recorded()
    inner, record_inner = _recorded()
    with liger.progress(record_outer):
        liger.knn_graph(X, 3)
        with liger.progress(record_inner):
            liger.knn_graph(X, 3)
        with liger.progress(False):
            liger.knn_graph(X, 3)
        liger.knn_graph(X, 3)
    assert [s for s, d, t in outer if (d, t) == (0, 0)] == ["k-NN graph", "k-NN graph"]
    assert [s for s, d, t in inner if (d, t) == (0, 0)] == ["k-NN graph"]
    assert inner[-1][1] == inner[-1][2] == 50 * 50  # query x column pairs of the sweep


def test_an_exception_of_the_callback_propagates_and_closes_the_context():
    X = np.random.default_rng(0).standard_normal((50, 8)).astype(np.float32)

    def fail(stage, done, total):
        raise ValueError(f"no thanks: {stage}")

    with pytest.raises(ValueError, match="no thanks: k-NN graph"):
        with liger.progress(fail):
            liger.knn_graph(X, 3)
    assert not _progress._contexts
    _core.set_progress(None)  # idempotent
    liger.knn_graph(X, 3)


def test_a_bad_callback_is_rejected():
    with pytest.raises(TypeError, match=r"callback: expected a callable .* got int"):
        with liger.progress(3):
            pass


def test_true_uses_tqdm_when_installed(monkeypatch):
    bars = []

    class FakeBar:
        def __init__(self, total=None, desc=None, **kw):
            self.total, self.desc, self.n, self.kw, self.closed = total, desc, 0, kw, False
            bars.append(self)

        def update(self, k):
            self.n += k

        def close(self):
            self.closed = True

    auto = types.ModuleType("tqdm.auto")
    auto.tqdm = FakeBar
    monkeypatch.setitem(sys.modules, "tqdm", types.ModuleType("tqdm"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", auto)
    X = np.random.default_rng(0).standard_normal((40, 8)).astype(np.float32)
    with liger.progress():
        liger.knn_graph(X, 3)
        liger.nearest_support(X, X, np.zeros((40, 2), dtype=np.int8))
    assert [b.desc for b in bars] == ["k-NN graph", "nearest support"]
    assert all(b.closed and b.n == b.total and b.kw["delay"] == 1.0 for b in bars)


def test_true_without_tqdm_prints_lines_to_stderr(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import fails
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    display = _progress._default_display()
    assert isinstance(display, _progress._Lines)
    stream = io.StringIO()
    lines = _progress._Lines(every=0.0, stream=stream)
    lines("k-NN graphs", 0, 0)
    lines("k-NN graphs", 5, 20)
    lines("k-NN graphs", 20, 20)
    assert stream.getvalue().splitlines()[0].startswith("liger: k-NN graphs: 25% (")
    quiet = io.StringIO()
    slow = _progress._Lines(every=1.0, stream=quiet)
    slow("end model", 0, 0)
    slow("end model", 1, 1)
    assert quiet.getvalue() == ""  # a stage shorter than a second prints nothing


def test_a_context_reports_only_its_own_threads_builds():
    import threading

    X = np.random.default_rng(0).standard_normal((50, 8)).astype(np.float32)
    mine, record_mine = _recorded()
    theirs, record_theirs = _recorded()
    inside, leave = threading.Event(), threading.Event()

    def other():
        with liger.progress(record_theirs):
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(10)
    try:
        with liger.progress(record_mine):
            liger.knn_graph(X, 3)
    finally:
        leave.set()
        thread.join()
    assert [s for s, d, t in mine if (d, t) == (0, 0)] == ["k-NN graph"] and not theirs
