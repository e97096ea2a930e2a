"""Module-level labeling functions the LF tests import (pickled by reference, as functions are),
among them ones that raise on some rows (fault tolerance)."""

from __future__ import annotations

import numpy as np

from liger import ABSTAIN, LabelingFunction, labeling_function

SPAM, HAM = 1, 0


@labeling_function(resources={"words": ("spam", "win")})
def keywords(x, words):
    return SPAM if any(w in x for w in words) else ABSTAIN


@labeling_function
def short(x):
    return HAM if len(x) < 8 else ABSTAIN


@labeling_function(vectorized=True)
def long_texts(texts):
    return np.where(np.array([len(t) for t in texts]) > 12, HAM, ABSTAIN)


@labeling_function
def fragile(x):
    """Raises on every text holding "boom" (a bug on some rows)."""
    if "boom" in x:
        raise KeyError(x)
    return SPAM if x.endswith("!") else ABSTAIN


@labeling_function(vectorized=True)
def fragile_vectorized(texts):
    if any("boom" in t for t in texts):
        raise ValueError("boom somewhere")
    return np.full(len(texts), HAM)


def _plain(x):
    return HAM if "hello" in x else ABSTAIN


plain = LabelingFunction(_plain, name="hello")  # an LF over a module-level function
renamed = LabelingFunction(short.func, name="short_again")  # a decorated LF's function, renamed
