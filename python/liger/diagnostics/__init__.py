"""Diagnostics: per-LF tables, what an edit changed, extension curves (``tables``) and their
plot (``plots``), and the fitted model's per-LF summary (``lf_summary``). pandas / matplotlib
are imported lazily."""

from .plots import plot_extension_curves
from .tables import Table, extension_curves, lf_table, what_changed

__all__ = [
    "Table",
    "extension_curves",
    "lf_table",
    "plot_extension_curves",
    "what_changed",
]
