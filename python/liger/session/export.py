"""A Session's current pipeline as a fitted :class:`~liger.Liger` and a deployable
:class:`~liger.Labeler` (``Session.to_labeler``).

The Liger is fitted from scratch on the session's current votes and embeddings with its
thresholds fixed (``Liger(thresholds=session.thresholds_, ...)``, the same settings and dev
split: its supports and extension are the session's), and then holds the session's own fitted
label model and choices, so its probabilities are the session's. The session's
end model, when it has one, is taken as is (refitted warm after edits, it is not the one a cold
Liger fit would choose).
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

from ..label_model.class_balance import LabelModelWarning
from ..labeler.labeler import Labeler
from ..pipeline.estimator import Liger
from ..search.neighbours import TRAIN


def class_balance_param(recipe) -> Any:
    """The ``class_balance`` parameter a :class:`LabelRecipe` was resolved from."""
    if recipe.balance is None:
        return None
    if isinstance(recipe.balance, str):
        if recipe.balance == "likelihood" and recipe.uses_dev:
            return "likelihood+dev"
        return recipe.balance
    return recipe.balance.copy()


def fitted_liger(session) -> Liger:
    """A Liger fitted on the session's current votes and thresholds (its predictions are the
    session's)."""
    recipe = session._recipe
    model = Liger(
        metric=session.metric,
        thresholds=session.thresholds_.copy(),
        label_model=recipe.kind,
        class_balance=class_balance_param(recipe),
        tune_metric=session._tune_metric_param,
        threshold_search=session.threshold_search,
        min_gain=session.min_gain,
        cardinality=session.n_classes_,
        random_state=session.random_state,
        n_jobs=session.n_jobs,
        model_selection=session.model_selection,
    )
    dev = session._splits.get("dev")
    args = [session.votes(TRAIN), session._X_train]
    if dev is not None:
        args += [session.votes("dev"), session.index_.points("dev"), dev.y]
    with warnings.catch_warnings():
        # The session warned already (a fallback to majority vote, rare LFs): the same fit.
        warnings.simplefilter("ignore", LabelModelWarning)
        model.fit(*args)
    # The session's own fitted label model and choices: with the cross-validated selection the
    # recipe a from-scratch fit with fixed thresholds chooses can differ from the one the
    # session's last full selection chose (it chose the thresholds too).
    label_model = copy.deepcopy(session.label_model_)
    model.global_label_model_, model.label_models_ = label_model, [label_model]
    model.fallback_, model.guard_ = session.fallback_, session.guard_
    model.selection_, model.cv_score_, model.cv_se_ = (
        session.selection_,
        session.cv_score_,
        session.cv_se_,
    )
    if session.end_model is not None:
        model.end_model = session.end_model
        # A copy: the session refits its end model in place (warm) after an edit.
        model.end_model_ = copy.deepcopy(session._end_model())
    return model


def labeler_of(session, encoder: Any, text_column: Any, batch_size: int) -> Labeler:
    missing = [name for name, lf in zip(session.lf_names_, session.lfs_) if lf is None]
    if missing:
        raise ValueError(
            f"to_labeler: the LFs {missing} were given as votes, not as labeling functions: a "
            "labeler applies its LFs to new records (build the session with Session.from_lfs, "
            "or set those LFs as functions)"
        )
    return Labeler.from_liger(
        fitted_liger(session),
        session.lfs_,
        encoder,
        text_column=text_column,
        batch_size=batch_size,
        applier=session._applier,
    )
