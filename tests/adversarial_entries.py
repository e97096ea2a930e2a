"""The registry of public entry points for the adversarial suite: for each, a valid call, the role
of every argument it is attacked through (``tests/adversarial.py``), and special cases (methods
called before ``fit``, unknown parameters, ...). ``tests/test_adversarial.py`` runs every
(entry point, argument, perturbation) and checks that every public callable is registered here.

Data: a small binary problem (40 train, 24 dev, 16 test points, d = 6, m = 4 LFs), so the whole
suite runs in seconds.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import scipy.sparse

import liger
from liger import EndModel, LabelModel, Liger, MajorityVoter, Session, VoteStatistics

from .adversarial import (
    Context,
    Reject,
    Role,
    Same,
    Works,
    anything,
    choice,
    embeddings,
    indices,
    integer,
    labels,
    n_jobs,
    number,
    path,
    probabilities,
    reject,
    scores,
    thresholds,
    votes,
    works,
)
from .reliability import blob_problem

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
    return end_model().fit(X, np.array(proba_train()), X_dev, y_dev)


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


# ------------------------------------------------------------------------------- the registry


def _search_args(**extra):
    queries, base, L_base = data("X_test", "X", "L")
    return {"queries": queries, "base": base, "L_base": L_base, "n_jobs": 1, **extra}


def _check_knn(result, kwargs):
    q = 40 if kwargs.get("queries") is None else len(kwargs["queries"])
    check_search(result, kwargs, q=q, width=int(kwargs["k"]), n=40)


def _check_radius(result, kwargs):
    q = 40 if kwargs.get("queries") is None else len(kwargs["queries"])
    assert result.format == "csr" and result.shape == (q, 40) and result.dtype == np.float32


def _nearest(queries="X_test"):
    Q, X, L = data(queries, "X", "L")
    scores, indices = liger.nearest_support(Q, X, L, n_jobs=1)
    return scores, indices


def _extend_votes_args():
    found_scores, found_indices = _nearest()
    (L_test, L) = data("L_test", "L")
    return {
        "L": L_test,
        "scores": found_scores,
        "indices": found_indices,
        "L_base": L,
        "thresholds": 0.3,
        "metric": "cosine",
        "n_jobs": 1,
    }


def _extend_args(**extra):
    L_test, X_test, L, X = data("L_test", "X_test", "L", "X")
    return {
        "L": L_test,
        "X": X_test,
        "L_base": L,
        "X_base": X,
        "thresholds": 0.3,
        "metric": "cosine",
        "rule": "nearest",
        "max_neighbors": None,
        "n_jobs": 1,
        "kernel": "auto",
        **extra,
    }


SEARCH_ENTRIES = [
    Entry(
        "liger.nearest_support",
        liger.nearest_support,
        lambda: _search_args(metric="cosine", kernel="auto"),
        roles={
            "queries": embeddings(rows_sibling=False),
            "base": embeddings(),
            "L_base": votes(K=None, lfs_sibling=False, sparse=True),
            "metric": METRIC,
            "n_jobs": n_jobs(),
            "kernel": KERNEL,
        },
        check=functools.partial(check_search, q=16, width=M, n=40),
        metric="cosine",
    ),
    Entry(
        "liger.knn_graph",
        liger.knn_graph,
        lambda: {
            "X": data("X")[0],
            "k": 3,
            "queries": data("X_test")[0],
            "n_jobs": 1,
            "metric": "cosine",
            "kernel": "auto",
        },
        roles={
            "X": embeddings(rows_sibling=False),
            "k": integer(low=1, high=40),
            "queries": embeddings(rows_sibling=False).expecting({"None": Works()}),
            "metric": METRIC,
            "n_jobs": n_jobs(),
            "kernel": KERNEL,
        },
        check=_check_knn,
        metric="cosine",
    ),
    Entry(
        "liger.radius_neighbors",
        liger.radius_neighbors,
        lambda: {
            "X": data("X")[0],
            "radius": 0.5,
            "queries": data("X_test")[0],
            "max_neighbors": 5,
            "n_jobs": 1,
            "metric": "cosine",
            "kernel": "auto",
        },
        roles={
            "X": embeddings(rows_sibling=False),
            "radius": number(),
            "queries": embeddings(rows_sibling=False).expecting({"None": Works()}),
            "max_neighbors": integer(low=1, optional=True),
            "metric": METRIC,
            "n_jobs": n_jobs(),
            "kernel": KERNEL,
        },
        check=_check_radius,
        metric="cosine",
        specials={
            "negative euclidean radius": Special(
                lambda ctx: (
                    liger.radius_neighbors,
                    {"X": data("X")[0], "radius": -0.5, "metric": "euclidean"},
                ),
                Reject(mention="radius"),
            ),
        },
    ),
    Entry(
        "liger.extend_votes",
        liger.extend_votes,
        _extend_votes_args,
        roles={
            "L": votes(K=None, rows_sibling=True),
            "scores": scores(),
            "indices": indices(40),
            "L_base": votes(K=None, sparse=True).without("one row fewer"),
            "thresholds": thresholds(M),
            "metric": METRIC,
            "n_jobs": n_jobs(),
        },
        check=lambda result, kwargs: check_votes(result, kwargs, shape=(16, M)),
    ),
    Entry(
        "liger.extend",
        liger.extend,
        _extend_args,
        roles={
            "L": votes(K=None),
            "X": embeddings(),
            "L_base": votes(K=None, sparse=True),
            "X_base": embeddings(),
            "thresholds": thresholds(M),
            "metric": METRIC,
            "rule": choice("nearest", "radius"),
            "max_neighbors": integer(low=1, optional=True),
            "n_jobs": n_jobs(),
            "kernel": KERNEL,
        },
        check=lambda result, kwargs: check_votes(result, kwargs, shape=(16, M)),
        metric="cosine",
        specials={
            "radius rule with sparse votes": Special(
                lambda ctx: (
                    liger.extend,
                    _extend_args(rule="radius")
                    | {
                        "L_base": scipy.sparse.csr_matrix(
                            np.where(data("L")[0] < 0, 0, data("L")[0])
                        )
                    },
                ),
                Reject(mention="L_base"),
            ),
        },
    ),
]

ENTRIES: list[Entry] = [*SEARCH_ENTRIES]

#: Public callables without adversarial cases, and why.
EXEMPT: dict[str, str] = {
    "liger.Dataset": "a plain record (dataclass) the loaders fill; it validates nothing",
    "liger.Split": "a plain record (dataclass) the loaders fill; it validates nothing",
    "liger.EditReport": "a plain record (dataclass) the Session returns; it validates nothing",
    "liger.LabelModelWarning": "a warning class, raised by liger, not an entry point",
    "liger.LabelingFunctionError": "an exception class (tested where it is raised: LFApplier)",
    "liger.ModelFileError": "an exception class (tested where it is raised: liger.load)",
    "liger.NotFittedError": "an exception class (tested where it is raised: 'before fit')",
}


# ---------------------------------------------------------------------------- conventions, metrics


def _pm1():
    (L,) = data("L")
    return np.where(L == -1, 0, np.where(L == 0, -1, 1))


def pm1_votes(*, to_pm1: bool) -> Role:
    """FlyingSquid (-1 / +1, 0 = abstain) or liger binary votes: values outside {-1, 0, 1} are
    an error; floats are accepted when whole (from_pm1) ."""
    base = votes(K=None, rows_sibling=False, lfs_sibling=False).without(
        "vote 2**40",
        "uint64 beyond int64",
        "csr",
        "csc",
        "zero rows",
        "zero columns",
        "1-D",
        "float",
        "uint16 without abstentions",
    )
    return base.plus(
        **{
            "zero_rows": lambda a, ctx: (a[:0], Works()),
            "1-D": lambda a, ctx: (np.asarray(a)[:, 0], Works()),
            "float": lambda a, ctx: (a.astype(np.float64), Same(np.asarray(a))),
            "value 2": reject(np.full((3, 2), 2)),
            "value 0.5": reject(np.full((3, 2), 0.5)),
        }
    ).expecting({"bool": Reject(), "vote -2": Reject()})


def _metric_args(**extra):
    y_dev = data("y_dev")[0]
    return {"y_true": y_dev, "y_pred": np.roll(y_dev, 1), **extra}


def predictions() -> Role:
    """Predicted labels: classes 0..K-1 or -1 (abstained)."""
    return (
        labels(K=K)
        .without("label -1", "label K")
        .plus(
            label_minus_1=lambda a, ctx: (with_value(a, 0, -1), Works()),
            label_minus_2=reject_value(0, -2),
        )
    )


def reject_value(index, value):
    return lambda a, ctx: (with_value(a, index, value), Reject())


def with_value(a, index, value):
    out = np.array(a)
    out[index] = value
    return out


CONVENTION_ENTRIES = [
    Entry(
        "liger.from_pm1",
        liger.from_pm1,
        lambda: {"L": _pm1()},
        roles={"L": pm1_votes(to_pm1=False)},
        check=lambda result, kwargs: check_votes(np.atleast_2d(result), kwargs),
    ),
    Entry(
        "liger.to_pm1",
        liger.to_pm1,
        lambda: {"L": np.where(data("L")[0] > 1, 1, data("L")[0])},
        roles={"L": pm1_votes(to_pm1=True)},
    ),
    Entry(
        "liger.metrics.accuracy",
        liger.metrics.accuracy,
        _metric_args,
        roles={"y_true": labels(K=K).expecting({"label K": Works()}), "y_pred": predictions()},
        check=check_score,
    ),
    Entry(
        "liger.metrics.f1",
        liger.metrics.f1,
        lambda: _metric_args(positive=1),
        roles={
            "y_true": labels(K=K).expecting({"label K": Works()}),
            "y_pred": predictions(),
            "positive": anything(string=reject("1"), float=reject(1.5), none=reject(None)),
        },
        check=check_score,
    ),
    Entry(
        "liger.metrics.macro_f1",
        liger.metrics.macro_f1,
        lambda: _metric_args(cardinality=K),
        roles={
            "y_true": labels(K=K).expecting({"label K": Reject(mention="cardinality")}),
            "y_pred": predictions(),
            "cardinality": integer(low=1, optional=True),
        },
        check=check_score,
    ),
    Entry(
        "liger.metrics.compute",
        liger.metrics.compute,
        lambda: {
            "names": ["accuracy", "macro_f1"],
            "y_true": data("y_dev")[0],
            "y_pred": np.roll(data("y_dev")[0], 1),
            "cardinality": K,
        },
        roles={
            "names": anything(
                unknown=reject(["accuracy", "bogus"], mention="metrics"),
                int=reject(3, mention="metrics"),
                none=reject(None, mention="metrics"),
                one_string=works("f1"),
                f1_multiclass=lambda a, ctx: (["f1"], Works()),
            ),
            "y_true": labels(K=K).expecting({"label K": Reject(mention="cardinality")}),
            "y_pred": predictions(),
            "cardinality": integer(low=1, optional=True),
        },
        check=check_score,
    ),
]
ENTRIES += CONVENTION_ENTRIES


# ------------------------------------------------------------------------------- label models

RANDOM_STATE = anything(
    string=reject("seed"),
    negative=reject(-1),
    float=reject(1.5),
    none=works(None),
    generator=works(np.random.default_rng(0)),
)


def _fit_votes(K_known=K) -> Role:
    return votes(K=K_known, rows_sibling=False, lfs_sibling=False, sparse=True)


def _predict_votes() -> Role:
    """Votes of points to label with a model fitted on M LFs: zero rows are fine."""
    return votes(K=K, rows_sibling=False, sparse=True).expecting(
        {"zero rows": lambda value: Works()}
    )


def _vote_model_entries(cls, label: str, fitted: Callable, hyper: dict[str, Role]) -> list[Entry]:
    name = f"liger.{label}"
    L_test, y_test = data("L_test", "y_test")
    check_n = functools.partial(check_proba)
    entries = [
        Entry(
            name,
            lambda **params: cls(**params).fit(data("L")[0]),
            lambda: cls(cardinality=K).get_params(),
            roles=constructor_roles(
                {"cardinality": integer(low=2, high=1000).expecting({"None": Reject()})} | hyper
            ),
            check=is_fitted,
        ),
        Entry(
            f"{name}.fit",
            lambda **kw: cls(cardinality=K, class_balance="dev").fit(**kw),
            lambda: {"L": data("L")[0], "y": None, "y_dev": data("y_dev")[0]},
            roles={
                "L": _fit_votes().expecting({"zero rows": Reject()}),
                "y": anything(ignored_labels=works(data("y_dev")[0]), garbage=works("ignored")),
                "y_dev": labels(K=K, length_sibling=False),
            },
            check=is_fitted,
            specials={
                "y_dev without class_balance='dev' is still checked": Special(
                    lambda ctx: (cls(cardinality=K).fit, {"L": data("L")[0], "y_dev": np.ones(3)}),
                    Reject(mention="y_dev"),
                ),
            },
        ),
        Entry(
            f"{name}.fit_statistics",
            lambda **kw: cls(cardinality=K, class_balance="dev").fit_statistics(**kw),
            lambda: {
                "stats": VoteStatistics.from_votes(data("L")[0], K),
                "y_dev": data("y_dev")[0],
            },
            roles={
                "stats": anything(
                    none=reject(None),
                    votes_instead=reject(data("L")[0]),
                    other_cardinality=lambda a, ctx: (
                        VoteStatistics.from_votes(data("L")[0], 3),
                        Reject(),
                    ),
                    partial_chunk=lambda a, ctx: (
                        VoteStatistics.from_votes(data("L")[0][:10], K, total_rows=40),
                        Reject(),
                    ),
                ),
                "y_dev": labels(K=K, length_sibling=False),
            },
            check=is_fitted,
        ),
        Entry(
            f"{name}.predict",
            lambda **kw: fitted().predict(**kw),
            lambda: {"L": L_test, "tie_break_policy": "random", "random_state": 0},
            roles={
                "L": _predict_votes(),
                "tie_break_policy": choice("abstain", "random", "lowest"),
                "random_state": RANDOM_STATE,
            },
            check=check_labels,
            state=fitted,
            specials={"before fit": not_fitted(lambda: cls(cardinality=K), "predict", L=L_test)},
        ),
        Entry(
            f"{name}.predict_proba",
            lambda **kw: fitted().predict_proba(**kw),
            lambda: {"L": L_test},
            roles={"L": _predict_votes()},
            check=check_n,
            state=fitted,
            specials={
                "before fit": not_fitted(lambda: cls(cardinality=K), "predict_proba", L=L_test)
            },
        ),
        Entry(
            f"{name}.score",
            lambda **kw: fitted().score(**kw),
            lambda: {
                "L": L_test,
                "y": y_test,
                "metrics": ["accuracy", "f1"],
                "tie_break_policy": "lowest",
                "random_state": None,
            },
            roles={
                "L": _predict_votes().expecting({"zero rows": Reject(mention="L")}),
                "y": labels(K=K).expecting({"one label fewer": Reject(mention="L and y")}),
                "metrics": anything(
                    unknown=reject(["bogus"]), int=reject(3), one=works("macro_f1")
                ),
                "tie_break_policy": choice("abstain", "random", "lowest"),
                "random_state": RANDOM_STATE,
            },
            check=check_score,
            state=fitted,
            specials={
                "before fit": not_fitted(lambda: cls(cardinality=K), "score", L=L_test, y=y_test)
            },
        ),
    ]
    return entries + _params_entries(
        name, lambda: cls(cardinality=K), "cardinality", 1, lambda model: model.fit(data("L")[0])
    )


def constructor_roles(roles: dict[str, Role]) -> dict[str, Role]:
    """Roles of constructor parameters: a NumPy int is stored as given (scikit-learn stores
    parameters unchanged), so the fitted model works but is not the same object graph."""
    return {
        name: role.expecting({"numpy int": Works()}) if "numpy int" in role.perturbations else role
        for name, role in roles.items()
    }


def _params_entries(name, factory, param, bad_value, fit) -> list[Entry]:
    """get_params / set_params / save of an estimator: unknown and nested keys are errors, a bad
    value is reported by name at fit (scikit-learn's convention), save writes a loadable file."""
    return [
        Entry(
            f"{name}.get_params",
            lambda **kw: factory().get_params(**kw),
            lambda: {"deep": True},
            roles={"deep": anything(false=works(False), truthy_string=works("yes"))},
            check=lambda result, kwargs: isinstance(result, dict) and param in result,
        ),
        Entry(
            f"{name}.set_params",
            lambda **kw: factory().set_params(**kw),
            lambda: {param: getattr(factory(), param)},
            roles={param: anything(deferred_bad_value=works(bad_value))},
            specials={
                "unknown parameter": Special(
                    lambda ctx: (factory().set_params, {"bogus": 1}), Reject(mention="bogus")
                ),
                "nested into a plain value": Special(
                    lambda ctx: (factory().set_params, {f"{param}__x": 1}),
                    Reject(mention=f"{param}__x"),
                ),
                "bad value reported at fit": Special(
                    lambda ctx: (lambda: fit(factory().set_params(**{param: bad_value})), {}),
                    Reject(mention=param),
                ),
            },
        ),
    ]


def _save_entry(name, fitted, unfitted) -> Entry:
    return Entry(
        f"{name}.save",
        lambda path: fitted().save(path),
        lambda ctx: {"path": ctx.workdir / "model.npz"},
        roles={"path": path(exists=False)},
        state=fitted,
        specials={
            "unfitted estimators save too": Special(
                lambda ctx: (unfitted().save, {"path": ctx.workdir / "unfitted.npz"}), Works()
            )
        },
    )


LABEL_MODEL_HYPER = {
    "method": choice("triplet"),
    "aggregation": choice("median", "mean"),
    "class_balance": anything(
        wrong_length=reject([1.0]),
        negative=reject([-0.5, 1.5]),
        nan=reject([np.nan, 1.0]),
        unknown=reject("bogus"),
        not_summing=reject([0.7, 0.7]),
        given=works([0.4, 0.6]),
    ),
    "prior_accuracy": anything(
        zero=reject(0.0),
        one=reject(1.0),
        nan=reject(float("nan")),
        string=reject("0.7"),
        fine=works(0.7),
    ),
    "prior_strength": number(low=0.0),
    "min_z": number(low=0.0),
    "min_expected": number(low=0.0),
    "max_pairs": integer(low=1),
    "eps": anything(
        zero=reject(0.0), half=reject(0.5), nan=reject(float("nan")), string=reject("x")
    ),
    "chunk_size": integer(low=1),
}

LABEL_MODEL_ENTRIES = [
    *_vote_model_entries(LabelModel, "LabelModel", fitted_label_model, LABEL_MODEL_HYPER),
    *_vote_model_entries(
        MajorityVoter,
        "MajorityVoter",
        fitted_majority,
        {"class_balance": LABEL_MODEL_HYPER["class_balance"], "chunk_size": integer(low=1)},
    ),
    Entry(
        "liger.LabelModel.predict_log_joint",
        lambda **kw: fitted_label_model().predict_log_joint(**kw),
        lambda: {"L": data("L_test")[0]},
        roles={"L": _predict_votes()},
        check=lambda result, kwargs: result.shape[1] == K,
        state=fitted_label_model,
        specials={
            "before fit": not_fitted(
                lambda: LabelModel(), "predict_log_joint", L=lambda: data("L_test")[0]
            )
        },
    ),
    Entry(
        "liger.LabelModel.from_params",
        LabelModel.from_params,
        lambda: {
            "cond_probs": np.array(fitted_label_model().cond_probs_),
            "class_balance": np.array([0.5, 0.5]),
        },
        roles={
            "cond_probs": anything(
                two_d=lambda a, ctx: (a[:, :, 0], Reject()),
                wrong_shape=lambda a, ctx: (a[:, :2, :], Reject()),
                nan=lambda a, ctx: (with_value(a, (0, 0, 0), np.nan), Reject()),
                negative=lambda a, ctx: (a - 1.0, Reject()),
                not_summing=lambda a, ctx: (a * 2, Reject()),
                # NumPy reads strings of numbers as numbers: accepted.
                strings=lambda a, ctx: (a.astype(str), Works()),
                read_only=lambda a, ctx: (read_only(a), Works()),
            ),
            "class_balance": LABEL_MODEL_HYPER["class_balance"],
        },
        check=is_fitted,
    ),
    _save_entry("liger.LabelModel", fitted_label_model, lambda: LabelModel()),
    _save_entry("liger.MajorityVoter", fitted_majority, lambda: MajorityVoter()),
]
ENTRIES += LABEL_MODEL_ENTRIES


def read_only(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


# ------------------------------------------------------------------------------- Liger, EndModel


def _liger_fit_args():
    L, X, L_dev, X_dev, y_dev = data("L", "X", "L_dev", "X_dev", "y_dev")
    return {
        "L_train": L,
        "X_train": X,
        "L_dev": L_dev,
        "X_dev": X_dev,
        "y_dev": y_dev,
        "class_names": None,
    }


def _liger_predict_args(**extra):
    L_test, X_test = data("L_test", "X_test")
    return {"L": L_test, "X": X_test, **extra}


def _liger_labelling_methods():
    """(method, default kwargs, extra roles, result check) of the methods that label points,
    shared by Liger and DaskLiger."""
    source = {"source": choice("auto", "label_model", "end_model")}
    return [
        ("predict_proba", {"source": "auto"}, source, check_proba),
        ("predict", {"source": "label_model"}, source, lambda r, kw: check_labels(r, kw, low=0)),
        ("transform", {}, {}, lambda r, kw: check_votes(r, kw, shape=(16, M))),
    ]


def _dev_votes() -> Role:
    return votes(K=K, sparse=True).expecting({"zero rows": Reject()})


THRESHOLDS_PARAM = anything(
    unknown_string=reject("bogus"),
    nan=works(float("nan")),
    none=works(None),
    wrong_length=reject([0.1] * (M - 1)),
    two_d=reject(np.full((1, M), 0.2)),
    complex=reject(np.full(M, 0.2, dtype=complex)),
    fixed=works(0.3),
)

LIGER_PARAMS = constructor_roles(
    {
        "metric": METRIC,
        "thresholds": THRESHOLDS_PARAM,
        "n_partitions": anything(
            zero=reject(0),
            negative=reject(-1),
            float=reject(1.5),
            bool=reject(True),
            unknown=reject("bogus"),
            more_than_points=reject(10**9),
            tune=works("tune"),
            two=works(2),
        ),
        "label_model": choice("triplet", "majority"),
        "tune_metric": choice("auto", "accuracy", "f1", "macro_f1"),
        "threshold_search": choice("per_lf", "global"),
        "min_gain": number(low=0.0),
        "fit_on": choice("original", "extended"),
        "class_balance": LABEL_MODEL_HYPER["class_balance"],
        "extension": choice("nearest", "radius", "tune"),
        "end_model": anything(unknown=reject("bogus"), int=reject(1), logreg=works("logreg")),
        "warm_start": anything(string=reject("no"), none=reject(None), true=works(True)),
        "cardinality": integer(low=2, high=1000, optional=True),
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
        "verbose": anything(string=reject("yes"), one=reject(1)),
    }
)


def _liger_params():
    return Liger(random_state=0, n_jobs=1).get_params()


LIGER_ENTRIES = [
    Entry(
        "liger.Liger",
        quiet(lambda **params: Liger(**params).fit(**_liger_fit_args())),
        _liger_params,
        roles=LIGER_PARAMS,
        check=is_fitted,
        metric="cosine",
    ),
    Entry(
        "liger.Liger.fit",
        lambda **kw: Liger(random_state=0, n_jobs=1, cardinality=K).fit(**kw),
        _liger_fit_args,
        roles={
            # A DataFrame's columns name the LFs (lf_names_): a different fitted state.
            "L_train": votes(K=K, lfs_sibling=True, sparse=True).expecting(
                {"zero rows": Reject(), "pandas": Works()}
            ),
            "X_train": embeddings(),
            "L_dev": _dev_votes(),
            "X_dev": embeddings(),
            "y_dev": labels(K=K),
            "class_names": anything(
                one_name=reject(["a"]),
                duplicates=reject(["a", "a"]),
                string=reject("ab"),
                int=reject(3),
                names=works(["ham", "spam"]),
            ),
        },
        check=is_fitted,
        metric="cosine",
        specials={
            "dev split without labels": Special(
                lambda ctx: (Liger().fit, _liger_fit_args() | {"y_dev": None}),
                Reject(mention="y_dev"),
            ),
            "tuning without a dev split": Special(
                lambda ctx: (Liger().fit, {"L_train": data("L")[0], "X_train": data("X")[0]}),
                Reject(mention="L_dev"),
            ),
            "a vote of 2**40 with K inferred": Special(
                lambda ctx: (
                    Liger(thresholds=0.3).fit,
                    {"L_train": with_value(data("L")[0], (0, 0), 2**40), "X_train": data("X")[0]},
                ),
                Reject(mention="L_train"),
            ),
        },
    ),
    *[
        Entry(
            f"liger.Liger.{method}",
            functools.partial(lambda method, **kw: getattr(fitted_liger(), method)(**kw), method),
            functools.partial(_liger_predict_args, **extra),
            roles={
                "L": votes(K=K, sparse=True).expecting({"zero rows": Reject(mention="X")}),
                "X": embeddings().expecting({"zero rows": Reject(mention="X")}),
                **roles,
            },
            check=check,
            state=fitted_liger,
            metric="cosine",
            specials={
                "before fit": not_fitted(
                    Liger, method, L=lambda: data("L_test")[0], X=lambda: data("X_test")[0]
                )
            },
        )
        for method, extra, roles, check in _liger_labelling_methods()
    ],
    Entry(
        "liger.Liger.score",
        lambda **kw: fitted_liger().score(**kw),
        lambda: _liger_predict_args(y=data("y_test")[0], metric="accuracy"),
        roles={
            "L": votes(K=K, sparse=True).expecting({"zero rows": Reject(mention="X")}),
            "X": embeddings(),
            "y": labels(K=K).expecting({"one label fewer": Reject(mention="L and y")}),
            "metric": choice("accuracy", "f1", "macro_f1"),
        },
        check=check_score,
        state=fitted_liger,
        metric="cosine",
        specials={
            "before fit": not_fitted(
                Liger,
                "score",
                L=lambda: data("L_test")[0],
                X=lambda: data("X_test")[0],
                y=lambda: data("y_test")[0],
            )
        },
    ),
    Entry(
        "liger.Liger.lf_summary",
        lambda **kw: fitted_liger().lf_summary(**kw),
        lambda: {"names": ["a", "b", "c", "d"]},
        roles={
            "names": anything(
                too_few=reject(["a"]),
                string=reject("abcd"),
                int=reject(4),
                none=works(None),
                array=works(np.array(list("abcd"))),
            )
        },
        state=fitted_liger,
        specials={"before fit": not_fitted(Liger, "lf_summary")},
    ),
    Entry(
        "liger.Liger.set_output",
        lambda **kw: Liger().set_output(**kw),
        lambda: {"transform": "pandas"},
        roles={
            "transform": anything(
                unknown=reject("polars"), int=reject(1), none=works(None), default=works("default")
            )
        },
    ),
    *_params_entries(
        "liger.Liger", Liger, "metric", "bogus", quiet(lambda model: model.fit(**_liger_fit_args()))
    ),
    _save_entry("liger.Liger", fitted_liger, Liger),
]


def _end_fit_args():
    X, X_dev, y_dev = data("X", "X_dev", "y_dev")
    return {"X_train": X, "proba_train": np.array(proba_train()), "X_dev": X_dev, "y_dev": y_dev}


END_MODEL_ENTRIES = [
    Entry(
        "liger.EndModel",
        quiet(lambda **params: EndModel(**params).fit(**_end_fit_args())),
        lambda: end_model().get_params(),
        roles=constructor_roles(
            {
                "penalties": anything(
                    empty=reject([]),
                    negative=reject([-1.0]),
                    nan=reject([np.nan]),
                    string=reject("high"),
                    one=works([0.1]),
                    nested=reject([[0.1]]),
                ),
                "train_weights": anything(
                    empty=reject([]),
                    negative=reject([-1.0]),
                    inf=reject([np.inf]),
                    zero_only=works([0.0]),
                ),
                "n_folds": integer(low=2),
                "cv_metric": choice("accuracy", "f1", "macro_f1"),
                "random_state": RANDOM_STATE,
                "max_iter": integer(low=1),
                "warm_start": anything(string=reject("no"), true=works(True)),
            }
        ),
        check=is_fitted,
    ),
    Entry(
        "liger.EndModel.fit",
        quiet(lambda **kw: end_model().fit(**kw)),
        _end_fit_args,
        roles={
            "X_train": embeddings(dims_sibling=True).expecting({"zero rows": Reject()}),
            "proba_train": probabilities(),
            "X_dev": embeddings().expecting({"None": Reject(mention="X_dev and y_dev")}),
            "y_dev": labels(K=K).expecting({"None": Reject(mention="X_dev and y_dev")}),
        },
        check=is_fitted,
        specials={
            "no train rows: the linear probe": Special(
                lambda ctx: (
                    end_model().fit,
                    _end_fit_args()
                    | {"X_train": np.zeros((0, 6), np.float32), "proba_train": np.zeros((0, K))},
                ),
                Works(),
            ),
            "no dev split": Special(
                lambda ctx: (end_model().fit, _end_fit_args() | {"X_dev": None, "y_dev": None}),
                Works(),
            ),
        },
    ),
    *[
        Entry(
            f"liger.EndModel.{method}",
            functools.partial(
                lambda method, **kw: getattr(fitted_end_model(), method)(**kw), method
            ),
            lambda: {"X": data("X_test")[0]},
            roles={"X": embeddings(rows_sibling=False).expecting({"zero rows": Reject()})},
            check=check,
            state=fitted_end_model,
            specials={"before fit": not_fitted(end_model, method, X=lambda: data("X_test")[0])},
        )
        for method, check in [
            ("predict_proba", check_proba),
            ("predict", lambda r, kw: check_labels(r, kw, low=0)),
        ]
    ],
    *_params_entries(
        "liger.EndModel", end_model, "n_folds", 1, quiet(lambda model: model.fit(**_end_fit_args()))
    ),
    _save_entry("liger.EndModel", fitted_end_model, end_model),
]

ENTRIES += LIGER_ENTRIES + END_MODEL_ENTRIES


# ------------------------------------------------------------------------------- statistics


def _stats():
    return VoteStatistics.from_votes(data("L")[0], K)


STATISTICS_ENTRIES = [
    Entry(
        "liger.VoteStatistics.from_votes",
        VoteStatistics.from_votes,
        lambda: {
            "L": data("L")[0],
            "cardinality": K,
            "chunk_size": 7,
            "row_offset": 0,
            "total_rows": None,
            "pairwise": True,
        },
        roles={
            "L": votes(K=K, rows_sibling=False, lfs_sibling=False, sparse=True).expecting(
                {"zero rows": Works()}
            ),
            "cardinality": integer(low=2, high=1000),
            "chunk_size": integer(low=1),
            "row_offset": integer(low=0),
            "total_rows": anything(
                too_small=reject(3), zero=reject(0), float=reject(40.0), larger=works(100)
            ),
            "pairwise": anything(false=works(False)),
        },
        check=lambda result, kwargs: result.n_lfs == M,
    ),
    Entry(
        "liger.VoteStatistics.merge",
        lambda **kw: VoteStatistics.from_votes(data("L")[0][:20], K, total_rows=40).merge(**kw),
        lambda: {
            "other": VoteStatistics.from_votes(data("L")[0][20:], K, row_offset=20, total_rows=40)
        },
        roles={
            "other": anything(
                none=reject(None),
                votes=reject(data("L")[0]),
                overlapping=lambda a, ctx: (
                    VoteStatistics.from_votes(data("L")[0][:20], K, total_rows=40),
                    Reject(),
                ),
                other_cardinality=lambda a, ctx: (
                    VoteStatistics.from_votes(data("L")[0][20:], 3, row_offset=20, total_rows=40),
                    Reject(),
                ),
                other_total=lambda a, ctx: (
                    VoteStatistics.from_votes(data("L")[0][20:], K, row_offset=20, total_rows=41),
                    Reject(),
                ),
                not_pairwise=lambda a, ctx: (
                    VoteStatistics.from_votes(
                        data("L")[0][20:], K, row_offset=20, total_rows=40, pairwise=False
                    ),
                    Reject(),
                ),
            )
        },
        check=lambda result, kwargs: result.is_complete,
    ),
    Entry(
        "liger.VoteStatistics.replace_lf",
        lambda **kw: _stats().replace_lf(**kw),
        lambda: {
            "lf": 1,
            "L": data("L")[0],
            "column": np.where(data("L")[0][:, 1] == -1, 0, -1),
            "chunk_size": 16,
        },
        roles={
            "lf": integer(low=0, high=M - 1).expecting({"numpy int": Works()}),
            # The votes the statistics were built from (a cheap check: their column counts).
            "L": votes(K=K, rows_sibling=False, lfs_sibling=True, sparse=True)
            .without("zero rows")
            .plus(
                other_votes=lambda a, ctx: (
                    with_value(a, (np.flatnonzero(a[:, 1] == -1)[0], 1), 0),
                    Reject(),
                )
            )
            .expecting({"uint16 without abstentions": Reject()}),
            "column": labels(K=K)
            .without("label -1", "0-D", "zero length")
            .plus(
                abstain=lambda a, ctx: (np.full(40, -1), Works()),
                vote_minus_2=lambda a, ctx: (with_value(a, 0, -2), Reject()),
            )
            .expecting({"uint8": Reject()}),
            "chunk_size": integer(low=1),
        },
        check=lambda result, kwargs: result.is_complete,
    ),
    Entry(
        "liger.VoteStatistics.balance_sample",
        lambda: _stats().balance_sample(),
        lambda: {},
        specials={
            "without pairwise statistics": Special(
                lambda ctx: (
                    VoteStatistics.from_votes(data("L")[0], K, pairwise=False).balance_sample,
                    {},
                ),
                Reject(mention="pairwise"),
            )
        },
    ),
    Entry(
        "liger.VoteStatistics",
        VoteStatistics,
        lambda: {
            key: getattr(_stats(), key)
            for key in (
                "cardinality",
                "n_lfs",
                "total_rows",
                "row_ranges",
                "vote_counts",
                "features",
                "cooccurrence",
                "majority_wins",
                "sample_keys",
                "sample_patterns",
                "sample_counts",
            )
        },
        roles={
            "vote_counts": anything(wrong_shape=lambda a, ctx: (a[:-1], Reject())),
            "cardinality": anything(one=reject(1), string=reject("2")),
        },
        specials={
            "documented as built by from_votes": Special(
                lambda ctx: (VoteStatistics.from_votes, {"L": data("L")[0], "cardinality": K}),
                Works(),
            )
        },
    ),
]
ENTRIES += STATISTICS_ENTRIES


# ------------------------------------------------------------------------------- persistence


def _saved(ctx, model=None) -> Any:
    path = ctx.workdir / "saved.npz"
    (model or fitted_label_model()).save(path)
    return path


def _corrupted(ctx) -> Any:
    path = _saved(ctx)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    return path


PERSISTENCE_ENTRIES = [
    Entry(
        "liger.load",
        liger.load,
        lambda ctx: {"path": _saved(ctx)},
        roles={
            "path": path(exists=True).plus(
                # ModelFileError (a ValueError) names the file.
                text_file=lambda a, ctx: (
                    _text_file(ctx),
                    Reject((liger.ModelFileError,), "notes.npz"),
                ),
                corrupted=lambda a, ctx: (
                    _corrupted(ctx),
                    Reject((liger.ModelFileError,), "saved.npz"),
                ),
                truncated=lambda a, ctx: (
                    _truncated(ctx),
                    Reject((liger.ModelFileError,), "saved.npz"),
                ),
                str_path=lambda a, ctx: (str(a), Works()),
                bytes_path=lambda a, ctx: (str(a).encode(), Works()),
            )
        },
        check=is_fitted,
    ),
]
ENTRIES += PERSISTENCE_ENTRIES


def _text_file(ctx):
    path = ctx.workdir / "notes.npz"
    path.write_text("not a model")
    return path


def _truncated(ctx):
    path = _saved(ctx)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 3])
    return path


