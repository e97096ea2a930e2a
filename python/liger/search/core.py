"""The core calls other stages make on arrays they validated themselves (the public wrappers in
:mod:`liger.search.nearest` would re-scan them): ``Liger``'s nearest-support search of its
stored supports and the extension's ``extend_votes``."""

from __future__ import annotations

import numpy as np

from .._native import _core
from .._progress import stage


def nearest_support_of_checked(
    queries: np.ndarray, base: np.ndarray, votes: np.ndarray, metric: str, threads: int
) -> tuple[np.ndarray, np.ndarray]:
    """``_core.nearest_support`` on validated arrays (the default screen)."""
    with stage("nearest support"):
        return _core.nearest_support(queries, base, votes, metric, threads)


def extend_votes_of_checked(
    L: np.ndarray,
    scores: np.ndarray,
    indices: np.ndarray,
    L_base: np.ndarray,
    thresholds: np.ndarray,
    metric: str,
    threads: int,
) -> np.ndarray:
    """``_core.extend_votes`` on validated arrays."""
    with stage("extension"):
        return _core.extend_votes(L, scores, indices, L_base, thresholds, metric, threads)
