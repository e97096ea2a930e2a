"""The dev guard: is the label model worse than majority vote by more than the dev noise?

``Liger.fit`` with a dev split scores the fitted label model and majority vote (same extended
votes, same dev objective) on the dev items and falls back to majority vote when the label model
is worse *beyond the noise of a small dev set*. Only dev labels are used.

The noise rule: a one-sided paired bootstrap
--------------------------------------------
Both predictors label the *same* dev items, so their scores are compared item by item: items both
get right or both get wrong say nothing about the difference (paired, like McNemar's test).
The dev items are resampled with replacement ``N_BOOTSTRAP`` times (seeded: the decision is
deterministic), the difference ``score(label model) - score(majority)`` is computed on every
resample with the dev objective itself (accuracy, F1 or macro-F1: F1 does not decompose over
items, so a bootstrap rather than a closed-form McNemar bound), and the label model is replaced
only when the upper ``1 - ALPHA`` quantile of that difference is below zero: majority vote is
better with 95 % confidence. For accuracy this is the bootstrap form of McNemar's one-sided test
(with ``b`` items only the label model gets right and ``c`` only majority vote does, it falls back
roughly when ``c - b > 1.645 sqrt(b + c)``).

A one-sided rule keeps the label model when the dev set cannot tell the two apart: its thresholds
were tuned on the same dev items, so its dev score is, if anything, optimistic, and a fallback on
noise would throw away a better model most of the time. A 40-point gap (the failure that motivated
the guard) is far beyond the noise of any dev set of a few dozen items.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..io.registry import saveable
from ..metrics import compute
from .triplet import LabelModelWarning

N_BOOTSTRAP = 2000
ALPHA = 0.05
SEED = 0


@saveable
@dataclass(frozen=True)
class DevComparison:
    """The label model against majority vote on the dev items (``Liger.guard_``).

    Attributes
    ----------
    metric : str
        The dev objective.
    label_model : float
        Dev score of the label model.
    majority : float
        Dev score of majority vote (same extended votes).
    upper : float
        Upper ``1 - ALPHA`` bootstrap quantile of ``label_model - majority``.
    fell_back : bool
        True when ``upper < 0``: majority vote replaced the label model.
    """

    metric: str
    label_model: float
    majority: float
    upper: float
    fell_back: bool


def compare_on_dev(
    y: np.ndarray, model_pred: np.ndarray, majority_pred: np.ndarray, metric: str, K: int
) -> DevComparison:
    """Paired one-sided bootstrap comparison of two predictions of the same dev items."""
    y = np.asarray(y)
    model_score = compute(metric, y, model_pred, K)[metric]
    majority_score = compute(metric, y, majority_pred, K)[metric]
    counts = _resample_counts(y.size)
    gaps = _scores(metric, counts, y, model_pred, K) - _scores(metric, counts, y, majority_pred, K)
    upper = float(np.quantile(gaps, 1 - ALPHA))
    return DevComparison(metric, model_score, majority_score, upper, upper < 0)


# The resample counts of the last dev size: a session runs the guard after every edit on the
# same dev items, and drawing them costs more than the comparison.
_COUNTS_CACHE: dict[int, np.ndarray] = {}


def _resample_counts(n: int) -> np.ndarray:
    """(n, N_BOOTSTRAP) read-only: how often resample b draws dev item i, at ``[i, b]``. The
    resamples are ``N_BOOTSTRAP`` rows of ``n`` items drawn with replacement by a generator
    seeded with ``SEED`` (deterministic); each draws ``n`` items in all."""
    counts = _COUNTS_CACHE.get(n)
    if counts is None:
        rows = np.random.default_rng(SEED).integers(0, n, size=(N_BOOTSTRAP, n))
        rows *= N_BOOTSTRAP
        rows += np.arange(N_BOOTSTRAP)[:, None]
        counts = np.bincount(rows.ravel(), minlength=n * N_BOOTSTRAP).reshape(n, N_BOOTSTRAP)
        counts = counts.astype(np.min_scalar_type(int(counts.max(initial=0))))
        counts.flags.writeable = False
        _COUNTS_CACHE.clear()
        _COUNTS_CACHE[n] = counts
    return counts


def fall_back_to_majority(recipe, statistics, y_dev, model_pred, L_dev_ext, metric):
    """The dev guard as both front ends (``Liger.fit``, ``Session``) run it.

    Parameters
    ----------
    recipe : liger.labeling.LabelRecipe
        The front end's label recipe: majority vote gets the same class-balance recipe.
    statistics : VoteStatistics
        Statistics of the votes the label model was fitted on (co-occurrences not needed).
    y_dev : ndarray of shape (n_dev,)
    model_pred : ndarray of shape (n_dev,)
        The label model's dev predictions.
    L_dev_ext : ndarray of shape (n_dev, m)
        The extended dev votes (majority vote labels them).
    metric : str
        The dev objective.

    Returns
    -------
    voter : MajorityVoter or None
        The majority voter to use instead of the label model, or None to keep the label model.
    comparison : DevComparison
    """
    voter = recipe.fit_statistics(statistics, y_dev, kind="majority")
    voter_pred = np.argmax(voter.predict_proba(L_dev_ext), axis=1)
    comparison = compare_on_dev(y_dev, model_pred, voter_pred, metric, recipe.n_classes)
    if not comparison.fell_back:
        return None, comparison
    warnings.warn(
        f"the label model scored {comparison.label_model:.3f} on dev ({comparison.metric}) "
        f"against {comparison.majority:.3f} for majority vote, worse beyond the dev noise: "
        "using majority vote (fallback_='majority')",
        LabelModelWarning,
        stacklevel=4,
    )
    return voter, comparison


def _scores(metric: str, counts: np.ndarray, y: np.ndarray, pred: np.ndarray, K: int) -> np.ndarray:
    """The metric on every resample, from the (n, B) draw ``counts``: the number of resampled
    items an indicator holds for is the sum of the counts of its items (exact integers), so the
    values are those of the metric on the resampled items, without gathering B x n of them."""
    n = y.size

    def tally(hit: np.ndarray) -> np.ndarray:
        # Every resample draws n items: sum over the smaller of the hits and the misses (no
        # BLAS: a multithreaded BLAS call spins its threads for milliseconds on a busy machine).
        if 2 * np.count_nonzero(hit) <= n:
            return counts[hit].sum(axis=0, dtype=np.int64)
        return n - counts[~hit].sum(axis=0, dtype=np.int64)

    if metric == "accuracy":
        return tally(y == pred) / n
    classes = [1] if metric == "f1" else range(K)
    f1 = []
    for c in classes:
        true_positive = tally((pred == c) & (y == c))
        predicted = tally(pred == c)
        actual = tally(y == c)
        denominator = predicted + actual
        f1.append(np.where(denominator > 0, 2 * true_positive / np.maximum(denominator, 1), 0.0))
    return np.mean(f1, axis=0)
