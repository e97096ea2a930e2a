"""The classes a model file may name: liger's estimators and the dataclasses among their fitted
attributes. Each class registers itself where it is defined (estimators with
``class X(..., SaveMixin, saveable=True)``, dataclasses with ``@saveable``), so the codec
(:mod:`liger.io.codec`) imports no estimator. A file names a class by ``cls.__name__``; a
subclass is not registered unless it asks to be (a user's subclass of ``Liger`` is refused)."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T", bound=type)

# In registration (import) order; read by the codec at every save / load.
REGISTERED_CLASSES: tuple[type, ...] = ()


def register(cls: T) -> T:
    """Add ``cls`` to :data:`REGISTERED_CLASSES` (once) and return it."""
    global REGISTERED_CLASSES
    if cls not in REGISTERED_CLASSES:
        REGISTERED_CLASSES = (*REGISTERED_CLASSES, cls)
    return cls


def saveable(cls: T) -> T:
    """Class decorator of the dataclasses a model file may hold (``@saveable`` above
    ``@dataclass``)."""
    return register(cls)


def registered() -> dict[str, type]:
    """``{class name: class}`` of the registered classes (two with one name is a bug)."""
    names: dict[str, type] = {}
    for cls in REGISTERED_CLASSES:
        if cls.__name__ in names:
            raise RuntimeError(f"two registered classes are named {cls.__name__!r}")
        names[cls.__name__] = cls
    return names
