"""Argument checks shared by the public functions.

Every check raises ``TypeError`` (wrong kind of object / dtype) or ``ValueError`` (wrong shape or
values) whose message names the argument and says what was expected and what was got. The
canonicalising helpers return C-contiguous arrays of the dtype the Rust core borrows without
copying; they copy only when the input is not already in that form, and never modify the input.
"""

from __future__ import annotations

import numbers
import os
from typing import Any

import numpy as np

from .._native import _core
from .pandas import is_pandas
from .pandas import to_numpy as pandas_to_numpy

ABSTAIN = -1
METRICS = ("cosine", "ip", "euclidean")
KERNELS = ("auto", "exact", "screened")


def c_array(array: Any, dtype) -> np.ndarray:
    """``array`` as a C-contiguous, *aligned* array of ``dtype`` (no copy when it already is).
    ``np.ascontiguousarray`` keeps a misaligned buffer (e.g. one deserialised by Dask), which
    the Rust core cannot borrow."""
    return np.require(array, dtype=dtype, requirements=("C_CONTIGUOUS", "ALIGNED"))


def check_metric(metric: Any) -> str:
    if not isinstance(metric, str) or metric not in METRICS:
        raise ValueError(f"metric: expected one of {METRICS}, got {metric!r}")
    return metric


def check_kernel(kernel: Any) -> str:
    if not isinstance(kernel, str) or kernel not in KERNELS:
        raise ValueError(f"kernel: expected one of {KERNELS}, got {kernel!r}")
    return kernel


NUM_THREADS_ENV = "LIGER_NUM_THREADS"
#: The most threads ``n_jobs`` (or ``$LIGER_NUM_THREADS``) may ask for: each is an OS thread of
#: liger's pool, so an absurd count (a typo, ``10**9``) would exhaust the machine instead of
#: failing. Generous for any single machine; beyond it is an error naming the argument.
MAX_THREADS = 1024


def default_threads() -> int:
    """Threads used when ``n_jobs`` is None: ``$LIGER_NUM_THREADS`` when set, else all cores.

    Read at every call (not cached at import), so a service can set it before any call.
    """
    raw = os.environ.get(NUM_THREADS_ENV, "").strip()
    if not raw:
        return _core.resolve_threads(None)
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_THREADS:
        raise ValueError(
            f"{NUM_THREADS_ENV}: expected a positive integer <= {MAX_THREADS} (the threads liger "
            f"uses when n_jobs is None), got {os.environ[NUM_THREADS_ENV]!r}; unset it to use "
            "all cores"
        )
    return int(raw)


def resolve_n_jobs(n_jobs: Any) -> int:
    """Threads for ``n_jobs``: k > 0 = k, -1 = all cores, -k = all but k - 1 (joblib); None =
    ``$LIGER_NUM_THREADS`` if set, else all cores. An explicit ``n_jobs`` wins over the variable.
    At most ``MAX_THREADS``; -k beyond the cores means 1 thread."""
    if n_jobs is None:
        return default_threads()
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral):
        raise TypeError(f"n_jobs: expected None or an int, got {type(n_jobs).__name__}")
    if n_jobs == 0:
        raise ValueError("n_jobs: expected None, a positive int or a negative int, got 0")
    if n_jobs > MAX_THREADS:
        raise ValueError(f"n_jobs: expected at most {MAX_THREADS} threads, got {n_jobs}")
    # -k = all cores but k - 1, at least one (and no int64 overflow on the way to the core).
    return _core.resolve_threads(max(int(n_jobs), -(2**31)))


def _as_array(name: str, value: Any) -> np.ndarray:
    """``value`` as a NumPy array (no copy when it is one); pandas DataFrames / Series are
    converted by their columns' dtypes, a missing value in a nullable column is an error."""
    if value is None:
        raise TypeError(f"{name}: expected an array, got None")
    if is_pandas(value):
        return pandas_to_numpy(name, value)
    try:
        return np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name}: expected an array, could not convert: {exc}") from exc


