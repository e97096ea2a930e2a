"""Session edits are all-or-nothing (any exception, KeyboardInterrupt included, rolls the edit
back) and serialized between threads."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

from ..helpers.reliability import fingerprint
from ..helpers.sessions import make_problem, session_of, three
from .test_session import assert_matches_from_scratch


@pytest.fixture(autouse=True)
def _quiet_label_model():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _state(session):
    return fingerprint({k: v for k, v in vars(session).items() if k != "_lock"})


class _Interrupt:
    """Wraps a callable: its ``at``-th call runs it, then raises KeyboardInterrupt."""

    def __init__(self, function, at=1):
        self.function, self.at, self.calls = function, at, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        result = self.function(*args, **kwargs)
        if self.calls == self.at:
            raise KeyboardInterrupt
        return result


EDITS = {
    "set_lf": lambda s, cols: s.set_lf(1, cols[0], dev=cols[1], test=cols[2]),
    "set_lf_retune_all": lambda s, cols: s.set_lf(
        1, cols[0], dev=cols[1], test=cols[2], retune="all"
    ),
    "add_lf": lambda s, cols: s.add_lf(cols[0], dev=cols[1], test=cols[2], threshold=0.2),
    "remove_lf": lambda s, cols: s.remove_lf(0),
    "set_thresholds": lambda s, cols: s.set_thresholds({0: 0.1, 2: 0.3}),
    "set_thresholds_tune": lambda s, cols: s.set_thresholds("tune"),
    "set_dev_labels": lambda s, cols: s.set_dev_labels(1 - s._splits["dev"].y, retune="all"),
}
# Stages an edit goes through, each interrupted in turn (after it ran: its results written).
STAGES = ("index_.update", "index_.resolve_many", "_fit_label_model", "_posteriors", "_record")
# The stages an edit does not go through (the test checks that every other pair is reached).
NOT_REACHED = {
    ("add_lf", "index_.update"),
    ("remove_lf", "index_.update"),
    ("set_dev_labels", "index_.update"),
    ("set_thresholds", "index_.update"),
    ("set_thresholds_tune", "index_.update"),
    ("remove_lf", "index_.resolve_many"),
    ("set_dev_labels", "_fit_label_model"),
    ("set_thresholds", "_fit_label_model"),
    ("set_thresholds_tune", "_fit_label_model"),
}
CASES = [(e, s) for s in STAGES for e in sorted(EDITS) if (e, s) not in NOT_REACHED]


@pytest.mark.parametrize(("edit", "stage"), CASES)
def test_an_interrupted_edit_changes_nothing(edit, stage, monkeypatch):
    problem = make_problem(4, m=5)
    session = session_of(problem, thresholds="tune", retune="lf")
    cols = three(np.random.default_rng(1), 0.3)
    before = _state(session)
    owner, _, name = stage.rpartition(".")
    target = getattr(session, owner) if owner else session
    interrupt = _Interrupt(getattr(target, name))
    monkeypatch.setattr(target, name, interrupt)
    try:
        EDITS[edit](session, cols)
    except KeyboardInterrupt:
        pass
    monkeypatch.undo()
    assert interrupt.calls > 0, f"{edit} no longer goes through {stage}: update NOT_REACHED"
    assert _state(session) == before
    assert_matches_from_scratch(session, problem)
    # Later edits stay exact.
    EDITS[edit](session, cols)
    assert_matches_from_scratch(session, problem)
    session.set_lf(2, *three(np.random.default_rng(2), 0.2)[:1], **_rest(2))
    assert_matches_from_scratch(session, problem)


def _rest(seed):
    _, dev, test = three(np.random.default_rng(seed), 0.2)
    return {"dev": dev, "test": test}


def test_a_refused_edit_changes_nothing():
    """Any exception, raised deep in an edit (here a ValueError of the label model)."""
    problem = make_problem(5)
    session = session_of(problem, thresholds=0.2, retune=None)
    before = _state(session)

    def boom(*args, **kwargs):
        raise ValueError("boom")

    session._fit_label_model = boom
    with pytest.raises(ValueError, match="boom"):
        session.set_lf(0, *three(np.random.default_rng(0), 0.4)[:1], **_rest(0))
    del session._fit_label_model
    assert _state(session) == before
    assert_matches_from_scratch(session, problem)


def _run(code: str, timeout: float = 120) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


_BUILD = """
import os, signal, sys, threading, time, warnings
import numpy as np
warnings.simplefilter("ignore")
sys.path.insert(0, {root!r})
from tests.helpers.sessions import make_problem, session_of, three
from tests.session.test_session import assert_matches_from_scratch
problem = make_problem(7, n=3000, n_dev=200, n_test=200, d=16, m=6)
session = session_of(problem, thresholds=0.5, retune=None)
"""


def _root():
    import pathlib

    return str(pathlib.Path(__file__).resolve().parents[2])


def test_sigint_during_the_neighbour_search_rolls_the_edit_back():
    """A real SIGINT (timer thread, os.kill) landing while the edit's neighbour search runs (the
    search made slow: it sleeps after computing): the session is what it was before, equal to a
    fresh fit on its own votes and thresholds, and later edits stay exact."""
    code = _BUILD.format(root=_root()) + textwrap.dedent("""
    real = session.index_.update
    def slow(*args, **kwargs):
        out = real(*args, **kwargs)
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
        time.sleep(30)
        return out
    session.index_.update = slow
    L0 = session.votes("train")
    cols = three(np.random.default_rng(3), 0.4, sizes=(3000, 200, 200))
    try:
        session.set_lf(1, cols[0], dev=cols[1], test=cols[2])
        raise SystemExit("not interrupted")
    except KeyboardInterrupt:
        pass
    del session.index_.update
    assert (session.votes("train") == L0).all()
    assert_matches_from_scratch(session, problem)
    session.set_lf(1, cols[0], dev=cols[1], test=cols[2])
    assert_matches_from_scratch(session, problem)
    print("ok")
    """)
    assert _run(code).strip().endswith("ok")


def test_two_threads_editing_one_session_are_serialized():
    """Edits from two threads run one after the other: no internal error, and the result is a
    from-scratch fit of the final votes."""
    code = _BUILD.format(root=_root()) + textwrap.dedent("""
    errors = []
    def edits(seed):
        rng = np.random.default_rng(seed)
        try:
            for step in range(6):
                cols = three(rng, 0.3, sizes=(3000, 200, 200))
                j = int(rng.integers(0, 6))
                session.set_lf(j, cols[0], dev=cols[1], test=cols[2])
                session.set_thresholds({j: float(rng.uniform(0.3, 0.7))})
                session.predict_proba("test")
        except BaseException as error:
            errors.append(repr(error))
    threads = [threading.Thread(target=edits, args=(seed,)) for seed in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(session.history_) == 1 + 2 * 6 * 2
    assert_matches_from_scratch(session, problem)
    print("ok")
    """)
    assert _run(code, timeout=300).strip().endswith("ok")
