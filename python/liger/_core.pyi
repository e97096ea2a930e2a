"""Type stubs of the compiled core. Call the public wrappers in ``liger`` instead: they validate
and canonicalise arguments (these functions expect C-contiguous float32 / int64 arrays)."""

import numpy as np
import numpy.typing as npt

ABSTAIN: int

def nearest_support(
    queries: npt.NDArray[np.float32],
    base: npt.NDArray[np.float32],
    base_votes: npt.NDArray[np.int64],
    metric: str,
    threads: int,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]: ...
def knn(
    queries: npt.NDArray[np.float32],
    base: npt.NDArray[np.float32],
    k: int,
    metric: str,
    exclude_self: bool,
    threads: int,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]: ...
def radius_neighbors(
    queries: npt.NDArray[np.float32],
    base: npt.NDArray[np.float32],
    radius: float,
    metric: str,
    exclude_self: bool,
    max_neighbors: int | None,
    threads: int,
) -> tuple[
    npt.NDArray[np.int32] | npt.NDArray[np.int64],
    npt.NDArray[np.int32] | npt.NDArray[np.int64],
    npt.NDArray[np.float32],
]: ...
def extend_votes(
    votes: npt.NDArray[np.int64],
    scores: npt.NDArray[np.float32],
    indices: npt.NDArray[np.int64],
    base_votes: npt.NDArray[np.int64],
    thresholds: npt.NDArray[np.float32],
    metric: str,
    threads: int,
) -> npt.NDArray[np.int64]: ...
def first_non_finite(array: npt.NDArray[np.float32], threads: int) -> int: ...
def resolve_threads(n_jobs: int | None = None) -> int: ...
def simd_level() -> str: ...