def _check_2d(name: str, array: np.ndarray, allow_empty_rows: bool = False) -> None:
    if array.ndim != 2:
        raise ValueError(
            f"{name}: expected a 2-D array, got {array.ndim}-D with shape {array.shape}"
        )
    rows, cols = array.shape
    if cols == 0 or (rows == 0 and not allow_empty_rows):
        raise ValueError(f"{name}: expected a non-empty array, got shape {array.shape}")


#: Every embedding row must have a norm below this (2^62, about 4.6e18): then every float32 sum
#: the searches compute (squared norms, dot products, squared distances) stays far below
#: overflow, so scores are finite and the screens' error bounds hold (``rust/bounds.rs``).
MAX_NORM = float(2**62)


def _check_norms(name: str, array: np.ndarray) -> None:
    """Rows whose norm reaches ``MAX_NORM`` are an error. One cheap bound first (the largest
    magnitude times sqrt(d)); row norms (in float64, by blocks) only when it is exceeded."""
    if array.size == 0:
        return
    peak = max(-float(array.min()), float(array.max()))
    if peak * np.sqrt(array.shape[1]) < MAX_NORM:
        return
    for start in range(0, array.shape[0], 4096):
        block = array[start : start + 4096].astype(np.float64)
        norms = np.sqrt(np.einsum("ij,ij->i", block, block))
        bad = np.flatnonzero(norms >= MAX_NORM)
        if bad.size:
            row = start + int(bad[0])
            raise ValueError(
                f"{name}: expected rows with a norm below 2^62 (~4.6e18; larger float32 sums "
                f"overflow), got norm {norms[bad[0]]:.3g} at row {row}; rescale the embeddings"
            )


def as_embeddings(
    name: str, value: Any, threads: int = 1, allow_empty_rows: bool = False
) -> np.ndarray:
    """A finite (n, d) float32 C-contiguous array (zero-copy when it already is one), every row
    of norm below ``MAX_NORM``."""
    array = _as_array(name, value)
    if array.dtype == np.bool_ or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        raise TypeError(f"{name}: expected a real-valued (float) array, got dtype {array.dtype}")
    _check_2d(name, array, allow_empty_rows)
    with np.errstate(over="ignore"):  # overflow is reported below, with its position
        converted = c_array(array, np.float32)
    bad = _core.first_non_finite(converted, threads)
    if bad >= 0:
        row, col = divmod(int(bad), converted.shape[1])
        original = array[row, col]
        detail = "" if not np.isfinite(original) else " (it overflows float32)"
        raise ValueError(
            f"{name}: expected finite values, got {original} at row {row}, column {col}{detail}"
        )
    _check_norms(name, converted)
    return converted


#: Vote dtypes the Rust core borrows as they are (no widening copy).
CORE_VOTE_DTYPES = (np.dtype(np.int8), np.dtype(np.int16), np.dtype(np.int32), np.dtype(np.int64))
#: Unsigned dtypes are widened to the smallest signed dtype holding all their values.
_SIGNED_FOR_UNSIGNED = {1: np.int16, 2: np.int32, 4: np.int64, 8: np.int64}


def _check_vote_dtype(name: str, dtype: np.dtype) -> None:
    if dtype == np.bool_ or not np.issubdtype(dtype, np.integer):
        raise TypeError(
            f"{name}: expected an integer vote matrix (-1 = abstain, classes 0..K-1), "
            f"got dtype {dtype}; convert with .astype(int) if the values are whole numbers"
        )


def _core_vote_values(name: str, values: np.ndarray) -> np.ndarray:
    """``values`` (any integer dtype) in a dtype the core borrows: int8/16/32/64 in native byte
    order pass through, unsigned dtypes are widened (uint64 values must fit int64)."""
    dtype = values.dtype
    if np.issubdtype(dtype, np.unsignedinteger):
        if dtype.itemsize == 8 and values.size and values.max() > np.iinfo(np.int64).max:
            raise ValueError(f"{name}: votes must fit int64, got {values.max()}")
        return c_array(values, _SIGNED_FOR_UNSIGNED[dtype.itemsize])
    if not dtype.isnative:
        return c_array(values, dtype.newbyteorder("="))
    return c_array(values, dtype)


