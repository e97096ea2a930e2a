"""Labeling functions: writing them (``@labeling_function``) and applying them to raw records.

An LF maps one record to a class ``0..K-1`` or :data:`ABSTAIN` (-1). A record is whatever the
applier is given one row of: a string (a list of texts), a dict (a list of dicts), or, for a
pandas DataFrame, a row that reads both as ``row.text`` and ``row["text"]``. A *vectorised* LF maps
the whole data at once (the DataFrame, Series, list or array as given) to an int array of n votes:
one NumPy or pandas expression instead of n Python calls.

:class:`LFApplier` runs a list of LFs over the records and returns the (n, m) vote matrix, in the
order of the LFs and of the records. It keeps each LF's vote column in a cache keyed by the LF's
*code* and the *data*, so in the interactive loop (edit one LF, apply again) only the new or changed
LFs run. The code key covers everything that can change what the LF returns:

- the bytecode, constants and names of the function (and of functions nested in it), its default
  arguments and closure values;
- the bound ``resources`` and the ``pre`` preprocessors (their code, wherever they are defined);
- through wrappers: a function wrapped by ``functools.lru_cache`` / ``cache`` / ``wraps`` (any
  wrapper with ``__wrapped__``) counts by the code it wraps;
- the module-level (global) names the function reads, by value: a keyword list edited in a
  notebook cell invalidates the LFs that read it. Functions defined in the same module (or in
  ``__main__``) are followed recursively; functions and classes of other modules (libraries) are
  keyed by their qualified name, modules by their name.

A value that cannot be fingerprinted (an object that neither pickles nor is one of the above)
makes its LF uncacheable: it runs on every apply (reported in :attr:`LFApplier.last_report_`),
never a stale column. The data key is a 128-bit BLAKE2b digest of the pickled records (or the
``data_key`` the caller gives).

Parallelism (the rule, measured on 2 cores; see :data:`PROCESS_MIN_SECONDS`):

- per-record LFs are pure Python and hold the GIL, so threads cannot help them. They run in
  worker processes (fork: the workers inherit the records and the LFs, nothing is pickled on the
  way in; each returns one small int column) when the serial time of the LFs still to run,
  estimated from the first rows of each, exceeds :data:`PROCESS_MIN_SECONDS`; otherwise serially.
  Where fork is not available (Windows, macOS' default), serially;
- vectorised LFs: the first runs serially and is timed; the others run in a thread pool when
  that estimate for them reaches :data:`THREAD_MIN_SECONDS` (NumPy releases the GIL in its
  loops; pandas' string methods hold it, so they gain nothing but lose only the pool's ~1 ms).

The vote matrix has the smallest signed integer dtype that holds the classes: int8 for K <= 127
(every practical task). It is 8x smaller than int64 in the cache and for the caller;
:class:`liger.Liger` and :class:`liger.LabelModel` accept any integer dtype and convert once.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
import time
import traceback
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from .._checks.validation import ABSTAIN, check_bool, resolve_n_jobs
from .._checks.votes import check_cardinality_param
from . import faults as _faults
from .definition import LabelingFunction, LabelingFunctionError
from .processes import can_fork as _can_fork
from .processes import run_in_processes
from .rows import _frame_rows

__all__ = ["ApplyReport", "LFApplier", "apply_lfs"]

# Per-record LFs go to worker processes when their estimated serial time T exceeds this. Measured
# (benches/bench_lf_apply.py, 2 cores, shared machine): forking two workers, mapping and joining
# costs F = 75 ms (min of 5); the workers' CPU time equals the serial one (100k texts x 10 keyword
# LFs: 0.70 s in the workers, 0.82 s serially), so on two free cores the time is T / 2 + F, a gain
# from T = 2F = 0.15 s on; 0.2 s leaves a margin for a busy machine.
PROCESS_MIN_SECONDS = 0.2
# Vectorised LFs after the first run in threads when the first one's time, times the number
# left, reaches this (a pool costs about a millisecond; pandas string methods hold the GIL and
# gain nothing, NumPy arithmetic releases it).
THREAD_MIN_SECONDS = 0.05
# Rows each per-record LF runs serially first, to estimate its cost (kept, not recomputed).
PROBE_ROWS = 200
BACKENDS = ("auto", "serial", "threads", "processes")


@dataclass
class ApplyReport:
    """What the last :meth:`LFApplier.apply` did.

    Attributes
    ----------
    ran : list of str
        LFs that were executed (new, changed, or uncacheable).
    cached : list of str
        LFs whose column came from the cache.
    uncacheable : list of str
        LFs whose code could not be fingerprinted (they run every time).
    backend : dict
        ``{"per_record": "serial" | "processes" | None, "vectorized": "serial" | "threads" |
        None}``: how the executed LFs ran.
    seconds : dict
        Wall time per executed LF (for processes: the sum of its chunks' times).
    faults : dict
        ``{LF name: rows on which it raised and abstained}`` (``fault_tolerant=True``).
    """

    ran: list = field(default_factory=list)
    cached: list = field(default_factory=list)
    uncacheable: list = field(default_factory=list)
    backend: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    faults: dict = field(default_factory=dict)


class LFApplier:
    """Apply labeling functions to records, with a per-LF vote cache.

    Parameters
    ----------
    cardinality : int, optional
        Number of classes K: votes must be in ``-1..K-1``. When None, any vote >= -1 is accepted.
    n_jobs : int, optional
        Workers (processes or threads; None or -1 = all cores, 1 = serial).
    backend : {"auto", "serial", "threads", "processes"}, default="auto"
        ``"auto"``: the rule of the module docstring. ``"processes"`` forces worker processes for
        the per-record LFs, ``"threads"`` forces threads for the vectorised ones, ``"serial"``
        neither.
    cache : bool, default=True
        Keep each LF's vote column, keyed by the LF's code and the data.
    cache_bytes : int, default=256 MiB
        The least recently used columns are dropped beyond this size.
    fault_tolerant : bool, default=False
        A row on which an LF raises abstains (-1) instead of aborting the apply (a vectorised LF
        that raises abstains on every row); the faults are counted per LF (``faults_``) and one
        warning names the LFs. Cached columns keep their fault counts (:mod:`liger.lf.faults`).

    Attributes
    ----------
    last_report_ : ApplyReport
        What the last :meth:`apply` ran and reused.
    faults_ : dict of str to int
        Per LF of the last :meth:`apply`, the rows on which it raised (0 without faults).

    Notes
    -----
    LFs must not modify the records. An applier is not thread-safe (one apply at a time).
    """

    def __init__(
        self,
        *,
        cardinality: int | None = None,
        n_jobs: int | None = None,
        backend: str = "auto",
        cache: bool = True,
        cache_bytes: int = 256 * 2**20,
        fault_tolerant: bool = False,
    ):
        self.cardinality = cardinality
        self.n_jobs = n_jobs
        self.backend = backend
        self.cache = cache
        self.cache_bytes = cache_bytes
        self.fault_tolerant = fault_tolerant
        self._columns: OrderedDict = OrderedDict()
        self._column_faults: dict = {}  # cache key -> faults, for the columns that have some
        self._records_memo: tuple | None = None

    def clear_cache(self) -> None:
        """Forget every cached column."""
        self._columns.clear()
        self._column_faults.clear()
        self._records_memo = None

    def __getstate__(self) -> dict:  # pickled with its cache, not the records' memo
        return {**vars(self), "_records_memo": None}

    def apply(self, lfs: Iterable[Any], records: Any, *, data_key: Any = None) -> np.ndarray:
        """The (n, m) vote matrix of ``lfs`` on ``records``.

        Parameters
        ----------
        lfs : iterable of LabelingFunction (or plain callables of one record)
            m LFs; names must be unique. Column j of the result is ``lfs[j]``'s votes.
        records : pandas DataFrame, pandas Series, list / tuple / ndarray of records
            n records (strings, dicts, anything an LF reads). A DataFrame's rows reach per-record
            LFs as tuples readable by attribute and by column label (``x.text``, ``x["text"]``).
        data_key : hashable, optional
            Identifies the records in the cache instead of hashing them (the caller promises
            that records given the same key are the same). Saves the hash (tens of ms per 100k
            texts) in a loop over fixed data.

        Returns
        -------
        L : ndarray of shape (n, m)
            Votes in row order, ``-1`` = abstain; int8 when the classes fit (K <= 127).

        Raises
        ------
        LabelingFunctionError
            An LF raised on a row (chained: ``__cause__`` is the original exception) or returned
            a value that is not an int class in range or ABSTAIN; the message names the LF, the
            row position and its index label, and the value.
        """
        backend = self.backend
        if backend not in BACKENDS:
            raise ValueError(f"backend: expected one of {BACKENDS}, got {backend!r}")
        K = check_cardinality_param(self.cardinality)
        if not isinstance(self.cache, (bool, np.bool_)):
            raise TypeError(f"cache: expected True or False, got {self.cache!r}")
        if (
            isinstance(self.cache_bytes, bool)
            or not isinstance(self.cache_bytes, (int, np.integer))
            or self.cache_bytes < 0
        ):
            raise ValueError(f"cache_bytes: expected an int >= 0, got {self.cache_bytes!r}")
        tolerant = check_bool("fault_tolerant", self.fault_tolerant)
        known_faults = vars(self).setdefault("_column_faults", {})  # (an applier of before)
        if data_key is not None and not isinstance(data_key, Hashable):
            raise TypeError(f"data_key: expected a hashable value, got {type(data_key).__name__}")
        lfs = _as_lfs(lfs)
        data = _Data.wrap(records)
        report = ApplyReport(backend={"per_record": None, "vectorized": None})
        report.faults = dict.fromkeys((lf.name for lf in lfs), 0)
        keys: list = []
        if self.cache:
            data_fp = _data_key(data, data_key)
            for lf in lfs:
                code = lf.fingerprint()
                if code is None:
                    report.uncacheable.append(lf.name)
                keys.append(None if code is None or data_fp is None else (code, data_fp))
        else:
            keys = [None] * len(lfs)

        columns: list = [None] * len(lfs)
        for j, (lf, key) in enumerate(zip(lfs, keys)):
            if key is not None and key in self._columns and (tolerant or key not in known_faults):
                self._columns.move_to_end(key)
                columns[j] = self._columns[key]
                _check_range(lf, columns[j], K, data)
                report.cached.append(lf.name)
                report.faults[lf.name] = known_faults.get(key, 0)
        todo = [j for j in range(len(lfs)) if columns[j] is None]
        vectorized = [j for j in todo if lfs[j].vectorized]
        per_record = [j for j in todo if not lfs[j].vectorized]
        threads = resolve_n_jobs(self.n_jobs)
        run = _faults.tolerant(lfs) if tolerant else lfs  # twins that abstain where LFs raise
        if vectorized:
            report.backend["vectorized"] = self._run_vectorized(
                run, vectorized, data, K, columns, threads, report
            )
        if per_record:
            report.backend["per_record"] = self._run_per_record(
                run, per_record, data, K, columns, threads, report, keys
            )
        for j in todo:
            report.ran.append(lfs[j].name)
            report.faults[lfs[j].name] = _faults.fault_count(run[j])
            if keys[j] is not None:
                self._store(keys[j], columns[j])
                known_faults.pop(keys[j], None)
                if report.faults[lfs[j].name]:
                    known_faults[keys[j]] = report.faults[lfs[j].name]
        self.last_report_ = report
        self.faults_ = dict(report.faults)
        _faults.warn_faults(report.faults, data.n)
        return _stack_columns(columns, data.n, K)

    # ------------------------------------------------------------------ running
    def _run_vectorized(self, lfs, todo, data, K, columns, threads, report) -> str:
        def run(j):
            started = time.perf_counter()
            lf = lfs[j]
            try:
                result = lf(data.value)
            except Exception as exc:
                raise LabelingFunctionError(
                    f"labeling function {lf.name!r} (vectorized) raised {type(exc).__name__}: "
                    f"{exc}",
                    lf.name,
                ) from exc
            column = _vector_column(lf, result, data, K)
            report.seconds[lf.name] = time.perf_counter() - started
            return j, column

        if self.backend == "auto" and len(todo) > 1 and threads > 1:
            # The first runs here and is timed: the rest go to threads when they would take
            # long enough to pay for the pool (and to release the GIL in NumPy's loops).
            first = todo[0]
            started = time.perf_counter()
            columns[first] = run(first)[1]
            elapsed = time.perf_counter() - started
            todo = todo[1:]
            use_threads = elapsed * len(todo) >= THREAD_MIN_SECONDS
        else:
            use_threads = self.backend == "threads" and threads > 1 and len(todo) > 1
        if use_threads:
            with ThreadPoolExecutor(max_workers=min(threads, len(todo))) as pool:
                for j, column in pool.map(run, todo):
                    columns[j] = column
            return "threads"
        for j in todo:
            columns[j] = run(j)[1]
        return "serial"

    def _run_per_record(self, lfs, todo, data, K, columns, threads, report, keys) -> str:
        records = self._records(data, keys)
        n = len(records)
        probe = min(n, PROBE_ROWS)
        # Each LF's first rows run here: they validate it early and time it.
        heads, estimate = {}, 0.0
        for j in todo:
            started = time.perf_counter()
            heads[j] = _run_rows(lfs[j], records, 0, probe)
            elapsed = time.perf_counter() - started
            _raise_chunk_error(heads[j], lfs[j], data, K)
            report.seconds[lfs[j].name] = elapsed
            estimate += elapsed / max(probe, 1) * (n - probe)
        use_processes = n > probe and threads > 1 and _can_fork()
        if self.backend == "auto":
            use_processes = use_processes and estimate > PROCESS_MIN_SECONDS
        elif self.backend != "processes":
            use_processes = False
        if use_processes:
            tails = _run_in_processes(lfs, todo, records, probe, threads)
        else:
            tails = {}
            for j in todo:
                started = time.perf_counter()
                tails[j] = [_run_rows(lfs[j], records, probe, n)]
                report.seconds[lfs[j].name] += time.perf_counter() - started
        for j in todo:
            parts = [heads[j], *tails[j]]
            for part in parts:
                remote = use_processes and part is not heads[j]
                _raise_chunk_error(part, lfs[j], data, K, remote)
                if remote:
                    report.seconds[lfs[j].name] += part[2]
            column = np.concatenate([part[1] for part in parts]) if n else np.empty(0, np.int64)
            column = _faults.settle(lfs[j], column)  # fault_tolerant: the faulted rows abstain
            columns[j] = _narrow(_check_range(lfs[j], column, K, data))
        return "processes" if use_processes else "serial"

    def _records(self, data, keys) -> list:
        """The per-record view of the data, built once per data (DataFrame rows cost tens of ms
        per 100k)."""
        memo_key = next((k[1] for k in keys if k is not None), None)
        if memo_key is not None and self._records_memo and self._records_memo[0] == memo_key:
            return self._records_memo[1]
        records = data.records()
        if memo_key is not None:
            self._records_memo = (memo_key, records)
        return records

    def _store(self, key, column: np.ndarray) -> None:
        column.setflags(write=False)
        self._columns[key] = column
        self._columns.move_to_end(key)
        total = sum(c.nbytes for c in self._columns.values())
        while total > self.cache_bytes and len(self._columns) > 1:
            _, dropped = self._columns.popitem(last=False)
            total -= dropped.nbytes


def apply_lfs(lfs: Iterable[Any], records: Any, **kwargs) -> np.ndarray:
    """One-off :meth:`LFApplier.apply` (no cache kept between calls). ``kwargs`` go to
    :class:`LFApplier` (``cardinality``, ``n_jobs``, ``backend``, ``fault_tolerant``)."""
    return LFApplier(cache=False, **kwargs).apply(lfs, records)


# ---------------------------------------------------------------------- records
class _Data:
    """The records as given (for vectorised LFs) plus what per-record LFs and messages need."""

    def __init__(self, value, n, index, kind):
        self.value, self.n, self.index, self.kind = value, n, index, kind

    @classmethod
    def wrap(cls, records) -> _Data:
        if records is None:
            raise TypeError("records: expected a DataFrame, a Series or a sequence, got None")
        kind = _pandas_kind(records)
        if kind is not None:
            return cls(records, len(records), records.index, kind)
        if isinstance(records, (str, bytes, Mapping)):
            raise TypeError(
                f"records: expected a sequence of records (e.g. a list of texts), got one "
                f"{type(records).__name__}"
            )
        if isinstance(records, np.ndarray):
            if records.ndim != 1:
                raise ValueError(f"records: expected a 1-D array, got shape {records.shape}")
            return cls(records, len(records), None, "array")
        if not isinstance(records, Sequence):
            if not isinstance(records, Iterable):
                raise TypeError(
                    f"records: expected a DataFrame, a Series or a sequence, got "
                    f"{type(records).__name__}"
                )
            records = list(records)
        return cls(records, len(records), None, "sequence")

    def label(self, row: int):
        """The row's index label (its position for a list)."""
        return row if self.index is None else self.index[row]

    def records(self) -> list:
        if self.kind == "frame":
            return _frame_rows(self.value)
        if self.kind == "series":
            return self.value.tolist()
        return self.value if isinstance(self.value, list) else list(self.value)


def _pandas_kind(records) -> str | None:
    pandas = sys.modules.get("pandas")  # never imported here: only present if the user has it
    if pandas is None:
        return None
    if isinstance(records, pandas.DataFrame):
        return "frame"
    if isinstance(records, pandas.Series):
        return "series"
    return None


# ------------------------------------------------------------------ validation
def _as_lfs(lfs) -> list:
    if callable(lfs) or isinstance(lfs, (str, bytes)):
        raise TypeError(
            f"lfs: expected a list of labeling functions, got one {type(lfs).__name__}; wrap "
            f"it in a list"
        )
    out = []
    for position, lf in enumerate(lfs):
        if isinstance(lf, LabelingFunction):
            out.append(lf)
        elif callable(lf):
            out.append(LabelingFunction(lf))
        else:
            raise TypeError(
                f"lfs: expected labeling functions or callables, got {type(lf).__name__} at "
                f"position {position}"
            )
    if not out:
        raise ValueError("lfs: expected at least one labeling function, got none")
    seen: set = set()
    for lf in out:
        if lf.name in seen:
            raise ValueError(
                f"lfs: expected unique names, got {lf.name!r} twice (pass name= to tell them apart)"
            )
        seen.add(lf.name)
    return out


def _expected(K) -> str:
    classes = "a class >= 0" if K is None else f"a class 0..{K - 1}"
    return f"an int: {classes} or ABSTAIN (-1)"


def _is_vote_type(kind: type) -> bool:
    # bool is an int to Python and NumPy, but True is not a class: an LF returning a predicate.
    return issubclass(kind, (int, np.integer)) and not issubclass(kind, (bool, np.bool_))


def _is_vote(value) -> bool:
    return _is_vote_type(type(value))


def _run_rows(lf: LabelingFunction, records, start: int, stop: int):
    """``("ok", column, seconds)`` for rows ``start:stop``, or ``("raised", row, exception,
    traceback text)`` / ``("value", row, value)`` on the first failing row."""
    call = lf._caller()
    started = time.perf_counter()
    values = []
    append = values.append
    row = start
    try:
        for row in range(start, stop):
            append(call(records[row]))
    except Exception as exc:
        return ("raised", row, exc, traceback.format_exc())
    kinds = set(map(type, values))
    if all(_is_vote_type(kind) for kind in kinds):
        try:
            column = np.array(values, dtype=np.int64)
        except OverflowError:  # a Python int beyond int64
            bad = next(i for i, v in enumerate(values) if not -(2**63) <= v < 2**63)
            return ("value", start + bad, values[bad])
    else:
        bad = next(i for i, v in enumerate(values) if not _is_vote(v))
        return ("value", start + bad, values[bad])
    return ("ok", column, time.perf_counter() - started)


def _raise_chunk_error(part, lf: LabelingFunction, data: _Data, K, remote: bool = False) -> None:
    status = part[0]
    if status == "ok":
        return
    row = part[1]
    where = f"row {row} (index {data.label(row)!r})"
    if status == "raised":
        exc = part[2]
        error = LabelingFunctionError(
            f"labeling function {lf.name!r} raised {type(exc).__name__} on {where}: {exc}",
            lf.name,
            row,
            data.label(row),
        )
        if remote and len(part) > 3:
            # Raised in a worker process: its traceback came back as text. (Whether the exception
            # itself kept a traceback depends on who pickled it: tblib, installed by dask's
            # distributed, pickles tracebacks too.)
            exc.__cause__ = _RemoteTraceback(part[3])
        raise error from exc
    value = part[2]
    raise LabelingFunctionError(
        f"labeling function {lf.name!r} returned {value!r} ({type(value).__name__}) on {where}; "
        f"expected {_expected(K)}",
        lf.name,
        row,
        data.label(row),
        value,
    )


class _Repr(str):
    """The repr of a value that could not travel back from a worker process."""

    def __repr__(self) -> str:
        return str(self)


class _RemoteTraceback(Exception):
    def __init__(self, text: str):
        super().__init__(text)

    def __str__(self) -> str:
        return f"\n(in a worker process)\n{self.args[0]}"


def _vector_column(lf: LabelingFunction, result, data: _Data, K) -> np.ndarray:
    try:
        column = np.array(result)  # a copy: the cache must not share the LF's own array
    except Exception as exc:  # e.g. a pandas nullable array with NA
        raise LabelingFunctionError(
            f"labeling function {lf.name!r} (vectorized) returned a "
            f"{type(result).__name__} that is not an int array: {exc}",
            lf.name,
        ) from exc
    if column.shape != (data.n,):
        raise LabelingFunctionError(
            f"labeling function {lf.name!r} (vectorized) returned shape {column.shape}; expected "
            f"({data.n},): one vote per record",
            lf.name,
            value=result,
        )
    if column.dtype.kind not in "iu":
        bad = next((i for i, v in enumerate(column.tolist()) if not _is_vote(v)), 0)
        value = column[bad]
        raise LabelingFunctionError(
            f"labeling function {lf.name!r} (vectorized) returned dtype {column.dtype} "
            f"(e.g. {value!r} on row {bad}, index {data.label(bad)!r}); expected "
            f"{_expected(K)} per record (use .astype(int) for whole numbers)",
            lf.name,
            bad,
            data.label(bad),
            value,
        )
    return _narrow(_check_range(lf, column, K, data))


def _check_range(lf: LabelingFunction, column: np.ndarray, K, data: _Data) -> np.ndarray:
    if column.size == 0:
        return column
    low, high = int(column.min()), int(column.max())
    if low >= ABSTAIN and (K is None or high < K):
        return column
    bad_mask = column < ABSTAIN if low < ABSTAIN else column >= K
    row = int(np.argmax(bad_mask))
    raise LabelingFunctionError(
        f"labeling function {lf.name!r} returned {column[row].item()!r} on row {row} (index "
        f"{data.label(row)!r}); expected {_expected(K)}",
        lf.name,
        row,
        data.label(row),
        column[row].item(),
    )


def _narrow(column: np.ndarray) -> np.ndarray:
    """The smallest signed dtype holding the column's votes (int8 for K <= 127)."""
    high = int(column.max()) if column.size else 0
    return column.astype(_vote_dtype(high + 1), copy=False)


def _vote_dtype(K: int):
    for dtype in (np.int8, np.int16, np.int32):
        if K - 1 <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def _stack_columns(columns, n: int, K) -> np.ndarray:
    high = max((int(c.max()) for c in columns if c.size), default=0)
    dtype = _vote_dtype(max(high + 1, K or 0))
    out = np.empty((n, len(columns)), dtype=dtype)
    for j, column in enumerate(columns):
        out[:, j] = column
    return out


# ------------------------------------------------------------------ processes
def _run_task(lfs, records, j: int, start: int, stop: int):
    """Rows ``start:stop`` of LF j, in a worker process: a result that can travel back."""
    part = _run_rows(lfs[j], records, start, stop)
    if part[0] == "raised":
        exc = part[2]
        try:
            pickle.dumps(exc)
        except Exception:  # an exception that cannot travel back: send its text
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        return ("raised", part[1], exc, part[3])
    if part[0] == "ok":
        return ("ok", _narrow(part[1]), part[2])
    try:
        pickle.dumps(part[2])
    except Exception:
        part = ("value", part[1], _Repr(repr(part[2])))
    return part


def _run_in_processes(lfs, todo, records, start: int, workers: int) -> dict:
    """Rows ``start:`` of each LF in ``todo``, split into chunks over forked workers
    (:mod:`liger.lf.processes`: a dead worker raises an error naming its LF)."""
    n = len(records)
    chunk = max(1000, -(-(n - start) * len(todo) // (4 * workers)))
    tasks = [(j, a, min(a + chunk, n)) for j in todo for a in range(start, n, chunk)]
    names = [lf.name for lf in lfs]
    results = run_in_processes(partial(_run_task, lfs, records), tasks, workers, names)
    parts: dict = {j: [] for j in todo}
    for (j, _, _), part in zip(tasks, results):
        parts[j].append(part)
    return parts


def _data_key(data: _Data, given) -> Any:
    """The records' cache key: ``given`` when the caller gave one, else a digest of the records
    (None when they cannot be pickled: then nothing is cached)."""
    if given is not None:
        return ("given", given)
    hasher = hashlib.blake2b(digest_size=16)
    hasher.update(data.kind.encode())
    try:
        hasher.update(pickle.dumps(data.value, protocol=5))
    except Exception:
        return None
    return ("digest", hasher.hexdigest())
