"""Dev scores of threshold candidates, updated LF by LF (the inner loop of the selection).

A threshold candidate only changes which dev cells are extended, and the posterior is a sum over
LFs, so :class:`_DevPosterior` keeps every dev row's log joint under one fitted label model and
updates only the rows whose cell of the changed LF flips; :class:`_Counts` keeps the per-class
counts of the predictions, so the metric of a move costs O(changed rows), not O(dev rows).
:class:`_Tuner` is the threshold tuning of :mod:`liger.selection.cv` on a subset of the dev rows:
one global level (ties to less extension), then guarded per-LF coordinate ascent.
"""

from __future__ import annotations

import numpy as np

from .._checks.validation import ABSTAIN
from ..label_model.majority import MajorityVoter

# A per-LF move must gain this much on the training folds (the guard of the coordinate ascent).
MIN_GAIN = 0.01
MAX_PASSES = 2


def score(metric: str, y: np.ndarray, pred: np.ndarray, K: int) -> float:
    """``metric`` of ``pred`` against ``y`` (as :func:`liger.metrics.compute`, without its
    input checks: this runs thousands of times per fit)."""
    if metric == "accuracy":
        return float(np.mean(pred == y))
    classes = np.arange(K) if metric == "macro_f1" else np.array([1])
    tp = np.bincount(y[pred == y], minlength=K)[classes]
    denominator = np.bincount(pred, minlength=K)[classes] + np.bincount(y, minlength=K)[classes]
    f1 = np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)
    return float(f1.mean())


class _DevPosterior:
    """The dev rows' log joint under one fitted label model, for any threshold vector.

    A dev cell (i, j) where LF j abstains is extended when its nearest support point's score
    clears LF j's threshold; that adds ``delta[j] = log P(L_j = v | .) - log P(L_j = -1 | .)``
    (majority vote: one count for v) to row i. Per LF the candidate cells are sorted from the
    closest, so a threshold extends a prefix of them.
    """

    def __init__(self, model, dev, K: int) -> None:
        L, candidate, scores = dev.L, dev.candidate, dev.scores
        n, m = L.shape
        self.K, self.m = K, m
        self.majority = isinstance(model, MajorityVoter)
        if self.majority:
            tables = np.zeros((m, K + 1, K))
            tables[:, 1:, :] = np.eye(K)[None]
            prior = np.log(model.class_balance_)
        else:
            flat = model._log_flat  # (K, m * (K + 1)), class-major
            tables = flat.reshape(K, m, K + 1).transpose(1, 2, 0)
            prior = np.log(model.class_balance_)
        self.prior_class = int(np.argmax(prior))
        cast = tables[np.arange(m)[None, :], L + 1]  # (n, m, K): own vote or abstention
        self.base = cast.sum(axis=1)
        if not self.majority:
            self.base += prior
        self.total = (L != ABSTAIN).sum(axis=1)  # votes per row (majority vote's coverage)
        key = scores if dev.higher_is_better else -scores
        self.higher_is_better = dev.higher_is_better
        self.order, self.keys, self.deltas = [], [], []
        self._prefixes = None
        for j in range(m):
            cells = np.flatnonzero((L[:, j] == ABSTAIN) & (candidate[:, j] != ABSTAIN))
            cells = cells[np.isfinite(key[cells, j])]
            # Closest first; ties keep row order (a stable sort), all extended together.
            cells = cells[np.argsort(-key[cells, j], kind="stable")]
            self.order.append(cells)
            self.keys.append(key[cells, j])
            self.deltas.append(tables[j, candidate[cells, j] + 1] - tables[j, 0])

    def prefixes(self, grid: np.ndarray) -> np.ndarray:
        """(m, G) how many of each LF's candidate cells each grid threshold extends (cached per
        grid: every fold's tuner of this model reads the same)."""
        if self._prefixes is None or self._prefixes[0] is not grid:
            t = np.where(np.isfinite(grid), grid if self.higher_is_better else -grid, np.inf)
            # keys are descending: the count of keys >= t
            out = np.array(
                [np.searchsorted(-self.keys[j], -t[j], side="right") for j in range(self.m)]
            ).reshape(grid.shape)
            out[~np.isfinite(grid)] = 0
            self._prefixes = (grid, out.astype(np.int64))
        return self._prefixes[1]

    def advance(self, joint, total, old: np.ndarray, new: np.ndarray) -> None:
        """Grow each LF's extended prefix from ``old`` to ``new`` (>= old) in place."""
        for j in np.flatnonzero(new > old):
            cells = self.order[j][old[j] : new[j]]
            joint[cells] += self.deltas[j][old[j] : new[j]]
            total[cells] += 1

    def state(self, prefixes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(log joint (n, K), votes per row (n,)) with LF j extended on its first prefixes[j]."""
        joint, total = self.base.copy(), self.total.copy()
        for j in range(self.m):
            k = prefixes[j]
            if k:
                cells = self.order[j][:k]
                joint[cells] += self.deltas[j][:k]
                total[cells] += 1
        return joint, total

    def predict(self, joint: np.ndarray, total: np.ndarray) -> np.ndarray:
        pred = np.argmax(joint, axis=1)
        if self.majority:
            pred = np.where(total > 0, pred, self.prior_class)
        return pred

    def moved(self, j: int, old: int, new: int):
        """(rows, delta sign, delta rows) of moving LF j's prefix from ``old`` to ``new``."""
        lo, hi = (old, new) if new > old else (new, old)
        return self.order[j][lo:hi], (1.0 if new > old else -1.0), self.deltas[j][lo:hi]


class _Counts:
    """Per-class counts (true positives, predictions, labels) of the predictions on a set of
    rows, so that the metric of a change to a few rows costs O(changed rows)."""

    def __init__(self, metric: str, y: np.ndarray, rows: np.ndarray, pred: np.ndarray, K: int):
        self.metric, self.y, self.K = metric, y, K
        self.mask = np.zeros(len(y), dtype=bool)
        self.mask[rows] = True
        self.n = rows.size
        yr, pr = y[rows], pred[rows]
        self.tp = np.bincount(yr[pr == yr], minlength=K)
        self.npred = np.bincount(pr, minlength=K)
        self.ntrue = np.bincount(yr, minlength=K)

    def value(self, tp: np.ndarray, npred: np.ndarray) -> float:
        if self.metric == "accuracy":
            return float(tp.sum() / self.n)
        denominator = npred + self.ntrue
        f1 = np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)
        return float(f1[1] if self.metric == "f1" else f1.mean())

    def changed(self, cells: np.ndarray, old: np.ndarray, new: np.ndarray):
        """(tp, npred) after the predictions of ``cells`` change from ``old`` to ``new``."""
        keep = self.mask[cells] & (old != new)
        if not keep.any():
            return self.tp, self.npred
        y, old, new = self.y[cells[keep]], old[keep], new[keep]
        K = self.K
        tp = self.tp - np.bincount(y[old == y], minlength=K) + np.bincount(y[new == y], minlength=K)
        npred = self.npred - np.bincount(old, minlength=K) + np.bincount(new, minlength=K)
        return tp, npred


