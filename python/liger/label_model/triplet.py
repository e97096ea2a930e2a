"""The closed-form triplet label model: LF votes -> P(y | votes), with no gradient descent.

Model
-----
Votes of different LFs are independent given the class Y (naive Bayes), and every LF ``i`` has a
full table ``P(L_i = v | Y = c)`` over its votes *including the abstention* ``v = -1``. Abstaining
is therefore evidence: a unipolar LF (one that only ever votes one class, like 9 of youtube's 10)
that abstains makes its class less likely, and an LF may abstain more on one class than on another.

For each LF ``i`` and each class ``a`` it votes for, the indicator ``psi_f = 1[L_i = a]``
(a *feature* ``f = (i, a)``) has, under the model,

    P(L_i = a | Y = a) = alpha_f,     P(L_i = a | Y = c) = beta_f  for every c != a,

and ``d_f = alpha_f - beta_f > 0`` (an LF's vote for ``a`` is positive evidence for ``a``). For
K = 2 this is no restriction at all (there is only one other class); for K > 2 it says that an LF's
false votes for ``a`` are equally likely whatever the true class is — the "one-vs-rest" symmetry.
With ``Sigma = diag(p) - p p^T`` (``p`` = class balance), features ``f = (i, a)`` and
``g = (j, b)`` of *different* LFs then satisfy

    Cov(psi_f, psi_g) = d_f d_g Sigma[a, b],

so ``R = Cov / Sigma[a, b]`` is rank one off the same-LF blocks and for any two features ``g, h``
of two further, distinct LFs ``d_f^2 = R_fg R_fh / R_gh`` (a *triplet*). This is native
multiclass, with no one-vs-rest refits, because the class structure enters only through the known
factor ``Sigma``; for K = 2 it is exactly METHOD.md section 2. From ``d_f``, the vote rate
``mu_f = E[psi_f]`` and ``p``:

    alpha_f = mu_f + (1 - p_a) d_f,        beta_f = mu_f - p_a d_f,

equivalently the LF's precision ``P(Y = a | L_i = a) = p_a + d_f p_a (1 - p_a) / mu_f``.

Estimation
----------
1. One streaming pass computes the vote counts and the co-occurrence counts of the indicators (a
   ``syrk`` per chunk of rows): no per-row Python, memory of one chunk. These exact integer
   counts, with the majority winners and the balance sample, are a
   :class:`liger.label_model.statistics.VoteStatistics`; ``fit(L)`` is
   ``fit_statistics(VoteStatistics.from_votes(L, K))``, and statistics merged from row chunks or
   updated after one LF changed give the same model.
2. ``d_f^2`` from the triplets of f, aggregated by the median of ``|R_fg R_fh / R_gh|`` (robust,
   the default) or the ``|R_gh|``-weighted mean of the signed values. A triplet is used when its
   three features belong to three different LFs, every pair of them is expected to co-occur on at
   least ``min_expected`` rows (so the covariances are not Poisson noise around 0, 1 or 2 counts),
   and ``g, h`` are significantly correlated (|z| >= ``min_z``). A feature with fewer than 3 such
   triplets (a sparse LF) gets the *pooled* estimate ``sum R_fg R_fh / sum R_gh`` over all pairs of
   other LFs, which adds up the little covariance it has with everyone before dividing.
3. The sign of ``d_f`` is + unless the feature's correlations with the other LFs significantly say
   otherwise (|Stouffer z| >= ``min_z``): e.g. a tennis LF whose "0" votes mostly come from class 1.
4. Shrinkage: the *skill* ``(precision - p_a) / (1 - p_a)`` (0 = uninformative, 1 = perfect) is
   pulled towards a prior skill with ``prior_strength`` pseudo-rows against the ``s`` rows the
   estimate rests on (rows where the feature fires and another LF votes). Features with no estimate
   at all (fewer than three LFs vote, LFs that never overlap) get the prior, with a warning.
5. Projection onto valid distributions: every ``P(L_i = . | Y = c)`` is clipped to
   ``[eps, 1 - eps]`` and renormalised over the votes the LF actually cast during ``fit``; votes it
   never cast (the other class of a unipolar LF, or abstention for an LF that always votes) get
   probability exactly 0, and at predict time carry no evidence (the same factor for every class).

Posterior: ``log P(Y = c | L) = log p_c + sum_i log P(L_i | Y = c) + const``, abstentions
included, so an all-abstain row gets exactly ``p`` when abstention does not depend on the class.
The sum over LFs is taken block by block: a block of consecutive LFs (5 for K = 2) has a table of
the summed log-probabilities of every combination of its votes, so a row costs one lookup per
block (:data:`BLOCK_ENTRIES`; a fixed order, so results do not depend on chunking or threads).
:class:`EncodedVotes` keeps a matrix's lookup positions for repeated posteriors.

Class balance
-------------
``class_balance`` picks where ``p`` comes from (:mod:`liger.label_model.class_balance`); labels of
the rows
being fitted or scored are never used. ``"likelihood"`` (the default for K = 2): the profile
likelihood of the vote patterns — for each candidate ``p`` the tables are re-derived in closed
form, a whole grid of candidates in one batched pass — refused when the votes do not identify it
and shrunk towards the majority-vote winners (or the dev labels) by the evidence the rows carry,
with a warning when it rests on little evidence.
``"majority"`` (the default for K > 2): the majority-vote winners' distribution; on trec (K = 6,
LFs far from conditionally independent) the multiclass likelihood drifts to implausible balances
while this estimate is stable. ``"dev"``: smoothed dev-label frequencies. An array: as given.

Near-duplicate LFs
------------------
LFs that agree on at least 95 % of the rows where either votes (copies, or an LF written as a
slight variant of another) break conditional independence in the worst way: a copy's covariance
with its original is its variance, which inflates both LFs' estimated accuracy, and the group
would be counted once per member. Such LFs form a group (``lf_groups_``): triplets never combine
two members, and each member's log-likelihood counts ``1 / (group size)`` (``lf_weights_``), so an
exact copy changes nothing. A warning names them.

For K > 2, ``em_steps`` Dawid-Skene EM steps (0 by default: see the parameter) can free the
tables of that symmetry (:mod:`liger.label_model.em`).

Multiclass is native (one model, K classes) rather than one-vs-rest: one-vs-rest would fit K binary
models whose "rest" class mixes classes on which an LF behaves differently, breaking the rank-one
structure each binary model relies on, and would then need a renormalisation that is not a
posterior of any model. Here the only multiclass assumption is the symmetry of false votes above.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

from .._checks.state import state_array
from .._checks.votes import check_cardinality, check_chunk_size
from .base import VoteModel, check_fit_rows, check_fit_statistics, softmax_rows
from .class_balance import (
    LabelModelWarning,
    balance_from_likelihood,
    balance_from_majority,
    check_class_balance,
    describe_fallback,
    resolve_fit_balance,
)
from .em import refine_tables
from .encoding import _Blocks, _codes_of, _log_likelihoods
from .fit_warnings import describe_lfs
from .moments import DUPLICATE_AGREEMENT, _Triplets
from .statistics import VoteStatistics
from .tables import _abstention_weights, _log_tables, _tables

AGGREGATIONS = ("median", "mean")
METHODS = ("triplet",)
# How an abstention enters the posterior (see "Abstentions" in the module docstring).
ABSTENTION_MODES = ("earned", "full", "ignore")


def _few(indices: np.ndarray) -> str:
    return describe_lfs(indices)  # by name inside a front end's fit (fit_warnings.once_per_fit)


class LabelModel(VoteModel, saveable=True):
    """Closed-form triplet label model: fits in one pass over the votes, multiclass natively.

    See the module docstring for the model and the estimator. ``fit`` stores the learned
    parameters in attributes ending in ``_``; ``__init__`` only stores its arguments.

    Parameters
    ----------
    cardinality : int, default=2
        Number of classes K; votes are -1 (abstain) or ``0..K-1``.
    method : {"triplet"}, default="triplet"
        Estimator of the LF parameters (closed-form triplets on vote-indicator covariances).
    class_balance : None, "likelihood", "majority", "dev" or array-like of shape (K,), default=None
        Where the class balance comes from (see the module docstring). ``None``: "likelihood" for
        K = 2, "majority" for K > 2. ``"dev"``: from the dev labels passed as
        ``fit(L, y_dev=...)``; "likelihood" combines such labels with the votes. A (K,) array of
        positive probabilities: as given. Never test labels.
    aggregation : {"median", "mean"}, default="median"
        How the triplet estimates of one feature are combined: median of ``|R_fg R_fh / R_gh|``,
        or the ``|R_gh|``-weighted mean of the signed values.
    prior_accuracy : float in (0, 1) or None, default=None
        Prior for the LFs' votes, as the precision ``P(Y = a | L_i = a)`` they would have under a
        uniform class balance (it is applied as the equivalent skill, so that it means the same
        for rare and frequent classes). Estimates are shrunk towards it and unidentifiable votes
        get it. ``None``: the median skill of the identified votes (0.7 if there are none).
    prior_strength : float >= 0, default=20.0
        Pseudo-count of the prior: an estimate backed by ``s`` overlapping rows gets weight
        ``s / (s + prior_strength)``. 0 disables shrinkage (but not the fallback).
    min_z : float >= 0, default=2.0
        Minimum |z| of the correlation of the two "other" features of a triplet, and of the
        evidence needed to give a feature a negative sign.
    min_expected : float >= 0, default=20.0
        Minimum number of rows on which each pair of a triplet's features would co-occur if they
        were independent (``n mu_f mu_g``).
    max_pairs : int, default=2000
        At most this many (most significant) triplets per feature: bounds the fit time for many
        LFs without changing the estimate materially.
    eps : float, default=1e-4
        Floor of every probability the LF can emit (keeps logs finite).
    em_steps : int >= 0, default=0
        Dawid-Skene EM steps that refine the closed-form tables into free ones
        (:mod:`liger.label_model.em`: every ``P(L_j = v | Y = c)`` estimated, no one-vs-rest
        symmetry), on the balance sample (all rows up to 10 000, a systematic sample of 10 000
        beyond), the class balance held fixed. On Snorkel's K = 3 scenario (free tables) 3 steps
        cut the parameter error from 0.034 to 0.005 (20 of 20 seeds within Snorkel's 0.01). The
        default is 0 because real data says so: on trec's *valid* split 3 steps moved macro-F1
        0.509 -> 0.515 but accuracy 0.536 -> 0.502 (its LFs are far from conditionally
        independent, and EM fits their dependence), on hausa's valid split 10 steps lost 2 points
        of macro-F1; where the symmetry holds and n is far above 10 000, the closed form (every
        row's moments) is also the more precise.
    chunk_size : int, default=65536
        Rows per chunk in the streaming passes (memory ~ chunk_size * m * 8 bytes).

    Attributes
    ----------
    class_balance_ : ndarray of shape (K,)
        P(Y = c) used by the posterior.
    cond_probs_ : ndarray of shape (m, K + 1, K)
        ``cond_probs_[j, v + 1, c] = P(L_j = v | Y = c)``; ``v = -1`` (index 0) is abstention.
    emitted_ : ndarray of bool, shape (m, K + 1)
        Which votes (index ``v + 1``) each LF cast during ``fit``; the others have probability 0
        and, should they appear at predict time, are treated as carrying no evidence.
    accuracies_ : ndarray of shape (m,)
        ``P(L_j = Y | L_j != -1)`` under the fitted model; for an LF that never voted (nothing to
        measure) the prior's accuracy, never NaN.
    coverage_ : ndarray of shape (m,)
        Fraction of the fit rows on which each LF voted.
    n_rows_without_votes_ : int or None
        Fit rows on which every LF abstained (what they get: see :meth:`predict_proba`;
        ``predict(..., no_votes="abstain")`` gives them -1). None for :meth:`from_params`.
    identified_ : ndarray of bool, shape (m, K)
        True where LF j's votes for class a have a moment estimate (False: the prior only, or
        LF j never votes a).
    n_lfs_ : int
        Number of LFs (columns) seen in ``fit``.

    Notes
    -----
    The defaults of ``aggregation``, ``prior_strength``, ``min_z`` and ``min_expected`` were picked
    by a grid search on the *valid* splits of the youtube, sms and trec data (never their test
    splits); ``benches/bench_label_model.py --datasets`` prints the resulting test scores.
    """

    _FITTED = "cond_probs_"
    _READS_ENCODED = True

    def __init__(
        self,
        cardinality: int = 2,
        *,
        method: str = "triplet",
        class_balance: Any = None,
        aggregation: str = "median",
        prior_accuracy: float | None = None,
        prior_strength: float = 20.0,
        min_z: float = 2.0,
        min_expected: float = 20.0,
        max_pairs: int = 2000,
        eps: float = 1e-4,
        abstentions: str = "earned",
        em_steps: int = 0,
        chunk_size: int = 65536,
    ) -> None:
        self.cardinality = cardinality
        self.method = method
        self.class_balance = class_balance
        self.aggregation = aggregation
        self.prior_accuracy = prior_accuracy
        self.prior_strength = prior_strength
        self.min_z = min_z
        self.min_expected = min_expected
        self.max_pairs = max_pairs
        self.eps = eps
        self.abstentions = abstentions
        self.em_steps = em_steps
        self.chunk_size = chunk_size

    # ----------------------------------------------------------------------------------------

    def _check_hyperparameters(self) -> int:
        K = check_cardinality(self.cardinality)
        if self.method not in METHODS:
            raise ValueError(f"method: expected one of {METHODS}, got {self.method!r}")
        if self.aggregation not in AGGREGATIONS:
            raise ValueError(
                f"aggregation: expected one of {AGGREGATIONS}, got {self.aggregation!r}"
            )
        if self.prior_accuracy is not None and not (
            isinstance(self.prior_accuracy, numbers.Real) and 0 < self.prior_accuracy < 1
        ):
            raise ValueError(
                f"prior_accuracy: expected None or a number in (0, 1), got {self.prior_accuracy!r}"
            )
        for name, low in (("prior_strength", 0.0), ("min_z", 0.0), ("min_expected", 0.0)):
            value = getattr(self, name)
            if (
                not isinstance(value, numbers.Real)
                or isinstance(value, bool)
                or not np.isfinite(value)
                or value < low
            ):
                raise ValueError(f"{name}: expected a number >= {low} (finite), got {value!r}")
        if not isinstance(self.eps, numbers.Real) or not 0 < self.eps < 0.5 / (K + 1):
            raise ValueError(f"eps: expected a number in (0, {0.5 / (K + 1):g}), got {self.eps!r}")
        if (
            isinstance(self.max_pairs, bool)
            or not isinstance(self.max_pairs, numbers.Integral)
            or self.max_pairs < 1
        ):
            raise ValueError(f"max_pairs: expected a positive int, got {self.max_pairs!r}")
        check_chunk_size(self.chunk_size)
        if (
            isinstance(self.em_steps, bool)
            or not isinstance(self.em_steps, numbers.Integral)
            or self.em_steps < 0
        ):
            raise ValueError(f"em_steps: expected an int >= 0, got {self.em_steps!r}")
        if not isinstance(self.abstentions, str) or self.abstentions not in ABSTENTION_MODES:
            raise ValueError(
                f"abstentions: expected one of {ABSTENTION_MODES}, got {self.abstentions!r}"
            )
        return K

    def fit(self, L: Any, y: Any = None, *, y_dev: Any = None) -> LabelModel:
        """Fit the LF parameters (and the class balance unless it is given) from the votes.

        Equivalent to ``fit_statistics(VoteStatistics.from_votes(L, cardinality))``.

        Parameters
        ----------
        L : array-like of int or scipy.sparse CSR / CSC matrix, shape (n, m)
            Votes, -1 = abstain, classes ``0..K-1``, any integer dtype (not widened); sparse:
            explicit entries are votes, missing entries abstentions (see
            :mod:`liger.label_model.statistics`). Not modified.
        y : None
            Ignored; present for scikit-learn API compatibility. The model is unsupervised: gold
            labels of the rows of ``L`` never enter the fit.
        y_dev : array-like of int, shape (n_dev,), optional
            Labels of a small labelled dev set, for the class balance only: with
            ``class_balance="dev"`` it is their smoothed frequencies, with ``"likelihood"``
            (or None for K = 2) their likelihood is combined with the votes'.

        Returns
        -------
        self : LabelModel
        """
        K = self._check_hyperparameters()
        resolve_fit_balance(self.class_balance, K, y_dev)  # bad parameters fail before the pass
        stats = VoteStatistics.from_votes(L, K, chunk_size=int(self.chunk_size))
        check_fit_rows(stats, L)
        return self.fit_statistics(stats, y_dev=y_dev)

    def fit_statistics(self, stats: VoteStatistics, *, y_dev: Any = None) -> LabelModel:
        """Fit from the sufficient statistics of the votes instead of the votes themselves.

        The model depends on the votes only through these statistics, so this gives exactly the
        model :meth:`fit` gives on the matrix they were computed from — whether they were built
        in one pass, merged from row chunks (:meth:`VoteStatistics.merge`) or updated after an
        LF changed (:meth:`VoteStatistics.replace_lf`).

        Parameters
        ----------
        stats : VoteStatistics
            Statistics of all rows of a vote matrix with ``cardinality`` classes
            (``stats.is_complete``).
        y_dev : array-like of int, shape (n_dev,), optional
            As in :meth:`fit`.

        Returns
        -------
        self : LabelModel
        """
        K = self._check_hyperparameters()
        fixed, dev_counts = resolve_fit_balance(self.class_balance, K, y_dev)
        check_fit_statistics(stats, K)
        n, m = stats.n_rows, stats.n_lfs
        tri = _Triplets(stats, float(self.min_z), float(self.min_expected), int(self.max_pairs))
        counts = tri.counts
        emitted = counts > 0
        sign = np.where(tri.sign_z < -float(self.min_z), -1.0, 1.0)

        # For K = 2, |Sigma[a, b]| = p (1 - p) for every class pair, so d_f^2 scales exactly as
        # 1 / (p (1 - p)): compute the triplets once and rescale for each candidate balance.
        d2_half = tri.magnitudes(np.array([0.5, 0.5]), self.aggregation) if K == 2 else None

        def tables_at(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            """The tables of G balances ``p`` (G, K) at once (see :func:`_tables`)."""
            if d2_half is not None:
                d2 = d2_half[None, :] * (0.25 / (p[:, 0] * p[:, 1]))[:, None]
            else:
                d2 = np.stack([tri.magnitudes(q, self.aggregation) for q in p])
            return _tables(
                tri,
                emitted,
                p,
                d2,
                sign,
                self.prior_accuracy,
                float(self.prior_strength),
                float(self.eps),
            )

        # A group of g near-duplicate LFs is one source of evidence: each member's log-likelihood
        # counts 1/g (for exact copies the group then counts exactly once).
        sizes = np.bincount(tri.group, minlength=m)[tri.group]
        lf_weights = 1.0 / sizes
        estimate = None
        if isinstance(fixed, str) and fixed == "likelihood":
            patterns, _ = stats.balance_sample()
            codes = _codes_of(patterns, _Blocks(m, K), int(self.chunk_size))
            chunk = int(self.chunk_size)

            def pattern_log_likelihoods(p: np.ndarray) -> np.ndarray:
                # Every candidate balance of the grid in one pass over the patterns.
                G = p.shape[0]
                flat = _log_tables(tables_at(p)[0], emitted, lf_weights).reshape(G * K, -1)
                return _log_likelihoods(patterns, flat, chunk, codes).reshape(G, K, -1)

            estimate = balance_from_likelihood(stats, pattern_log_likelihoods, dev_counts)
            p = estimate.balance
        elif isinstance(fixed, str):
            p = balance_from_majority(stats)
        else:
            p = fixed
        tables, identified, prior_skills = tables_at(p[None, :])
        table, identified, prior_skill = tables[0], identified[0], float(prior_skills[0])
        abstention_weights = _abstention_weights(self.abstentions, tri, float(self.prior_strength))
        steps = int(self.em_steps)
        if steps:
            patterns, sample_counts = stats.balance_sample()
            table = refine_tables(
                table,
                emitted,
                p,
                patterns,
                sample_counts,
                n,
                int(steps),
                lambda t: _log_tables(t, emitted, lf_weights, abstention_weights),
                float(self.eps),
                int(self.chunk_size),
            )
        never = counts[:, 0] == n
        self._warn_degenerate(tri, identified, never)
        copies = np.flatnonzero(tri.group != np.arange(m))
        if copies.size:
            warnings.warn(
                f"LFs {_few(copies)} near-duplicate LFs {_few(np.unique(tri.group[copies]))} "
                f"(they agree on >= {DUPLICATE_AGREEMENT:.0%} of the rows either votes on): each "
                "group counts as one LF (lf_groups_, lf_weights_); remove the copies if they are "
                "the same LF",
                LabelModelWarning,
                stacklevel=2,
            )
        message = None if estimate is None else describe_fallback(estimate)
        if message is not None:
            warnings.warn(message, LabelModelWarning, stacklevel=2)

        self.n_lfs_ = m
        self.class_balance_ = p
        self.balance_estimate_ = estimate
        self.lf_groups_ = tri.group
        self.lf_weights_ = lf_weights
        self.cond_probs_ = table
        self.emitted_ = emitted
        ident = np.zeros((m, K), dtype=bool)
        ident[tri.lf, tri.cls] = identified
        self.identified_ = ident
        self.coverage_ = 1.0 - counts[:, 0] / n
        self.n_rows_without_votes_ = n - stats.n_rows_with_votes
        self.abstention_weights_ = abstention_weights
        self._set_derived()
        # An LF that never voted has no accuracy to measure: report the prior's (never NaN).
        self.accuracies_[never] = 1.0 / K + prior_skill * (1 - 1.0 / K)
        return self

    @staticmethod
    def _warn_degenerate(tri: _Triplets, identified: np.ndarray, never: np.ndarray) -> None:
        """Warn where the user can act: LFs that never vote, too few voting LFs. An LF with no
        usable triplet (too rare, never overlapping with two correlated LFs: most rare keyword
        LFs) gets its parameters from the prior precision without a warning: that is the right
        estimate for it, and ``identified_`` records which (LF, class) entries it holds for."""
        messages = []
        if never.any():
            messages.append(
                f"LFs {_few(np.flatnonzero(never))} never vote: they carry no evidence and their "
                "accuracies_ are the prior's; check them on the records (a typo in a keyword, a "
                "wrong column?) or remove them"
            )
        voting = tri.m - int(never.sum())
        if not identified.all() and voting < 3:
            missing = np.unique(tri.lf[~identified])
            messages.append(
                f"LFs {_few(missing)}: parameters set from the prior precision, because only "
                f"{voting} LF(s) vote: triplets need at least 3; add LFs, or use "
                "label_model='majority'"
            )
        for message in messages:
            warnings.warn(message, LabelModelWarning, stacklevel=3)

    def _set_derived(self) -> None:
        table, p = self.cond_probs_, self.class_balance_
        K = p.size
        self._log_flat = _log_tables(
            table,
            self.emitted_,
            getattr(self, "lf_weights_", None),
            getattr(self, "abstention_weights_", None),
        )
        # P(L_j = Y, L_j != -1) = sum_c p_c P(L_j = c | Y = c); coverage under the model.
        correct = np.einsum("c,jc->j", p, table[:, 1:, :].diagonal(axis1=1, axis2=2))
        voted = 1.0 - table[:, 0, :] @ p
        with np.errstate(invalid="ignore", divide="ignore"):
            self.accuracies_ = np.where(voted > 0, correct / np.where(voted > 0, voted, 1), np.nan)
        self._cardinality = K

    def _check_state(self) -> tuple[int, int] | None:
        fitted = super()._check_state()
        if fitted is None:
            return None
        K, m = fitted
        state_array(self, "cond_probs_", "f", (m, K + 1, K), finite=True, low=0.0, high=1 + 1e-6)
        state_array(self, "emitted_", "b", (m, K + 1))
        state_array(self, "identified_", "b", (m, K))
        state_array(self, "lf_groups_", "iu", (m,), low=0, high=m - 1)
        state_array(self, "lf_weights_", "f", (m,), finite=True, low=0.0)
        state_array(self, "accuracies_", "f", (m,), allow_nan=True)
        # Log tables: -inf (a vote never cast) is allowed, NaN and +inf are not.
        state_array(self, "_log_flat", "f", (K, m * (K + 1)))
        if np.isposinf(self._log_flat).any():
            raise ValueError("_log_flat: expected log-probabilities, got +inf")
        return fitted

    @classmethod
    def from_params(
        cls,
        cond_probs: Any,
        class_balance: Any,
        **params: Any,
    ) -> LabelModel:
        """A fitted model with given parameters (for simulation, tests, or a saved model).

        Parameters
        ----------
        cond_probs : array-like, shape (m, K + 1, K)
            ``P(L_j = v | Y = c)`` at ``[j, v + 1, c]``; each ``[j, :, c]`` sums to 1. Zero
            entries are votes the LF never casts.
        class_balance : array-like, shape (K,)
            P(Y = c).
        **params
            Other constructor parameters (they only matter for a later ``fit``).
        """
        table = np.array(cond_probs, dtype=np.float64)
        if table.ndim != 3 or table.shape[1] != table.shape[2] + 1:
            raise ValueError(f"cond_probs: expected shape (m, K + 1, K), got {table.shape}")
        K = table.shape[2]
        p = check_class_balance(class_balance, K)
        if not np.all(np.isfinite(table)) or table.min() < 0:
            raise ValueError("cond_probs: expected finite non-negative probabilities")
        if not np.allclose(table.sum(axis=1), 1.0, atol=1e-6):
            raise ValueError("cond_probs: expected every [j, :, c] to sum to 1")
        model = cls(cardinality=K, class_balance=p, **params)
        m = table.shape[0]
        model.n_lfs_ = m
        model.class_balance_ = p
        model.cond_probs_ = table
        model.emitted_ = (table > 0).any(axis=2)
        model.identified_ = np.ones((m, K), dtype=bool)
        model.coverage_ = 1.0 - table[:, 0, :] @ p
        model.lf_groups_ = np.arange(m)
        model.lf_weights_ = np.ones(m)
        model.n_rows_without_votes_ = None  # no fit rows
        # Given parameters are taken as true: abstentions count in full unless told to ignore them.
        model.abstention_weights_ = np.full(m, 0.0 if model.abstentions == "ignore" else 1.0)
        model._set_derived()
        return model

    # ----------------------------------------------------------------------------------------

    def predict_log_joint(self, L: Any) -> np.ndarray:
        """``log P(Y = c) + sum_j log P(L_j | Y = c)`` per row, shape (n, K).

        Votes an LF never cast during ``fit`` contribute nothing (the same to every class).
        """
        return self._log_joint(self._checked_votes(L))

    def _log_joint(self, votes: np.ndarray) -> np.ndarray:
        out = _log_likelihoods(votes, self._log_flat, check_chunk_size(self.chunk_size)).T
        out += np.log(self.class_balance_)
        return np.ascontiguousarray(out)

    def predict_proba(self, L: Any) -> np.ndarray:
        """Posterior ``P(Y = c | votes)`` under the fitted naive-Bayes model.

        Parameters
        ----------
        L : array-like of int, shape (n, m), or EncodedVotes
            Votes in the same LF order as in ``fit`` (or their :class:`EncodedVotes`).

        Returns
        -------
        ndarray of float64, shape (n, K)
            Rows sum to 1.

        Notes
        -----
        A row on which every LF abstains has no cast vote; what it gets depends on
        ``abstentions``. ``"ignore"``: exactly the prior ``class_balance_``. ``"earned"`` (the
        default): the prior times ``prod_j P(L_j = -1 | Y = c) ^ (w_j / g_j)``, normalised, with
        ``w_j = abstention_weights_[j]`` (the LF's evidence ``s / (s + prior_strength)``) and
        ``g_j`` the size of its duplicate group — so silence moves it away from the classes
        frequent LFs fire on, and the row is exactly the prior when no LF's abstention depends
        on the class. ``"full"``: the same with ``w_j = 1``. ``predict(L, no_votes="abstain")``
        turns these rows into -1 instead of the argmax; ``n_rows_without_votes_`` counts them in
        the fit.
        """
        L = self._checked_votes(L)
        if self._cardinality != 2:
            return softmax_rows(self._log_joint(L))
        # Binary: one gather per chunk on the log-odds table instead of one per class.
        flat = self._log_flat
        log_odds = _log_likelihoods(L, (flat[1] - flat[0])[None], check_chunk_size(self.chunk_size))
        log_odds = log_odds[0]
        log_odds += np.log(self.class_balance_[1] / self.class_balance_[0])
        proba = np.empty((L.shape[0], 2))
        # sigmoid written with exp of a non-positive number only: no overflow warnings
        e = np.exp(-np.abs(log_odds))
        big = 1.0 / (1.0 + e)
        small = e * big
        positive = log_odds >= 0
        proba[:, 1] = np.where(positive, big, small)
        proba[:, 0] = np.where(positive, small, big)
        return proba
