"""Records in batches: slicing a list, an array, a pandas DataFrame or Series, or any iterable of
records (read once, one batch at a time), and the texts of a batch for an encoder."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from .._checks.pandas import is_pandas


def n_records(records: Any) -> int | None:
    """The number of records, or None for an iterable read once (a generator, a file)."""
    if is_pandas(records) or isinstance(records, (list, tuple, np.ndarray, range)):
        return len(records)
    return None


def check_records(records: Any) -> None:
    if isinstance(records, (str, bytes)) or isinstance(records, dict):
        raise TypeError(
            f"records: expected a sequence of records (a list of texts, a DataFrame, ...), got "
            f"one {type(records).__name__}; wrap one record in a list"
        )
    if not (is_pandas(records) or isinstance(records, Iterable)):
        raise TypeError(f"records: expected a sequence of records, got {type(records).__name__}")
    if isinstance(records, np.ndarray) and records.ndim != 1:
        raise ValueError(f"records: expected a 1-D array of records, got shape {records.shape}")


def batches(records: Any, size: int) -> Iterator[Any]:
    """Consecutive batches of at most ``size`` records, in order (a DataFrame's keep its
    index)."""
    n = n_records(records)
    if n is not None:
        rows = records.iloc if is_pandas(records) else records
        for start in range(0, n, size):
            yield rows[start : start + size]
        return
    iterator = iter(records)
    while True:
        batch = list(itertools.islice(iterator, size))
        if not batch:
            return
        yield batch


def texts_of(batch: Any, text_column: Any, start: int = 0) -> list[str]:
    """The texts an encoder reads: the records themselves (``text_column=None``), or one column
    of a DataFrame / one key of dict records (``start``: the batch's first record, for errors)."""
    if text_column is None:
        if hasattr(batch, "columns"):
            raise TypeError(
                "text_column: the records are a DataFrame: name the column of texts to encode"
            )
        values = batch.tolist() if hasattr(batch, "tolist") else batch
    elif hasattr(batch, "columns"):
        if text_column not in batch.columns:
            raise ValueError(
                f"text_column: expected a column of the records ({list(batch.columns)}), got "
                f"{text_column!r}"
            )
        values = batch[text_column].tolist()
    else:
        values = []
        for i, record in enumerate(batch):
            try:
                values.append(record[text_column])
            except (KeyError, IndexError, TypeError):
                raise ValueError(
                    f"text_column: record {start + i} has no field {text_column!r}"
                ) from None
    out = list(values)
    for i, text in enumerate(out):
        if not isinstance(text, str):
            raise TypeError(
                f"text_column: the encoder reads str texts, got {type(text).__name__} at record "
                f"{start + i} (records: texts, or name their text with text_column)"
            )
    return out
