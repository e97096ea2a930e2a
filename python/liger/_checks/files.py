"""Files given by a user: NumPy ``.npy`` arrays, read without pickle and with errors that name
the file."""

from __future__ import annotations

import os
from typing import Any

import numpy as np


def load_npy(path: Any, mmap_mode: str | None = None) -> np.ndarray:
    """The array in the ``.npy`` file ``path`` (``mmap_mode="r"``: memory-mapped, read as used).

    Raises ``FileNotFoundError`` / ``IsADirectoryError`` naming the path, and ``ValueError``
    naming it for anything that is not an ``.npy`` array of numbers (a pickle, an ``.npz``
    archive, text, a truncated file, an array of Python objects)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path}: expected a .npy file, got a directory")
    with open(path, "rb") as handle:
        magic = handle.read(6)
    if magic[:4] == b"PK\x03\x04":
        raise ValueError(f"{path}: expected a NumPy .npy array file, got a ZIP (.npz?) archive")
    if magic != b"\x93NUMPY":
        raise ValueError(
            f"{path}: expected a NumPy .npy array file (np.save), got a file without the .npy "
            "header (a pickle, text or another format)"
        )
    try:
        return np.load(path, mmap_mode=mmap_mode, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        detail = "it holds Python objects" if "pickle" in str(exc) else str(exc)
        raise ValueError(f"{path}: unreadable .npy file: {detail}") from None
