"""Fingerprints of an LF's code (bytecode, constants, defaults, closure, resources, the
global names it reads, by value): the code key of :class:`~liger.lf.appliers.LFApplier`'s vote
cache (see :mod:`liger.lf.appliers`). A value that cannot be fingerprinted raises
:class:`_Unfingerprintable`: its LF is not cached."""

from __future__ import annotations

import dis
import hashlib
import pickle
import re
import types
from functools import lru_cache, partial

import numpy as np

# ---------------------------------------------------------------- fingerprints
# The LF class (registered by liger.lf.definition, which imports this module): an LF among the
# values an LF reads is keyed by its own parts (vectorized, function, resources, pre).
_LF_TYPES: tuple[type, ...] = ()


def register_lf_type(cls: type) -> type:
    """Key instances of ``cls`` (the LF class) by their parts, not by pickling them."""
    global _LF_TYPES
    _LF_TYPES = (*_LF_TYPES, cls)
    return cls


class _Unfingerprintable(Exception):
    pass


_PLAIN = (type(None), bool, int, float, complex, str, bytes)
_METHODS = (types.FunctionType, staticmethod, classmethod, property)


def _module_of(func) -> str | None:
    func = getattr(func, "__func__", func)
    for _ in range(100):  # partials and wrappers, followed (a bounded chain: no cycle hangs)
        if isinstance(func, partial):
            func = func.func
        elif _wrapped_of(func) is not None:
            func = _wrapped_of(func)
        else:
            break
    return getattr(func, "__module__", None)


