"""The adversarial catalogue: what every *kind* of argument is attacked with, and what must happen.

An argument has a *role* (embeddings, votes, labels, a thread count, ...). Each role lists its
perturbations, and each perturbation of a valid value says what the call must then do:

- ``Same``: work, and give exactly the result of the same call with a canonical form of the
  perturbed value (for embeddings: a C-contiguous float32 copy; for votes: a C-contiguous int64
  copy). Strided, negative-stride, Fortran-ordered, read-only, misaligned, memory-mapped,
  big-endian, narrower-dtype, list and pandas inputs are all accepted this way (README "Inputs").
- ``Works``: work, and give a well-formed result (the entry point's own check).
- ``Reject``: raise ``ValueError`` / ``TypeError`` (or the role's documented exception) whose
  message names the argument; never anything else (no ``PanicException``, no crash).
- ``RejectOrEmpty``: zero rows: reject as above, or return a well-formed empty result.

Whatever happens, no argument is modified (``tests.helpers.reliability.fingerprint``). The entry
points themselves are registered in ``tests/helpers/adversarial_entries.py``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

#: Every exception a bad argument may raise (NotFittedError and ModelFileError subclass ValueError).
BAD_INPUT = (ValueError, TypeError)


# ------------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Reject:
    """The call raises one of ``errors`` and the message contains ``mention`` (default: the
    argument's name in messages)."""

    errors: tuple = BAD_INPUT
    mention: str | None = None


@dataclass(frozen=True)
class Same:
    """The call works and equals the call with ``canonical`` in place of the perturbed value."""

    canonical: Any


@dataclass(frozen=True)
class Works:
    """The call works and its result passes the entry point's check."""


@dataclass(frozen=True)
class RejectOrEmpty:
    """Reject as above, or a well-formed result (an empty one, for zero rows)."""


#: The argument is left out of the call (its default is used).
MISSING = object()


@dataclass
class Context:
    """What a perturbation may need to know about the call it perturbs."""

    #: Makes the case's own folder (files for memmaps, saved models), on first use only.
    make_workdir: Callable[[], Path] = field(repr=False)
    #: The metric the entry point compares embeddings with (None: not a search).
    metric: str | None
    _workdir: Path | None = field(default=None, repr=False)

    @property
    def workdir(self) -> Path:
        if self._workdir is None:
            self._workdir = self.make_workdir()
        return self._workdir


Perturb = Callable[[Any, Context], "tuple[Any, Any]"]


@dataclass(frozen=True)
class Role:
    """How one argument is attacked: ``perturbations`` maps a name to a function of the valid
    value returning ``(perturbed value, expected outcome)``."""

    kind: str
    perturbations: dict[str, Perturb] = field(repr=False)

    def without(self, *names: str) -> Role:
        """The role without some perturbations (not applicable to this argument)."""
        missing = set(names) - set(self.perturbations)
        assert not missing, f"{self.kind}: no perturbations {missing}"
        kept = {k: v for k, v in self.perturbations.items() if k not in names}
        return dataclasses.replace(self, perturbations=kept)

    def expecting(self, outcomes: dict[str, Any]) -> Role:
        """The role with the outcome of some perturbations changed (documented handling of this
        argument, e.g. zero rows accepted): ``{name: outcome}`` where ``outcome`` is an outcome
        or a function of the perturbed value returning one."""
        changed = dict(self.perturbations)
        for name, outcome in outcomes.items():
            assert name in changed, f"{self.kind}: no perturbation {name!r}"
            changed[name] = _with_outcome(changed[name], outcome)
        return dataclasses.replace(self, perturbations=changed)

    def plus(self, **perturbations: Perturb) -> Role:
        added = {key.replace("_", " "): value for key, value in perturbations.items()}
        return dataclasses.replace(self, perturbations={**self.perturbations, **added})


def _with_outcome(perturb: Perturb, outcome: Any) -> Perturb:
    def changed(value, ctx):
        new, _ = perturb(value, ctx)
        return new, outcome(new) if callable(outcome) else outcome

    return changed


# ------------------------------------------------------------------------------- layouts


def read_only(a: np.ndarray) -> np.ndarray:
    a = np.array(a)
    a.flags.writeable = False
    return a


def misaligned(a: np.ndarray) -> np.ndarray:
    """A copy of ``a`` whose data starts one byte into a buffer (not aligned to its dtype)."""
    a = np.asarray(a)
    buffer = bytearray(a.nbytes + 1)
    out = np.frombuffer(buffer, dtype=a.dtype, count=a.size, offset=1).reshape(a.shape)
    out[...] = a
    assert a.dtype.itemsize == 1 or not out.flags.aligned
    return out


def memmap(a: np.ndarray, ctx: Context) -> np.ndarray:
    """``a`` in a read-only ``np.memmap`` of a file of its own."""
    a = np.ascontiguousarray(a)
    path = ctx.workdir / f"memmap-{id(a)}-{a.dtype.str}.bin"
    writer = np.memmap(path, dtype=a.dtype, mode="w+", shape=a.shape)
    writer[...] = a
    writer.flush()
    del writer
    return np.memmap(path, dtype=a.dtype, mode="r", shape=a.shape)


def npy_mmap(a: np.ndarray, ctx: Context) -> np.ndarray:
    """``a`` saved with ``np.save`` and opened with ``np.load(mmap_mode="r")``."""
    path = ctx.workdir / f"npy-{id(a)}-{a.dtype.str}.npy"
    np.save(path, a)
    return np.load(path, mmap_mode="r")


def dataframe(a: np.ndarray):
    import pandas as pd

    return pd.DataFrame(a) if a.ndim == 2 else pd.Series(a)


def with_value(a: np.ndarray, index, value, dtype=None) -> np.ndarray:
    out = np.array(a, dtype=dtype or a.dtype)
    out[index] = value
    return out


def _same_as(dtype) -> Callable[[Any], Same]:
    """``Same`` with the canonical form of the perturbed value in ``dtype``."""

    def outcome(value):
        if hasattr(value, "to_numpy"):
            value = value.to_numpy()
        return Same(np.array(value, dtype=dtype, order="C"))

    return outcome


def _layouts(dtype) -> dict[str, Perturb]:
    """Memory layouts and containers that must give the result of a C-contiguous copy."""
    same = _same_as(dtype)

    def make(transform, with_ctx=False):
        def perturb(value, ctx):
            new = transform(value, ctx) if with_ctx else transform(value)
            return new, same(new)

        return perturb

    return {
        "fortran order": make(np.asfortranarray),
        "strided rows": make(lambda a: np.repeat(a, 2, axis=0)[::2]),
        "strided columns": make(
            lambda a: np.repeat(a, 2, axis=-1)[..., ::2] if a.ndim == 2 else a[::1]
        ),
        "negative stride": make(lambda a: np.ascontiguousarray(a[::-1])[::-1]),
        "read-only": make(read_only),
        "misaligned": make(misaligned),
        "memmap": make(memmap, with_ctx=True),
        "np.load mmap_mode": make(npy_mmap, with_ctx=True),
        "python list": make(lambda a: np.asarray(a).tolist()),
        "pandas": make(dataframe),
    }


# ------------------------------------------------------------------------------- roles


def _reject(value):
    return value, Reject()


def _zero_rows_outcome(value, ctx):
    return value[:0], RejectOrEmpty()


def embeddings(*, rows_sibling: bool = True, dims_sibling: bool = True) -> Role:
    """An (n, d) float matrix. ``rows_sibling``: another argument must have as many rows;
    ``dims_sibling``: another must have the same embedding dimension."""
    same = _same_as(np.float32)

    def zero_row(a, ctx):
        new = with_value(a, 1, 0.0)
        # A zero vector has no direction: an error under cosine, a plain point otherwise.
        return new, (Reject() if ctx.metric == "cosine" else Works())

    perturbations: dict[str, Perturb] = {
        **_layouts(np.float32),
        "float64": lambda a, ctx: (a.astype(np.float64), same(a.astype(np.float64))),
        "float16": lambda a, ctx: (a.astype(np.float16), same(a.astype(np.float16))),
        "big-endian": lambda a, ctx: (a.astype(">f4"), same(a)),
        "big-endian float64": lambda a, ctx: (a.astype(">f8"), same(a.astype(">f8"))),
        "int64": lambda a, ctx: _converted(np.round(a * 4).astype(np.int64), same),
        "uint8": lambda a, ctx: _converted(
            np.clip(np.round(a * 4) + 16, 1, 255).astype(np.uint8), same
        ),
        "object": lambda a, ctx: _reject(a.astype(object)),
        "bool": lambda a, ctx: _reject(a > 0),
        "complex": lambda a, ctx: _reject(a.astype(np.complex64)),
        "strings": lambda a, ctx: _reject(a.astype(str)),
        "None": lambda a, ctx: _reject(None),
        "0-D": lambda a, ctx: _reject(np.float32(1.0)),
        "1-D": lambda a, ctx: _reject(np.asarray(a)[0]),
        "3-D": lambda a, ctx: _reject(np.asarray(a)[None]),
        "zero rows": _zero_rows_outcome,
        "zero columns": lambda a, ctx: _reject(a[:, :0]),
        "NaN": lambda a, ctx: _reject(with_value(a, (1, 1), np.nan)),
        "inf": lambda a, ctx: _reject(with_value(a, (0, 2), np.inf)),
        "-inf": lambda a, ctx: _reject(with_value(a, (2, 0), -np.inf)),
        "overflows float32": lambda a, ctx: _reject(with_value(a, (1, 0), 1e300, np.float64)),
        # Finite float32 values whose squares overflow: norms and distances would be inf.
        "squared norm overflows": lambda a, ctx: _reject(with_value(a, 1, 1e30)),
        "zero vector": zero_row,
    }
    if rows_sibling:
        perturbations["one row fewer"] = lambda a, ctx: _reject(a[:-1])
    if dims_sibling:
        perturbations["one column more"] = lambda a, ctx: _reject(np.hstack([a, a[:, :1]]))
    return Role("embeddings", perturbations)


def _converted(value, same):
    return value, same(value)


def votes(
    *, K: int | None, rows_sibling: bool = True, lfs_sibling: bool = True, sparse: bool = False
) -> Role:
    """An (n, m) vote matrix (-1 = abstain, classes 0..K-1). ``K``: the number of classes the
    entry point knows (votes >= K are then an error), None for the searches (any class >= 0).
    ``sparse``: a scipy.sparse CSR / CSC matrix is accepted (else a TypeError)."""
    same = _same_as(np.int64)

    def to_sparse(fmt):
        def perturb(a, ctx):
            import scipy.sparse

            cast = scipy.sparse.csr_matrix if fmt == "csr" else scipy.sparse.csc_matrix
            # Abstentions left out (missing = abstain), class 0 stored explicitly.
            rows, cols = np.nonzero(a != -1)
            matrix = cast((a[rows, cols], (rows, cols)), shape=a.shape)
            return matrix, (Same(np.array(a, dtype=np.int64)) if sparse else Reject())

        return perturb

    perturbations: dict[str, Perturb] = {
        **_layouts(np.int64),
        "int8": lambda a, ctx: (a.astype(np.int8), same(a)),
        "int16": lambda a, ctx: (a.astype(np.int16), same(a)),
        "int32": lambda a, ctx: (a.astype(np.int32), same(a)),
        "big-endian": lambda a, ctx: (a.astype(">i8"), same(a)),
        "big-endian int16": lambda a, ctx: (a.astype(">i2"), same(a)),
        # Unsigned votes cannot abstain; without abstentions they are plain classes.
        "uint16 without abstentions": lambda a, ctx: _converted(
            np.where(a < 0, 0, a).astype(np.uint16), same
        ),
        "csr": to_sparse("csr"),
        "csc": to_sparse("csc"),
        "float": lambda a, ctx: _reject(a.astype(np.float64)),
        "float with NaN": lambda a, ctx: _reject(with_value(a, (0, 0), np.nan, np.float64)),
        "bool": lambda a, ctx: _reject(a > 0),
        "object": lambda a, ctx: _reject(a.astype(object)),
        "complex": lambda a, ctx: _reject(a.astype(np.complex128)),
        "strings": lambda a, ctx: _reject(a.astype(str)),
        "None": lambda a, ctx: _reject(None),
        "0-D": lambda a, ctx: _reject(np.int64(0)),
        "1-D": lambda a, ctx: _reject(np.asarray(a)[:, 0]),
        "3-D": lambda a, ctx: _reject(np.asarray(a)[None]),
        "zero rows": _zero_rows_outcome,
        "zero columns": lambda a, ctx: _reject(a[:, :0]),
        "vote -2": lambda a, ctx: _reject(with_value(a, (1, 1), -2)),
        "vote int64 min": lambda a, ctx: _reject(with_value(a, (0, 1), np.iinfo(np.int64).min)),
        "uint64 beyond int64": lambda a, ctx: _reject(
            with_value(np.where(a < 0, 0, a).astype(np.uint64), (0, 0), 2**63 + 5)
        ),
    }
    if K is not None:
        perturbations["vote K"] = lambda a, ctx: _reject(with_value(a, (2, 0), K))
        perturbations["vote 2**40"] = lambda a, ctx: _reject(with_value(a, (2, 0), 2**40))
    else:
        # The searches do not know K: any class >= 0 is a vote.
        perturbations["vote 2**40"] = lambda a, ctx: (
            with_value(a, (2, 0), 2**40),
            Same(with_value(a, (2, 0), 2**40)),
        )
    if rows_sibling:
        perturbations["one row fewer"] = lambda a, ctx: _reject(a[:-1])
    if lfs_sibling:
        perturbations["one LF more"] = lambda a, ctx: _reject(np.hstack([a, a[:, :1]]))
    return Role("votes", perturbations)


def labels(*, K: int, length_sibling: bool = True) -> Role:
    """A 1-D array of gold classes 0..K-1."""
    same = _same_as(np.int64)
    perturbations: dict[str, Perturb] = {
        **{
            k: v
            for k, v in _layouts(np.int64).items()
            if k not in ("fortran order", "strided columns")
        },
        "int8": lambda a, ctx: (a.astype(np.int8), same(a)),
        "uint8": lambda a, ctx: (a.astype(np.uint8), same(a)),
        "big-endian": lambda a, ctx: (a.astype(">i4"), same(a)),
        "float": lambda a, ctx: _reject(a.astype(np.float64)),
        "bool": lambda a, ctx: _reject(a > 0),
        "object": lambda a, ctx: _reject(a.astype(object)),
        "strings": lambda a, ctx: _reject(a.astype(str)),
        "None": lambda a, ctx: _reject(None),
        "0-D": lambda a, ctx: _reject(np.int64(0)),
        "2-D": lambda a, ctx: _reject(np.asarray(a)[:, None]),
        "zero length": lambda a, ctx: _reject(a[:0]),
        "label -1": lambda a, ctx: _reject(with_value(a, 0, -1)),
        "label K": lambda a, ctx: _reject(with_value(a, 1, K)),
    }
    if length_sibling:
        perturbations["one label fewer"] = lambda a, ctx: _reject(a[:-1])
    return Role("labels", perturbations)


def probabilities(*, rows_sibling: bool = True) -> Role:
    """An (n, K) matrix of class probabilities (rows sum to 1)."""
    same = _same_as(np.float64)
    return Role(
        "probabilities",
        {
            **_layouts(np.float64),
            "float32": lambda a, ctx: (a.astype(np.float32), same(a.astype(np.float32))),
            "object": lambda a, ctx: _reject(a.astype(object)),
            "strings": lambda a, ctx: _reject(a.astype(str)),
            "None": lambda a, ctx: _reject(None),
            "1-D": lambda a, ctx: _reject(a[:, 0]),
            "3-D": lambda a, ctx: _reject(a[None]),
            "NaN": lambda a, ctx: _reject(with_value(a, (0, 0), np.nan)),
            "inf": lambda a, ctx: _reject(with_value(a, (0, 1), np.inf)),
            "negative": lambda a, ctx: _reject(with_value(a, 0, [-0.5, 1.5])),
            "rows not summing to 1": lambda a, ctx: _reject(a * 2),
            "one class": lambda a, ctx: _reject(a[:, :1]),
            **({"one row fewer": lambda a, ctx: _reject(a[:-1])} if rows_sibling else {}),
        },
    )


def thresholds(m: int) -> Role:
    """Per-LF thresholds: a number, None / NaN (do not extend) or an (m,) array."""

    def works(value):
        return lambda a, ctx: (value, Works())

    return Role(
        "thresholds",
        {
            "scalar": works(0.3),
            "None": works(None),
            "NaN": works(float("nan")),
            "inf": works(float("inf")),
            "-inf": works(-float("inf")),
            "numpy scalar": works(np.float32(0.2)),
            "list with None": works([0.3, None] + [0.1] * (m - 2)),
            "array with NaN": works(np.r_[np.nan, np.full(m - 1, 0.25)]),
            "read-only": lambda a, ctx: (read_only(np.full(m, 0.2)), Works()),
            "int array": works(np.zeros(m, dtype=np.int64)),
            "one fewer": lambda a, ctx: _reject(np.full(m - 1, 0.2)),
            "one more": lambda a, ctx: _reject(np.full(m + 1, 0.2)),
            "2-D": lambda a, ctx: _reject(np.full((1, m), 0.2)),
            "string": lambda a, ctx: _reject("high"),
            "bool": lambda a, ctx: _reject(True),
            "complex": lambda a, ctx: _reject(np.full(m, 0.2, dtype=complex)),
        },
    )


def integer(*, low: int, high: int | None = None, optional: bool = False) -> Role:
    """An int parameter in ``low..high``."""
    cases: dict[str, Perturb] = {
        "below the range": lambda a, ctx: _reject(low - 1),
        "far below": lambda a, ctx: _reject(-(10**18)),
        "float": lambda a, ctx: _reject(float(a if a is not None else low)),
        "bool": lambda a, ctx: _reject(True),
        "string": lambda a, ctx: _reject("3"),
        "numpy int": lambda a, ctx: (
            (np.int64(a), Same(a)) if a is not None else (np.int64(low), Works())
        ),
        "beyond int64": lambda a, ctx: _reject(2**70 if high is not None else -(2**70)),
    }
    if high is not None:
        cases["above the range"] = lambda a, ctx: _reject(high + 1)
        cases["huge"] = lambda a, ctx: _reject(10**18)
    if optional:
        cases["None"] = lambda a, ctx: (None, Works())
    else:
        cases["None"] = lambda a, ctx: _reject(None)
    return Role("integer", cases)


def n_jobs() -> Role:
    """Threads: k > 0, -1 = all cores, -k = all but k - 1, None = default; 0 is an error, and
    so is an absurd count (threads are spawned: a million would exhaust the machine)."""
    return Role(
        "n_jobs",
        {
            "zero": lambda a, ctx: _reject(0),
            "all cores": lambda a, ctx: (-1, Same(1)),
            "all but a million": lambda a, ctx: (-(10**6), Same(1)),
            "below int64": lambda a, ctx: (-(2**70), Same(1)),
            "None": lambda a, ctx: (None, Same(1)),
            "two": lambda a, ctx: (2, Same(1)),
            "numpy int": lambda a, ctx: (np.int32(2), Same(1)),
            "huge": lambda a, ctx: _reject(10**9),
            "beyond int64": lambda a, ctx: _reject(2**70),
            "float": lambda a, ctx: _reject(1.5),
            "bool": lambda a, ctx: _reject(True),
            "string": lambda a, ctx: _reject("2"),
        },
    )


def choice(*options: str, errors: tuple = BAD_INPUT) -> Role:
    """A string parameter from ``options``."""
    return Role(
        "choice",
        {
            "unknown": lambda a, ctx: _reject("bogus"),
            "other case": lambda a, ctx: _reject(
                str(a).upper() if str(a) != str(a).upper() else "X"
            ),
            "None": lambda a, ctx: _reject(None),
            "int": lambda a, ctx: _reject(3),
            "list": lambda a, ctx: _reject([a]),
        },
    )


def number(*, finite: bool = True, low: float | None = None) -> Role:
    cases: dict[str, Perturb] = {
        "string": lambda a, ctx: _reject("0.5"),
        "None": lambda a, ctx: _reject(None),
        "complex": lambda a, ctx: _reject(1j),
        "list": lambda a, ctx: _reject([a]),
    }
    if finite:
        cases["NaN"] = lambda a, ctx: _reject(float("nan"))
        cases["inf"] = lambda a, ctx: _reject(float("inf"))
    if low is not None:
        cases["below the range"] = lambda a, ctx: _reject(low - 1.0)
    return Role("number", cases)


def path(*, exists: bool) -> Role:
    """A file path: for a missing file or a directory, an ``OSError`` (the standard library's
    contract, documented by ``open``) or a ``ValueError`` naming the path."""
    errors = (OSError, ValueError, TypeError)
    cases: dict[str, Perturb] = {
        "directory": lambda a, ctx: (ctx.workdir, Reject(errors, mention="")),
        "int": lambda a, ctx: (3.5, Reject(errors, mention="")),
        "None": lambda a, ctx: (None, Reject(errors, mention="")),
    }
    if exists:
        cases["missing file"] = lambda a, ctx: (
            ctx.workdir / "no-such-file.npz",
            Reject(errors, mention="no-such-file"),
        )
    else:
        cases["in a missing folder"] = lambda a, ctx: (
            ctx.workdir / "no-such-folder" / "model.npz",
            Reject(errors, mention=""),
        )
    return Role("path", cases)


def anything(**perturbations: Perturb) -> Role:
    """A role of its own, for arguments whose attacks are specific to one entry point."""
    return Role("specific", {k.replace("_", " "): v for k, v in perturbations.items()})


def reject(value: Any, *, errors: tuple = BAD_INPUT, mention: str | None = None) -> Perturb:
    return lambda a, ctx: (value, Reject(errors, mention))


def works(value: Any) -> Perturb:
    return lambda a, ctx: (value, Works())


def scores() -> Role:
    """(q, m) search scores: float; -inf / +inf mean "no candidate", NaN is an error."""
    same = _same_as(np.float32)
    return Role(
        "scores",
        {
            **_layouts(np.float32),
            "float64": lambda a, ctx: (a.astype(np.float64), same(a.astype(np.float64))),
            "-inf": lambda a, ctx: (with_value(a, (0, 0), -np.inf), Works()),
            "NaN": lambda a, ctx: _reject(with_value(a, (0, 0), np.nan)),
            "int": lambda a, ctx: _reject(np.zeros(a.shape, dtype=np.int64)),
            "strings": lambda a, ctx: _reject(a.astype(str)),
            "None": lambda a, ctx: _reject(None),
            "1-D": lambda a, ctx: _reject(a[:, 0]),
            "one row fewer": lambda a, ctx: _reject(a[:-1]),
            "one column more": lambda a, ctx: _reject(np.hstack([a, a[:, :1]])),
        },
    )


def indices(n: int) -> Role:
    """(q, m) base rows from a search (-1 = none), in ``-1..n-1``."""
    same = _same_as(np.int64)
    return Role(
        "indices",
        {
            **_layouts(np.int64),
            "int32": lambda a, ctx: (a.astype(np.int32), same(a)),
            "big-endian": lambda a, ctx: (a.astype(">i8"), same(a)),
            "row n": lambda a, ctx: _reject(with_value(a, (0, 0), n)),
            "-2": lambda a, ctx: _reject(with_value(a, (0, 1), -2)),
            "float": lambda a, ctx: _reject(a.astype(np.float64)),
            "bool": lambda a, ctx: _reject(a > 0),
            "None": lambda a, ctx: _reject(None),
            "1-D": lambda a, ctx: _reject(a[:, 0]),
            "one row fewer": lambda a, ctx: _reject(a[:-1]),
        },
    )