# ------------------------------------------------------------------------------- diagnostics


def _nearest_votes(split="X"):
    from liger.extension.tuning import NearestVotes

    L, X = data("L", "X")
    Q, LQ = (X, L) if split == "X" else data("X_dev", "L_dev")
    scores, indices = liger.nearest_support(Q, X, L, n_jobs=1)
    return NearestVotes.from_search(LQ, scores, indices, L, "cosine")


def _curves():
    return liger.diagnostics.extension_curves(
        _nearest_votes(), _nearest_votes("dev"), data("y_dev")[0], as_frame=False
    )


def _plot(**kw):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        return liger.diagnostics.plot_extension_curves(**kw)
    finally:
        plt.close("all")


AS_FRAME = anything(false=works(False), true=works(True), string=reject("yes"))
NAMES = anything(too_few=reject(["a"]), string=reject("abcd"), int=reject(4), none=works(None))

DIAGNOSTICS_ENTRIES = [
    Entry(
        "liger.diagnostics.lf_table",
        liger.diagnostics.lf_table,
        lambda: {
            "L": data("L")[0],
            "L_extended": fitted_liger().transform(*data("L", "X")),
            "L_dev": data("L_dev")[0],
            "y_dev": data("y_dev")[0],
            "L_dev_extended": fitted_liger().transform(*data("L_dev", "X_dev")),
            "names": list("abcd"),
            "as_frame": False,
        },
        roles={
            # Classes are counted per row: a vote beyond MAX_CLASSES is an error here.
            "L": votes(K=None, rows_sibling=True, lfs_sibling=True).expecting(
                {"zero rows": Reject(mention="L_extended"), "vote 2**40": Reject()}
            ),
            "L_extended": votes(K=None).expecting(
                {"None": Works(), "vote 2**40": Reject(mention="L")}
            ),
            "L_dev": votes(K=None).expecting({"None": Reject(mention="L_dev and y_dev")}),
            "y_dev": labels(K=K).expecting(
                {"label K": Works(), "None": Reject(mention="L_dev and y_dev")}
            ),
            "L_dev_extended": votes(K=None).expecting({"None": Works()}),
            "names": NAMES,
            "as_frame": AS_FRAME,
        },
    ),
    Entry(
        "liger.diagnostics.what_changed",
        liger.diagnostics.what_changed,
        lambda: {
            "before": proba_train(),
            "after": np.roll(proba_train(), 1, axis=0),
            "votes_before": data("L")[0],
            "votes_after": data("L")[0],
            "dev_before": fitted_label_model().predict_proba(data("L_dev")[0]),
            "dev_after": fitted_label_model().predict(data("L_dev")[0]),
            "y_dev": data("y_dev")[0],
            "metric": "accuracy",
            "as_frame": False,
        },
        roles={
            "before": probabilities()
            .without("rows not summing to 1", "one class", "1-D")
            .plus(labels=lambda a, ctx: (np.argmax(a, axis=1), Works())),
            "after": probabilities()
            .without("rows not summing to 1", "one class", "1-D")
            .plus(labels=lambda a, ctx: (np.argmax(a, axis=1), Works())),
            "votes_before": votes(K=None, lfs_sibling=False).expecting({"None": Works()}),
            "votes_after": votes(K=None, lfs_sibling=False).expecting({"None": Works()}),
            "dev_before": probabilities()
            .without("rows not summing to 1", "one class", "1-D")
            .expecting({"None": Reject(mention="dev_before, dev_after, y_dev")}),
            "y_dev": labels(K=K).expecting(
                {"None": Reject(mention="dev_before, dev_after, y_dev"), "label K": Works()}
            ),
            "metric": choice("accuracy", "f1", "macro_f1"),
            "as_frame": AS_FRAME,
        },
    ),
    Entry(
        "liger.diagnostics.extension_curves",
        liger.diagnostics.extension_curves,
        lambda: {
            "train": _nearest_votes(),
            "dev": _nearest_votes("dev"),
            "y_dev": data("y_dev")[0],
            "levels": (0.0, 0.5, 1.0),
            "names": list("abcd"),
            "as_frame": False,
        },
        roles={
            "train": anything(none=reject(None), votes=reject(data("L")[0])),
            "dev": anything(
                votes=reject(data("L_dev")[0]),
                none=lambda a, ctx: (None, Reject(mention="dev and y_dev")),
            ),
            "y_dev": labels(K=K).expecting(
                {"None": Reject(mention="dev and y_dev"), "label K": Works()}
            ),
            "levels": anything(
                nan=reject([np.nan]),
                above_one=reject([1.5]),
                negative=reject([-0.1]),
                string=reject("all"),
                empty=reject([]),
            ),
            "names": NAMES,
            "as_frame": AS_FRAME,
        },
    ),
    Entry(
        "liger.diagnostics.plot_extension_curves",
        _plot,
        lambda: {
            "curves": _curves(),
            "chosen_levels": fitted_liger().levels_,
            "names": None,
            "axes": None,
        },
        roles={
            "curves": anything(
                none=reject(None),
                array=reject(np.zeros((3, 3))),
                table_without_columns=lambda a, ctx: (
                    liger.diagnostics.Table({"x": np.arange(3)}),
                    Reject(),
                ),
            ),
            "chosen_levels": anything(wrong_length=reject([0.1]), strings=reject("high")),
            "names": anything(unknown=reject(["zzz"]), string=reject("zzz")),
        },
    ),
    Entry(
        "liger.diagnostics.Table",
        liger.diagnostics.Table,
        lambda: {"columns": {"a": np.arange(3), "b": ["x", "y", "z"]}},
        roles={
            "columns": anything(
                ragged=reject({"a": np.arange(3), "b": [1]}),
                none=reject(None),
                list=reject([1, 2]),
                empty=works({}),
                two_d=reject({"a": np.zeros((2, 2))}),
            )
        },
    ),
    Entry(
        "liger.diagnostics.Table.to_dict",
        lambda: liger.diagnostics.Table({"a": np.arange(3)}).to_dict(),
        lambda: {},
        specials={
            "empty table": Special(lambda ctx: (liger.diagnostics.Table({}).to_dict, {}), Works())
        },
    ),
    Entry(
        "liger.diagnostics.Table.to_pandas",
        lambda: liger.diagnostics.Table({"a": np.arange(3)}).to_pandas(),
        lambda: {},
        specials={
            "empty table": Special(lambda ctx: (liger.diagnostics.Table({}).to_pandas, {}), Works())
        },
    ),
]
ENTRIES += DIAGNOSTICS_ENTRIES