def _check_vote_values(name: str, votes: np.ndarray) -> None:
    if votes.size and votes.min() < ABSTAIN:
        row, col = np.argwhere(votes < ABSTAIN)[0]
        raise ValueError(
            f"{name}: expected votes of -1 (abstain) or a class 0..K-1, got {votes[row, col]} "
            f"at row {row}, column {col}"
        )


def as_votes(
    name: str, value: Any, allow_empty_rows: bool = False, keep_width: bool = False
) -> np.ndarray:
    """An (n, m) C-contiguous vote matrix with values in {-1, 0, 1, ...}.

    By default the result is int64 (for code that does arithmetic on the votes). With
    ``keep_width=True`` (the searches, the extension, the label models and the estimators, which
    read every width) int8, int16, int32 and int64 pass through without a copy when already
    C-contiguous; unsigned dtypes are widened to a signed one.
    """
    array = _as_array(name, value)
    _check_vote_dtype(name, array.dtype)
    _check_2d(name, array, allow_empty_rows)
    votes = _core_vote_values(name, array) if keep_width else c_array(array, np.int64)
    _check_vote_values(name, votes)
    return votes


def is_sparse(value: Any) -> bool:
    import scipy.sparse

    return scipy.sparse.issparse(value)


def as_core_votes(name: str, value: Any, allow_empty_rows: bool = False) -> Any:
    """Votes in a form the Rust core borrows: a dense int8/16/32/64 array (see ``as_votes`` with
    ``keep_width=True``), or for a ``scipy.sparse`` CSR / CSC matrix the CSR parts
    ``(indptr, indices, data, n_rows, n_cols)``, never densified. In sparse form an explicit entry
    is a vote (an explicit 0 is class 0, an explicit -1 abstains) and a missing entry abstains.

    Returns ``(core_value, shape)``.
    """
    if not is_sparse(value):
        votes = as_votes(name, value, allow_empty_rows, keep_width=True)
        return votes, votes.shape
    if value.format not in ("csr", "csc"):
        raise TypeError(
            f"{name}: expected a dense array or a scipy.sparse CSR / CSC matrix, got a sparse "
            f"{value.format.upper()} matrix; convert it with .tocsr() (duplicate entries of a "
            "COO matrix would be summed)"
        )
    _check_vote_dtype(name, value.dtype)
    if value.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D matrix, got shape {value.shape}")
    rows, cols = value.shape
    if cols == 0 or (rows == 0 and not allow_empty_rows):
        raise ValueError(f"{name}: expected a non-empty matrix, got shape {value.shape}")
    csr = value.tocsr() if value.format == "csc" else value
    if not csr.has_sorted_indices:
        csr = csr.copy()  # the caller's matrix is never modified
        csr.sort_indices()
    data = _core_vote_values(name, csr.data)
    if data.size and data.min() < ABSTAIN:
        entry = int(np.argmax(data < ABSTAIN))
        row = int(np.searchsorted(csr.indptr, entry, side="right")) - 1
        raise ValueError(
            f"{name}: expected votes of -1 (abstain) or a class 0..K-1, got {data[entry]} "
            f"at row {row}, column {csr.indices[entry]}"
        )
    parts = (
        _core_vote_values(name + " indptr", csr.indptr),
        _core_vote_values(name + " indices", csr.indices),
        data,
        rows,
        cols,
    )
    return parts, (rows, cols)


def _shape(x: Any) -> tuple[int, ...]:
    """The shape of an array, a sparse matrix, or a shape tuple itself."""
    return x if isinstance(x, tuple) else x.shape


def check_rows(name_a: str, a: Any, name_b: str, b: Any) -> None:
    rows_a, rows_b = _shape(a)[0], _shape(b)[0]
    if rows_a != rows_b:
        raise ValueError(
            f"{name_a} and {name_b}: expected the same number of rows, got {rows_a} and {rows_b}"
        )


def check_dims(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"{name_a} and {name_b}: expected the same embedding dimension, got {a.shape[1]} "
            f"and {b.shape[1]}"
        )


