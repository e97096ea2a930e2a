"""A minimal scikit-learn-style parameter protocol, without depending on scikit-learn; and the
``save`` method shared by the estimators.

Estimators store their constructor arguments unchanged as attributes of the same name and do
nothing else in ``__init__``; learned state goes in attributes ending in ``_``. This mixin then
gives ``get_params`` / ``set_params`` (so ``sklearn.base.clone`` and grid searches work when
scikit-learn is installed) and a ``repr`` that lists the parameters differing from their defaults.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from .io.codec import save
from .io.registry import register


class NotFittedError(ValueError, AttributeError):
    """Raised when a method that needs a fitted estimator is called before ``fit``.

    Subclasses both ``ValueError`` and ``AttributeError``, like scikit-learn's exception of the same
    name, so ``except ValueError`` keeps working.
    """


class ParamsMixin:
    """``get_params`` / ``set_params`` / ``__repr__`` from the ``__init__`` signature."""

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        names = []
        for name, parameter in signature.parameters.items():
            if name == "self":
                continue
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                raise TypeError(f"{cls.__name__}.__init__ must not take *args or **kwargs")
            names.append(name)
        return sorted(names)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters, as a dict ``{name: value}``.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of parameters that are estimators themselves, as
            ``"outer__inner"`` keys (scikit-learn's convention).
        """
        params = {}
        for name in self._param_names():
            value = getattr(self, name)
            params[name] = value
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                for key, inner in value.get_params(deep=True).items():
                    params[f"{name}__{key}"] = inner
        return params

    def set_params(self, **params: Any):
        """Set constructor parameters (``"outer__inner"`` keys reach nested estimators).

        Returns
        -------
        self
            The estimator. Parameters are not validated here but at ``fit`` time, as in
            scikit-learn; call ``fit`` again for them to take effect.
        """
        valid = self._param_names()
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            name, _, inner = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"set_params: expected a parameter of {type(self).__name__} (one of "
                    f"{valid}), got {name!r}"
                )
            if inner:
                nested.setdefault(name, {})[inner] = value
            else:
                setattr(self, name, value)
        for name, inner_params in nested.items():
            inner = getattr(self, name)
            if not hasattr(inner, "set_params") or isinstance(inner, type):
                key = f"{name}__{next(iter(inner_params))}"
                raise ValueError(
                    f"set_params: {key!r} sets a parameter of {name}, which is not an estimator "
                    f"(it is {inner!r})"
                )
            inner.set_params(**inner_params)
        return self

    def __repr__(self) -> str:
        signature = inspect.signature(type(self).__init__)
        shown = []
        for name in self._param_names():
            value = getattr(self, name)
            default = signature.parameters[name].default
            if not _same(value, default):
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def _check_fitted(self, attribute: str) -> None:
        if not hasattr(self, attribute):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet: call fit(L) before using it"
            )


class SaveMixin:
    """``save(path)``: write the estimator to one code-free file that :func:`liger.load` reads.

    The format (a ZIP of ``.npy`` arrays plus a JSON manifest, no pickle) and what is saved are
    described in :mod:`liger.io.codec`. A class using this mixin must be listed in
    ``liger.io.codec.REGISTERED_CLASSES``: ``class X(..., SaveMixin, saveable=True)`` registers
    it (:mod:`liger.io.registry`); subclasses are not registered unless they say so too.
    """

    def __init_subclass__(cls, *, saveable: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if saveable:
            register(cls)

    def save(self, path: Any) -> None:
        """Write this estimator (parameters and fitted state) to ``path``.

        Parameters
        ----------
        path : str or path-like
            The file to write (replaced atomically if it exists). Read it back with
            ``liger.load(path)``; predictions of the loaded estimator are bit-identical.

        Raises
        ------
        TypeError
            An attribute has a type the format cannot hold; the message names it.
        """
        save(self, path)


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return False
    try:
        return bool(a == b)
    except Exception:  # comparisons of odd objects: show the parameter
        return False