# ------------------------------------------------------------------------------- datasets


def _wrench_folder(ctx, *, train=None, label=None, embeddings=None) -> Any:
    """A tiny WRENCH folder (3 train items, 2 LFs, d = 4) in the test's folder; the keyword
    arguments replace its files' contents."""
    import json

    folder = ctx.workdir / "wrench"
    folder.mkdir(exist_ok=True)
    items = {
        str(i): {"data": {"text": f"item {i}"}, "label": i % 2, "weak_labels": [i % 2, -1]}
        for i in range(3)
    }
    (folder / "label.json").write_text(
        json.dumps(label if label is not None else {"0": "a", "1": "b"})
    )
    (folder / "train.json").write_text(json.dumps(train if train is not None else items))
    X = embeddings if embeddings is not None else np.arange(12, dtype=np.float32).reshape(3, 4)
    np.save(folder / "emb_minilm_train.npy", X)
    return folder


def _item_with(**fields):
    items = {
        str(i): {"data": {"text": f"item {i}"}, "label": i % 2, "weak_labels": [i % 2, -1]}
        for i in range(3)
    }
    items["1"].update(fields)
    return items


def _broken_folder(**kwargs):
    return lambda a, ctx: (_wrench_folder(ctx, **kwargs), Reject(mention=".json"))


