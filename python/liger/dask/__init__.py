"""Scale-out on Dask (extra ``liger[dask]``: ``pip install 'liger[dask]'``).

The same stages as the single-machine path, over row chunks of ``dask.array`` inputs, with results
equal to it exactly:

- :func:`nearest_support`, :func:`extend`: queries in row chunks, against a base set that is
  broadcast (NumPy) or itself chunked (Dask); shards of the base merge by (score, index) with the
  kernel's tie rule.
- :class:`DaskLiger`: :class:`liger.Liger` fitted on a row-chunked train split (the label model's
  vote statistics reduced across chunks, the dev split local) and labelling any number of points
  as a Dask array of probabilities, which :func:`to_npy` (or ``.to_zarr``) writes chunk by chunk.

Work runs wherever Dask's current scheduler says: ``distributed.Client("tcp://scheduler:8786")``
for an existing cluster, a ``LocalCluster`` on one machine. ``import liger`` never imports Dask.
"""

from __future__ import annotations

try:
    import dask  # noqa: F401
    import dask.array  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "liger.dask needs Dask: pip install 'liger[dask]' (dask[array] and distributed)"
    ) from exc

from ._dask_estimator import DaskLiger, DaskNearestVotes
from ._dask_io import to_npy
from ._dask_search import SupportBase, extend, nearest_support, nearest_votes

__all__ = [
    "DaskLiger",
    "DaskNearestVotes",
    "SupportBase",
    "extend",
    "nearest_support",
    "nearest_votes",
    "to_npy",
]
