"""Class balance estimators of the label models, and the rule that keeps the estimate sane.

``P(Y = c)`` enters every posterior as a prior; where rows carry one or two votes it decides most
labels. The options (``class_balance=`` of :class:`liger.LabelModel` and
:class:`liger.MajorityVoter`):

``"likelihood"`` (the default for K = 2)
    The profile likelihood of the vote patterns (the label model re-derives its tables in closed
    form for each candidate ``p``), guarded as below. K = 2: the posterior mean of ``p`` over a
    grid; K > 2: Nelder-Mead on the simplex from the majority estimate. With dev labels
    (``fit(L, y_dev=...)``) their multinomial likelihood multiplies the votes'.
``"majority"`` (the default for K > 2)
    The distribution of majority-vote winners over the rows with at least one vote (ties split),
    shrunk towards uniform by ``BALANCE_PRIOR_ROWS`` pseudo-rows (an estimate from three rows is
    not an estimate; from thousands the shrinkage is negligible).
``"dev"``
    Add-one smoothed class frequencies of the dev labels.
an array
    Used as given.

The guard: a likelihood estimate that cannot run away
-----------------------------------------------------
*What goes wrong.* In this model a row with a single vote carries no information about ``p``: its
marginal probability is the vote's rate whatever ``p`` is (the tables are re-derived to match it).
The balance is identified only through rows where several LFs vote, via the pattern of their
agreements. When few rows have three or more votes (about 100 sparse annotators with one or two
votes per item), the profile is driven by how the noisily estimated tables move with ``p`` — it
has several local maxima hundreds of nats apart — and its maximum can sit at 0.01 or 0.99. With
one weak vote per row, that prior then decides almost every label: on such data the unguarded
estimate scored 20 points below majority vote.

*The rule.* Let ``p_lik`` be the likelihood estimate and ``p_ref`` a reference that cannot run
away: the majority-vote winners' distribution (with dev labels: their smoothed frequencies, which
are unbiased). The estimate used is

    p = w p_lik + (1 - w) p_ref,        w = E / (E + BALANCE_PRIOR_ROWS),

where ``E`` is the number of rows with at least three votes (counted on the balance sample and
scaled to all rows): the rows whose vote patterns say anything about ``p`` beyond the pairwise
moments; ``w = 0`` when ``E = 0`` (nothing identifies ``p``: the reference is used).

*Refusal.* For K = 2 the profile is also checked for identification: with fixed tables the
mixture log-likelihood is concave in ``p``, so a profile with more than two local maxima on the
17-point grid says the votes do not pin the balance down (the tables, not the mixture, shape it).
Maxima in the lower half of the profile's range (``MODE_DEPTH``) are not counted: they are no
rival to the maximum.
Then ``w = 0``: the likelihood estimate is refused and the reference used. Healthy profiles
(simulated regimes with dense or moderately sparse LFs, youtube, sms) have one or two maxima; the
failing sparse ones three to seven.

*Warning.* A refused profile, ``w < 1/2``, or fewer than ``LITTLE_EVIDENCE_ROWS`` (25) rows with
three or more votes raise a :class:`LabelModelWarning` that says what was estimated and what is
used; ``LabelModel.balance_estimate_`` keeps the numbers.

*Why* ``BALANCE_PRIOR_ROWS = 20`` *(both shrinkages on).* Measured on Snorkel's own test
scenarios (``tests/label_model/test_snorkel_scenarios.py``, 20 seeds), the simulation suite
(``tests/helpers/dawid_skene.py``, binary regimes, 5 seeds) and the *valid* splits of youtube, sms
and imdb, against the earlier 0 (no shrinkage): Snorkel's sparse scenario (about 1400 of 10 000
rows with a vote, 2-100 with three or more) went from 18 to 19 seeds of 20 (seed 1: a likelihood
balance [0.97, 0.03] from a handful of rows, accuracy 0.51 against majority vote's 0.77), its
three-row ``mv_default`` case now gives the single 0-vote row class 0 (the unshrunk majority
balance [1/3, 2/3] outvoted it), and the regimes and valid splits moved by at most 0.1 point
(imdb valid accuracy 0.504 -> 0.514). A reference of the uniform balance instead of the shrunk
majority winners also passed the sparse scenario on all 20 seeds but lost 0.5 point in the
sparsest annotator regime (b1) and 0.8 on youtube's valid split, so the majority winners stay the
reference and are themselves shrunk towards uniform. With dev labels the reference is their
add-one smoothed frequencies, unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from scipy import optimize

from .._checks.labels import check_labels
from ..io.registry import saveable
from .statistics import VoteStatistics

BALANCE_MODES = ("likelihood", "majority", "dev")
# Pseudo-rows of the reference balance against the rows with >= 3 votes (see the module docstring).
BALANCE_PRIOR_ROWS = 20.0
# Fewer rows with >= 3 votes than this: the balance "rests on little evidence" (a warning).
LITTLE_EVIDENCE_ROWS = 25.0
# A K = 2 profile with more local maxima than this on the coarse grid is not identified.
MAX_PROFILE_MODES = 2
# Local maxima of the coarse profile that lie further below its maximum than this fraction of
# the profile's range (max - min) are not counted as modes: with dense votes the profile is sharp
# (10 LFs, 10000 rows: thousands of nats between p = 0.5 and p = 0.3), and the wiggles near
# p = 0.01 or 0.99, where the re-derived tables hit their clipping thousands of nats down, are no
# rival explanation of the votes (counting them refused a sharp estimate for a biased reference).
MODE_DEPTH = 0.5
# Floor of a class in the majority estimate, so that the posterior can still reach it.
MAJORITY_FLOOR = 1e-3
LOWEST, HIGHEST = 0.01, 0.99


class LabelModelWarning(UserWarning):
    """A fit succeeded but part of it fell back to a prior: degenerate or too few LFs, or a class
    balance that rests on little evidence."""


@saveable
@dataclass(frozen=True)
class BalanceEstimate:
    """How a likelihood class balance was obtained (``LabelModel.balance_estimate_``).

    Attributes
    ----------
    balance : ndarray of shape (K,)
        The balance used: ``weight * likelihood + (1 - weight) * reference``.
    likelihood : ndarray of shape (K,)
        The profile-likelihood estimate.
    reference : ndarray of shape (K,)
        Majority-vote winners' distribution, or the dev labels' smoothed frequencies.
    weight : float
        Weight of the likelihood estimate: ``evidence_rows / (evidence_rows +
        BALANCE_PRIOR_ROWS)`` (1 with ``BALANCE_PRIOR_ROWS = 0``, no shrinkage); 0 when
        the profile was refused.
    reference_kind : str
        ``"majority vote"`` or ``"dev labels"``.
    evidence_rows : float
        Rows with at least three votes.
    profile_modes : int or None
        Local maxima of the K = 2 profile on the coarse grid (None for K > 2).
    """

    balance: np.ndarray
    likelihood: np.ndarray
    reference: np.ndarray
    reference_kind: str
    weight: float
    evidence_rows: float
    profile_modes: int | None

    @property
    def refused(self) -> bool:
        return self.profile_modes is not None and self.profile_modes > MAX_PROFILE_MODES


# --------------------------------------------------------------------------------------------
# Parameters


def check_class_balance(value: Any, cardinality: int) -> np.ndarray:
    """A (K,) array of positive probabilities summing to 1 (within 1e-6), as float64."""
    array = np.asarray(value)
    if array.dtype == np.bool_ or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        raise TypeError(
            f"class_balance: expected None, one of {BALANCE_MODES} or an array of "
            f"{cardinality} probabilities, got {type(value).__name__}"
        )
    array = array.astype(np.float64)
    if array.shape != (cardinality,):
        raise ValueError(
            f"class_balance: expected shape ({cardinality},) (one probability per class), got "
            f"shape {array.shape}"
        )
    if not np.all(np.isfinite(array)) or array.min() <= 0 or abs(array.sum() - 1) > 1e-6:
        raise ValueError(
            f"class_balance: expected positive probabilities summing to 1, got {array.tolist()}"
        )
    return array / array.sum()


def resolve_fit_balance(
    class_balance: Any, cardinality: int, y_dev: Any
) -> tuple[np.ndarray | str, np.ndarray | None]:
    """The class balance fixed before fitting, or the name of the estimator to run on the votes;
    and the dev label counts that estimator combines with the votes (``"likelihood"`` only)."""
    if class_balance is None:
        class_balance = "likelihood" if cardinality == 2 else "majority"
    if isinstance(class_balance, str):
        if class_balance not in BALANCE_MODES:
            raise ValueError(
                f"class_balance: expected None, one of {BALANCE_MODES} or an array of "
                f"{cardinality} probabilities, got {class_balance!r}"
            )
        if class_balance == "majority":
            if y_dev is not None:
                raise ValueError(
                    "y_dev: only used with class_balance='dev' or 'likelihood', got "
                    "class_balance='majority'"
                )
            return class_balance, None
        if y_dev is None:
            if class_balance == "dev":
                raise ValueError(
                    "y_dev: class_balance='dev' needs the dev labels, as fit(L, y_dev=...); "
                    "got None"
                )
            return class_balance, None
        y_dev = check_labels("y_dev", y_dev, cardinality)
        if class_balance == "dev":
            return balance_from_labels(y_dev, cardinality), None
        return class_balance, np.bincount(y_dev, minlength=cardinality).astype(np.float64)
    if y_dev is not None:
        raise ValueError(
            "y_dev: only used with class_balance='dev' or 'likelihood', got a fixed class_balance"
        )
    return check_class_balance(class_balance, cardinality), None


# --------------------------------------------------------------------------------------------
# Estimators


def balance_from_labels(y_dev: np.ndarray, cardinality: int) -> np.ndarray:
    """Add-one (Laplace) smoothed class frequencies: no class gets probability 0 on a small dev."""
    return balance_from_counts(np.bincount(y_dev, minlength=cardinality))


def balance_from_counts(counts: np.ndarray) -> np.ndarray:
    """Add-one smoothed frequencies of per-class label counts, shape (K,)."""
    counts = np.asarray(counts, dtype=np.float64)
    return (counts + 1.0) / (counts.sum() + counts.size)


def balance_from_majority(stats: VoteStatistics) -> np.ndarray:
    """Distribution of the majority-vote winners over the rows with at least one vote.

    Ties are split equally between the tied classes (``stats.majority_wins`` counts winners by
    tie size). Rows without votes are left out (they are assumed distributed like the others).
    The frequencies are shrunk towards uniform by ``BALANCE_PRIOR_ROWS`` pseudo-rows, and a class
    that never wins gets a small floor so that the posterior can still reach it. Returns (K,)
    probabilities; uniform if no row has a vote.
    """
    K = stats.cardinality
    ties = np.arange(1, K + 1, dtype=np.float64)[:, None]
    total = (stats.majority_wins / ties).sum(axis=0)
    # An estimate from a handful of rows is no estimate: BALANCE_PRIOR_ROWS pseudo-rows of the
    # uniform balance against the rows with votes (3 rows: [1/3, 2/3] -> [0.48, 0.52]).
    p = (total + BALANCE_PRIOR_ROWS / K) / (total.sum() + BALANCE_PRIOR_ROWS)
    p = np.maximum(p, MAJORITY_FLOOR)
    return p / p.sum()


def evidence_rows(stats: VoteStatistics) -> float:
    """Rows with at least three votes: counted on the balance sample, scaled to all rows."""
    patterns, weights = stats.balance_sample()
    if weights.sum() == 0:
        return 0.0
    voted = np.count_nonzero(patterns != -1, axis=1)
    return float(stats.n_rows * weights[voted >= 3].sum() / weights.sum())


def balance_from_likelihood(
    stats: VoteStatistics,
    pattern_log_likelihoods: Callable[[np.ndarray], np.ndarray],
    dev_counts: np.ndarray | None = None,
) -> BalanceEstimate:
    """The guarded profile-likelihood balance (see the module docstring).

    Parameters
    ----------
    stats : VoteStatistics
        Complete statistics of the votes (their balance sample is what the likelihood reads).
    pattern_log_likelihoods : callable
        ``(G, K)`` candidate balances -> ``(G, K, P)`` array of ``log P(pattern | Y = c)`` for
        the sample's patterns under the tables the label model derives at each balance (the
        grid of a pass is evaluated in one call).
    dev_counts : ndarray of shape (K,), optional
        Dev labels' class counts: their multinomial likelihood multiplies the votes', and their
        smoothed frequencies are the reference.

    Returns
    -------
    BalanceEstimate
    """
    K = stats.cardinality
    n = stats.n_rows
    _, weights = stats.balance_sample()
    # The sample's log-likelihood counts for all n rows; the dev labels are independent
    # evidence about p, added as they are.
    scale = n / weights.sum()
    majority = balance_from_majority(stats)
    reference = majority if dev_counts is None else balance_from_counts(dev_counts)

    def log_likelihoods(p: np.ndarray) -> np.ndarray:
        """(G, K) balances -> (G,) log-likelihoods."""
        total = scale * _marginal_log_likelihoods(pattern_log_likelihoods(p), weights, p)
        if dev_counts is not None:
            total += np.sum(dev_counts * np.log(p), axis=1)
        return total

    if K == 2:
        likelihood, modes = _binary_posterior_mean(log_likelihoods)
    else:
        likelihood, modes = _simplex_maximum(log_likelihoods, reference, K), None
    evidence = evidence_rows(stats)
    weight = evidence / (evidence + BALANCE_PRIOR_ROWS) if evidence > 0 else 0.0
    if modes is not None and modes > MAX_PROFILE_MODES:
        weight = 0.0
    balance = weight * likelihood + (1 - weight) * reference
    kind = "majority vote" if dev_counts is None else "dev labels"
    return BalanceEstimate(
        balance / balance.sum(), likelihood, reference, kind, weight, evidence, modes
    )


def describe_fallback(estimate: BalanceEstimate) -> str | None:
    """The warning message when the balance leans on its reference, else None."""
    little = estimate.evidence_rows < LITTLE_EVIDENCE_ROWS
    if not estimate.refused and estimate.weight >= 0.5 and not little:
        return None
    reason = (
        f"the vote likelihood has {estimate.profile_modes} local maxima (the votes do not "
        "identify it)"
        if estimate.refused
        else f"only {estimate.evidence_rows:.0f} rows have three or more votes"
    )
    return (
        f"class balance rests on little evidence: {reason}; using "
        f"{_fmt(estimate.balance)} ({estimate.weight:.2f} x likelihood estimate "
        f"{_fmt(estimate.likelihood)} + {1 - estimate.weight:.2f} x {estimate.reference_kind} "
        f"{_fmt(estimate.reference)}). Pass class_balance='dev' with dev labels, or a known "
        "balance, if you have one"
    )


def _fmt(p: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:.3f}" for v in p) + "]"


def _binary_posterior_mean(log_likelihoods: Callable[[np.ndarray], np.ndarray]):
    """Posterior mean of p_1 under a flat prior, and the local maxima of the coarse profile.

    Where the profile is sharp this is its maximum; where it is nearly flat (youtube: 4e-4 nats
    per row between p = 0.4 and 0.75) the argmax is noise and the mean is the stable centre of
    the plausible range. Two passes: a coarse grid, then a fine one over where the posterior has
    mass (at large n it is narrower than the coarse step); each grid is one call of
    ``log_likelihoods`` ((G, 2) balances -> (G,)).
    """
    left, right = LOWEST, HIGHEST
    modes = None
    for points in (17, 9):
        grid = np.linspace(left, right, points)
        profile = log_likelihoods(np.stack([1 - grid, grid], axis=1))
        if modes is None:
            rising = np.diff(profile)
            peaks = np.r_[True, rising > 0] & np.r_[rising < 0, True]
            deep = profile < profile.max() - MODE_DEPTH * (profile.max() - profile.min())
            modes = int(np.sum(peaks & ~deep))
        posterior = np.exp(profile - profile.max())
        step = grid[1] - grid[0]
        mass = grid[posterior > 1e-4]
        left, right = max(mass.min() - step, LOWEST), min(mass.max() + step, HIGHEST)
    q = float(np.sum(grid * posterior) / np.sum(posterior))
    return np.array([1 - q, q]), modes


def _simplex_maximum(
    log_likelihoods: Callable[[np.ndarray], np.ndarray], start: np.ndarray, K: int
):
    """Nelder-Mead on the softmax logits of p, started from ``start`` (one balance per call of
    ``log_likelihoods``)."""

    def to_p(logits: np.ndarray) -> np.ndarray:
        z = np.concatenate([[0.0], logits])
        z = np.exp(z - z.max())
        p = z / z.sum()
        p = np.clip(p, LOWEST / K, None)
        return p / p.sum()

    res = optimize.minimize(
        lambda x: -float(log_likelihoods(to_p(x)[None, :])[0]),
        np.log(start[1:] / start[0]),
        method="Nelder-Mead",
        options={"maxfev": 150 * K, "xatol": 1e-3, "fatol": 1e-6},
    )
    return to_p(res.x)


def _marginal_log_likelihoods(
    log_lik: np.ndarray, weights: np.ndarray, p: np.ndarray
) -> np.ndarray:
    """(G,) ``sum_patterns weight * log sum_c p_c P(pattern | c)`` from (G, K, P) ``log_lik`` and
    (G, K) balances ``p``."""
    # Elementwise products and sums, not BLAS dot products: a multithreaded BLAS call on a vector
    # spins its threads, which costs milliseconds per call on a busy 2-core machine.
    joint = log_lik + np.log(p)[:, :, None]
    if joint.shape[1] == 2:
        return np.sum(weights * np.logaddexp(joint[:, 0], joint[:, 1]), axis=1)
    top = joint.max(axis=1)
    return np.sum(weights * (top + np.log(np.exp(joint - top[:, None, :]).sum(axis=1))), axis=1)
