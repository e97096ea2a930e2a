"""Dawid-Skene vote matrices with known truth, in the regimes users meet (issue 10).

Each LF ``j`` has a confusion matrix ``P(L_j = v | Y = c)`` over its votes *and* its abstention;
given the class, LFs vote independently — except in regime (c), where some LFs are copies of
another LF's votes (the conditional-independence assumption every contender makes is broken).
Shared by ``tests/test_label_quality.py`` and ``benches/bench_label_quality.py``.

Regimes (g)-(j) (issue 19, :func:`sample_split_regime`) come as train / dev / test splits whose
votes need not follow the same tables: annotators who vote on train rows only (g), coverage and
class-dependent abstention that differ between train and test (h), 10 classes with 150 dev items
and LFs confusing two classes (i), 60 % of the rows without a vote and 80/20 classes (j); used by
``tests/label_model/test_label_quality_splits.py``.
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


def _draw(tables: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n, m) votes of LFs with tables (m, K + 1, K) on items of classes y (-1 = abstain)."""
    m, width, _ = tables.shape
    cdf = np.cumsum(tables, axis=1)[:, :, y]  # (m, K + 1, n)
    u = rng.random((m, y.shape[0]))
    return (np.minimum((u[:, None, :] >= cdf).sum(axis=1), width - 1) - 1).T


