"""Registry entries of the label models (``LabelModel``, ``MajorityVoter``)."""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from liger import LabelModel, MajorityVoter, VoteStatistics

from ..adversarial import (
    Reject,
    Role,
    Works,
    anything,
    choice,
    integer,
    labels,
    number,
    path,
    reject,
    votes,
    works,
)
from .common import (
    Entry,
    K,
    Special,
    check_labels,
    check_proba,
    check_score,
    data,
    fitted_label_model,
    fitted_majority,
    is_fitted,
    not_fitted,
)
from .conventions import with_value

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
            lambda: {
                "L": L_test,
                "tie_break_policy": "random",
                "random_state": 0,
                "no_votes": "abstain",
            },
            roles={
                "L": _predict_votes(),
                "tie_break_policy": choice("abstain", "random", "lowest"),
                "random_state": RANDOM_STATE,
                "no_votes": choice("posterior", "abstain"),
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
                "no_votes": "posterior",
            },
            roles={
                "L": _predict_votes().expecting({"zero rows": Reject(mention="L")}),
                "y": labels(K=K).expecting({"one label fewer": Reject(mention="L and y")}),
                "metrics": anything(
                    unknown=reject(["bogus"]), int=reject(3), one=works("macro_f1")
                ),
                "tie_break_policy": choice("abstain", "random", "lowest"),
                "random_state": RANDOM_STATE,
                "no_votes": choice("posterior", "abstain"),
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


def read_only(a):
    a = np.array(a)
    a.flags.writeable = False
    return a
