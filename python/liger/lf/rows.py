"""A DataFrame's rows as the applier gives them to per-record LFs: tuples readable by attribute
(``x.text``), by column label (``x["text"]``, ``x.get``, ``x.keys()``) and by position."""

from __future__ import annotations

from collections import namedtuple
from functools import partial

__all__ = ["_frame_rows"]


def _frame_rows(frame) -> list:
    """A DataFrame's rows as tuples readable by attribute (``x.text``) and label (``x["text"]``)."""
    labels = list(frame.columns)
    if len(set(labels)) != len(labels):
        duplicated = next(c for c in labels if labels.count(c) > 1)
        raise ValueError(f"records: expected unique column labels, got {duplicated!r} twice")
    row_type = _row_type(tuple(labels))
    columns = [frame[c].tolist() for c in labels]
    return list(map(partial(tuple.__new__, row_type), zip(*columns)))


def _row_type(labels: tuple) -> type:
    fields = [str(c) if isinstance(c, str) else f"_{i}" for i, c in enumerate(labels)]
    base = namedtuple("Row", fields, rename=True)
    positions = {c: i for i, c in enumerate(labels)}

    def __getitem__(self, key):
        try:
            position = positions[key]
        except (KeyError, TypeError):  # not a label: a position or slice, as a tuple
            return tuple.__getitem__(self, key)
        return tuple.__getitem__(self, position)

    def get(self, key, default=None):
        position = positions.get(key)
        return default if position is None else tuple.__getitem__(self, position)

    def keys(self):
        return list(labels)

    namespace = {"__slots__": (), "__getitem__": __getitem__, "get": get, "keys": keys}
    return type("Row", (base,), namespace)