def sample_regime(key: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(L (n, m) int8, y (n,))`` of regime ``key``: the LF tables come from ``seed`` too."""
    regime = REGIME_BY_KEY[key]
    tables, balance, copies = regime_model(key, seed)
    rng = np.random.default_rng(seed)
    K = tables.shape[2]
    y = rng.choice(K, size=regime.n, p=balance)
    L = _draw(tables, y, rng)
    for j, source in copies:
        # A near-copy: the source's votes, except on 3 % of the rows where it votes afresh.
        L[:, j] = np.where(rng.random(regime.n) < 0.03, L[:, j], L[:, source])
    return np.ascontiguousarray(L, dtype=np.int8), y


# --------------------------------------------------------------------------------------------
# Regimes with a train / dev / test split (issue 19): train and test votes need not come from
# the same LF tables, and some LFs vote on train rows only. Dev is drawn like test.


@dataclass(frozen=True)
class SplitRegime:
    key: str
    description: str
    n_train: int
    n_dev: int
    n_test: int
    cardinality: int
    metric: str  # "accuracy", "macro_f1" or "f1" (of class 1, the minority)


SPLIT_REGIMES = (
    SplitRegime(
        "g",
        "crowd: 100 annotators on 5-30 train rows each and no test row; 3 keyword LFs",
        2000,
        150,
        2000,
        2,
        "accuracy",
    ),
    SplitRegime(
        "h",
        "coverage shift: 40 % -> 5 % and 5 % -> 40 %; class-dependent abstention in train",
        3000,
        150,
        3000,
        2,
        "accuracy",
    ),
    SplitRegime(
        "i",
        "10 classes, 150 dev items, 20 LFs, 4 confusing two classes",
        5000,
        150,
        3000,
        10,
        "macro_f1",
    ),
    SplitRegime("j", "60 % of the rows without a vote, 80/20 classes", 5000, 150, 3000, 2, "f1"),
)
SPLIT_REGIME_BY_KEY = {regime.key: regime for regime in SPLIT_REGIMES}
N_ANNOTATORS = 100
N_KEYWORDS = 3


def confuse(table: np.ndarray, a: int, b: int, rate: float) -> np.ndarray:
    """``table`` with a fraction ``rate`` of its correct votes on class a moved to class b
    (an asymmetric error: class b's items are not voted a any more often)."""
    table = table.copy()
    moved = table[a + 1, a] * rate
    table[a + 1, a] -= moved
    table[b + 1, a] += moved
    return table


def _split_tables(key: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(train tables, test tables, class balance)``; test tables also give the dev votes."""
    if key == "g":  # the keyword LFs (the annotators are drawn row by row, train only)
        balance = np.array([0.5, 0.5])
        tables = [lf_table(2, rng.uniform(0.75, 0.9), rng.uniform(0.2, 0.5)) for _ in range(2)]
        tables.append(lf_table(2, 0.55, rng.uniform(0.2, 0.5)))  # the noisy keyword
        return np.stack(tables), np.stack(tables), balance
    if key == "h":
        balance = np.array([0.5, 0.5])
        train = [lf_table(2, 0.8, 0.4), lf_table(2, 0.75, 0.05)]
        test = [lf_table(2, 0.8, 0.05), lf_table(2, 0.75, 0.4)]
        for j in range(6):
            accuracy = rng.uniform(0.6, 0.85)
            high, low = rng.uniform(0.45, 0.7), rng.uniform(0.05, 0.2)
            # In train the LF abstains far more on one class; in test as often on either.
            train.append(lf_table(2, accuracy, [high, low] if j % 2 else [low, high]))
            test.append(lf_table(2, accuracy, (high + low) / 2))
        return np.stack(train), np.stack(test), balance
    if key == "i":
        balance = np.linspace(1.5, 0.5, 10)
        balance /= balance.sum()
        tables = [lf_table(10, rng.uniform(0.3, 0.8), rng.uniform(0.1, 0.35)) for _ in range(20)]
        for j, (a, b) in zip(range(4), [(0, 1), (0, 1), (2, 3), (5, 4)]):
            tables[j] = confuse(tables[j], a, b, 0.45)
        return np.stack(tables), np.stack(tables), balance
    if key == "j":  # tables on the rows that LFs reach at all (see sample_split_regime)
        balance = np.array([0.8, 0.2])
        tables = [lf_table(2, rng.uniform(0.65, 0.85), rng.uniform(0.3, 0.7)) for _ in range(6)]
        return np.stack(tables), np.stack(tables), balance
    raise ValueError(f"key: expected one of {list(SPLIT_REGIME_BY_KEY)}, got {key!r}")


def _crowd(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n, N_ANNOTATORS) votes: annotator j labels 5-30 random rows, correct with probability
    0.6-0.9, and abstains on every other row."""
    L = np.full((y.shape[0], N_ANNOTATORS), -1)
    for j in range(N_ANNOTATORS):
        rows = rng.choice(y.shape[0], size=rng.integers(5, 31), replace=False)
        correct = rng.random(rows.shape[0]) < rng.uniform(0.6, 0.9)
        L[rows, j] = np.where(correct, y[rows], 1 - y[rows])
    return L


def sample_split_regime(key: str, seed: int) -> dict[str, np.ndarray]:
    """``L_train, y_train, L_dev, y_dev, L_test, y_test`` (int8 votes) of split regime ``key``;
    dev and test votes come from the test tables, the LF tables from ``seed`` too."""
    regime = SPLIT_REGIME_BY_KEY[key]
    rng = np.random.default_rng(20_000 + seed)
    train_tables, test_tables, balance = _split_tables(key, rng)
    K = regime.cardinality
    out = {}
    for split, n, tables in (
        ("train", regime.n_train, train_tables),
        ("dev", regime.n_dev, test_tables),
        ("test", regime.n_test, test_tables),
    ):
        y = rng.choice(K, size=n, p=balance)
        L = _draw(tables, y, rng)
        if key == "g":  # the annotators vote on train rows only
            crowd = _crowd(y, rng) if split == "train" else np.full((n, N_ANNOTATORS), -1)
            L = np.hstack([crowd, L])
        elif key == "j":  # 60 % of the rows are reached by no LF
            L[rng.random(n) < 0.6] = -1
        out[f"L_{split}"] = np.ascontiguousarray(L, dtype=np.int8)
        out[f"y_{split}"] = y
    return out
