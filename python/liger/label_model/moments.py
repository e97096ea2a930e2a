"""Moments -> triplets: near-duplicate LF groups and the triplet estimates of the LF
parameters from :class:`~liger.label_model.statistics.VoteStatistics` (the first step of
:class:`~liger.label_model.triplet.LabelModel`; see its module docstring)."""

from __future__ import annotations

import numpy as np

from .statistics import VoteStatistics

# Fewer informative triplets than this and a feature's d_f comes from the pooled estimate.
MIN_TRIPLETS = 3


# --------------------------------------------------------------------------------------------
# Moments -> triplets


# Two LFs are near-duplicates when they agree on this share of the rows where either votes
# (same rows, same classes): far above what two conditionally independent LFs reach unless both
# are nearly perfect and nearly always vote, where counting them once costs nothing.
DUPLICATE_AGREEMENT = 0.95
# ... and on at least this many rows (two rare LFs can coincide by chance).
DUPLICATE_MIN_ROWS = 20


def duplicate_groups(stats: VoteStatistics) -> np.ndarray:
    """(m,) group of each LF: the lowest index of its connected component of near-duplicates."""
    from scipy.sparse.csgraph import connected_components

    K, m, n = stats.cardinality, stats.n_lfs, stats.n_rows
    features = stats.features
    F = features.size
    lf, cls = np.divmod(features, K)
    G = stats.cooccurrence[:F, :F]
    both = np.zeros((m, m), dtype=np.int64)
    agree = np.zeros((m, m), dtype=np.int64)
    if F:
        # Features are sorted by flat index j * K + a, so each LF's features are contiguous:
        # summing G's blocks is O(F^2) (a membership-matrix product would be O(F^2 m)).
        lfs, starts = np.unique(lf, return_index=True)
        both[np.ix_(lfs, lfs)] = np.add.reduceat(np.add.reduceat(G, starts, axis=0), starts, axis=1)
        same = np.where(cls[:, None] == cls[None, :], G, 0)
        agree[np.ix_(lfs, lfs)] = np.add.reduceat(
            np.add.reduceat(same, starts, axis=0), starts, axis=1
        )
    votes = (n - stats.vote_counts[:, 0]).astype(np.float64)
    union = votes[:, None] + votes[None, :] - both
    duplicate = (agree >= DUPLICATE_AGREEMENT * union) & (agree >= DUPLICATE_MIN_ROWS)
    np.fill_diagonal(duplicate, False)
    if not duplicate.any():
        return np.arange(m)
    _, component = connected_components(duplicate, directed=False)
    lowest = np.full(component.max() + 1, m)
    np.minimum.at(lowest, component, np.arange(m))
    return lowest[component]


