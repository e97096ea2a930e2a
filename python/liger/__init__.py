"""liger: labeling functions + pre-trained embeddings -> training labels, fast.

The compiled core (``liger._core``) does the exact, blocked, parallel nearest-support search and
vote extension; this package validates arguments and adds the pieces written in NumPy.
"""

from importlib.metadata import PackageNotFoundError, version

from ._validation import ABSTAIN
from .extension import extend, extend_votes
from .search import knn_graph, nearest_support

try:
    __version__ = version("liger")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "ABSTAIN",
    "__version__",
    "extend",
    "extend_votes",
    "knn_graph",
    "nearest_support",
]
