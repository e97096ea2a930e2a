"""A fitted Liger owns the arrays it keeps: the caller reusing its buffers after fit changes no
prediction."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from liger import Liger

from ..helpers.sessions import make_problem


@pytest.mark.parametrize("extension", ["nearest", "radius"])
@pytest.mark.parametrize("layout", ["float32", "frame"])
def test_mutating_the_inputs_after_fit_changes_no_prediction(extension, layout):
    (L, X, _), (L_dev, X_dev, y_dev), (L_test, X_test, _) = make_problem(3, m=5)
    X, X_dev = X.astype(np.float32), X_dev.astype(np.float32)  # no conversion: no copy by it
    L, L_dev, y_dev = L.astype(np.int64), L_dev.astype(np.int64), y_dev.astype(np.int64)
    if layout == "frame":
        pd = pytest.importorskip("pandas")
        L_in, X_in = pd.DataFrame(L), pd.DataFrame(X)
    else:
        L_in, X_in = L, X
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = Liger(thresholds=0.3, extension=extension).fit(L_in, X_in, L_dev, X_dev, y_dev)
        expected = model.predict_proba(L_test, X_test)
        summary = model.lf_summary()
        # The caller reuses its buffers.
        for array in (L, L_dev, y_dev):
            array[...] = np.random.default_rng(0).integers(-1, 2, array.shape)
        for array in (X, X_dev):
            array[...] = np.random.default_rng(1).standard_normal(array.shape)
        if layout == "frame":
            L_in.iloc[:, :] = -1
            X_in.iloc[:, :] = 0.5
        np.testing.assert_array_equal(model.predict_proba(L_test, X_test), expected)
        assert repr(model.lf_summary()) == repr(summary)
