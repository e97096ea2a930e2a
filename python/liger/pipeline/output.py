"""Liger's pandas side: the LF names and row index a DataFrame input carries, and
``set_output(transform="pandas")`` (:class:`SetOutputMixin`), building DataFrames from results."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks.pandas import check_output, is_pandas


def column_names(value: Any) -> list | None:
    """The column labels of a DataFrame, else None."""
    if is_pandas(value) and hasattr(value, "columns") and getattr(value, "ndim", 0) == 2:
        return list(value.columns)
    return None


def index_of(*values: Any):
    """The index of the first pandas object among ``values`` (rows of the output), else None."""
    for value in values:
        if is_pandas(value) and hasattr(value, "index"):
            return value.index
    return None


def frame(array: np.ndarray, index: Any, columns: Any):
    """``array`` as a DataFrame with the given index (None: a RangeIndex) and columns."""
    import pandas as pd

    if index is not None and len(index) != array.shape[0]:
        index = None
    return pd.DataFrame(array, index=index, columns=columns)


class SetOutputMixin:
    """scikit-learn's ``set_output`` convention: ``set_output(transform="pandas")`` makes the
    estimator's array outputs DataFrames. The setting lives in ``_sklearn_output_config``, the
    attribute ``sklearn.base.clone`` carries over."""

    def set_output(self, *, transform: str | None = None):
        """Choose the container of the outputs.

        Parameters
        ----------
        transform : {"default", "pandas"} or None, default=None
            ``"pandas"``: DataFrames (columns named, rows indexed like the input when it is a
            pandas object); ``"default"``: NumPy arrays; None: unchanged.

        Returns
        -------
        self
        """
        transform = check_output(transform)
        if transform is not None:
            self._sklearn_output_config = {"transform": transform}
        return self

    def _wants_pandas(self) -> bool:
        return getattr(self, "_sklearn_output_config", {}).get("transform") == "pandas"
