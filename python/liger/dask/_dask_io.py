"""Writing a row-chunked Dask array to one ``.npy`` file, chunk by chunk (``liger.dask.to_npy``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np


class _NpyRows:
    """A ``da.store`` target: each task opens the file and writes its own rows. Only the path,
    shape and dtype travel to the workers, which must see the same file system."""

    def __init__(self, path: str, shape: tuple[int, ...], dtype: np.dtype):
        self.path, self.shape, self.dtype = path, shape, dtype

    def __setitem__(self, region, block: np.ndarray) -> None:
        target = np.lib.format.open_memmap(self.path, mode="r+")
        target[region] = block
        target.flush()
        del target


def to_npy(array: Any, path: str | os.PathLike) -> Path:
    """Write a Dask array (e.g. :meth:`DaskLiger.predict_proba`'s) to ``path`` as a ``.npy`` file,
    each task writing its chunk in place: the whole array is never held in one process.

    Parameters
    ----------
    array : dask array
        Any shape; chunks are written where they belong.
    path : str or path-like
        The ``.npy`` file to create (overwritten). On a cluster, every worker must see it (a
        shared file system). For object stores, use Dask's own ``array.to_zarr(url)``.

    Returns
    -------
    pathlib.Path
        The file, readable with ``np.load(path, mmap_mode="r")``.
    """
    if not isinstance(array, da.Array):
        raise TypeError(f"array: expected a dask array, got {type(array).__name__}")
    if any(np.isnan(size) for sizes in array.chunks for size in sizes):
        raise ValueError(
            "array: expected known chunk sizes, got unknown ones (call "
            "array.compute_chunk_sizes() first)"
        )
    path = Path(path)
    # The header and the file's full length, written once here; the tasks fill it in place.
    header = np.lib.format.open_memmap(path, mode="w+", dtype=array.dtype, shape=array.shape)
    del header
    da.store(array, _NpyRows(str(path), array.shape, array.dtype), lock=False)
    return path
