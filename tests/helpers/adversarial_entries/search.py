"""Registry entries of the searches and the extension (``liger.nearest_support``, ``knn_graph``,
``radius_neighbors``, ``extend_votes``, ``extend``)."""

from __future__ import annotations

import functools

import numpy as np
import scipy.sparse

import liger

from ..adversarial import (
    Reject,
    Works,
    anything,
    choice,
    embeddings,
    indices,
    integer,
    n_jobs,
    number,
    reject,
    scores,
    thresholds,
    votes,
    works,
)
from .common import KERNEL, METRIC, Entry, M, Special, check_search, check_votes, data

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
    Entry(
        "liger.progress",
        lambda **kw: _search_with_progress(**kw),
        lambda: {"callback": lambda stage, done, total: None},
        roles={
            "callback": anything(
                true=works(True),
                false=works(False),
                none=works(None),
                integer=reject(3),
                string=reject("tqdm"),
                not_callable=reject([print]),
            )
        },
        check=lambda result, kwargs: check_search(result, kwargs, q=40, width=3, n=40),
    ),
]


def _search_with_progress(**kw):
    """A small search inside ``liger.progress(**kw)``."""
    with liger.progress(**kw):
        return liger.knn_graph(data("X")[0], 3)
