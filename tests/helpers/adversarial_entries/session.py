"""Registry entries of ``Session``."""

from __future__ import annotations

import warnings

import numpy as np

from liger import Session

from ..adversarial import (
    Reject,
    Role,
    Same,
    Works,
    anything,
    choice,
    embeddings,
    integer,
    labels,
    n_jobs,
    reject,
    thresholds,
    votes,
    works,
)
from .common import (
    Entry,
    K,
    M,
    Special,
    check_labels,
    check_proba,
    check_votes,
    data,
    new_session,
    quiet,
)
from .conventions import with_value
from .diagnostics import AS_FRAME
from .label_model import RANDOM_STATE, read_only
from .lf import TEXTS, _lf_error, _spam_lf

# ------------------------------------------------------------------------------- Session


def _session_call(L, X, L_dev, X_dev, y_dev, L_test, X_test, **params):
    """``Session(L, X, dev=(L_dev, X_dev, y_dev), test=(L_test, X_test), ...)``: the arrays of
    the dev and test tuples attacked one by one."""
    return quiet(Session)(L, X, dev=(L_dev, X_dev, y_dev), test=(L_test, X_test), **params)


def _session_args():
    L, X, L_dev, X_dev, y_dev, L_test, X_test = data(
        "L", "X", "L_dev", "X_dev", "y_dev", "L_test", "X_test"
    )
    return {
        "L": L,
        "X": X,
        "L_dev": L_dev,
        "X_dev": X_dev,
        "y_dev": y_dev,
        "L_test": L_test,
        "X_test": X_test,
        "k": 8,
        "random_state": 0,
        "n_jobs": 1,
    }


def _check_session(result, kwargs) -> None:
    check_proba(result.predict_proba("train"), kwargs, n=40, classes=result.n_classes_)