DATASET_ENTRIES = [
    Entry(
        "liger.load_wrench",
        liger.load_wrench,
        lambda ctx: {"folder": _wrench_folder(ctx), "embeddings": "minilm", "splits": ("train",)},
        roles={
            "folder": path(exists=True)
            .without("int")
            .plus(
                float_votes=_broken_folder(train=_item_with(weak_labels=[1.7, -1])),
                string_votes=_broken_folder(train=_item_with(weak_labels=["1", -1])),
                vote_out_of_range=_broken_folder(train=_item_with(weak_labels=[2, -1])),
                ragged_votes=_broken_folder(train=_item_with(weak_labels=[1])),
                votes_not_a_list=_broken_folder(train=_item_with(weak_labels=1)),
                float_label=_broken_folder(train=_item_with(label=0.5)),
                label_out_of_range=_broken_folder(train=_item_with(label=7)),
                missing_text=_broken_folder(train={"0": {"weak_labels": [0, -1]}}),
                bad_keys=_broken_folder(train={"a": {"data": {"text": "x"}, "weak_labels": [0]}}),
                empty_label_json=_broken_folder(label={}),
                wrong_embedding_rows=lambda a, ctx: (
                    _wrench_folder(ctx, embeddings=np.zeros((2, 4), np.float32)),
                    Reject(mention="emb_minilm_train.npy"),
                ),
                string_embeddings=lambda a, ctx: (
                    _wrench_folder(ctx, embeddings=np.array([["a"] * 4] * 3)),
                    Reject(mention="emb_minilm_train.npy"),
                ),
            ),
            "embeddings": anything(
                unknown=lambda a, ctx: (
                    "bogus",
                    Reject((OSError, ValueError), mention="emb_bogus_train.npy"),
                ),
                none=works(None),
            ),
            "splits": anything(
                unknown=reject(["dev"]),
                empty=reject([]),
                one_string=works("train"),
                none=reject(None),
            ),
        },
        check=lambda result, kwargs: result.train.L.shape == (3, 2),
    ),
    Entry(
        "liger.load_example",
        liger.load_example,
        lambda: {"name": "youtube"},
        roles={
            "name": anything(
                unknown=reject("imdb"),
                none=reject(None),
                int=reject(1),
                path_like=reject("../youtube"),
            )
        },
        check=lambda result, kwargs: result.train.X.dtype == np.float32,
    ),
]
ENTRIES += DATASET_ENTRIES


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
            "unknown keyword": Special(
                lambda ctx: (liger.apply_lfs, {"lfs": [_spam_lf()], "records": TEXTS, "bogus": 1}),
                Reject(mention="bogus"),
            )
        },
    ),
]
ENTRIES += LF_ENTRIES