class _Tuner:
    """Threshold tuning on a subset of the dev rows through a :class:`_DevPosterior`."""

    def __init__(self, posterior: _DevPosterior, grid: np.ndarray, y, rows, metric, K):
        self.post, self.y, self.rows, self.metric, self.K = posterior, y, rows, metric, K
        self.grid = grid
        self.prefixes = posterior.prefixes(grid)

    def tune(self, extension: str) -> np.ndarray:
        """Column of ``grid`` chosen for each LF (-1: not extended)."""
        m, G = self.grid.shape
        if extension == "none" or G == 0:
            return np.full(m, -1)
        if extension == "fixed":
            return np.zeros(m, dtype=np.int64)  # the one column: the given thresholds
        post = self.post
        best_g, best = -1, -np.inf
        # Levels ascend, so each LF's prefix only grows: add the newly extended cells.
        joint, total = post.state(np.zeros(m, dtype=np.int64))
        previous = np.zeros(m, dtype=np.int64)
        for g in range(G):
            post.advance(joint, total, previous, self.prefixes[:, g])
            previous = self.prefixes[:, g]
            counts = _Counts(self.metric, self.y, self.rows, post.predict(joint, total), self.K)
            s = counts.value(counts.tp, counts.npred)
            if s > best:  # ties keep the lower level: less extension
                best, best_g = s, g
        chosen = np.full(m, best_g)
        if extension == "global" or m == 1:
            return chosen
        # Per-LF coordinate ascent from the global level, each move guarded by MIN_GAIN.
        joint, total = post.state(self.prefixes[:, best_g])
        pred = post.predict(joint, total)
        counts = _Counts(self.metric, self.y, self.rows, pred, self.K)
        for _ in range(MAX_PASSES):
            moved = False
            for j in range(m):
                current = self.prefixes[j, chosen[j]]
                for g in range(G):
                    new = self.prefixes[j, g]
                    if g == chosen[j] or new == current:
                        continue
                    cells, sign, delta = post.moved(j, current, new)
                    trial_joint = joint[cells] + sign * delta
                    trial_total = total[cells] + int(sign)
                    trial = post.predict(trial_joint, trial_total)
                    tp, npred = counts.changed(cells, pred[cells], trial)
                    s = counts.value(tp, npred)
                    if s >= best + MIN_GAIN:
                        best, moved = s, True
                        joint[cells], total[cells], pred[cells] = trial_joint, trial_total, trial
                        counts.tp, counts.npred = tp, npred
                        chosen[j], current = g, new
            if not moved:
                break
        return chosen

    def predictions(self, chosen: np.ndarray) -> np.ndarray:
        prefixes = np.where(chosen >= 0, self.prefixes[np.arange(len(chosen)), chosen], 0)
        joint, total = self.post.state(prefixes)
        return self.post.predict(joint, total)


def thresholds_of(grid: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """(m,) float32 thresholds of grid columns ``chosen`` (-1: NaN, not extended)."""
    m = grid.shape[0]
    out = np.full(m, np.nan, dtype=np.float32)
    on = chosen >= 0
    out[on] = grid[np.flatnonzero(on), chosen[on]]
    return out
