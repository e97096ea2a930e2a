"""Side-by-side evaluation on a dataset: tuned on dev, scored once on test.

Every Liger number is reported next to the baselines it must beat: majority vote and the same label
model without extension; next to each Liger test score, its out-of-fold estimate on dev (``cv``):
``Liger.cv_score_`` (the out-of-fold score of the whole model selection) and, for the end model,
the cross-validated score of the candidate it chose (optimistic by that one choice).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np

from .datasets import Dataset
from .end_model import EndModel
from .label_model.majority import MajorityVoter
from .metrics import compute
from .pipeline.estimator import Liger, resolve_tune_metric


@dataclass(frozen=True)
class MethodResult:
    method: str
    accuracy: float
    f1: float
    f1_name: str
    coverage: float
    fit_seconds: float
    cv_score: float | None = None
    cv_metric: str | None = None
    chosen: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def evaluate(
    dataset: Dataset,
    *,
    random_state: int | None = 0,
    n_jobs: int | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> list[MethodResult]:
    """Majority vote, the label model without extension, Liger, Liger + end model, and a linear
    probe trained on the dev labels alone, on ``dataset`` (scored once on the test split).

    Parameters
    ----------
    dataset : Dataset
        Needs embeddings and labels on ``valid`` and ``test``.
    random_state : int, optional
    n_jobs : int, optional
    progress : callable
        Receives a short message before each step.

    Returns
    -------
    list of MethodResult
    """
    train, dev, test = dataset.train, dataset.valid, dataset.test
    K = dataset.n_classes
    f1_name = "f1" if K == 2 else "macro_f1"
    results = []

    def record(method, predictions, coverage, seconds, model=None):
        results.append(
            MethodResult(
                method=method,
                accuracy=compute("accuracy", test.y, predictions, K)["accuracy"],
                f1=compute(f1_name, test.y, predictions, K)[f1_name],
                f1_name=f1_name,
                coverage=coverage,
                fit_seconds=seconds,
                **_estimate(model),
            )
        )

    progress("majority vote")
    started = time.perf_counter()
    # Items no LF covers get the most frequent dev class (the data README's convention).
    voter = MajorityVoter(cardinality=K, class_balance="dev").fit(train.L, y_dev=dev.y)
    record(
        "majority vote",
        voter.predict(test.L, tie_break_policy="lowest"),
        _covered(test.L),
        time.perf_counter() - started,
    )

    common = dict(random_state=random_state, n_jobs=n_jobs, cardinality=K)
    for method, model in (
        ("label model", Liger(thresholds=None, **common)),
        ("liger", Liger(thresholds="tune", **common)),
        ("liger + end model", Liger(thresholds="tune", end_model="logreg", **common)),
    ):
        progress(method)
        model.fit(train.L, train.X, dev.L, dev.X, dev.y)
        coverage = (
            1.0 if model.end_model_ is not None else _covered(model.transform(test.L, test.X))
        )
        record(method, model.predict(test.L, test.X), coverage, model.fit_time_, model)

    progress("linear probe on the dev labels")
    started = time.perf_counter()
    d = dev.X.shape[1]
    # Chosen by the same dev objective as Liger's tuning, so the two compare like for like.
    cv_metric = resolve_tune_metric("auto", K, dev.y)
    probe = EndModel(cv_metric=cv_metric, random_state=random_state)._fit_weak(
        np.empty((0, d), dtype=np.float32), np.empty((0, K)), dev.X, dev.y
    )
    record("linear probe", probe.predict(test.X), 1.0, time.perf_counter() - started)
    return results


def _estimate(model) -> dict:
    """The out-of-fold dev estimate of a fitted Liger, its metric and the chosen pipeline."""
    if model is None:
        return {}
    end = model.end_model_
    if end is not None and end.cv_scores_ is not None:
        weight = "weak labels only" if np.isinf(end.train_weight_) else f"{end.train_weight_:g}"
        return {
            "cv_score": float(end.cv_scores_.max()),
            "cv_metric": end.cv_metric,
            "chosen": f"end model (train weight {weight}, penalty {end.penalty_:g})",
        }
    if model.selection_ is None:
        return {}
    return {
        "cv_score": float(model.cv_score_),
        "cv_metric": model.tune_metric_,
        "chosen": model.selection_.chosen_name,
    }


def _covered(L) -> float:
    """Share of points with at least one vote."""
    return float((L != -1).any(axis=1).mean())


def format_table(name: str, results: list[MethodResult]) -> str:
    f1_name = results[0].f1_name
    header = (
        f"{'method':<20}{'accuracy':>10}{f1_name:>10}{'coverage':>10}{'fit (s)':>10}"
        f"{'cv (dev)':>10}"
    )
    lines = [f"{name} (test split; chosen on valid)", header, "-" * len(header)]
    for r in results:
        cv = "-" if r.cv_score is None else f"{r.cv_score:.3f}"
        lines.append(
            f"{r.method:<20}{r.accuracy:>10.3f}{r.f1:>10.3f}{r.coverage:>10.3f}"
            f"{r.fit_seconds:>10.3f}{cv:>10}"
        )
    lines.append("")
    lines.append("cv (dev): out-of-fold estimate on the valid split, in its metric; chosen:")
    for r in results:
        if r.chosen is not None:
            lines.append(f"  {r.method}: {r.chosen} ({r.cv_metric} {r.cv_score:.3f})")
    return "\n".join(lines)