def _applied():
    applier = liger.LFApplier(backend="serial")
    applier.apply([_spam_lf()], TEXTS)
    return applier


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
        },
        roles={
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
ENTRIES += SESSION_ENTRIES


def _edited_session():
    session = new_session()
    quiet(session.set_thresholds)(0.2)
    return session


# ------------------------------------------------------------------------------- liger.dask
#
# The Dask entry points take row-chunked Dask arrays; here every NumPy argument is cut into row
# chunks of 16 before the call (other values pass as they are), the perturbations act on the
# NumPy values, and results are computed on the synchronous scheduler (errors inside tasks
# surface at compute).


def _chunked(value, rows=16):
    import dask.array as da

    if isinstance(value, np.ndarray) and value.ndim == 2 and value.dtype != object and value.size:
        return da.from_array(value, chunks=(rows, -1))
    return value


def _computed(result):
    import dask

    return dask.compute(result, scheduler="synchronous")[0]


def _dask_call(function, chunk=("queries", "L", "X", "base", "L_base", "X_base")):
    def call(**kw):
        kw = {k: _chunked(v) if k in chunk else v for k, v in kw.items()}
        return _computed(function(**kw))

    return call


def _fitted_dask():
    return _fitted_dask_cached()


@functools.cache
@quiet
def _fitted_dask_cached():
    from liger.dask import DaskLiger

    L, X, L_dev, X_dev, y_dev = data("L", "X", "L_dev", "X_dev", "y_dev")
    return DaskLiger(Liger(random_state=0, n_jobs=1)).fit(
        _chunked(L), _chunked(X), L_dev, X_dev, y_dev
    )


def _dask_fit(**kw):
    from liger.dask import DaskLiger

    kw = {k: _chunked(v) if k in ("L_train", "X_train") else v for k, v in kw.items()}
    return quiet(DaskLiger(Liger(random_state=0, n_jobs=1, cardinality=K)).fit)(**kw)


def _dask_support():
    from liger.dask import SupportBase

    L, X = data("L", "X")
    return SupportBase(_chunked(X), _chunked(L))


def _dask_train_votes():
    from liger.dask import DaskNearestVotes, nearest_votes

    L, X = data("L", "X")
    scores, _, candidate = nearest_votes(_chunked(X), _dask_support(), n_jobs=1)
    return DaskNearestVotes(_chunked(L), candidate, scores, True)


DASK_LAYOUT_ONLY = ("pandas", "python list")  # converted by NumPy first: one chunk


def _dask_entries() -> list[Entry]:
    from liger import dask as ldask

    search_roles = {
        "queries": embeddings(rows_sibling=False),
        "base": embeddings(),
        "L_base": votes(K=None, lfs_sibling=False).without("csr", "csc"),
        "metric": METRIC,
        "n_jobs": anything(
            zero=reject(0),
            negative=reject(-1),
            huge=reject(10**9),
            float=reject(1.5),
            bool=reject(True),
            two=works(2),
        ),
    }
    return [
        Entry(
            "liger.dask.nearest_support",
            _dask_call(ldask.nearest_support),
            lambda: _search_args(metric="cosine"),
            roles=search_roles,
            check=lambda r, kw: check_search(r, kw, q=16, width=M, n=40),
            metric="cosine",
        ),
        Entry(
            "liger.dask.extend",
            _dask_call(ldask.extend),
            lambda: {
                k: v
                for k, v in _extend_args().items()
                if k not in ("rule", "max_neighbors", "kernel")
            },
            roles={
                "L": votes(K=None).without("csr", "csc"),
                "X": embeddings(),
                "L_base": votes(K=None).without("csr", "csc"),
                "X_base": embeddings(),
                "thresholds": thresholds(M),
                "metric": METRIC,
                "n_jobs": search_roles["n_jobs"],
            },
            check=lambda r, kw: check_votes(r, kw, shape=(16, M)),
            metric="cosine",
        ),
        Entry(
            "liger.dask.nearest_votes",
            _dask_call(ldask.nearest_votes),
            lambda: {
                "queries": data("X_test")[0],
                "support": _dask_support(),
                "metric": "cosine",
                "n_jobs": 1,
            },
            roles={
                "queries": embeddings(rows_sibling=False),
                "support": anything(none=reject(None), array=reject(data("X")[0])),
                "metric": METRIC,
                "n_jobs": search_roles["n_jobs"],
            },
            metric="cosine",
        ),
        Entry(
            "liger.dask.SupportBase",
            # A NumPy base: validated here, once (a Dask base is validated by each task).
            lambda **kw: _support_arrays(ldask.SupportBase(**kw)),
            lambda: {"base": data("X")[0], "L_base": data("L")[0]},
            roles={
                "base": embeddings(dims_sibling=False).without("zero vector"),
                "L_base": votes(K=None, lfs_sibling=False).without("csr", "csc"),
            },
            check=lambda r, kw: r[1].shape[1] == M,
        ),
        Entry(
            "liger.dask.SupportBase.shards",
            lambda: _dask_support().shards(),
            lambda: {},
            specials={
                "a NumPy base is one shard": Special(
                    lambda ctx: (ldask.SupportBase(*data("X", "L")).shards, {}), Works()
                )
            },
        ),
        Entry(
            "liger.dask.to_npy",
            lambda array, path: ldask.to_npy(_chunked(array), path),
            lambda ctx: {"array": np.array(proba_train()), "path": ctx.workdir / "p.npy"},
            roles={
                "array": anything(list=reject([[1.0]]), none=reject(None)),
                "path": path(exists=False).without("int"),
            },
            check=lambda r, kw: np.load(r).shape == (40, K),
        ),
        Entry(
            "liger.dask.DaskLiger",
            lambda **params: _dask_fit_with(**params),
            lambda: {
                "estimator": Liger(random_state=0, n_jobs=1),
                "n_jobs": 1,
                "base_chunk_rows": None,
            },
            roles={
                "estimator": anything(label_model=reject(LabelModel()), string=reject("liger")),
                "n_jobs": search_roles["n_jobs"],
                "base_chunk_rows": anything(zero=reject(0), float=reject(1.5), small=works(7)),
            },
            check=is_fitted,
        ),
        Entry(
            "liger.dask.DaskLiger.fit",
            _dask_fit,
            lambda: {k: v for k, v in _liger_fit_args().items() if k != "class_names"},
            roles={
                "L_train": votes(K=K, lfs_sibling=True)
                .without("csr", "csc")
                .expecting({"zero rows": Reject(), "pandas": Works()}),
                "X_train": embeddings(),
                "L_dev": votes(K=K).expecting({"zero rows": Reject()}),
                "X_dev": embeddings(),
                "y_dev": labels(K=K),
            },
            check=is_fitted,
            metric="cosine",
        ),
        *[
            Entry(
                f"liger.dask.DaskLiger.{method}",
                functools.partial(
                    lambda method, **kw: _computed(
                        getattr(_fitted_dask(), method)(
                            **{k: _chunked(v) if k in ("L", "X") else v for k, v in kw.items()}
                        )
                    ),
                    method,
                ),
                functools.partial(_liger_predict_args, **extra),
                roles={
                    "L": votes(K=K)
                    .without("csr", "csc")
                    .expecting({"zero rows": Reject(mention="X")}),
                    "X": embeddings().expecting({"zero rows": Reject(mention="X")}),
                    **roles,
                },
                check=check,
                state=_fitted_dask,
                metric="cosine",
                specials={
                    "before fit": not_fitted(
                        ldask.DaskLiger,
                        method,
                        L=lambda: data("L_test")[0],
                        X=lambda: data("X_test")[0],
                    )
                },
            )
            for method, extra, roles, check in _liger_labelling_methods()
        ],
        *_params_entries(
            "liger.dask.DaskLiger", ldask.DaskLiger, "n_jobs", 0, lambda model: _dask_refit(model)
        ),
        Entry(
            "liger.dask.DaskNearestVotes",
            lambda **kw: ldask.DaskNearestVotes(**kw).coverage(None),
            lambda: {
                k: getattr(_dask_train_votes(), k)
                for k in ("L", "candidate", "scores", "higher_is_better")
            },
            specials={
                "documented as built by nearest_votes": Special(
                    lambda ctx: (_dask_train_votes, {}), Works()
                )
            },
        ),
        *[
            Entry(
                f"liger.dask.DaskNearestVotes.{method}",
                functools.partial(
                    lambda method, **kw: _computed(getattr(_dask_train_votes(), method)(**kw)),
                    method,
                ),
                (lambda fixed: lambda: dict(fixed))(args),
                roles=roles,
            )
            for method, args, roles in [
                (
                    "coverage",
                    {"thresholds": np.full(M, 0.3, np.float32)},
                    {
                        "thresholds": anything(
                            wrong_length=reject(np.full(M + 1, 0.3)), none=works(None)
                        )
                    },
                ),
                (
                    "extend",
                    {"thresholds": np.full(M, 0.3, np.float32)},
                    {
                        "thresholds": anything(
                            wrong_length=reject(np.full(M + 1, 0.3)), nan=works(np.full(M, np.nan))
                        )
                    },
                ),
                (
                    "grid",
                    {"levels": (0.0, 0.5, 1.0)},
                    {
                        "levels": anything(
                            above_one=reject([1.5]), nan=reject([np.nan]), string=reject("all")
                        )
                    },
                ),
                (
                    "statistics",
                    {"cardinality": K, "thresholds": None, "pairwise": True},
                    {
                        "cardinality": integer(low=2, high=1000).expecting({"numpy int": Works()}),
                        "thresholds": anything(wrong_length=reject(np.full(M + 1, 0.3))),
                    },
                ),
            ]
        ],
        Entry(
            "liger.dask.DaskNearestVotes.from_search",
            lambda **kw: ldask.DaskNearestVotes.from_search(**kw),
            lambda: {
                "L": data("L_test")[0],
                "scores": _nearest()[0],
                "indices": _nearest()[1],
                "L_base": data("L")[0],
                "metric": "cosine",
            },
            roles={
                "indices": anything(
                    row_n=reject(with_value(_nearest()[1], (0, 0), 40)),
                    float=reject(_nearest()[1].astype(float)),
                ),
                "scores": anything(wrong_shape=reject(_nearest()[0][:-1])),
                "metric": METRIC,
            },
        ),
    ]


def _support_arrays(support):
    """A SupportBase's embeddings and votes, computed (what the searches read)."""
    return _computed((support.X, support.L)) + (support.offsets,)


def _dask_fit_with(**params):
    from liger.dask import DaskLiger

    L, X, L_dev, X_dev, y_dev = data("L", "X", "L_dev", "X_dev", "y_dev")
    return quiet(DaskLiger(**params).fit)(_chunked(L), _chunked(X), L_dev, X_dev, y_dev)


def _dask_refit(model):
    L, X, L_dev, X_dev, y_dev = data("L", "X", "L_dev", "X_dev", "y_dev")
    return quiet(model.fit)(_chunked(L), _chunked(X), L_dev, X_dev, y_dev)


try:
    import dask  # noqa: F401

    ENTRIES += _dask_entries()
    DASK_AVAILABLE = True
except ImportError:  # liger.dask is an extra; CI installs it
    DASK_AVAILABLE = False