def check_lfs(name_a: str, a: Any, name_b: str, b: Any) -> None:
    cols_a, cols_b = _shape(a)[1], _shape(b)[1]
    if cols_a != cols_b:
        raise ValueError(
            f"{name_a} and {name_b}: expected the same number of LFs (columns), got "
            f"{cols_a} and {cols_b}"
        )


def check_max_neighbors(value: Any) -> int | None:
    """``max_neighbors``: None or an int >= 1."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"max_neighbors: expected None or an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"max_neighbors: expected None or an int >= 1, got {value}")
    return int(value)


def core_errors_named(names: dict[str, str]):
    """A context manager renaming the argument a ``ValueError`` of the compiled core names (its
    messages start ``"queries: ..."``, ``"base: ..."``, ``"X: ..."``) to the caller's own argument
    (``{"base": "X_train"}``): the core only knows its own parameters."""
    return _RenamedErrors(names)


class _RenamedErrors:
    def __init__(self, names: dict[str, str]):
        self.names = names

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if kind is None or not issubclass(kind, ValueError) or not self.names:
            return False
        message = str(error)
        head, sep, tail = message.partition(":")
        if not sep:
            return False
        words = head.split(" ")
        renamed = " ".join(self.names.get(word, word) for word in words)
        if renamed == head:
            return False
        raise type(error)(renamed + sep + tail) from None


#: The most classes a model takes (its tables grow as K^2 per LF): beyond it, a vote or a
#: cardinality is almost surely a mistake (a vote of 2**40 would ask for terabytes).
MAX_CLASSES = 1000


def check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    """An int in ``low..high`` (a bool is not an int here)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__}")
    if value < low or (high is not None and value > high):
        bounds = f">= {low}" if high is None else f"in {low}..{high}"
        raise ValueError(f"{name}: expected an int {bounds}, got {value}")
    return int(value)


def check_number(name: str, value: Any, low: float | None = None) -> float:
    """A finite real number (>= ``low``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__}")
    if not np.isfinite(value) or (low is not None and value < low):
        expected = "a finite number" + ("" if low is None else f" >= {low}")
        raise ValueError(f"{name}: expected {expected}, got {value}")
    return float(value)


def check_bool(name: str, value: Any) -> bool:
    """True or False (a string such as ``"no"`` would be truthy)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected True or False, got {value!r}")
    return bool(value)


def check_random_state(value: Any, name: str = "random_state") -> Any:
    """None, an int >= 0, or a NumPy Generator / BitGenerator / SeedSequence."""
    if value is None or isinstance(
        value, (np.random.Generator, np.random.BitGenerator, np.random.SeedSequence)
    ):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name}: expected None, an int >= 0 or a numpy.random.Generator, got "
            f"{type(value).__name__}"
        )
    if value < 0:
        raise ValueError(f"{name}: expected None, an int >= 0 or a Generator, got {value}")
    return int(value)


def as_probabilities(name: str, value: Any, allow_empty_rows: bool = False) -> np.ndarray:
    """An (n, K) float64 C-contiguous matrix of class probabilities: K >= 2, finite, >= 0, rows
    summing to 1 (within 1e-6)."""
    array = _as_array(name, value)
    if array.dtype == np.bool_ or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        raise TypeError(f"{name}: expected a real-valued array, got dtype {array.dtype}")
    _check_2d(name, array, allow_empty_rows)
    if array.shape[1] < 2:
        raise ValueError(
            f"{name}: expected probabilities of K >= 2 classes, got shape {array.shape}"
        )
    proba = c_array(array, np.float64)
    bad = ~np.isfinite(proba) | (proba < 0)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"{name}: expected finite probabilities >= 0, got {proba[row, col]} at row {row}, "
            f"column {col}"
        )
    sums = proba.sum(axis=1)
    off = np.flatnonzero(np.abs(sums - 1.0) > 1e-6)
    if off.size:
        raise ValueError(
            f"{name}: expected rows summing to 1, got {sums[off[0]]:.6g} at row {off[0]}"
        )
    return proba


