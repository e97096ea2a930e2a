"""The error of a model file :func:`liger.load` refuses."""

from __future__ import annotations


class ModelFileError(ValueError):
    """A file :func:`load` refuses: not a liger model, corrupted or truncated, crafted (a member
    beyond the limits of :mod:`liger.io.limits`, a state entry its class's schema refuses), or
    written by an incompatible (newer) version. The message names the path and the problem."""
