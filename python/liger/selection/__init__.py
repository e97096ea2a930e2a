"""Model selection on the dev split by repeated stratified k-fold cross-validation
(:mod:`liger.selection.cv`), with the incremental dev scoring of threshold candidates
(:mod:`liger.selection.posterior`)."""

from .cv import EXTENSIONS, Candidate, Chosen, Selection, candidates, select, select_pipeline

__all__ = [
    "EXTENSIONS",
    "Candidate",
    "Chosen",
    "Selection",
    "candidates",
    "select",
    "select_pipeline",
]
