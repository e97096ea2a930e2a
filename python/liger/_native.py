"""The single importer of the compiled core ``liger._core`` (built by maturin; its stub is
``_core.pyi`` next to it). Only ``search/`` (the searches, the extension's core call) and
``_checks/`` (thread counts, the non-finite scan) import it from here, and ``_progress.py``
(the progress hook, ``set_progress``)."""

from . import _core

__all__ = ["_core"]
