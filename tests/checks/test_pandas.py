"""pandas DataFrames / Series wherever arrays are accepted, and DataFrame outputs on request."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import liger
from liger import LabelModel, Liger, MajorityVoter


def _data(seed=0, n=300, q=80, d=6, m=4):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    Q = rng.standard_normal((q, d)).astype(np.float32)
    L = np.where(rng.random((n, m)) < 0.3, rng.integers(0, 2, (n, m)), -1)
    L_q = np.where(rng.random((q, m)) < 0.3, rng.integers(0, 2, (q, m)), -1)
    y = rng.integers(0, 2, q)
    return X, Q, L, L_q, y


def _frames(X, L, index_start=1000):
    index = pd.RangeIndex(index_start, index_start + X.shape[0], name="item")
    X_df = pd.DataFrame(X, index=index, columns=[f"e{i}" for i in range(X.shape[1])])
    L_df = pd.DataFrame(L, index=index, columns=[f"lf_{j}" for j in range(L.shape[1])])
    return X_df, L_df


@pytest.fixture(autouse=True)
def _quiet_label_model():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_search_and_extension_accept_dataframes():
    X, Q, L, L_q, _ = _data()
    X_df, L_df = _frames(X, L)
    Q_df, Lq_df = _frames(Q, L_q, index_start=0)
    for a, b in zip(liger.nearest_support(Q_df, X_df, L_df), liger.nearest_support(Q, X, L)):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(liger.knn_graph(X_df, 3), liger.knn_graph(X, 3)):
        np.testing.assert_array_equal(a, b)
    assert (liger.radius_neighbors(X_df, 0.5) != liger.radius_neighbors(X, 0.5)).nnz == 0
    for rule in ("nearest", "radius"):
        np.testing.assert_array_equal(
            liger.extend(Lq_df, Q_df, L_df, X_df, 0.4, rule=rule),
            liger.extend(L_q, Q, L, X, 0.4, rule=rule),
        )


def test_nullable_and_small_integer_columns_without_missing_values():
    X, Q, L, L_q, y = _data()
    nullable = pd.DataFrame({f"lf_{j}": pd.array(L[:, j], dtype="Int64") for j in range(4)})
    int8 = pd.DataFrame(L.astype(np.int8))
    mixed = pd.DataFrame({"a": L[:, 0].astype(np.int16), "b": pd.array(L[:, 1], dtype="Int32")})
    expected = LabelModel(cardinality=2).fit(L).predict_proba(L)
    for votes in (nullable, int8):
        np.testing.assert_allclose(
            LabelModel(cardinality=2).fit(votes).predict_proba(votes), expected
        )
    np.testing.assert_array_equal(
        MajorityVoter(cardinality=2).fit(mixed).predict_proba(mixed),
        MajorityVoter(cardinality=2).fit(L[:, :2]).predict_proba(L[:, :2]),
    )
    labels = pd.Series(y, dtype="Int64")
    assert liger.metrics.compute("accuracy", labels, pd.Series(y), 2)["accuracy"] == 1.0
    X_nullable = pd.DataFrame({f"e{i}": pd.array(X[:, i], dtype="Float64") for i in range(6)})
    np.testing.assert_array_equal(liger.knn_graph(X_nullable, 2)[1], liger.knn_graph(X, 2)[1])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda L, X, y: LabelModel().fit(L),
            r"L: expected no missing values, got <NA> in column 'b' at row 7",
        ),
        (lambda L, X, y: liger.nearest_support(X, X, L), r"L_base: expected no missing values"),
        (
            lambda L, X, y: Liger(thresholds=0.3).fit(L.fillna(-1), X, L.fillna(-1), X, y),
            r"y_dev: expected no missing values, got <NA> at row 3",
        ),
    ],
)
def test_missing_values_are_a_clear_error(call, match):
    X = np.random.default_rng(0).standard_normal((10, 3)).astype(np.float32)
    votes = np.zeros((10, 2), dtype=np.int64)
    L = pd.DataFrame(
        {"a": pd.array(votes[:, 0], dtype="Int64"), "b": pd.array(votes[:, 1], dtype="Int64")}
    )
    L.loc[7, "b"] = pd.NA
    y = pd.Series(np.arange(10) % 2, dtype="Int64")
    y[3] = pd.NA
    with pytest.raises(ValueError, match=match):
        call(L, X, y)


def test_liger_with_dataframes_and_pandas_output():
    X, Q, L, L_q, y = _data()
    X_df, L_df = _frames(X, L)
    Q_df, Lq_df = _frames(Q, L_q, index_start=500)
    y_series = pd.Series(y, index=Q_df.index)
    plain = Liger(random_state=0).fit(L, X, L_q, Q, y)
    model = Liger(random_state=0).fit(
        L_df, X_df, Lq_df, Q_df, y_series, class_names=["ham", "spam"]
    )
    assert model.lf_names_ == list(L_df.columns) and model.class_names_ == ["ham", "spam"]
    np.testing.assert_array_equal(model.thresholds_, plain.thresholds_)
    proba = model.predict_proba(Lq_df, Q_df)
    assert isinstance(proba, np.ndarray)  # the default output, as in scikit-learn
    np.testing.assert_allclose(proba, plain.predict_proba(L_q, Q))
    assert model.set_output(transform="pandas") is model
    frame = model.predict_proba(Lq_df, Q_df)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["ham", "spam"]
    pd.testing.assert_index_equal(frame.index, Q_df.index)
    np.testing.assert_allclose(frame.to_numpy(), proba)
    extended = model.transform(Lq_df, Q_df)
    assert list(extended.columns) == list(L_df.columns)
    np.testing.assert_array_equal(extended.to_numpy(), plain.transform(L_q, Q))
    # NumPy inputs: a RangeIndex; no class names: the class indices.
    frame = plain.set_output(transform="pandas").predict_proba(L_q, Q)
    assert list(frame.columns) == [0, 1] and frame.index.equals(pd.RangeIndex(len(Q)))
    np.testing.assert_array_equal(model.predict(Lq_df, Q_df), plain.predict(L_q, Q))
    assert model.score(Lq_df, Q_df, y_series) == plain.score(L_q, Q, y)
    model.set_output(transform="default")
    assert isinstance(model.predict_proba(Lq_df, Q_df), np.ndarray)


def test_output_and_name_checks():
    X, Q, L, L_q, y = _data()
    X_df, L_df = _frames(X, L)
    model = Liger(thresholds=0.3).fit(L_df, X_df)
    with pytest.raises(ValueError, match=r"L: expected the LF columns \['lf_0'"):
        model.transform(L_df.rename(columns={"lf_0": "other"}), X_df)
    with pytest.raises(ValueError, match="transform: expected None or one of"):
        model.set_output(transform="polars")
    with pytest.raises(ValueError, match="class_names: expected 2 distinct names"):
        Liger(thresholds=0.3).fit(L, X, class_names=["a", "a"])
    with pytest.raises(TypeError, match="class_names"):
        Liger(thresholds=0.3).fit(L, X, class_names="ab")


def test_scikit_learn_clone_keeps_the_output_setting():
    clone = pytest.importorskip("sklearn.base").clone
    model = Liger(thresholds=0.3).set_output(transform="pandas")
    assert clone(model)._wants_pandas()


def test_inputs_are_not_modified():
    X, Q, L, L_q, _ = _data()
    X_df, L_df = _frames(X, L)
    before = (X_df.copy(), L_df.copy())
    Liger(thresholds=0.3, extension="radius").fit(L_df, X_df).transform(L_df, X_df)
    pd.testing.assert_frame_equal(X_df, before[0])
    pd.testing.assert_frame_equal(L_df, before[1])


def test_liger_works_without_pandas():
    """pandas is optional: with it unimportable, liger imports and runs, and asking for pandas
    output says what is missing."""
    script = """
import sys
sys.modules["pandas"] = None  # any import of pandas now fails
import numpy as np
import liger
rng = np.random.default_rng(0)
X = rng.standard_normal((200, 5)).astype(np.float32)
L = np.where(rng.random((200, 3)) < 0.3, rng.integers(0, 2, (200, 3)), -1)
model = liger.Liger(thresholds=0.3, extension="radius").fit(L, X)
assert model.predict_proba(L, X).shape == (200, 2)
assert liger.radius_neighbors(X, 0.5).shape == (200, 200)
try:
    model.set_output(transform="pandas")
except ImportError as exc:
    assert "pip install pandas" in str(exc)
else:
    raise AssertionError("set_output(transform='pandas') without pandas must fail")
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_import_does_not_load_pandas():
    script = "import sys, liger; print('pandas' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