class _Triplets:
    """Everything about the second moments that does not depend on the class balance."""

    def __init__(
        self, stats: VoteStatistics, min_z: float, min_expected: float, max_pairs: int
    ) -> None:
        n, m, K = stats.n_rows, stats.n_lfs, stats.cardinality
        self.n, self.m, self.K = n, m, K
        self.counts, features = stats.vote_counts, stats.features
        G = stats.cooccurrence.astype(np.float64)
        lf, cls = np.divmod(features, K)
        self.lf, self.cls = lf, cls
        # Near-duplicate LFs form one group: triplets only combine features of different groups
        # (a copy's covariance with its original is its variance, not d_f d_g Sigma).
        self.group = duplicate_groups(stats)
        glf = self.group[lf]
        self.glf = glf
        F = lf.size
        mu = np.diag(G)[:F] / n
        self.mu = mu
        self.support = G[:F, F]
        cov = G[:F, :F] / n - np.outer(mu, mu)
        variance = mu * (1 - mu)
        usable = variance > 0  # an indicator that is constant carries no covariance
        scale = np.sqrt(np.where(usable, variance, 1.0))
        z = cov / np.outer(scale, scale) * np.sqrt(n)
        different = glf[:, None] != glf[None, :]
        self.cov = np.where(different, cov, 0.0)
        self.usable = usable

        # Admissible (g, h) pairs: different LFs, both usable, significantly correlated; sorted
        # most significant first so the per-feature cap keeps the best-determined denominators.
        expected = n * np.outer(mu, mu)  # co-occurring rows expected if independent
        informative = expected >= min_expected
        g, h = np.nonzero(np.triu(different & np.outer(usable, usable) & informative, 1))
        strength = np.abs(z[g, h])
        keep = (strength >= min_z) & (strength > 0)  # R_gh divides: never an exact zero
        order = np.argsort(-strength[keep], kind="stable")
        g, h = g[keep][order], h[keep][order]
        self.pairs = []
        for f in range(F):
            if not usable[f]:
                self.pairs.append((g[:0], h[:0]))
                continue
            ok = (glf[g] != glf[f]) & (glf[h] != glf[f]) & informative[f, g] & informative[f, h]
            gf, hf = g[ok][:max_pairs], h[ok][:max_pairs]
            self.pairs.append((gf, hf))

        # Sign evidence: Stouffer combination of f's correlation z-scores with the other LFs'
        # features, each signed by the sign the model predicts for it (+ for the same class,
        # - for a different class, since Sigma[a, b] < 0 for a != b).
        same_class = cls[:, None] == cls[None, :]
        expected_sign = np.where(same_class, 1.0, -1.0)
        weight = different & np.outer(usable, usable)
        count = weight.sum(axis=1)
        signed = np.where(weight, z * expected_sign, 0.0).sum(axis=1)
        self.sign_z = np.where(count > 0, signed / np.sqrt(np.maximum(count, 1)), 0.0)

    def magnitudes(self, p: np.ndarray, aggregation: str) -> np.ndarray:
        """``d_f^2`` per feature at class balance p; NaN where no admissible triplet exists."""
        S = np.diag(p) - np.outer(p, p)
        lf, cls = self.lf, self.cls
        R = self.cov / S[cls][:, cls]  # rank one off the same-LF blocks (which are 0 here)
        out = np.full(lf.size, np.nan)
        for f, (g, h) in enumerate(self.pairs):
            if g.size < MIN_TRIPLETS:
                continue
            r_fg, r_fh, r_gh = R[f, g], R[f, h], R[g, h]
            if aggregation == "median":
                out[f] = np.median(np.abs(r_fg * r_fh / r_gh))
            else:
                # |R_gh|-weighted mean of the signed triplet values (a ratio of sums).
                out[f] = np.sum(r_fg * r_fh * np.sign(r_gh)) / np.sum(np.abs(r_gh))
        pooled = np.isnan(out)
        if pooled.any():
            out[pooled] = self._pooled(R)[pooled]
        return out

    def _pooled(self, R: np.ndarray) -> np.ndarray:
        """Ratio of sums over all triplets: sum R_fg R_fh / sum R_gh (g, h, f on distinct LFs).

        This is the mean of the triplet values weighted by R_gh, but it pools the covariances of
        f with *all* other LFs before dividing, so sparse LFs whose pairwise co-occurrences are
        0, 1 or 2 still get a usable estimate (the median of ratios of near-zero counts does not).
        """
        # LFs of one duplicate group count as one LF here (R is zero between them).
        lf, usable = self.glf, self.usable
        R = np.where(np.outer(usable, usable), R, 0.0)
        m = self.m
        # Per feature f and LF j: sum over j's features g of R_fg.
        by_lf = np.zeros((lf.size, m))
        np.add.at(by_lf.T, lf, R.T)
        total = by_lf.sum(axis=1)
        numerator = total**2 - np.sum(by_lf**2, axis=1)
        # sum over g, h of distinct LFs, neither of them f's LF: total minus f's LF's rows, twice
        # (R is zero on same-LF blocks, so f's LF block itself adds nothing).
        row_sums = R.sum(axis=1)
        lf_rows = np.zeros(m)
        np.add.at(lf_rows, lf, row_sums)
        denominator = row_sums.sum() - 2 * lf_rows[lf]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(
                usable & (denominator > 0) & (numerator > 0),
                numerator / denominator,
                np.nan,
            )
        return out
