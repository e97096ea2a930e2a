"""Shared pieces of the adversarial registry: the :class:`Entry` record, the small problem every
entry reads (:func:`data`), fitted models, result checks and common argument roles."""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

import liger
from liger import EndModel, LabelModel, Liger, MajorityVoter, Session

from ..adversarial import (
    Context,
    Reject,
    Role,
    choice,
)
from ..reliability import blob_problem

K, M = 2, 4


@dataclass(frozen=True)
class Special:
    """A case that is not one argument's perturbation: ``build(ctx)`` returns ``(call, kwargs)``
    (the callable and its keyword arguments, which are fingerprinted) and ``outcome`` says what
    must happen."""

    build: Callable[[Context], tuple[Callable[..., Any], dict]]
    outcome: Any


@dataclass(frozen=True)
class Entry:
    """One public callable.

    ``call(**kwargs)`` calls it (a method: on the object ``subject()`` returns); ``args()`` the
    valid keyword arguments (fresh objects each time); ``roles`` how each argument is attacked;
    ``names`` the name error messages use for an argument (default: its own name);
    ``check(result, kwargs)`` asserts a successful result is well formed; ``state()`` the object
    a call must not modify besides its arguments (a fitted model that predicts), if any.
    """

    name: str
    call: Callable[..., Any]
    args: Callable[[], dict]
    roles: dict[str, Role] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    check: Callable[[Any, dict], None] = lambda result, kwargs: None
    state: Callable[[], Any] | None = None
    metric: str | None = None
    specials: dict[str, Special] = field(default_factory=dict)

    def cases(self) -> list[tuple[str, str]]:
        """``(argument, perturbation)`` pairs, then ``("special", name)``."""
        out = [(arg, p) for arg, role in self.roles.items() for p in role.perturbations]
        return out + [("special", name) for name in self.specials]


# ------------------------------------------------------------------------------- data


@functools.cache
def problem():
    (L, X, _), (L_dev, X_dev, y_dev), (L_test, X_test, y_test) = blob_problem(
        seed=11, n=40, n_dev=24, n_test=16, d=6, m=M, K=K
    )
    L[1, 0], L[:4, 1] = 0, 1  # row 1 is in a support (a zero vector there is an error)
    for array in (L, X, L_dev, X_dev, y_dev, L_test, X_test, y_test):
        array.flags.writeable = False  # shared: a test must copy before changing anything
    return {
        "L": L,
        "X": X,
        "L_dev": L_dev,
        "X_dev": X_dev,
        "y_dev": y_dev,
        "L_test": L_test,
        "X_test": X_test,
        "y_test": y_test,
    }


def data(*names: str) -> tuple:
    p = problem()
    return tuple(np.array(p[name]) for name in names)


def quiet(function: Callable) -> Callable:
    @functools.wraps(function)
    def wrapped(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return function(*args, **kwargs)

    return wrapped


# ------------------------------------------------------------------------------- fitted models


@functools.cache
@quiet
def fitted_liger() -> Liger:
    L, X, L_dev, X_dev, y_dev = data("L", "X", "L_dev", "X_dev", "y_dev")
    return Liger(random_state=0, n_jobs=1).fit(L, X, L_dev, X_dev, y_dev)


@functools.cache
@quiet
def fitted_label_model() -> LabelModel:
    return LabelModel(cardinality=K).fit(data("L")[0])


@functools.cache
@quiet
def fitted_majority() -> MajorityVoter:
    return MajorityVoter(cardinality=K).fit(data("L")[0])


@functools.cache
def proba_train() -> np.ndarray:
    proba = fitted_label_model().predict_proba(data("L")[0])
    proba.flags.writeable = False
    return proba


def end_model() -> EndModel:
    return EndModel(penalties=(1e-2,), train_weights=(1.0,), n_folds=2, random_state=0)


@functools.cache
@quiet
def fitted_end_model() -> EndModel:
    X, X_dev, y_dev = data("X", "X_dev", "y_dev")
    return end_model()._fit_weak(X, np.array(proba_train()), X_dev, y_dev)


@quiet
def new_session(**params) -> Session:
    L, X, L_dev, X_dev, y_dev, L_test, X_test = data(
        "L", "X", "L_dev", "X_dev", "y_dev", "L_test", "X_test"
    )
    params = {"k": 8, "random_state": 0, "n_jobs": 1, **params}
    return Session(L, X, dev=(L_dev, X_dev, y_dev), test=(L_test, X_test), **params)


# ------------------------------------------------------------------------------- result checks


def check_search(result, kwargs, *, q: int, width: int, n: int) -> None:
    scores, indices = result
    assert scores.dtype == np.float32 and scores.shape == (q, width)
    assert indices.dtype == np.int64 and indices.shape == (q, width)
    assert ((indices >= -1) & (indices < n)).all()
    assert not np.isnan(scores).any()


def check_proba(result, kwargs, *, n: int | None = None, classes: int = K) -> None:
    proba = np.asarray(result)
    assert proba.ndim == 2 and proba.shape[1] == classes and (n is None or proba.shape[0] == n)
    assert np.isfinite(proba).all() and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def check_labels(result, kwargs, *, low: int = -1) -> None:
    predictions = np.asarray(result)
    assert predictions.ndim == 1 and ((predictions >= low) & (predictions < K)).all()


def check_votes(result, kwargs, *, shape: tuple | None = None) -> None:
    L = np.asarray(result)
    assert L.ndim == 2 and np.issubdtype(L.dtype, np.integer) and (L >= -1).all()
    assert shape is None or L.shape == shape


def check_score(result, kwargs) -> None:
    values = result.values() if isinstance(result, dict) else [result]
    assert all(0.0 <= float(v) <= 1.0 for v in values)


def is_fitted(result, kwargs) -> None:
    assert any(name.endswith("_") for name in vars(result)), "fit returned an unfitted object"


# ------------------------------------------------------------------------------- common roles

METRIC = choice("cosine", "ip", "euclidean")
KERNEL = choice("auto", "exact", "screened")


def not_fitted(factory: Callable[[], Any], method: str, **kwargs: Any) -> Special:
    """The method called on a fresh (unfitted) estimator: ``NotFittedError``."""

    def build(ctx):
        return getattr(factory(), method), {k: v() if callable(v) else v for k, v in kwargs.items()}

    return Special(build, Reject((liger.NotFittedError,), mention="fit"))
