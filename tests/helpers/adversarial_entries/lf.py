"""Registry entries of labeling functions and their appliers."""

from __future__ import annotations

import numpy as np

import liger

from ..adversarial import Reject, Works, anything, choice, integer, n_jobs, reject, works
from .common import Entry, K, Special, check_votes
from .label_model import constructor_roles

# ------------------------------------------------------------------------------- labeling functions

TEXTS = ["a b", "spam here", "hello", "more spam"]


def _spam(x):
    return 1 if "spam" in x else -1


def _spam_lf():
    return liger.LabelingFunction(_spam, name="spam")


def _returning(value, vectorized=False):
    name = f"returns_{type(value).__name__}"
    if vectorized:
        return liger.LabelingFunction(lambda xs: value, name=name, vectorized=True)
    return liger.LabelingFunction(lambda x: value, name=name)


def _lf_error(value, vectorized=False):
    """An LF returning ``value``: LabelingFunctionError (a ValueError) naming the LF."""
    lf = _returning(value, vectorized)
    return lambda a, ctx: ([lf], Reject((liger.LabelingFunctionError,), mention=lf.name))


def _raising(x):
    raise RuntimeError("boom")


LF_PARAMS = {
    "func": anything(int=reject(3), none=reject(None), string=reject("spam")),
    "name": anything(empty=reject(""), int=reject(3)),
    "resources": anything(list=reject([1]), string=reject("abc"), dict=works({})),
    "pre": anything(
        int=reject(3),
        non_callable=reject([3]),
        callable_alone=reject(str.lower),
        list=works([str.lower]),
    ),
    "vectorized": anything(string=reject("yes"), none=reject(None)),
}

LF_ENTRIES = [
    Entry(
        "liger.labeling_function",
        lambda func, **kw: liger.labeling_function(**kw)(func),
        lambda: {
            "func": _spam,
            "name": "spam",
            "resources": None,
            "pre": None,
            "vectorized": False,
        },
        roles=LF_PARAMS | {"func": anything(int=reject(3), none=reject(None))},
        check=lambda result, kwargs: isinstance(result, liger.LabelingFunction),
        specials={
            "called on a non-callable directly": Special(
                lambda ctx: (liger.labeling_function, {"func": 3}), Reject(mention="func")
            )
        },
    ),
    Entry(
        "liger.LabelingFunction",
        liger.LabelingFunction,
        lambda: {
            "func": _spam,
            "name": "spam",
            "resources": None,
            "pre": None,
            "vectorized": False,
        },
        roles=LF_PARAMS,
        check=lambda result, kwargs: isinstance(result, liger.LabelingFunction),
    ),
    Entry(
        "liger.LabelingFunction.fingerprint",
        lambda lf: lf.fingerprint(),
        lambda: {"lf": _spam_lf()},
        roles={
            "lf": anything(
                # A value that cannot be fingerprinted: None (the LF then always runs).
                unpicklable_resource=works(
                    liger.LabelingFunction(
                        lambda x, lock: -1,
                        name="locked",
                        resources={"lock": __import__("threading").Lock()},
                    )
                ),
                callable_object=works(
                    liger.LabelingFunction(type("C", (), {"__call__": lambda s, x: -1})(), name="c")
                ),
            )
        },
    ),
    Entry(
        "liger.LFApplier",
        lambda **params: liger.LFApplier(**params).apply([_spam_lf()], TEXTS),
        lambda: {
            "cardinality": K,
            "n_jobs": 1,
            "backend": "serial",
            "cache": True,
            "cache_bytes": 2**20,
            "fault_tolerant": False,
        },
        roles=constructor_roles(
            {
                "cardinality": integer(low=2, high=1000, optional=True),
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
                "backend": choice("auto", "serial", "threads", "processes"),
                "cache": anything(string=reject("no"), none=reject(None)),
                "cache_bytes": integer(low=0),
                "fault_tolerant": anything(
                    string=reject("yes"),
                    none=reject(None),
                    true=works(True),
                ),
            }
        ),
        check=check_votes,
    ),
    Entry(
        "liger.LFApplier.apply",
        lambda **kw: liger.LFApplier(cardinality=K, backend="serial").apply(**kw),
        lambda: {"lfs": [_spam_lf()], "records": list(TEXTS), "data_key": None},
        roles={
            "lfs": anything(
                one_lf_not_in_a_list=reject(_spam_lf()),
                string=reject("spam"),
                empty=reject([]),
                not_callable=reject([3]),
                duplicate_names=reject([_spam_lf(), _spam_lf()]),
                plain_function=works([_spam]),
                returns_float=_lf_error(1.5),
                returns_none=_lf_error(None),
                returns_bool=_lf_error(True),
                returns_K=_lf_error(K),
                returns_minus_2=_lf_error(-2),
                raises=lambda a, ctx: (
                    [liger.LabelingFunction(_raising, name="raiser")],
                    Reject((liger.LabelingFunctionError,), mention="raiser"),
                ),
                vectorized_wrong_length=_lf_error(np.ones(2, int), vectorized=True),
                vectorized_floats=_lf_error(np.ones(4), vectorized=True),
                vectorized_2d=_lf_error(np.ones((4, 1), int), vectorized=True),
            ),
            "records": anything(
                none=reject(None),
                one_string=reject("spam"),
                dict=reject({"a": 1}),
                array_2d=reject(np.array([TEXTS])),
                empty=works([]),
                generator=lambda a, ctx: ((t for t in TEXTS), Works()),
                array=works(np.array(TEXTS, dtype=object)),
                series=lambda a, ctx: (__import__("pandas").Series(TEXTS), Works()),
                frame_duplicate_columns=lambda a, ctx: (
                    __import__("pandas").DataFrame([[t, t] for t in TEXTS], columns=["x", "x"]),
                    Reject(),
                ),
            ),
            "data_key": anything(unhashable=reject([1]), string=works("fixed")),
        },
        check=lambda result, kwargs: check_votes(result, kwargs),
    ),
    Entry(
        "liger.LFApplier.clear_cache",
        lambda: liger.LFApplier().clear_cache(),
        lambda: {},
        specials={"after an apply": Special(lambda ctx: (_applied().clear_cache, {}), Works())},
    ),
    Entry(
        "liger.apply_lfs",
        liger.apply_lfs,
        lambda: {"lfs": [_spam_lf()], "records": list(TEXTS), "backend": "serial"},
        roles={
            "lfs": anything(empty=reject([]), returns_float=_lf_error(0.5)),
            "records": anything(none=reject(None)),
            "backend": choice("auto", "serial", "threads", "processes"),
        },
        check=check_votes,
        specials={
            "fault tolerant, an LF raising": Special(
                lambda ctx: (
                    liger.apply_lfs,
                    {
                        "lfs": [liger.LabelingFunction(_raising, name="raiser")],
                        "records": TEXTS,
                        "fault_tolerant": True,
                    },
                ),
                Works(),
            ),
            "unknown keyword": Special(
                lambda ctx: (liger.apply_lfs, {"lfs": [_spam_lf()], "records": TEXTS, "bogus": 1}),
                Reject(mention="bogus"),
            ),
        },
    ),
]


def _applied():
    applier = liger.LFApplier(backend="serial")
    applier.apply([_spam_lf()], TEXTS)
    return applier
