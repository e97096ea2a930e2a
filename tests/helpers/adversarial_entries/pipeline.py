"""Registry entries of ``Liger`` and ``EndModel``."""

from __future__ import annotations

import functools

import numpy as np

from liger import EndModel, Liger

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
    number,
    reject,
    votes,
    works,
)
from .common import (
    METRIC,
    Entry,
    K,
    M,
    Special,
    check_labels,
    check_proba,
    check_score,
    check_votes,
    data,
    end_model,
    fitted_end_model,
    fitted_liger,
    is_fitted,
    not_fitted,
    proba_train,
    quiet,
)
from .conventions import with_value
from .label_model import (
    LABEL_MODEL_HYPER,
    RANDOM_STATE,
    _params_entries,
    _save_entry,
    constructor_roles,
)

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
    """Arguments of the weak supervision fit (``EndModel._fit_weak``, what Liger calls)."""
    X, X_dev, y_dev = data("X", "X_dev", "y_dev")
    return {"X_train": X, "proba_train": np.array(proba_train()), "X_dev": X_dev, "y_dev": y_dev}


def _fit_weak(model):
    return model._fit_weak(**_end_fit_args())


def _labelled_args():
    """Arguments of the scikit-learn fit ``EndModel.fit(X, y, sample_weight)``."""
    X_dev, y_dev = data("X_dev", "y_dev")
    return {"X": X_dev, "y": y_dev, "sample_weight": np.ones(len(y_dev))}


#: scikit-learn's conversions of features: an object array of numbers is numbers.
_FEATURES = {"object": lambda new: Same(new.astype(np.float32))}

_TARGETS = anything(
    soft=lambda a, ctx: (np.eye(K)[a], Works()),
    strings=lambda a, ctx: (a.astype(str), Works()),
    integral_floats=lambda a, ctx: (a.astype(np.float64), Works()),
    column_vector=lambda a, ctx: (a[:, None], Works()),
    python_list=lambda a, ctx: (a.tolist(), Works()),
    none=reject(None),
    continuous=lambda a, ctx: (a + 0.5, Reject()),
    nan=lambda a, ctx: (with_value(a.astype(np.float64), 0, np.nan), Reject()),
    one_class=lambda a, ctx: (np.zeros_like(a), Reject()),
    one_label_fewer=lambda a, ctx: (a[:-1], Reject()),
    three_d=lambda a, ctx: (a[None, :, None], Reject()),
    soft_rows_not_summing_to_1=lambda a, ctx: (2 * np.eye(K)[a], Reject()),
    soft_one_row_fewer=lambda a, ctx: (np.eye(K)[a][:-1], Reject()),
)

_SAMPLE_WEIGHT = anything(
    none=works(None),
    scalar=works(2.0),
    python_list=lambda a, ctx: (a.tolist(), Works()),
    integers=lambda a, ctx: (a.astype(np.int64), Works()),
    some_zero=lambda a, ctx: (with_value(a, 0, 0.0), Works()),
    all_zero=lambda a, ctx: (a * 0, Reject()),
    negative=lambda a, ctx: (with_value(a, 0, -1.0), Reject()),
    nan=lambda a, ctx: (with_value(a, 0, np.nan), Reject()),
    one_fewer=lambda a, ctx: (a[:-1], Reject()),
    two_d=lambda a, ctx: (a[:, None], Reject()),
    strings=lambda a, ctx: (a.astype(str), Reject()),
)


END_MODEL_ENTRIES = [
    Entry(
        "liger.EndModel",
        quiet(lambda **params: _fit_weak(EndModel(**params))),
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
                    nan=reject([np.nan]),
                    inf=works([np.inf]),
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
        _labelled_args,
        roles={
            "X": embeddings(dims_sibling=False).expecting({"zero rows": Reject(), **_FEATURES}),
            "y": _TARGETS,
            "sample_weight": _SAMPLE_WEIGHT,
        },
        check=is_fitted,
        specials={
            "the weak fit without train rows: the linear probe": Special(
                lambda ctx: (
                    end_model()._fit_weak,
                    _end_fit_args()
                    | {"X_train": np.zeros((0, 6), np.float32), "proba_train": np.zeros((0, K))},
                ),
                Works(),
            ),
            "the weak fit without a dev split": Special(
                lambda ctx: (
                    end_model()._fit_weak,
                    _end_fit_args() | {"X_dev": None, "y_dev": None},
                ),
                Works(),
            ),
            "the weak fit with X_dev but no y_dev": Special(
                lambda ctx: (end_model()._fit_weak, _end_fit_args() | {"y_dev": None}),
                Reject(mention="X_dev and y_dev"),
            ),
        },
    ),
    Entry(
        "liger.EndModel.score",
        lambda **kw: fitted_end_model().score(**kw),
        lambda: {"X": data("X_test")[0], "y": data("y_test")[0], "sample_weight": None},
        roles={
            "X": embeddings().expecting({"zero rows": Reject(), **_FEATURES}),
            "y": anything(
                none=reject(None),
                one_fewer=lambda a, ctx: (a[:-1], Reject()),
                two_d=lambda a, ctx: (a[:, None], Reject()),
                unseen_label=lambda a, ctx: (a + K, Works()),
            ),
            "sample_weight": anything(
                ones=lambda a, ctx: (np.ones(len(data("y_test")[0])), Works()),
                negative=lambda a, ctx: (-np.ones(len(data("y_test")[0])), Reject()),
            ),
        },
        check=check_score,
        state=fitted_end_model,
        specials={
            "before fit": not_fitted(
                end_model, "score", X=lambda: data("X_test")[0], y=lambda: data("y_test")[0]
            )
        },
    ),
    *[
        Entry(
            f"liger.EndModel.{method}",
            functools.partial(
                lambda method, **kw: getattr(fitted_end_model(), method)(**kw), method
            ),
            lambda: {"X": data("X_test")[0]},
            roles={
                "X": embeddings(rows_sibling=False).expecting({"zero rows": Reject(), **_FEATURES})
            },
            check=check,
            state=fitted_end_model,
            specials={"before fit": not_fitted(end_model, method, X=lambda: data("X_test")[0])},
        )
        for method, check in [
            ("predict_proba", check_proba),
            ("predict", lambda r, kw: check_labels(r, kw, low=0)),
        ]
    ],
    *_params_entries("liger.EndModel", end_model, "n_folds", 1, quiet(_fit_weak)),
    _save_entry("liger.EndModel", fitted_end_model, end_model),
]
