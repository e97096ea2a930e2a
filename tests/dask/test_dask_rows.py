"""Errors raised inside a Dask chunk name rows of the whole array, not of the chunk."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ..conftest import require_module
from ..helpers.sessions import make_problem

require_module("dask")

import dask  # noqa: E402
import dask.array as da  # noqa: E402

import liger  # noqa: E402
import liger.dask as ldask  # noqa: E402
from liger.dask._dask_search import global_rows  # noqa: E402


@pytest.fixture(scope="module")
def problem():
    (L, X, _), (L_dev, X_dev, y_dev), (L_test, X_test, _) = make_problem(0, n=300, n_test=300)
    return (L, X.astype(np.float32)), (L_dev, X_dev, y_dev), (L_test, X_test.astype(np.float32))


def _chunked(array):
    return da.from_array(array, chunks=(100, -1))


def test_a_bad_query_row_is_named_by_its_global_row(problem):
    (L, X), dev, (L_test, X_test) = problem
    Q = X_test.copy()
    Q[250, 3] = np.nan
    with pytest.raises(ValueError, match=r"queries: .* at row 250, column 3 \(in the chunk"):
        dask.compute(ldask.nearest_support(_chunked(Q), X, L), scheduler="sync")
    # A bad base row of a chunked base: its global row too.
    B = X.copy()
    B[170, 1] = np.inf
    with pytest.raises(ValueError, match=r"base: .* at row 170, column 1"):
        dask.compute(ldask.nearest_support(_chunked(X_test), _chunked(B), L), scheduler="sync")


def test_predict_proba_names_global_rows(problem):
    (L, X), (L_dev, X_dev, y_dev), (L_test, X_test) = problem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ldask.DaskLiger(liger.Liger(thresholds=0.3)).fit(
            _chunked(L), _chunked(X), L_dev, X_dev, y_dev
        )
    Q = X_test.copy()
    Q[250, 3] = np.nan
    with pytest.raises(ValueError, match=r"X: .* at row 250, column 3"):
        dask.compute(model.predict_proba(_chunked(L_test), _chunked(Q)), scheduler="sync")


def test_global_rows_shifts_every_row_of_a_message():
    error = global_rows(ValueError("X: bad at row 5, rows 2..7; row 0"), 100, "somewhere")
    assert type(error) is ValueError
    assert str(error) == "X: bad at row 105, rows 102..107; row 100 (in the chunk of somewhere)"
