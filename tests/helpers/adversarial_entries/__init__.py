"""The registry of public entry points for the adversarial suite, one file per stage: for each
entry point, a valid call, the role of every argument it is attacked through
(``tests/helpers/adversarial.py``), and special cases (methods called before ``fit``, unknown
parameters, ...). ``tests/reliability/test_adversarial.py`` runs every (entry point, argument,
perturbation) and checks that every public callable is registered here (:data:`ENTRIES`).

Data: a small binary problem (40 train, 24 dev, 16 test points, d = 6, m = 4 LFs), so the whole
suite runs in seconds (:mod:`.common`).
"""

from __future__ import annotations

from .common import Entry, data
from .conventions import CONVENTION_ENTRIES
from .datasets import DATASET_ENTRIES
from .diagnostics import DIAGNOSTICS_ENTRIES
from .io import PERSISTENCE_ENTRIES
from .label_model import LABEL_MODEL_ENTRIES
from .labeler import LABELER_ENTRIES
from .lf import LF_ENTRIES
from .pipeline import END_MODEL_ENTRIES, LIGER_ENTRIES
from .search import SEARCH_ENTRIES
from .session import SESSION_ENTRIES
from .statistics import STATISTICS_ENTRIES

__all__ = ["DASK_AVAILABLE", "ENTRIES", "EXEMPT", "Entry", "data"]

ENTRIES: list[Entry] = [
    *SEARCH_ENTRIES,
    *CONVENTION_ENTRIES,
    *LABEL_MODEL_ENTRIES,
    *LIGER_ENTRIES,
    *END_MODEL_ENTRIES,
    *STATISTICS_ENTRIES,
    *PERSISTENCE_ENTRIES,
    *DIAGNOSTICS_ENTRIES,
    *DATASET_ENTRIES,
    *LF_ENTRIES,
    *SESSION_ENTRIES,
    *LABELER_ENTRIES,
]

#: Public callables without adversarial cases, and why.
EXEMPT: dict[str, str] = {
    "liger.Dataset": "a plain record (dataclass) the loaders fill; it validates nothing",
    "liger.Split": "a plain record (dataclass) the loaders fill; it validates nothing",
    "liger.EditReport": "a plain record (dataclass) the Session returns; it validates nothing",
    "liger.LabelModelWarning": "a warning class, raised by liger, not an entry point",
    "liger.LabelingFunctionError": "an exception class (tested where it is raised: LFApplier)",
    "liger.ModelFileError": "an exception class (tested where it is raised: liger.load)",
    "liger.NotFittedError": "an exception class (tested where it is raised: 'before fit')",
}


try:
    import dask  # noqa: F401

    from .dask import _dask_entries

    ENTRIES += _dask_entries()
    DASK_AVAILABLE = True
except ImportError:  # liger.dask is an extra; CI installs it
    DASK_AVAILABLE = False
