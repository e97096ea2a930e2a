"""Registry entries of ``liger.dask`` (only when dask is installed)."""

from __future__ import annotations

import functools

import numpy as np

from liger import LabelModel, Liger

from ..adversarial import (
    Reject,
    Works,
    anything,
    embeddings,
    integer,
    labels,
    path,
    reject,
    thresholds,
    votes,
    works,
)
from .common import (
    METRIC,
    Entry,
    K,
    M,
    Special,
    check_search,
    check_votes,
    data,
    is_fitted,
    not_fitted,
    proba_train,
    quiet,
)
from .conventions import with_value
from .label_model import _params_entries
from .pipeline import _liger_fit_args, _liger_labelling_methods, _liger_predict_args
from .search import _extend_args, _nearest, _search_args

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