class _Fingerprint:
    """A BLAKE2b digest of a Python value, following user code (functions, closures, globals)."""

    def __init__(self, module: str | None, *code_modules: str | None):
        self._hash = hashlib.blake2b(digest_size=16)
        # Modules whose functions count by their code (the LF's, its ``pre`` functions').
        self._user_modules = {"__main__", module, *code_modules}
        self._active: set = set()

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def _token(self, *parts) -> None:
        for part in parts:
            data = (
                part if isinstance(part, bytes) else repr(part).encode("utf-8", "backslashreplace")
            )
            self._hash.update(len(data).to_bytes(8, "little"))
            self._hash.update(data)

    def feed(self, value) -> None:
        kind = type(value)
        if kind in _PLAIN:
            self._token(kind.__name__, value)
            return
        if id(value) in self._active:  # a cycle (recursive function, self-referencing list)
            self._token("cycle", kind.__qualname__)
            return
        self._active.add(id(value))
        try:
            self._feed_compound(value)
        finally:
            self._active.discard(id(value))

    def _feed_compound(self, value) -> None:  # noqa: C901 - one branch per kind of value
        if isinstance(value, _LF_TYPES):
            self._token("lf", value.vectorized)
            self.feed(value.func)
            self.feed(sorted(value.resources.items()))
            self.feed(value.pre)
        elif (wrapped := _wrapped_of(value)) is not None:
            # A wrapper (functools.lru_cache / cache / wraps, any decorator setting
            # ``__wrapped__``): keyed by the wrapper and by the function it wraps, followed.
            self._token("wrapper", type(value).__module__, type(value).__qualname__)
            if isinstance(value, types.FunctionType):
                self._feed_function(value)
            self.feed(wrapped)
        elif isinstance(value, (list, tuple)):
            self._token(type(value).__name__, len(value))
            if _all_plain(value):
                self._token(pickle.dumps(value, protocol=4))
            else:
                for item in value:
                    self.feed(item)
        elif isinstance(value, dict):
            self._token("dict", len(value))
            if _all_plain(value) and _all_plain(value.values()):
                self._token(pickle.dumps(value, protocol=4))
            else:
                for key, item in value.items():
                    self.feed(key)
                    self.feed(item)
        elif isinstance(value, (set, frozenset)):
            digests = []
            for item in value:
                inner = _Fingerprint(None)
                inner._user_modules = self._user_modules
                inner._active = self._active
                inner.feed(item)
                digests.append(inner.hexdigest())
            self._token(type(value).__name__, sorted(digests))
        elif isinstance(value, np.ndarray):
            if value.dtype.hasobject:
                self._token("ndarray", value.shape)
                for item in value.ravel().tolist():
                    self.feed(item)
            else:
                self._token("ndarray", value.dtype.str, value.shape)
                self._token(np.ascontiguousarray(value).tobytes())
        elif isinstance(value, np.generic):
            self._token("numpy", value.dtype.str, value.tobytes())
        elif isinstance(value, re.Pattern):
            self._token("re", value.pattern, value.flags)
        elif isinstance(value, types.FunctionType):
            self._feed_function(value)
        elif isinstance(value, types.CodeType):
            self._feed_code(value)
        elif isinstance(value, types.MethodType):
            self._token("method")
            self.feed(value.__func__)
            self.feed(value.__self__)
        elif isinstance(value, partial):
            self._token("partial")
            self.feed(value.func)
            self.feed(value.args)
            self.feed(sorted(value.keywords.items()))
        elif isinstance(value, types.ModuleType):
            self._token("module", value.__name__)
        elif isinstance(value, (types.BuiltinFunctionType, types.BuiltinMethodType, type)):
            self._feed_named(value)
        elif isinstance(value, (staticmethod, classmethod)):
            self.feed(value.__func__)
        elif isinstance(value, property):
            self.feed((value.fget, value.fset, value.fdel))
        else:
            try:
                payload = pickle.dumps(value, protocol=4)
            except Exception as exc:
                raise _Unfingerprintable(type(value).__qualname__) from exc
            self._token("pickle", payload)
            # Pickle names the class; a class written next to the LF counts by its code too.
            self._feed_named(type(value))

    def _feed_named(self, value) -> None:
        module = getattr(value, "__module__", None)
        name = getattr(value, "__qualname__", getattr(value, "__name__", repr(value)))
        self._token("named", module, name)
        if isinstance(value, type) and module in self._user_modules:
            # A class written next to the LF: its methods and class attributes count (of the
            # dunder entries only the methods: the rest is machinery such as __dict__).
            for key, item in vars(value).items():
                dunder = key.startswith("__") and key.endswith("__")
                if dunder and not isinstance(item, _METHODS):
                    continue
                self._token(key)
                self.feed(item)

    def _feed_function(self, func: types.FunctionType) -> None:
        if func.__module__ not in self._user_modules:
            self._feed_named(func)  # library code: its name and module
            return
        self._token("function")  # not its name: a renamed LF votes the same
        self._feed_code(func.__code__)
        self.feed(func.__defaults__)
        self.feed(sorted((func.__kwdefaults__ or {}).items()))
        for cell in func.__closure__ or ():
            try:
                contents = cell.cell_contents
            except ValueError:  # an empty cell (a name not yet bound)
                self._token("empty cell")
                continue
            self.feed(contents)
        namespace = func.__globals__
        for name in sorted(_global_names(func.__code__)):
            if name in namespace:
                self._token("global", name)
                self.feed(namespace[name])

    def _feed_code(self, code: types.CodeType) -> None:
        self._token(
            "code",
            code.co_code,
            code.co_names,
            code.co_varnames,
            code.co_freevars,
            code.co_cellvars,
            code.co_argcount,
            code.co_kwonlyargcount,
            code.co_flags,
        )
        for const in code.co_consts:
            self.feed(const)


@lru_cache(maxsize=1024)
def _global_names(code: types.CodeType) -> frozenset:
    """Names a code object (or any code nested in it) reads from the module namespace (its
    ``LOAD_GLOBAL`` / ``LOAD_NAME`` instructions; attribute names are not globals)."""
    names = {
        instruction.argval
        for instruction in dis.get_instructions(code)
        if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME")
    }
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return frozenset(names)


def _wrapped_of(value):
    """The function a callable wrapper wraps (its ``__wrapped__``, read from its own namespace,
    never through ``__getattr__``), or None."""
    if isinstance(value, (type, types.ModuleType)) or not callable(value):
        return None
    try:
        namespace = vars(value)
    except TypeError:
        return None
    return namespace.get("__wrapped__")


def _all_plain(values) -> bool:
    return all(type(v) in _PLAIN for v in values)
