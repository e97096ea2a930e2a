"""liger: labeling functions + pre-trained embeddings -> training labels, fast.

The compiled core (``liger._core``) does the exact, blocked, parallel nearest-support search and
vote extension; this package validates arguments and adds the pieces written in NumPy.
"""

from . import diagnostics, metrics
from ._checks.validation import ABSTAIN
from ._estimator import NotFittedError
from ._progress import progress
from ._version import __version__
from .conventions import from_pm1, to_pm1
from .datasets import Dataset, Split, load_example, load_wrench
from .end_model import EndModel
from .extension.votes import extend, extend_votes
from .io.codec import ModelFileError
from .label_model.class_balance import LabelModelWarning
from .label_model.majority import MajorityVoter
from .label_model.statistics import VoteStatistics
from .label_model.triplet import LabelModel
from .labeler.labeler import Labeler, load
from .lf.appliers import LFApplier, apply_lfs
from .lf.definition import LabelingFunction, LabelingFunctionError, labeling_function
from .pipeline.estimator import Liger
from .search.nearest import knn_graph, nearest_support, radius_neighbors
from .session.api import Session
from .session.report import EditReport

__all__ = [
    "ABSTAIN",
    "Dataset",
    "EditReport",
    "EndModel",
    "LabelModel",
    "Labeler",
    "LabelModelWarning",
    "LabelingFunction",
    "LabelingFunctionError",
    "LFApplier",
    "Liger",
    "MajorityVoter",
    "ModelFileError",
    "NotFittedError",
    "Session",
    "Split",
    "VoteStatistics",
    "__version__",
    "apply_lfs",
    "diagnostics",
    "extend",
    "extend_votes",
    "from_pm1",
    "knn_graph",
    "labeling_function",
    "load",
    "load_example",
    "load_wrench",
    "metrics",
    "nearest_support",
    "progress",
    "radius_neighbors",
    "to_pm1",
]
