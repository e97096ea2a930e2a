"""The label-model stage as both front ends (`Liger`, `Session`) configure it: which model, and
where its class balance comes from (the votes, the dev labels, or given).

One recipe, so that a session's refit after an edit is the very fit a from-scratch ``Liger.fit``
would run on the same votes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..io.registry import saveable
from .class_balance import balance_from_labels, check_class_balance
from .majority import MajorityVoter
from .statistics import VoteStatistics
from .triplet import LabelModel

BALANCE_CHOICES = ("likelihood", "majority", "dev", "likelihood+dev")
LABEL_MODELS = ("triplet", "majority")
# Dev points of one part are few: its class balance is shrunk towards the global one with this
# many pseudo-points.
PART_BALANCE_PSEUDO_COUNT = 20.0


@saveable
@dataclass(frozen=True)
class LabelRecipe:
    """How to fit a label model on a vote matrix.

    Attributes
    ----------
    kind : {"triplet", "majority"}
    n_classes : int
    balance : None, str or ndarray of shape (K,)
        What the model gets as ``class_balance``.
    uses_dev : bool
        Whether its fit also gets the dev labels of the points it labels (``"dev"``,
        ``"likelihood+dev"``).
    """

    kind: str
    n_classes: int
    balance: Any
    uses_dev: bool

    @classmethod
    def resolve(
        cls, label_model: Any, class_balance: Any, n_classes: int, has_dev: bool
    ) -> LabelRecipe:
        """Validate the front end's ``label_model`` / ``class_balance`` parameters.

        ``class_balance``: None (the label model's own estimate from the votes), one of
        ``BALANCE_CHOICES``, or K probabilities; the dev options need a dev split.
        """
        cls.check_names(label_model, class_balance, has_dev)
        value = class_balance
        if value is None:
            return cls(label_model, n_classes, None, False)
        if isinstance(value, str):
            uses_dev = value in ("dev", "likelihood+dev")
            balance = "likelihood" if value == "likelihood+dev" else value
            return cls(label_model, n_classes, balance, uses_dev)
        return cls(label_model, n_classes, check_class_balance(value, n_classes), False)

    @staticmethod
    def check_names(label_model: Any, class_balance: Any, has_dev: bool) -> None:
        """The checks of :meth:`resolve` that need no K (a front end runs them before its
        searches): the model kind, and a ``class_balance`` name and its need of a dev split."""
        if label_model not in LABEL_MODELS:
            raise ValueError(f"label_model: expected 'triplet' or 'majority', got {label_model!r}")
        if isinstance(class_balance, str):
            if class_balance not in BALANCE_CHOICES:
                raise ValueError(
                    f"class_balance: expected None, one of {BALANCE_CHOICES} or an array of "
                    f"K probabilities, got {class_balance!r}"
                )
            if class_balance in ("dev", "likelihood+dev") and not has_dev:
                raise ValueError(
                    f"class_balance: {class_balance!r} needs a dev split (L_dev, X_dev, y_dev), "
                    "got none"
                )

    def new_model(self, balance: Any, kind: str | None = None):
        """An unfitted model of this kind (or ``kind``) with ``class_balance=balance``."""
        kind = self.kind if kind is None else kind
        if kind == "triplet":
            return LabelModel(cardinality=self.n_classes, class_balance=balance)
        if kind == "majority":
            return MajorityVoter(cardinality=self.n_classes, class_balance=balance)
        raise ValueError(f"label_model: expected 'triplet' or 'majority', got {kind!r}")

    def fit_statistics(
        self,
        stats: VoteStatistics,
        y_dev: np.ndarray | None,
        shrink_towards=None,
        *,
        kind: str | None = None,
    ):
        """A label model fitted on the sufficient statistics ``stats`` of the votes
        (:class:`liger.VoteStatistics`: updated, not recomputed, when one LF changes); its class
        balance uses ``y_dev`` (the dev labels of the points it will label) as the recipe says.
        ``shrink_towards``: the global balance, for a part's model (its few dev labels are
        shrunk towards it). ``kind``: another model with the same class-balance recipe (the dev
        guard's majority vote)."""
        model, dev_labels = self._unfitted(y_dev, shrink_towards, kind)
        return model.fit_statistics(stats, y_dev=dev_labels)

    def statistics(self, L_fit: np.ndarray) -> VoteStatistics:
        """The statistics :meth:`fit_statistics` reads (majority vote needs no co-occurrences)."""
        return VoteStatistics.from_votes(L_fit, self.n_classes, pairwise=self.kind == "triplet")

    def _unfitted(self, y_dev, shrink_towards, kind=None):
        """The model to fit, and the dev labels its fit gets (None unless it combines them)."""
        if not self.uses_dev:
            return self.new_model(self.balance, kind), None
        if isinstance(self.balance, str) and self.balance == "dev":
            if shrink_towards is None:
                p = balance_from_labels(y_dev, self.n_classes)
            else:
                p = part_balance(y_dev, shrink_towards)
            return self.new_model(p, kind), None
        return self.new_model(self.balance, kind), y_dev


def part_balance(y_part: np.ndarray, global_balance: np.ndarray) -> np.ndarray:
    """Class frequencies of a part's dev labels, shrunk towards the global balance."""
    counts = np.bincount(y_part, minlength=global_balance.size).astype(np.float64)
    pseudo = PART_BALANCE_PSEUDO_COUNT * global_balance
    return (counts + pseudo) / (counts.sum() + pseudo.sum())
