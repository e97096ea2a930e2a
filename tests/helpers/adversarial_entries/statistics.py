"""Registry entries of ``VoteStatistics``."""

from __future__ import annotations

import numpy as np

from liger import VoteStatistics

from ..adversarial import Reject, Works, anything, integer, labels, reject, votes, works
from .common import Entry, K, M, Special, data
from .conventions import with_value

# ------------------------------------------------------------------------------- statistics


def _stats():
    return VoteStatistics.from_votes(data("L")[0], K)


STATISTICS_ENTRIES = [
    Entry(
        "liger.VoteStatistics.from_votes",
        VoteStatistics.from_votes,
        lambda: {
            "L": data("L")[0],
            "cardinality": K,
            "chunk_size": 7,
            "row_offset": 0,
            "total_rows": None,
            "pairwise": True,
        },
        roles={
            "L": votes(K=K, rows_sibling=False, lfs_sibling=False, sparse=True).expecting(
                {"zero rows": Works()}
            ),
            "cardinality": integer(low=2, high=1000),
            "chunk_size": integer(low=1),
            "row_offset": integer(low=0),
            "total_rows": anything(
                too_small=reject(3), zero=reject(0), float=reject(40.0), larger=works(100)
            ),
            "pairwise": anything(false=works(False)),
        },
        check=lambda result, kwargs: result.n_lfs == M,
    ),
    Entry(
        "liger.VoteStatistics.merge",
        lambda **kw: VoteStatistics.from_votes(data("L")[0][:20], K, total_rows=40).merge(**kw),
        lambda: {
            "other": VoteStatistics.from_votes(data("L")[0][20:], K, row_offset=20, total_rows=40)
        },
        roles={
            "other": anything(
                none=reject(None),
                votes=reject(data("L")[0]),
                overlapping=lambda a, ctx: (
                    VoteStatistics.from_votes(data("L")[0][:20], K, total_rows=40),
                    Reject(),
                ),
                other_cardinality=lambda a, ctx: (
                    VoteStatistics.from_votes(data("L")[0][20:], 3, row_offset=20, total_rows=40),
                    Reject(),
                ),
                other_total=lambda a, ctx: (
                    VoteStatistics.from_votes(data("L")[0][20:], K, row_offset=20, total_rows=41),
                    Reject(),
                ),
                not_pairwise=lambda a, ctx: (
                    VoteStatistics.from_votes(
                        data("L")[0][20:], K, row_offset=20, total_rows=40, pairwise=False
                    ),
                    Reject(),
                ),
            )
        },
        check=lambda result, kwargs: result.is_complete,
    ),
    Entry(
        "liger.VoteStatistics.replace_lf",
        lambda **kw: _stats().replace_lf(**kw),
        lambda: {
            "lf": 1,
            "L": data("L")[0],
            "column": np.where(data("L")[0][:, 1] == -1, 0, -1),
            "chunk_size": 16,
        },
        roles={
            "lf": integer(low=0, high=M - 1).expecting({"numpy int": Works()}),
            # The votes the statistics were built from (a cheap check: their column counts).
            "L": votes(K=K, rows_sibling=False, lfs_sibling=True, sparse=True)
            .without("zero rows")
            .plus(
                other_votes=lambda a, ctx: (
                    with_value(a, (np.flatnonzero(a[:, 1] == -1)[0], 1), 0),
                    Reject(),
                )
            )
            .expecting({"uint16 without abstentions": Reject()}),
            "column": labels(K=K)
            .without("label -1", "0-D", "zero length")
            .plus(
                abstain=lambda a, ctx: (np.full(40, -1), Works()),
                vote_minus_2=lambda a, ctx: (with_value(a, 0, -2), Reject()),
            )
            .expecting({"uint8": Reject()}),
            "chunk_size": integer(low=1),
        },
        check=lambda result, kwargs: result.is_complete,
    ),
    Entry(
        "liger.VoteStatistics.add_lf",
        lambda **kw: _stats().add_lf(**kw),
        lambda: {
            "L": data("L")[0],
            "column": np.where(data("L")[0][:, 1] == -1, 0, -1),
            "chunk_size": 16,
        },
        roles={
            # The votes the statistics were built from: only their shape is checked (valid
            # votes of the right shape are taken for them).
            "L": votes(K=K, rows_sibling=False, lfs_sibling=True, sparse=True)
            .without("zero rows")
            .expecting({"uint16 without abstentions": Works()}),
            "column": labels(K=K)
            .without("label -1", "0-D", "zero length")
            .plus(
                abstain=lambda a, ctx: (np.full(40, -1), Works()),
                vote_minus_2=lambda a, ctx: (with_value(a, 0, -2), Reject()),
            )
            .expecting({"uint8": Reject()}),
            "chunk_size": integer(low=1),
        },
        check=lambda result, kwargs: result.is_complete and result.n_lfs == M + 1,
    ),
    Entry(
        "liger.VoteStatistics.remove_lf",
        lambda **kw: _stats().remove_lf(**kw),
        lambda: {"lf": 1, "L": data("L")[0], "chunk_size": 16},
        roles={
            "lf": integer(low=0, high=M - 1).expecting({"numpy int": Works()}),
            # The votes the statistics were built from (a cheap check: their column counts).
            "L": votes(K=K, rows_sibling=False, lfs_sibling=True, sparse=True)
            .without("zero rows")
            .plus(
                other_votes=lambda a, ctx: (
                    with_value(a, (np.flatnonzero(a[:, 1] == -1)[0], 1), 0),
                    Reject(),
                )
            )
            .expecting({"uint16 without abstentions": Reject()}),
            "chunk_size": integer(low=1),
        },
        check=lambda result, kwargs: result.is_complete and result.n_lfs == M - 1,
    ),
    Entry(
        "liger.VoteStatistics.balance_sample",
        lambda: _stats().balance_sample(),
        lambda: {},
        specials={
            "without pairwise statistics": Special(
                lambda ctx: (
                    VoteStatistics.from_votes(data("L")[0], K, pairwise=False).balance_sample,
                    {},
                ),
                Reject(mention="pairwise"),
            )
        },
    ),
    Entry(
        "liger.VoteStatistics",
        VoteStatistics,
        lambda: {
            key: getattr(_stats(), key)
            for key in (
                "cardinality",
                "n_lfs",
                "total_rows",
                "row_ranges",
                "vote_counts",
                "features",
                "cooccurrence",
                "majority_wins",
                "sample_keys",
                "sample_patterns",
                "sample_counts",
            )
        },
        roles={
            "vote_counts": anything(wrong_shape=lambda a, ctx: (a[:-1], Reject())),
            "cardinality": anything(one=reject(1), string=reject("2")),
        },
        specials={
            "documented as built by from_votes": Special(
                lambda ctx: (VoteStatistics.from_votes, {"L": data("L")[0], "cardinality": K}),
                Works(),
            )
        },
    ),
]
