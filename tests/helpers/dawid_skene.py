"""Dawid-Skene vote matrices with known truth, in the regimes users meet (issue 10).

Each LF ``j`` has a confusion matrix ``P(L_j = v | Y = c)`` over its votes *and* its abstention;
given the class, LFs vote independently — except in regime (c), where some LFs are copies of
another LF's votes (the conditional-independence assumption every contender makes is broken).
Shared by ``tests/test_label_quality.py`` and ``benches/bench_label_quality.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Regime:
    key: str
    description: str
    n: int
    cardinality: int


REGIMES = (
    Regime("a", "10 LFs, 30-80 % coverage", 5000, 2),
    Regime("b", "100 sparse annotators, 1-3 % coverage, acc. 0.6-0.9", 1000, 2),
    Regime("b1", "as (b) with ~1 vote per item (0.5-1.5 % coverage)", 1000, 2),
    Regime("c", "correlated LFs: 4 near-copies of one weak LF", 5000, 2),
    Regime("d", "1 % positive class", 20000, 2),
    Regime("e", "4 classes", 5000, 4),
    Regime("f", "one-class (unipolar) LFs, spam-filter style", 5000, 2),
)
REGIME_BY_KEY = {regime.key: regime for regime in REGIMES}


def lf_table(K: int, accuracy: float, coverage) -> np.ndarray:
    """(K + 1, K) table: votes on a fraction coverage[c] of class-c items, correct with
    probability ``accuracy``, wrong votes spread evenly over the other classes."""
    coverage = np.broadcast_to(np.asarray(coverage, dtype=float), (K,))
    table = np.zeros((K + 1, K))
    table[0] = 1 - coverage
    for c in range(K):
        table[1:, c] = coverage[c] * (1 - accuracy) / (K - 1)
        table[c + 1, c] = coverage[c] * accuracy
    return table


def unipolar(K: int, a: int, hit: float, false_alarm: float) -> np.ndarray:
    """(K + 1, K) table of an LF that only ever votes class a."""
    table = np.zeros((K + 1, K))
    table[a + 1] = false_alarm
    table[a + 1, a] = hit
    table[0] = 1 - table[1:].sum(axis=0)
    return table


def regime_model(key: str, seed: int) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """``(tables (m, K + 1, K), class balance (K,), copies)`` of a regime; ``copies`` lists
    ``(j, source)``: LF j repeats LF source's votes (regime c)."""
    rng = np.random.default_rng(10_000 + seed)
    copies: list[tuple[int, int]] = []
    if key == "a":
        balance = np.array([0.55, 0.45])
        tables = [lf_table(2, rng.uniform(0.6, 0.85), rng.uniform(0.3, 0.8, 2)) for _ in range(10)]
    elif key in ("b", "b1"):
        balance = np.array([0.5, 0.5])
        low, high = (0.01, 0.03) if key == "b" else (0.005, 0.015)
        tables = [lf_table(2, rng.uniform(0.6, 0.9), rng.uniform(low, high)) for _ in range(100)]
    elif key == "c":
        balance = np.array([0.6, 0.4])
        tables = [lf_table(2, rng.uniform(0.7, 0.85), rng.uniform(0.3, 0.6, 2)) for _ in range(5)]
        tables.append(lf_table(2, 0.6, 0.6))  # a weak LF ...
        copies = [(6, 5), (7, 5), (8, 5), (9, 5)]  # ... and four near-copies of it
        tables += [tables[5]] * 4
    elif key == "d":
        balance = np.array([0.99, 0.01])
        tables = []
        for _ in range(8):
            # Recall on positives 0.3-0.7, false alarms on 0.2-1 % of the negatives.
            t = np.zeros((3, 2))
            t[2] = [rng.uniform(0.002, 0.01), rng.uniform(0.3, 0.7)]
            t[1] = [rng.uniform(0.05, 0.3), rng.uniform(0.0, 0.05)]
            t[0] = 1 - t[1:].sum(axis=0)
            tables.append(t)
    elif key == "e":
        balance = np.array([0.4, 0.3, 0.2, 0.1])
        tables = [lf_table(4, rng.uniform(0.5, 0.85), rng.uniform(0.2, 0.7)) for _ in range(10)]
    elif key == "f":
        balance = np.array([0.6, 0.4])  # 0 = ham, 1 = spam
        tables = [unipolar(2, 1, rng.uniform(0.1, 0.4), rng.uniform(0.005, 0.05)) for _ in range(7)]
        tables += [unipolar(2, 0, rng.uniform(0.1, 0.4), rng.uniform(0.01, 0.06)) for _ in range(3)]
    else:
        raise ValueError(f"key: expected one of {list(REGIME_BY_KEY)}, got {key!r}")
    return np.stack(tables), balance, copies


def sample_regime(key: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(L (n, m) int8, y (n,))`` of regime ``key``: the LF tables come from ``seed`` too."""
    regime = REGIME_BY_KEY[key]
    tables, balance, copies = regime_model(key, seed)
    rng = np.random.default_rng(seed)
    m, width, K = tables.shape
    y = rng.choice(K, size=regime.n, p=balance)
    cdf = np.cumsum(tables, axis=1)[:, :, y]  # (m, K + 1, n)
    u = rng.random((m, regime.n))
    L = (np.minimum((u[:, None, :] >= cdf).sum(axis=1), width - 1) - 1).T
    for j, source in copies:
        # A near-copy: the source's votes, except on 3 % of the rows where it votes afresh.
        L[:, j] = np.where(rng.random(regime.n) < 0.03, L[:, j], L[:, source])
    return np.ascontiguousarray(L, dtype=np.int8), y
