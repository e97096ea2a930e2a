"""The closed form's parameters -> probability tables of :class:`LabelModel`: the triplet
magnitudes, signs and shrinkage turned into ``P(L_j = v | Y = c)`` for a batch of candidate class
balances (the likelihood's grid is one call), the weights of the LFs' abstentions in the
posterior, and the flat log tables the posterior reads. See :mod:`liger.label_model.triplet` for
the model and why its estimates are shrunk and smoothed as they are here."""

from __future__ import annotations

import numpy as np

from .moments import _Triplets

DEFAULT_PRIOR_ACCURACY = 0.7


# --------------------------------------------------------------------------------------------
# Parameters -> tables


def _tables(
    tri: _Triplets,
    emitted: np.ndarray,
    p: np.ndarray,
    d2: np.ndarray,
    sign: np.ndarray,
    prior_accuracy: float | None,
    prior_strength: float,
    eps: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tables of G candidate class balances at once (the likelihood's grid is one call).

    Parameters
    ----------
    p : ndarray of shape (G, K)
        Class balances.
    d2 : ndarray of shape (G, F)
        ``d_f^2`` of every feature at each balance.

    Returns
    -------
    table : ndarray of shape (G, m, K + 1, K)
        ``P(L_j = v | Y = c)`` at ``[g, j, v + 1, c]``.
    identified : ndarray of bool, shape (G, F)
        The features with a moment estimate.
    prior : ndarray of shape (G,)
        The prior skill used.
    """
    m, K = tri.m, tri.K
    G = p.shape[0]
    lf, cls, mu = tri.lf, tri.cls, tri.mu
    pa = p[:, cls]
    # A feature that never fires together with another LF's vote has no covariance to learn from,
    # whatever numbers its (structurally negative) covariances produce.
    identified = np.isfinite(d2) & (d2 > 0) & (tri.support > 0)
    d = sign * np.sqrt(np.where(identified, d2, 0.0))
    # Skill = (precision - p_a) / (1 - p_a): 0 for a vote that says nothing, 1 for a perfect
    # one, whatever the class balance. Shrinkage happens in this space so that one prior fits
    # rare and frequent classes alike (a prior *precision* of 0.7 would make a vote for a class
    # of balance 0.9 evidence against it).
    rate = np.maximum(mu, 1e-300)  # mu > 0 for every feature (it was cast at least once)
    skill = d * pa / rate
    # precision >= 0 bounds the skill from below, alpha = mu * precision / p_a <= 1 from above.
    highest = np.minimum(1.0, (pa / rate - pa) / (1 - pa))
    skill = np.clip(skill, -pa / (1 - pa), highest)
    prior = np.full(G, _skill_of(DEFAULT_PRIOR_ACCURACY, K))
    if prior_accuracy is not None:
        prior[:] = _skill_of(float(prior_accuracy), K)
    elif (identified == identified[:1]).all():
        # The same features are identified at every balance (always for K = 2): one call.
        if identified[0].any():
            prior = np.median(skill[:, identified[0]], axis=1)
    else:
        for g in range(G):
            if identified[g].any():
                prior[g] = np.median(skill[g, identified[g]])
    weight = np.where(identified, tri.support, 0.0)
    prior_column = prior[:, None]
    skill = np.where(
        identified,
        (weight * skill + prior_strength * prior_column)
        / np.maximum(weight + prior_strength, 1e-300),
        prior_column,
    )
    precision = pa + skill * (1 - pa)
    alpha = mu * precision / pa
    beta = mu * (1 - precision) / (1 - pa)
    table = np.zeros((G, m, K + 1, K))
    table[:, lf, cls + 1, :] = beta[:, :, None]
    table[:, lf, cls + 1, cls] = alpha
    np.clip(table, eps, 1 - eps, out=table)
    # Abstention takes what the votes leave, at least eps.
    table[:, :, 0, :] = np.maximum(1 - table[:, :, 1:, :].sum(axis=2), eps)
    # Smoothing by evidence: a probability estimated from about n p_c rows of class c is never
    # 0 or 1 (a noisy keyword LF whose moments say it always fires on class 0 must not make
    # every row where it abstains impossible for class 0): it is pulled towards the LF's
    # marginal rate of that vote with one pseudo-row per class. Negligible where n p_c is large.
    rates = np.zeros((m, K + 1))
    rates[lf, cls + 1] = mu
    rates[:, 0] = np.maximum(1 - rates[:, 1:].sum(axis=1), 0.0)
    rows = tri.n * p[:, None, None, :]
    table = (rows * table + rates[None, :, :, None]) / (rows + 1)
    # Renormalise over the votes actually cast.
    table *= emitted[None, :, :, None]
    table /= table.sum(axis=2, keepdims=True)
    return table, identified, prior


def _abstention_weights(mode: str, tri: _Triplets, prior_strength: float) -> np.ndarray:
    """(m,) weight of each LF's abstention log-probabilities in the posterior.

    ``"full"``: 1 (the exact naive-Bayes answer if every LF was applied to every row and its
    abstention depends on the class). ``"ignore"``: 0 (votes-only posterior). ``"earned"``:
    ``s / (s + prior_strength)``, with ``s`` the rows on which the LF votes together with
    another LF (the evidence its parameters rest on): an annotator-LF that voted on a handful
    of rows cannot outvote the cast votes of a row through its silence, while a frequent
    unipolar LF keeps (nearly) all of what its abstention says.
    """
    if mode == "full":
        return np.ones(tri.m)
    if mode == "ignore":
        return np.zeros(tri.m)
    support = np.bincount(tri.lf, weights=tri.support, minlength=tri.m)
    return support / (support + prior_strength) if prior_strength > 0 else np.ones(tri.m)


def _skill_of(accuracy: float, cardinality: int) -> float:
    """The skill of a vote whose precision would be ``accuracy`` under a uniform class balance."""
    chance = 1.0 / cardinality
    return (accuracy - chance) / (1 - chance)


def _log_tables(
    table: np.ndarray,
    emitted: np.ndarray,
    weights: np.ndarray | None = None,
    abstention_weights: np.ndarray | None = None,
) -> np.ndarray:
    """Class-major flat log tables: (..., m, K + 1, K) -> (..., K, m * (K + 1)); unseen votes get
    0 (no evidence). ``weights`` (m,) scale each LF's log-probabilities (1 / size of its
    duplicate group); ``abstention_weights`` (m,) scale the abstention entries only (how much
    of its abstention evidence each LF has earned; 0: abstaining says nothing)."""
    m, width, K = table.shape[-3:]
    with np.errstate(divide="ignore"):
        logs = np.where(emitted[:, :, None], np.log(table), 0.0)
    if abstention_weights is not None:
        logs[..., 0, :] *= abstention_weights[:, None]
    if weights is not None:
        logs = logs * weights[:, None, None]
    logs = np.moveaxis(logs, -1, -3)
    return np.ascontiguousarray(logs.reshape(*logs.shape[:-2], m * width))
