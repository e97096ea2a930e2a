"""Labeling functions: writing them (``@labeling_function``): :class:`LabelingFunction` and
:class:`LabelingFunctionError`. Applying them is :mod:`liger.lf.appliers`; the code key of the
vote cache is :mod:`liger.lf.fingerprint` (the module docstring of :mod:`liger.lf.appliers`
describes both)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any, Callable

import numpy as np

from .fingerprint import _Fingerprint, _module_of, _Unfingerprintable, register_lf_type
from .pickling import reduce_lf

__all__ = ["LabelingFunction", "LabelingFunctionError", "labeling_function"]


class LabelingFunctionError(ValueError):
    """An LF failed on a row, or returned something that is not a class or ABSTAIN.

    Attributes
    ----------
    lf : str
        The LF's name.
    row : int or None
        Position of the row (0-based, in the order of the records); None for a vectorised LF's
        failure that is not tied to one row.
    index : object
        The row's index label (a DataFrame's or Series' index; the position for a list).
    value : object
        The offending return value (None when the LF raised).
    """

    def __init__(self, message: str, lf: str, row=None, index=None, value=None):
        super().__init__(message)
        self.lf, self.row, self.index, self.value = lf, row, index, value

    def __reduce__(self):  # picklable with its attributes (it crosses process boundaries)
        return (type(self), (self.args[0], self.lf, self.row, self.index, self.value))


@register_lf_type
class LabelingFunction:
    """A labeling function: ``func(record, **resources)`` after the ``pre`` preprocessors.

    Parameters
    ----------
    func : callable
        ``func(x, **resources) -> int``: a class ``0..K-1`` or ``ABSTAIN`` (-1). With
        ``vectorized=True``, ``func(data, **resources)`` returns n votes at once.
    name : str, optional
        Defaults to ``func.__name__``. Names must be unique within one application.
    resources : mapping, optional
        Keyword arguments bound into every call (keyword lists, lookup tables, thresholds). Part
        of the cache key: changing one re-runs the LF.
    pre : sequence of callables, optional
        Preprocessors ``p(x) -> x`` applied in order before ``func`` (for a vectorised LF, to the
        whole data). They run per LF; share expensive work through ``resources`` or a column.
    vectorized : bool, default=False
        ``func`` takes the whole data (the DataFrame, Series, list or array given to the applier)
        and returns an array-like of n ints.
    """

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        name: str | None = None,
        resources: Mapping[str, Any] | None = None,
        pre: Sequence[Callable[[Any], Any]] | None = None,
        vectorized: bool = False,
    ):
        if not callable(func):
            raise TypeError(f"func: expected a callable, got {type(func).__name__}")
        if name is None:
            name = getattr(func, "__name__", None) or type(func).__name__
        if not isinstance(name, str) or not name:
            raise TypeError(f"name: expected a non-empty str, got {name!r}")
        if resources is not None and not isinstance(resources, Mapping):
            raise TypeError(
                f"resources: expected a mapping of keyword arguments, got "
                f"{type(resources).__name__}"
            )
        if pre is not None and (callable(pre) or not isinstance(pre, Iterable)):
            raise TypeError(f"pre: expected a sequence of callables, got {type(pre).__name__}")
        if not isinstance(vectorized, (bool, np.bool_)):
            raise TypeError(f"vectorized: expected True or False, got {vectorized!r}")
        pre = () if pre is None else tuple(pre)
        for position, p in enumerate(pre):
            if not callable(p):
                raise TypeError(f"pre: expected callables, got {type(p).__name__} at {position}")
        self.func = func
        self.name = name
        self.resources = dict(resources or {})
        self.pre = pre
        self.vectorized = bool(vectorized)

    def __call__(self, x: Any) -> Any:
        for p in self.pre:
            x = p(x)
        return self.func(x, **self.resources)

    def _caller(self) -> Callable[[Any], Any]:
        """The fastest callable with the same result (per-record loops call it n times)."""
        if not self.pre and not self.resources:
            return self.func
        if not self.pre:
            return partial(self.func, **self.resources)
        return self

    def fingerprint(self) -> str | None:
        """Hex digest of everything that decides the LF's votes (see the module docstring);
        None when some part cannot be fingerprinted (then the LF is never cached)."""
        # The ``pre`` functions count by their code, wherever they are defined.
        hasher = _Fingerprint(_module_of(self.func), *(_module_of(p) for p in self.pre))
        try:
            hasher.feed(("vectorized", self.vectorized))
            hasher.feed(self.func)
            hasher.feed(("resources", sorted(self.resources.items())))
            hasher.feed(("pre", self.pre))
        except _Unfingerprintable:
            return None
        return hasher.hexdigest()

    def __reduce__(self):
        # Pickled like a function: by module + qualname where importable (liger.lf.pickling).
        return reduce_lf(self)

    def __copy__(self):  # copies need no pickling (a lambda LF copies as before)
        new = type(self).__new__(type(self))
        new.__dict__.update(vars(self))
        return new

    def __deepcopy__(self, memo):
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        new.__dict__.update(copy.deepcopy(vars(self), memo))
        return new

    def __repr__(self) -> str:
        extra = ", vectorized=True" if self.vectorized else ""
        if self.resources:
            extra += f", resources={sorted(self.resources)}"
        if self.pre:
            extra += f", pre={[getattr(p, '__name__', type(p).__name__) for p in self.pre]}"
        return f"LabelingFunction({self.name!r}{extra})"


def labeling_function(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    resources: Mapping[str, Any] | None = None,
    pre: Sequence[Callable[[Any], Any]] | None = None,
    vectorized: bool = False,
):
    """Decorator: turn a function into a :class:`LabelingFunction`.

    Usable bare (``@labeling_function``) or with arguments
    (``@labeling_function(name="kw_check", resources={"words": WORDS}, vectorized=False)``).

    Examples
    --------
    >>> from liger import ABSTAIN, LFApplier
    >>> SPAM, HAM = 1, 0
    >>> @labeling_function(resources={"words": ("subscribe", "check out")})
    ... def keywords(x, words):
    ...     return SPAM if any(w in x.lower() for w in words) else ABSTAIN
    >>> @labeling_function(vectorized=True)
    ... def short(texts):
    ...     lengths = np.array([len(t) for t in texts])
    ...     return np.where(lengths < 20, HAM, ABSTAIN)
    >>> LFApplier().apply([keywords, short], ["Check out my channel", "nice song"])
    array([[ 1, -1],
           [-1,  0]], dtype=int8)
    """

    def wrap(f):
        return LabelingFunction(f, name=name, resources=resources, pre=pre, vectorized=vectorized)

    return wrap if func is None else wrap(func)
