"""Registry entries of ``liger.diagnostics``."""

from __future__ import annotations

import numpy as np

import liger

from ..adversarial import (
    Reject,
    Works,
    anything,
    choice,
    labels,
    probabilities,
    reject,
    votes,
    works,
)
from .common import Entry, K, Special, data, fitted_label_model, fitted_liger, proba_train

# ------------------------------------------------------------------------------- diagnostics


def _nearest_votes(split="X"):
    from liger.extension.tuning import NearestVotes

    L, X = data("L", "X")
    Q, LQ = (X, L) if split == "X" else data("X_dev", "L_dev")
    scores, indices = liger.nearest_support(Q, X, L, n_jobs=1)
    return NearestVotes.from_search(LQ, scores, indices, L, "cosine")


def _curves():
    return liger.diagnostics.extension_curves(
        _nearest_votes(), _nearest_votes("dev"), data("y_dev")[0], as_frame=False
    )


def _plot(**kw):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        return liger.diagnostics.plot_extension_curves(**kw)
    finally:
        plt.close("all")


AS_FRAME = anything(false=works(False), true=works(True), string=reject("yes"))
NAMES = anything(too_few=reject(["a"]), string=reject("abcd"), int=reject(4), none=works(None))

DIAGNOSTICS_ENTRIES = [
    Entry(
        "liger.diagnostics.lf_table",
        liger.diagnostics.lf_table,
        lambda: {
            "L": data("L")[0],
            "L_extended": fitted_liger().transform(*data("L", "X")),
            "L_dev": data("L_dev")[0],
            "y_dev": data("y_dev")[0],
            "L_dev_extended": fitted_liger().transform(*data("L_dev", "X_dev")),
            "names": list("abcd"),
            "as_frame": False,
        },
        roles={
            # Classes are counted per row: a vote beyond MAX_CLASSES is an error here.
            "L": votes(K=None, rows_sibling=True, lfs_sibling=True).expecting(
                {"zero rows": Reject(mention="L_extended"), "vote 2**40": Reject()}
            ),
            "L_extended": votes(K=None).expecting(
                {"None": Works(), "vote 2**40": Reject(mention="L")}
            ),
            "L_dev": votes(K=None).expecting({"None": Reject(mention="L_dev and y_dev")}),
            "y_dev": labels(K=K).expecting(
                {"label K": Works(), "None": Reject(mention="L_dev and y_dev")}
            ),
            "L_dev_extended": votes(K=None).expecting({"None": Works()}),
            "names": NAMES,
            "as_frame": AS_FRAME,
        },
    ),
    Entry(
        "liger.diagnostics.what_changed",
        liger.diagnostics.what_changed,
        lambda: {
            "before": proba_train(),
            "after": np.roll(proba_train(), 1, axis=0),
            "votes_before": data("L")[0],
            "votes_after": data("L")[0],
            "dev_before": fitted_label_model().predict_proba(data("L_dev")[0]),
            "dev_after": fitted_label_model().predict(data("L_dev")[0]),
            "y_dev": data("y_dev")[0],
            "metric": "accuracy",
            "as_frame": False,
        },
        roles={
            "before": probabilities()
            .without("rows not summing to 1", "one class", "1-D")
            .plus(labels=lambda a, ctx: (np.argmax(a, axis=1), Works())),
            "after": probabilities()
            .without("rows not summing to 1", "one class", "1-D")
            .plus(labels=lambda a, ctx: (np.argmax(a, axis=1), Works())),
            "votes_before": votes(K=None, lfs_sibling=False).expecting({"None": Works()}),
            "votes_after": votes(K=None, lfs_sibling=False).expecting({"None": Works()}),
            "dev_before": probabilities()
            .without("rows not summing to 1", "one class", "1-D")
            .expecting({"None": Reject(mention="dev_before, dev_after, y_dev")}),
            "y_dev": labels(K=K).expecting(
                {"None": Reject(mention="dev_before, dev_after, y_dev"), "label K": Works()}
            ),
            "metric": choice("accuracy", "f1", "macro_f1"),
            "as_frame": AS_FRAME,
        },
    ),
    Entry(
        "liger.diagnostics.extension_curves",
        liger.diagnostics.extension_curves,
        lambda: {
            "train": _nearest_votes(),
            "dev": _nearest_votes("dev"),
            "y_dev": data("y_dev")[0],
            "levels": (0.0, 0.5, 1.0),
            "names": list("abcd"),
            "as_frame": False,
        },
        roles={
            "train": anything(none=reject(None), votes=reject(data("L")[0])),
            "dev": anything(
                votes=reject(data("L_dev")[0]),
                none=lambda a, ctx: (None, Reject(mention="dev and y_dev")),
            ),
            "y_dev": labels(K=K).expecting(
                {"None": Reject(mention="dev and y_dev"), "label K": Works()}
            ),
            "levels": anything(
                nan=reject([np.nan]),
                above_one=reject([1.5]),
                negative=reject([-0.1]),
                string=reject("all"),
                empty=reject([]),
            ),
            "names": NAMES,
            "as_frame": AS_FRAME,
        },
    ),
    Entry(
        "liger.diagnostics.plot_extension_curves",
        _plot,
        lambda: {
            "curves": _curves(),
            "chosen_levels": fitted_liger().levels_,
            "names": None,
            "axes": None,
            "top_k": 10,
            "x": "threshold",
        },
        roles={
            "curves": anything(
                none=reject(None),
                array=reject(np.zeros((3, 3))),
                table_without_columns=lambda a, ctx: (
                    liger.diagnostics.Table({"x": np.arange(3)}),
                    Reject(),
                ),
            ),
            "chosen_levels": anything(wrong_length=reject([0.1]), strings=reject("high")),
            "names": anything(unknown=reject(["zzz"]), string=reject("zzz")),
            "top_k": anything(
                zero=reject(0),
                float=reject(2.5),
                boolean=reject(True),
                none=works(None),
                one=works(1),
            ),
            "x": anything(level=works("level"), unknown=reject("similarity"), none=reject(None)),
        },
    ),
    Entry(
        "liger.diagnostics.Table",
        liger.diagnostics.Table,
        lambda: {"columns": {"a": np.arange(3), "b": ["x", "y", "z"]}},
        roles={
            "columns": anything(
                ragged=reject({"a": np.arange(3), "b": [1]}),
                none=reject(None),
                list=reject([1, 2]),
                empty=works({}),
                two_d=reject({"a": np.zeros((2, 2))}),
            )
        },
    ),
    Entry(
        "liger.diagnostics.Table.to_dict",
        lambda: liger.diagnostics.Table({"a": np.arange(3)}).to_dict(),
        lambda: {},
        specials={
            "empty table": Special(lambda ctx: (liger.diagnostics.Table({}).to_dict, {}), Works())
        },
    ),
    Entry(
        "liger.diagnostics.Table.to_string",
        lambda **kw: liger.diagnostics.Table({"a": np.arange(30)}).to_string(**kw),
        lambda: {"max_rows": None},
        roles={
            "max_rows": anything(
                one=reject(1),
                string=reject("10"),
                boolean=reject(True),
                two=works(2),
                more_than_rows=works(100),
            )
        },
        specials={
            "empty table": Special(lambda ctx: (liger.diagnostics.Table({}).to_string, {}), Works())
        },
    ),
    Entry(
        "liger.diagnostics.Table.to_pandas",
        lambda: liger.diagnostics.Table({"a": np.arange(3)}).to_pandas(),
        lambda: {},
        specials={
            "empty table": Special(lambda ctx: (liger.diagnostics.Table({}).to_pandas, {}), Works())
        },
    ),
]