def check_levels(levels: Any) -> list:
    """Extension levels: a non-empty sequence of numbers in [0, 1]."""
    if isinstance(levels, (str, bytes)):
        raise TypeError(f"levels: expected a sequence of numbers in [0, 1], got {levels!r}")
    try:
        values = [float(v) for v in levels]
    except (TypeError, ValueError):
        raise TypeError(
            f"levels: expected a sequence of numbers in [0, 1], got {levels!r}"
        ) from None
    if not values or not all(0.0 <= v <= 1.0 for v in values):
        raise ValueError(
            f"levels: expected a non-empty sequence of numbers in [0, 1], got {values}"
        )
    return values


def check_vector(name: str, value: Any, size: int) -> np.ndarray:
    """An (size,) array of thresholds or levels per LF (NaN allowed)."""
    array = np.asarray(value)
    if array.shape != (size,):
        raise ValueError(f"{name}: expected shape ({size},) (one per LF), got {array.shape}")
    return array


def check_names(name: str, value: Any, count: int) -> list | None:
    """None or a sequence of ``count`` names (not a bare string)."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"{name}: expected None or a sequence of {count} names, got {value!r}")
    names = list(value)
    if len(names) != count:
        raise ValueError(f"{name}: expected {count} names (one per LF), got {len(names)}")
    return names


def as_thresholds(value: Any, n_lfs: int) -> np.ndarray:
    """Thresholds as an (m,) float32 array; None and NaN entries become NaN ("do not extend")."""
    if value is None:
        return np.full(n_lfs, np.nan, dtype=np.float32)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return np.full(n_lfs, float(value), dtype=np.float32)
    if isinstance(value, (list, tuple)):
        value = [np.nan if v is None else v for v in value]
    array = np.asarray(value)
    if array.dtype == object:
        array = np.array([np.nan if v is None else v for v in array.ravel()]).reshape(array.shape)
    if array.dtype == np.bool_ or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        raise TypeError(
            f"thresholds: expected None, a number or an array of numbers, got dtype {array.dtype}"
        )
    if array.ndim == 0:
        return np.full(n_lfs, float(array), dtype=np.float32)
    if array.shape != (n_lfs,):
        raise ValueError(
            f"thresholds: expected a scalar or an array of shape ({n_lfs},) (one per LF), got "
            f"shape {array.shape}"
        )
    return c_array(array, np.float32)


def check_votes_below(name: str, votes: np.ndarray, K: int, origin: str = "") -> None:
    """Refuse a vote ``>= K`` in an already validated dense matrix (``origin``: where K came
    from, e.g. " from fit", for the message)."""
    if votes.size and votes.max() >= K:
        raise ValueError(
            f"{name}: expected votes in -1..{K - 1} (K={K}{origin}), got {votes.max()}"
        )


def as_dense_votes(name: str, value: Any, allow_empty_rows: bool = False) -> np.ndarray:
    """``as_votes(..., keep_width=True)``, and for a ``scipy.sparse`` CSR / CSC matrix (read as in
    :func:`as_core_votes`) a dense copy in the smallest signed dtype that holds its votes (int8
    for up to 127 classes): ``n x m`` bytes. The estimators need it because what they build from
    the votes is dense anyway (the nearest support point's vote and score per point and LF: 5
    bytes per cell and more); the searches read the sparse form as it is."""
    if not is_sparse(value):
        return as_votes(name, value, allow_empty_rows, keep_width=True)
    (indptr, indices, data, rows, cols), _ = as_core_votes(name, value, allow_empty_rows)
    row_of = np.repeat(np.arange(rows), np.diff(indptr))
    if indices.size > 1:
        same = (row_of[1:] == row_of[:-1]) & (indices[1:] == indices[:-1])
        if same.any():
            k = int(np.argmax(same)) + 1
            raise ValueError(
                f"{name}: expected at most one entry per (row, column), got two at row "
                f"{row_of[k]}, column {indices[k]}; call .sum_duplicates() if they should add up"
            )
    top = int(data.max()) if data.size else 0
    dtype = next(t for t in (np.int8, np.int16, np.int32, np.int64) if top <= np.iinfo(t).max)
    dense = np.full((rows, cols), ABSTAIN, dtype=dtype)
    dense[row_of, indices] = data
    return dense
