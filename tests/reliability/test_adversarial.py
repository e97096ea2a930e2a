"""The adversarial suite: every public entry point x every role of its arguments x every
perturbation of that role (``tests/helpers/adversarial.py``,
``tests/helpers/adversarial_entries/``).

Each case checks the expected outcome (the same result as a canonical copy, a well-formed
result, or a ``ValueError`` / ``TypeError`` naming the argument), that nothing else escapes (no
Rust panic, no other exception type), and that no argument (nor the fitted model a method runs
on) was modified, whatever the outcome. ``test_every_public_callable_is_covered`` fails when a
public function, class or method has no adversarial cases, so new API must be registered.
"""

from __future__ import annotations

import inspect
import math
import warnings

import numpy as np
import pytest

import liger

from ..helpers.adversarial import MISSING, Context, Reject, RejectOrEmpty, Same
from ..helpers.adversarial_entries import ENTRIES, EXEMPT, Entry
from ..helpers.reliability import fingerprint, state_digest

BY_NAME = {entry.name: entry for entry in ENTRIES}
CASES = [(entry.name, arg, case) for entry in ENTRIES for arg, case in entry.cases()]


def _run(call, kwargs):
    """``(result, None)`` or ``(None, exception)``; warnings are not the point here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return call(**kwargs), None
        except Exception as exc:  # noqa: BLE001 - classified by the caller
            return None, exc


def _fingerprint_call(kwargs, entry):
    state = entry.state() if entry.state is not None else None
    return fingerprint(kwargs), (None if state is None else fingerprint(vars(state)))


def _same(a, b, where="result"):
    """Equal results: arrays bit for bit (dtype kind, shape, values, NaN in the same places),
    estimators by their whole fitted state, containers element by element."""
    import scipy.sparse

    if hasattr(a, "compute") and hasattr(a, "dask"):
        a, b = a.compute(), b.compute()
    if scipy.sparse.issparse(a):
        assert scipy.sparse.issparse(b) and a.shape == b.shape, where
        assert (a != b).nnz == 0, where
        return
    if hasattr(a, "to_numpy") and not isinstance(a, np.ndarray):
        assert type(a) is type(b), where
        a, b = a.to_numpy(), b.to_numpy()
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype.kind == b.dtype.kind, (
            f"{where}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
        )
        assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), where
        return
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
        return
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            _same(a[key], b[key], f"{where}[{key!r}]")
        return
    if isinstance(a, liger.EditReport):  # the same edit; only its timings may differ
        assert isinstance(b, liger.EditReport), where
        _same(
            {k: v for k, v in vars(a).items() if k != "seconds"},
            {k: v for k, v in vars(b).items() if k != "seconds"},
            where,
        )
        return
    if isinstance(a, liger.Session):
        assert isinstance(b, liger.Session) and a.splits == b.splits, where
        for split in a.splits:
            _same(a.predict_proba(split), b.predict_proba(split), f"{where}.predict_proba({split})")
        _same(a.thresholds_, b.thresholds_, f"{where}.thresholds_")
        return
    if isinstance(a, liger.Liger) or type(a).__name__ == "DaskLiger":
        # What it learned and predicts (its arrays may be stored narrower; a DaskLiger's Liger
        # predicts only through it).
        from ..helpers.adversarial_entries import data

        assert type(a) is type(b), where
        for name in ("thresholds_", "levels_", "classes_", "partitions_"):
            _same(getattr(a, name), getattr(b, name), f"{where}.{name}")
        L, X = data("L_test", "X_test")
        _same(a.predict_proba(L, X), b.predict_proba(L, X), f"{where}.predict_proba")
        _same(a.transform(L, X), b.transform(L, X), f"{where}.transform")
        return
    if type(a).__module__.startswith("liger") and hasattr(a, "get_params"):
        same = state_digest(a, int_width=False) == state_digest(b, int_width=False)
        assert same, f"{where}: fitted states differ"
        return
    if hasattr(a, "to_dict") and type(a).__module__.startswith("liger"):
        _same(a.to_dict(), b.to_dict(), where)
        return
    if isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), where
        return
    assert a == b, f"{where}: {a!r} != {b!r}"


def _check_outcome(entry: Entry, arg: str, expect, kwargs, result, error, canonical_call):
    described = f"{entry.name}({arg})"
    if error is not None and not isinstance(error, Exception):
        pytest.fail(f"{described}: {type(error).__name__} escaped")
    if isinstance(expect, Reject) or (isinstance(expect, RejectOrEmpty) and error is not None):
        allowed = expect.errors if isinstance(expect, Reject) else (ValueError, TypeError)
        mention = expect.mention if isinstance(expect, Reject) else None
        if mention is None:
            mention = entry.names.get(arg, arg)
        assert error is not None, f"{described}: expected {allowed}, got a result {result!r:.200}"
        assert isinstance(error, allowed), (
            f"{described}: expected {[e.__name__ for e in allowed]}, got "
            f"{type(error).__module__}.{type(error).__name__}: {error}"
        )
        assert mention in str(error), f"{described}: the message should name {mention!r}: {error}"
        return
    if error is not None:
        raise AssertionError(f"{described}: expected it to work, got {error!r}") from error
    if isinstance(expect, Same):
        expected, problem = canonical_call()
        assert problem is None, f"{described}: the canonical call failed: {problem!r}"
        _same(result, expected, described)
        return
    entry.check(result, kwargs)


def _args(entry: Entry, ctx: Context) -> dict:
    """The entry point's valid arguments (its ``args`` may take the context: a path in the
    test's own folder)."""
    positional = [
        p
        for p in inspect.signature(entry.args).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return entry.args(ctx) if positional else entry.args()


@pytest.mark.parametrize(("name", "arg", "case"), CASES, ids=[f"{n}-{a}-{c}" for n, a, c in CASES])
def test_adversarial(name, arg, case, tmp_path_factory):
    entry = BY_NAME[name]
    ctx = Context(make_workdir=lambda: tmp_path_factory.mktemp("case"), metric=entry.metric)
    if arg == "special":
        special = entry.specials[case]
        call, kwargs = special.build(ctx)
        expect = special.outcome
    else:
        call, kwargs = entry.call, _args(entry, ctx)
        value, expect = entry.roles[arg].perturbations[case](kwargs[arg], ctx)
        if value is MISSING:
            del kwargs[arg]
        else:
            kwargs[arg] = value
    before = _fingerprint_call(kwargs, entry)
    result, error = _run(call, kwargs)
    after = _fingerprint_call(kwargs, entry)
    assert after[0] == before[0], f"{name}({arg}, {case}) modified its arguments"
    assert after[1] == before[1], f"{name}({arg}, {case}) modified the fitted model it ran on"

    def canonical_call():
        canonical = _args(entry, ctx)
        canonical[arg] = expect.canonical
        return _run(entry.call, canonical)

    _check_outcome(entry, arg, expect, kwargs, result, error, canonical_call)


# ------------------------------------------------------------------------------- coverage


def _public_methods(cls) -> list[str]:
    """Public methods of a liger class, its own and those inherited from liger classes
    (``get_params``, ``save``, ...), classmethods included; not properties, not what
    ``object`` / ``Exception`` provide."""
    names = []
    for name in dir(cls):
        if name.startswith("_"):
            continue
        owner = next(klass for klass in cls.__mro__ if name in vars(klass))
        if not owner.__module__.startswith("liger"):
            continue
        attribute = inspect.getattr_static(owner, name)
        if isinstance(attribute, property):
            continue
        if callable(getattr(cls, name)):
            names.append(name)
    return names


def public_callables() -> list[str]:
    """Every public callable: the callables of ``liger.__all__`` and ``liger.dask.__all__``, the
    functions of the modules they export (``liger.diagnostics``, ``liger.metrics``), and the
    public methods of every class among them."""
    import liger.dask

    modules = [(liger, "liger"), (liger.dask, "liger.dask")]
    out = []
    for module, prefix in modules:
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.ismodule(value):
                exported = getattr(value, "__all__", None) or [
                    n
                    for n, f in vars(value).items()
                    if not n.startswith("_")
                    and inspect.isfunction(f)
                    and f.__module__ == value.__name__
                ]
                for inner in exported:
                    out.append((f"{prefix}.{name}.{inner}", getattr(value, inner)))
                continue
            if callable(value):
                out.append((f"{prefix}.{name}", value))
    names = []
    for name, value in out:
        names.append(name)
        if inspect.isclass(value):
            names += [f"{name}.{method}" for method in _public_methods(value)]
    return sorted(set(names))


def test_every_public_callable_is_covered():
    """A public function, class or method without adversarial cases fails here: register it in
    ``tests/helpers/adversarial_entries/`` (or, for a plain record or an exception class, in
    ``EXEMPT`` with the reason)."""
    public = public_callables()
    registered = {entry.name for entry in ENTRIES}
    missing = [name for name in public if name not in registered and name not in EXEMPT]
    assert not missing, f"public callables without adversarial cases: {missing}"
    stale = sorted((registered | set(EXEMPT)) - set(public))
    assert not stale, f"registered names that are not public callables: {stale}"
    empty = [entry.name for entry in ENTRIES if not entry.cases()]
    assert not empty, f"entry points registered without a case: {empty}"
    assert len({entry.name for entry in ENTRIES}) == len(ENTRIES), (
        "an entry point is registered twice"
    )


def test_array_arguments_get_every_layout():
    """Every argument attacked as embeddings or votes also gets every memory layout, container
    and dtype that must give the C-contiguous result (nothing dropped by a ``without``)."""
    must = {
        "fortran order",
        "negative stride",
        "read-only",
        "memmap",
        "np.load mmap_mode",
        "misaligned",
        "big-endian",
        "python list",
        "pandas",
    }
    for entry in ENTRIES:
        for arg, role in entry.roles.items():
            if role.kind in ("embeddings", "votes"):
                missing = must - set(role.perturbations)
                assert not missing, f"{entry.name}({arg}) lacks {sorted(missing)}"
