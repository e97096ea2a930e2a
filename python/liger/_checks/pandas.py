"""pandas interop: DataFrames / Series in (converted once to NumPy), DataFrames out on request.

pandas is optional: it is imported only when a pandas object comes in or pandas output is asked
for, so ``import liger`` and every NumPy call work without it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

OUTPUTS = ("default", "pandas")


def is_pandas(value: Any) -> bool:
    """True for pandas objects and their subclasses (the diagnostics' frames), checked by module
    name: pandas is never imported here."""
    for kind in type(value).__mro__[:-1]:
        module = kind.__module__ or ""
        if module == "pandas" or module.startswith("pandas."):
            return True
    return False


def to_numpy(name: str, value: Any) -> np.ndarray:
    """A DataFrame (2-D) or Series (1-D) as a NumPy array of the columns' common dtype.

    Nullable extension dtypes (``Int64``, ``Float64``, ``boolean``) become their NumPy dtype; a
    missing value (``pd.NA``) in one is an error naming the argument, column and row: votes,
    embeddings and labels have no "missing" (an abstaining LF is -1). Other pandas objects go
    through ``np.asarray``.
    """
    import pandas as pd

    if isinstance(value, pd.Series):
        frame, one_d = value.to_frame(), True
    elif isinstance(value, pd.DataFrame):
        frame, one_d = value, False
    else:
        return np.asarray(value)
    dtypes = []
    for position, (label, dtype) in enumerate(frame.dtypes.items()):
        if isinstance(dtype, np.dtype):
            dtypes.append(dtype)
            continue
        missing = frame.iloc[:, position].isna().to_numpy()
        if missing.any():
            first = int(np.argmax(missing))
            where = "" if one_d else f" in column {label!r}"
            raise ValueError(
                f"{name}: expected no missing values, got {frame.iloc[first, position]!r}{where} "
                f"at row {frame.index[first]!r} (pandas dtype {dtype}); fill them first (an "
                f"abstaining LF is -1: .fillna(-1))"
            )
        numpy_dtype = getattr(dtype, "numpy_dtype", None)  # nullable Int64 / Float64 / boolean
        if numpy_dtype is None:
            numpy_dtype = getattr(dtype, "subtype", None)  # sparse columns
        dtypes.append(np.dtype(object) if numpy_dtype is None else np.dtype(numpy_dtype))
    if not dtypes:
        return np.empty(frame.shape)
    array = frame.to_numpy(dtype=np.result_type(*dtypes))
    return array[:, 0] if one_d else array


def check_output(transform: Any) -> str | None:
    if transform is None:
        return None
    if transform not in OUTPUTS:
        raise ValueError(f"transform: expected None or one of {OUTPUTS}, got {transform!r}")
    if transform == "pandas":
        try:
            import pandas  # noqa: F401
        except ImportError as exc:
            raise ImportError(
                "set_output(transform='pandas') needs pandas: pip install pandas"
            ) from exc
    return transform
