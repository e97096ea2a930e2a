"""Type stubs of the compiled core. Call the public wrappers in ``liger`` instead: they validate
and canonicalise arguments (these functions expect C-contiguous float32 embeddings and int8/16/32/64
votes, dense or as CSR parts). Errors: ``ValueError`` for bad input, ``MemoryError`` (naming the
output and its size in bytes) where an output cannot be allocated, ``KeyboardInterrupt`` on
Ctrl-C."""

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

ABSTAIN: int

_IntArray = (
    npt.NDArray[np.int8] | npt.NDArray[np.int16] | npt.NDArray[np.int32] | npt.NDArray[np.int64]
)
#: A dense (n, m) vote array, or CSR parts ``(indptr, indices, data, n_rows, n_cols)``.
_Votes = _IntArray | tuple[_IntArray, _IntArray, _IntArray, int, int]

def nearest_support(
    queries: npt.NDArray[np.float32],
    base: npt.NDArray[np.float32],
    base_votes: _Votes,
    metric: str,
    threads: int,
    kernel: str = "auto",
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]: ...
def knn(
    queries: npt.NDArray[np.float32],
    base: npt.NDArray[np.float32],
    k: int,
    metric: str,
    exclude_self: bool,
    threads: int,
    kernel: str = "auto",
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]: ...
def radius_neighbors(
    queries: npt.NDArray[np.float32],
    base: npt.NDArray[np.float32],
    radius: float,
    metric: str,
    exclude_self: bool,
    max_neighbors: int | None,
    threads: int,
    kernel: str = "auto",
) -> tuple[
    npt.NDArray[np.int32] | npt.NDArray[np.int64],
    npt.NDArray[np.int32] | npt.NDArray[np.int64],
    npt.NDArray[np.float32],
]: ...
def extend_votes(
    votes: _Votes,
    scores: npt.NDArray[np.float32],
    indices: npt.NDArray[np.int64],
    base_votes: _Votes,
    thresholds: npt.NDArray[np.float32],
    metric: str,
    threads: int,
) -> _IntArray: ...
def first_non_finite(array: npt.NDArray[np.float32], threads: int) -> int: ...
def resolve_threads(n_jobs: int | None = None) -> int: ...
def simd_level() -> str: ...
def screen_engine(kernel: str, d: int) -> str: ...
def set_progress(hook: Callable[[int, int, bool], object] | None) -> None: ...