def _session_method(
    method, args, roles, *, check=lambda r, kw: None, specials=None, edited=False
) -> Entry:
    def call(**kw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            session = _edited_session() if edited else new_session()
            return getattr(session, method)(**kw)

    return Entry(
        f"liger.Session.{method}",
        call,
        args,
        roles=roles,
        check=check,
        specials=specials or {},
        metric="cosine",
    )


def _column(split="L"):
    """A new LF's votes on a split: a copy of LF 0's."""
    return np.array(data(split)[0][:, 0])


def _column_role() -> Role:
    """One LF's votes on a split: a 1-D int array, one vote per point."""
    same = lambda value: Same(np.asarray(value).astype(np.int64))  # noqa: E731
    return anything(
        int8=lambda a, ctx: (a.astype(np.int8), same(a)),
        big_endian=lambda a, ctx: (a.astype(">i4"), same(a)),
        negative_stride=lambda a, ctx: (np.ascontiguousarray(a[::-1])[::-1], same(a)),
        read_only=lambda a, ctx: (read_only(a), same(a)),
        python_list=lambda a, ctx: (a.tolist(), same(a)),
        float=reject_value_dtype(np.float64),
        bool=lambda a, ctx: (a > 0, Reject()),
        strings=lambda a, ctx: (a.astype(str), Reject()),
        two_d=lambda a, ctx: (a[:, None], Reject()),
        one_fewer=lambda a, ctx: (a[:-1], Reject()),
        vote_minus_2=lambda a, ctx: (with_value(a, 0, -2), Reject()),
        vote_K=lambda a, ctx: (with_value(a, 0, K), Reject()),
        none=lambda a, ctx: (None, Reject()),
    )


def reject_value_dtype(dtype):
    return lambda a, ctx: (a.astype(dtype), Reject())


SESSION_ROLES = {
    "L": votes(K=None, lfs_sibling=True, sparse=True).expecting(
        {"zero rows": Reject(), "vote 2**40": Reject()}
    ),
    "X": embeddings(),
    # K is inferred from train and dev (cardinality=None): a class K there is a third class.
    "L_dev": votes(K=K, sparse=True).expecting({"zero rows": Reject(), "vote K": Works()}),
    "X_dev": embeddings(),
    "y_dev": labels(K=K).expecting({"label K": Works()}),
    "L_test": votes(K=K).expecting({"zero rows": Reject(mention="test[1]")}),
    "X_test": embeddings().expecting({"zero rows": Reject()}),
    # Documented: k is capped at the number of candidates.
    "k": integer(low=1, high=39).expecting(
        {"numpy int": Works(), "above the range": Works(), "huge": Works(), "beyond int64": Works()}
    ),
    "random_state": RANDOM_STATE,
    "n_jobs": n_jobs().expecting(
        {
            name: Works()
            for name in (
                "all cores",
                "all but a million",
                "below int64",
                "None",
                "two",
                "numpy int",
            )
        }
    ),
}
SESSION_NAMES = {"L_test": "test[0]", "X_test": "test[1]"}

SESSION_ENTRIES = [
    Entry(
        "liger.Session",
        _session_call,
        _session_args,
        roles=SESSION_ROLES,
        names=SESSION_NAMES,
        check=_check_session,
        metric="cosine",
        specials={
            name: Special(
                lambda ctx, p=params: (
                    quiet(Session),
                    {"L": data("L")[0], "X": data("X")[0], "k": 8, **p},
                ),
                Reject(mention=mention),
            )
            for name, params, mention in [
                ("dev not a tuple", {"dev": data("L_dev")[0]}, "dev"),
                ("dev of two parts", {"dev": data("L_dev", "X_dev")}, "dev"),
                (
                    "test of three parts",
                    {"test": data("L_test", "X_test", "y_test"), "thresholds": 0.3},
                    "test",
                ),
                ("tuning without dev", {}, "dev"),
                ("n_partitions", {"thresholds": 0.3, "n_partitions": 2}, "n_partitions"),
                ("fit_on extended", {"thresholds": 0.3, "fit_on": "extended"}, "fit_on"),
                ("radius extension", {"thresholds": 0.3, "extension": "radius"}, "extension"),
                ("retune unknown", {"thresholds": 0.3, "retune": "bogus"}, "retune"),
                ("names too few", {"thresholds": 0.3, "names": ["a"]}, "names"),
                ("names duplicated", {"thresholds": 0.3, "names": list("aabb")}, "names"),
                ("metric unknown", {"thresholds": 0.3, "metric": "l1"}, "metric"),
                ("end_model unknown", {"thresholds": 0.3, "end_model": "mlp"}, "end_model"),
                ("min_gain NaN", {"thresholds": 0.3, "min_gain": float("nan")}, "min_gain"),
                (
                    "threshold_search",
                    {"thresholds": 0.3, "threshold_search": "x"},
                    "threshold_search",
                ),
                ("thresholds wrong length", {"thresholds": [0.3]}, "thresholds"),
                ("cardinality 1", {"thresholds": 0.3, "cardinality": 1}, "cardinality"),
            ]
        },
    ),
    Entry(
        "liger.Session.from_lfs",
        lambda **kw: quiet(Session.from_lfs)(**kw),
        lambda: {
            "lfs": [_spam_lf()],
            "records": list(TEXTS),
            "X": data("X")[0][:4],
            "thresholds": 0.3,
            "k": 2,
            "n_jobs": 1,
            "fault_tolerant": None,
        },
        roles={
            "fault_tolerant": anything(string=reject("yes"), true=works(True)),
            "lfs": anything(
                empty=reject([]),
                not_callable=reject([3]),
                one_lf=reject(_spam_lf()),
                returns_float=_lf_error(0.5),
            ),
            "records": anything(
                none=reject(None),
                fewer=lambda a, ctx: (a[:3], Reject(mention="X")),
                one_string=reject("spam"),
            ),
            "X": embeddings(rows_sibling=True, dims_sibling=False).without("zero vector"),
        },
        check=lambda result, kwargs: result.n_lfs_ == 1,
        metric="cosine",
    ),
    _session_method(
        "add_lf",
        lambda: {
            "votes": _column("L"),
            "dev": _column("L_dev"),
            "test": _column("L_test"),
            "name": "new",
            "threshold": None,
            "retune": "default",
        },
        {
            "votes": _column_role(),
            "dev": _column_role(),
            "test": _column_role(),
            "name": anything(taken=reject("lf0"), int=works(7)),
            "retune": anything(unknown=reject("bogus"), none=works(None)),
        },
        check=lambda result, kwargs: result.action == "add_lf",
        specials={
            "an LF on a session built from votes": Special(
                lambda ctx: (new_session().add_lf, {"votes": _spam_lf()}), Reject(mention="votes")
            )
        },
    ),
    _session_method(
        "set_lf",
        lambda: {
            "lf": 1,
            "votes": _column("L"),
            "dev": _column("L_dev"),
            "test": _column("L_test"),
            "retune": "default",
        },
        {
            "lf": anything(
                out_of_range=reject(M),
                negative_out=reject(-M - 1),
                unknown_name=reject("x"),
                float=reject(1.0),
                none=reject(None),
                by_name=works("lf1"),
                negative=works(-1),
            ),
            "votes": _column_role(),
            "dev": _column_role(),
            "test": _column_role(),
            "retune": anything(unknown=reject("bogus")),
        },
        check=lambda result, kwargs: result.action == "set_lf",
    ),
    _session_method(
        "remove_lf",
        lambda: {"lf": 1, "retune": "default"},
        {
            "lf": anything(
                out_of_range=reject(M),
                unknown_name=reject("x"),
                float=reject(1.0),
                none=reject(None),
                by_name=works("lf2"),
            ),
            "retune": anything(unknown=reject("bogus"), none=works(None)),
        },
        check=lambda result, kwargs: result.action == "remove_lf",
    ),
    _session_method(
        "set_thresholds",
        lambda: {"thresholds": 0.3},
        {
            "thresholds": thresholds(M).plus(
                tune=works("tune"),
                unknown_string=reject("loose"),
                mapping=works({"lf0": 0.2, 1: None}),
                mapping_unknown_lf=lambda a, ctx: ({"zzz": 0.2}, Reject(mention="zzz")),
                mapping_bad_value=reject({0: "high"}),
            )
        },
        check=lambda result, kwargs: result.action == "set_thresholds",
    ),
    _session_method(
        "set_dev_labels",
        lambda: {"y_dev": data("y_dev")[0], "retune": "default"},
        {
            "y_dev": labels(K=K, length_sibling=False).plus(
                one_label_fewer=lambda a, ctx: (a[:-1], Reject())
            ),
            "retune": anything(unknown=reject("bogus")),
        },
        check=lambda result, kwargs: result.action == "set_dev_labels",
    ),
    *[
        _session_method(
            method,
            lambda: {"split": "train", "source": "label_model"},
            {"split": choice("train", "dev", "test"), "source": choice("label_model", "end_model")},
            check=check,
            specials={
                "end model without end_model='logreg'": Special(
                    lambda ctx, method=method: (
                        getattr(new_session(), method),
                        {"source": "end_model"},
                    ),
                    Reject(mention="source"),
                )
            },
        )
        for method, check in [
            ("predict_proba", lambda r, kw: check_proba(r, kw, n=40)),
            ("predict", lambda r, kw: check_labels(r, kw, low=0)),
        ]
    ],
    _session_method(
        "votes",
        lambda: {"split": "dev", "extended": True},
        {
            "split": choice("train", "dev", "test"),
            "extended": anything(string=reject("yes"), false=works(False)),
        },
        check=lambda result, kwargs: check_votes(result, kwargs, shape=(24, M)),
    ),
    _session_method(
        "what_changed",
        lambda: {"split": "train", "as_frame": False},
        {"split": choice("train", "dev", "test"), "as_frame": AS_FRAME},
        edited=True,
        specials={
            "no edit yet is an error": Special(
                lambda ctx: (new_session().what_changed, {}), Reject(mention="edit")
            )
        },
    ),
    _session_method("lf_table", lambda: {"as_frame": False}, {"as_frame": AS_FRAME}),
    _session_method("extension_curves", lambda: {"as_frame": False}, {"as_frame": AS_FRAME}),
    _session_method(
        "lf_summary",
        lambda: {},
        {},
        specials={
            "after an edit": Special(lambda ctx: (_edited_session().lf_summary, {}), Works())
        },
    ),
]


def _edited_session():
    session = new_session()
    quiet(session.set_thresholds)(0.2)
    return session
