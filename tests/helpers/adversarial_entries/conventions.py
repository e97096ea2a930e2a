"""Registry entries of the conventions and metrics (``to_pm1``, ``from_pm1``, ``liger.metrics``)."""

from __future__ import annotations

import numpy as np

import liger

from ..adversarial import Reject, Role, Same, Works, anything, integer, labels, reject, votes, works
from .common import Entry, K, check_score, check_votes, data

# ---------------------------------------------------------------------------- conventions, metrics


def _pm1():
    (L,) = data("L")
    return np.where(L == -1, 0, np.where(L == 0, -1, 1))


def pm1_votes(*, to_pm1: bool) -> Role:
    """FlyingSquid (-1 / +1, 0 = abstain) or liger binary votes: values outside {-1, 0, 1} are
    an error; floats are accepted when whole (from_pm1) ."""
    base = votes(K=None, rows_sibling=False, lfs_sibling=False).without(
        "vote 2**40",
        "uint64 beyond int64",
        "csr",
        "csc",
        "zero rows",
        "zero columns",
        "1-D",
        "float",
        "uint16 without abstentions",
    )
    return base.plus(
        **{
            "zero_rows": lambda a, ctx: (a[:0], Works()),
            "1-D": lambda a, ctx: (np.asarray(a)[:, 0], Works()),
            "float": lambda a, ctx: (a.astype(np.float64), Same(np.asarray(a))),
            "value 2": reject(np.full((3, 2), 2)),
            "value 0.5": reject(np.full((3, 2), 0.5)),
        }
    ).expecting({"bool": Reject(), "vote -2": Reject()})


def _metric_args(**extra):
    y_dev = data("y_dev")[0]
    return {"y_true": y_dev, "y_pred": np.roll(y_dev, 1), **extra}


def predictions() -> Role:
    """Predicted labels: classes 0..K-1 or -1 (abstained)."""
    return (
        labels(K=K)
        .without("label -1", "label K")
        .plus(
            label_minus_1=lambda a, ctx: (with_value(a, 0, -1), Works()),
            label_minus_2=reject_value(0, -2),
        )
    )


def reject_value(index, value):
    return lambda a, ctx: (with_value(a, index, value), Reject())


def with_value(a, index, value):
    out = np.array(a)
    out[index] = value
    return out


CONVENTION_ENTRIES = [
    Entry(
        "liger.from_pm1",
        liger.from_pm1,
        lambda: {"L": _pm1()},
        roles={"L": pm1_votes(to_pm1=False)},
        check=lambda result, kwargs: check_votes(np.atleast_2d(result), kwargs),
    ),
    Entry(
        "liger.to_pm1",
        liger.to_pm1,
        lambda: {"L": np.where(data("L")[0] > 1, 1, data("L")[0])},
        roles={"L": pm1_votes(to_pm1=True)},
    ),
    Entry(
        "liger.metrics.accuracy",
        liger.metrics.accuracy,
        _metric_args,
        roles={"y_true": labels(K=K).expecting({"label K": Works()}), "y_pred": predictions()},
        check=check_score,
    ),
    Entry(
        "liger.metrics.f1",
        liger.metrics.f1,
        lambda: _metric_args(positive=1),
        roles={
            "y_true": labels(K=K).expecting({"label K": Works()}),
            "y_pred": predictions(),
            "positive": anything(string=reject("1"), float=reject(1.5), none=reject(None)),
        },
        check=check_score,
    ),
    Entry(
        "liger.metrics.macro_f1",
        liger.metrics.macro_f1,
        lambda: _metric_args(cardinality=K),
        roles={
            "y_true": labels(K=K).expecting({"label K": Reject(mention="cardinality")}),
            "y_pred": predictions(),
            "cardinality": integer(low=1, optional=True),
        },
        check=check_score,
    ),
    Entry(
        "liger.metrics.compute",
        liger.metrics.compute,
        lambda: {
            "names": ["accuracy", "macro_f1"],
            "y_true": data("y_dev")[0],
            "y_pred": np.roll(data("y_dev")[0], 1),
            "cardinality": K,
        },
        roles={
            "names": anything(
                unknown=reject(["accuracy", "bogus"], mention="metrics"),
                int=reject(3, mention="metrics"),
                none=reject(None, mention="metrics"),
                one_string=works("f1"),
                f1_multiclass=lambda a, ctx: (["f1"], Works()),
            ),
            "y_true": labels(K=K).expecting({"label K": Reject(mention="cardinality")}),
            "y_pred": predictions(),
            "cardinality": integer(low=1, optional=True),
        },
        check=check_score,
    ),
]
