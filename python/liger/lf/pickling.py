"""Pickling labeling functions as pickle pickles functions: by reference (module + qualified
name) where the LF is importable, by value otherwise.

``@labeling_function`` replaces the module's function by the :class:`LabelingFunction`, so pickle
cannot pickle the function itself by reference any more (``module.name`` is the LF, not the
function: a ``PicklingError``). :func:`reduce_lf` (the LF's ``__reduce__``) pickles:

- a module-level decorated LF (``module.qualname`` is the LF itself) as that reference: loading
  imports the module and returns its LF, as pickle does for a function;
- otherwise the LF's state (function, name, resources, preprocessors, ``vectorized``), with the
  function by reference when ``module.qualname`` is the function or an LF wrapping it (a second
  LF made from a decorated LF's ``func``), else by value as pickle pickles it;
- a lambda or a function defined inside another one cannot be pickled: a ``PicklingError``
  naming the LF and saying where to define it.

Like a function's, a by-reference LF is the *current* definition in the module when it is loaded.
"""

from __future__ import annotations

import importlib
import pickle
from typing import Any

__all__ = ["reduce_lf"]


def _resolve(module: str, qualname: str) -> Any:
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def _reference(func: Any) -> tuple[str, str] | None:
    """``(module, qualname)`` where that attribute is ``func`` or an LF wrapping it (so it can
    be found again by import); None otherwise."""
    module = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or "<" in qualname:
        return None
    try:
        target = _resolve(module, qualname)
    except Exception:  # not importable (a deleted name, a module that fails to import)
        return None
    if target is func or getattr(target, "func", None) is func:
        return module, qualname
    return None


def load_lf(module: str, qualname: str) -> Any:
    """The LF at ``module.qualname`` (what a by-reference LF pickles as)."""
    return _resolve(module, qualname)


def load_function(cls: type, module: str, qualname: str) -> Any:
    """The function at ``module.qualname``: the attribute, or the function of the LF there."""
    target = _resolve(module, qualname)
    return target.func if isinstance(target, cls) else target


def rebuild_lf(cls: type, func: Any, reference: Any, state: dict) -> Any:
    """An LF from its pickled state (``reference``: the function's ``(module, qualname)``, when
    it travelled by reference)."""
    lf = cls.__new__(cls)
    lf.__dict__.update(state)
    lf.func = load_function(cls, *reference) if reference is not None else func
    return lf


def reduce_lf(lf: Any) -> tuple:
    """The LF's ``__reduce__``: see the module docstring."""
    reference = _reference(lf.func)
    if reference is not None and _resolve(*reference) is lf:
        return (load_lf, reference)
    state = {key: value for key, value in vars(lf).items() if key != "func"}
    _check_picklable(lf, with_function=reference is None)
    if reference is not None:
        return (rebuild_lf, (type(lf), None, reference, state))
    return (rebuild_lf, (type(lf), lf.func, None, state))


def _check_picklable(lf: Any, with_function: bool) -> None:
    """A ``PicklingError`` naming the LF when its function (``with_function``) or a
    preprocessor cannot be pickled; the resources are left to pickle (its error names their
    type)."""
    functions = [("function", lf.func)] if with_function else []
    for role, func in functions + [("preprocessor", p) for p in lf.pre]:
        qualname = getattr(func, "__qualname__", None)
        if isinstance(qualname, str) and ("<lambda>" in qualname or "<locals>" in qualname):
            kind = "a lambda" if "<lambda>" in qualname.rsplit(".", 1)[-1] else "a local function"
            raise pickle.PicklingError(
                f"labeling function {lf.name!r} cannot be pickled: its {role} {qualname!r} is "
                f"{kind}; define it with def at the top level of an importable module (not in "
                "a function, nor in __main__ to load it in another process)"
            )
        try:
            pickle.dumps(func)
        except Exception as exc:
            raise pickle.PicklingError(
                f"labeling function {lf.name!r} cannot be pickled: its {role} {func!r} does not "
                f"pickle ({type(exc).__name__}: {exc})"
            ) from exc
