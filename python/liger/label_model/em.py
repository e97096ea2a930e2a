"""Dawid-Skene EM steps that refine the closed-form tables of :class:`LabelModel` (METHOD.md
section 3).

Model
-----
The same naive-Bayes model as the closed form — votes of different LFs independent given Y, each
LF with a table ``P(L_j = v | Y = c)`` over its votes and its abstention — but with *every* entry
of the table free. The closed form (:mod:`liger.label_model.triplet`) can only express, for
K > 2, tables whose false votes for class ``a`` are equally likely whatever the true class
("one-vs-rest symmetry"); real LFs confuse some classes more than others (a "location" keyword
firing on "entity" questions more than on "number" ones), and Snorkel's own generator draws
``P(L_j = v | Y = c)`` freely. EM is the maximum-likelihood estimator of the free tables; started
from the closed form it needs a few steps, not a random restart.

Why these choices
-----------------
* *Data.* The steps read the balance sample of :class:`VoteStatistics` (``balance_sample()``): the
  distinct vote patterns with their counts when a row fits a 63-bit code (all rows up to
  ``MAX_BALANCE_ROWS`` = 10 000, a systematic sample of that many beyond), otherwise the sampled
  rows themselves, each counted once. A step costs O(P m K^2) for P patterns, never a pass over
  the data, so ``fit_statistics`` still depends on the statistics only.
* *E-step* with the model's own posterior: the LF duplicate-group weights and the earned
  abstention weights enter it as they enter ``predict_proba``, so that EM does not chase the
  abstention evidence the posterior deliberately discounts (crowd-style LFs).
* *M-step* with the same smoothing by evidence as the closed form: each class's table is pulled
  towards the LF's marginal vote rates with one pseudo-row, over ``n p_c`` rows (the sample's
  responsibilities scaled to all rows), clipped to ``[eps, 1 - eps]`` and renormalised over the
  votes the LF cast during ``fit`` (votes never cast stay at probability 0).
* *Class balance* fixed: the balance comes from the model's recipe (given, dev labels, the
  majority winners or the guarded likelihood, shrunk by its evidence) and EM does not re-estimate
  it; letting EM move it is how dependent LFs inflate a balance (see
  :mod:`liger.label_model.class_balance`).
"""

from __future__ import annotations

import numpy as np

from .base import softmax_rows
from .encoding import _Blocks, _codes_of, _log_likelihoods


def refine_tables(
    table: np.ndarray,
    emitted: np.ndarray,
    balance: np.ndarray,
    patterns: np.ndarray,
    counts: np.ndarray,
    n_rows: int,
    steps: int,
    log_tables,
    eps: float,
    chunk_size: int,
) -> np.ndarray:
    """``steps`` EM steps on the tables, the class balance held fixed.

    Parameters
    ----------
    table : ndarray of shape (m, K + 1, K)
        Starting tables ``P(L_j = v | Y = c)`` at ``[j, v + 1, c]`` (the closed form).
    emitted : ndarray of bool, shape (m, K + 1)
        Votes each LF cast during ``fit``.
    balance : ndarray of shape (K,)
        Class balance (fixed).
    patterns : ndarray of int, shape (P, m)
        Vote patterns (the balance sample).
    counts : ndarray of shape (P,)
        How many sampled rows each pattern stands for.
    n_rows : int
        Rows of the fit (the sample's responsibilities are scaled to them for the smoothing).
    steps : int
        EM steps (0: ``table`` unchanged).
    log_tables : callable
        ``table -> (K, m * (K + 1))`` flat log tables of the posterior (the model's weights).
    eps : float
        Floor of every probability an LF can emit.
    chunk_size : int
        Rows per chunk of the posterior lookups.

    Returns
    -------
    ndarray of shape (m, K + 1, K)
    """
    m, width, K = table.shape
    if steps <= 0 or counts.sum() == 0:
        return table
    codes = _codes_of(patterns, _Blocks(m, K), chunk_size)
    weights = counts.astype(np.float64)
    scale = n_rows / weights.sum()
    # One-hot of the patterns per vote value: (K + 1, P, m), built once.
    onehot = np.stack([patterns == v for v in range(-1, K)]).astype(np.float64)
    # Marginal vote rates of each LF over the sample: the smoothing target.
    rates = np.einsum("vpj,p->jv", onehot, weights) / weights.sum()
    log_p = np.log(balance)
    for _ in range(steps):
        joint = _log_likelihoods(patterns, log_tables(table), chunk_size, codes).T + log_p
        post = softmax_rows(joint) * weights[:, None]  # (P, K) responsibilities x counts
        votes = np.einsum("vpj,pc->jvc", onehot, post)  # (m, K + 1, K)
        mass = post.sum(axis=0)  # (K,)
        table = (scale * votes + rates[:, :, None]) / (scale * mass + 1.0)
        np.clip(table, eps, 1 - eps, out=table)
        table *= emitted[:, :, None]
        table /= table.sum(axis=1, keepdims=True)
    return table
