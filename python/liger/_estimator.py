"""A minimal scikit-learn-style parameter protocol, without depending on scikit-learn; and the
``save`` method shared by the estimators.

Estimators store their constructor arguments unchanged as attributes of the same name and do
nothing else in ``__init__``; learned state goes in attributes ending in ``_``. This mixin then
gives ``get_params`` / ``set_params`` (so ``sklearn.base.clone`` and grid searches work when
scikit-learn is installed), a ``repr`` that lists the parameters differing from their defaults,
``__sklearn_is_fitted__`` (for ``sklearn.utils.validation.check_is_fitted``) and the estimator
tags (``__sklearn_tags__``, and the older ``_more_tags``), built from class attributes.

scikit-learn stays optional: nothing here imports it at module level. ``__sklearn_tags__`` imports
it when scikit-learn itself asks for the tags, and :class:`NotFittedError` becomes catchable as
``sklearn.exceptions.NotFittedError`` whenever scikit-learn has been imported (see there).
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

import numpy as np

from .io.codec import save
from .io.registry import register


class NotFittedError(ValueError, AttributeError):
    """Raised when a method that needs a fitted estimator is called before ``fit``.

    Subclasses both ``ValueError`` and ``AttributeError``, like scikit-learn's exception of the same
    name, so ``except ValueError`` keeps working. When scikit-learn has been imported (it has, if
    the caller can name ``sklearn.exceptions.NotFittedError``), the exception raised is an instance
    of a subclass of both this class and scikit-learn's, so ``except
    sklearn.exceptions.NotFittedError`` catches it too; without scikit-learn nothing imports it.
    (``except`` compares real base classes, so an ABC-style registration would not do.)
    """

    def __new__(cls, *args: Any, **kwargs: Any):
        if cls is NotFittedError:
            cls = _sklearn_compatible_error() or cls
        return super().__new__(cls, *args, **kwargs)


def _sklearn_compatible_error() -> type | None:
    """The subclass of :class:`NotFittedError` and scikit-learn's ``NotFittedError`` (made once),
    or None while scikit-learn is not imported."""
    global SklearnNotFittedError
    if SklearnNotFittedError is None:
        if "sklearn" not in sys.modules:
            return None
        from sklearn.exceptions import NotFittedError as SklearnError

        class SklearnNotFittedError(NotFittedError, SklearnError):
            """:class:`NotFittedError` that is also scikit-learn's ``NotFittedError``."""

        SklearnNotFittedError.__module__ = __name__
        SklearnNotFittedError.__qualname__ = "SklearnNotFittedError"
    return SklearnNotFittedError


#: Set by :func:`_sklearn_compatible_error` (a module attribute so that the class pickles).
SklearnNotFittedError: type | None = None


def _sklearn_tags(estimator: Any, input_kind: str, estimator_type: str | None) -> Any:
    """scikit-learn ``Tags`` for an estimator of liger (imports scikit-learn: only scikit-learn
    asks for them).

    ``input_kind``: ``"embeddings"`` (float features ``X``, a supervised ``fit(X, y)``),
    ``"votes"`` (an integer vote matrix ``L``, -1 = abstain, dense or sparse; ``fit(L)`` needs no
    ``y``: categorical input, not float features) or ``"votes+embeddings"`` (``Liger``: a vote
    matrix and embeddings together, which no generic scikit-learn check can build, so the
    checks skip it).
    """
    from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

    supervised = input_kind == "embeddings"
    return Tags(
        estimator_type=estimator_type,
        target_tags=TargetTags(required=supervised, two_d_labels=supervised),
        classifier_tags=ClassifierTags() if estimator_type == "classifier" else None,
        input_tags=InputTags(
            two_d_array=True,
            sparse=input_kind == "votes",
            categorical=input_kind != "embeddings",
            allow_nan=False,
        ),
        requires_fit=True,
        _skip_test=input_kind != "embeddings",
    )


class ParamsMixin:
    """``get_params`` / ``set_params`` / ``__repr__`` from the ``__init__`` signature; the
    scikit-learn fitted check and tags from ``_FITTED`` and ``_INPUT_KIND``."""

    #: An attribute that exists once fitted (what ``_check_fitted`` and
    #: ``__sklearn_is_fitted__`` look for).
    _FITTED: str | None = None
    #: What ``fit`` reads, for the scikit-learn tags: see :func:`_sklearn_tags`.
    _INPUT_KIND = "votes+embeddings"
    #: scikit-learn's ``estimator_type`` ("classifier", ...) or None.
    _ESTIMATOR_TYPE: str | None = None

    def __sklearn_is_fitted__(self) -> bool:
        """Whether ``fit`` has run (``sklearn.utils.validation.check_is_fitted`` asks this)."""
        return self._FITTED is not None and hasattr(self, self._FITTED)

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's estimator tags (``sklearn.utils.get_tags``); imports scikit-learn."""
        return _sklearn_tags(self, self._INPUT_KIND, self._ESTIMATOR_TYPE)

    def _more_tags(self) -> dict[str, Any]:
        """The same tags in scikit-learn's pre-1.6 dictionary form."""
        supervised = self._INPUT_KIND == "embeddings"
        return {
            "X_types": ["2darray"] if supervised else ["categorical"],
            "requires_y": supervised,
            "allow_nan": False,
            "_skip_test": not supervised,
        }

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

    def _check_fitted(self, attribute: str | None = None) -> None:
        if not hasattr(self, attribute or self._FITTED):
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
