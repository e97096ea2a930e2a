"""The pandas DataFrame the diagnostics return: printed in full.

pandas truncates a frame's repr past ``display.max_rows`` (60) rows and to the terminal width
(sms has 73 LFs: the middle of its LF table would be "..."). :func:`full_frame` returns a
DataFrame subclass whose ``repr`` (and notebook HTML) shows every row and every column whatever
the display options; everything else is pandas' own (operations on it give plain DataFrames, and
it pickles as one).
pandas is imported when it is called."""

from __future__ import annotations

from typing import Any

_FULL: dict = {}  # the subclass, made once pandas is imported


def full_frame(columns: dict) -> Any:
    """``pandas.DataFrame(columns)``, printed in full."""
    if "class" not in _FULL:
        import pandas

        class DiagnosticsFrame(pandas.DataFrame):
            """A DataFrame printed with every row and column (``liger.diagnostics``)."""

            @property
            def _constructor(self):
                return pandas.DataFrame  # derived frames are ordinary ones

            def __repr__(self) -> str:
                return self.to_string()

            def _repr_html_(self) -> str:
                return self.to_html()

            def __reduce_ex__(self, protocol):  # pickles as a plain DataFrame
                return (_plain, (pandas.DataFrame(self),))

        _FULL["class"] = DiagnosticsFrame
    return _FULL["class"](columns)


def _plain(frame: Any) -> Any:
    """What a pickled diagnostics frame loads as: the plain DataFrame."""
    return frame
