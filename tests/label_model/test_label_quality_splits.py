"""Label quality on the train / dev / test regimes (g)-(j) of the simulation suite (issue 19).

In each regime, averaged over 5 seeds and scored on the test rows in the regime's metric:
``Liger`` with a dev split (``thresholds=None``: its label recipe chosen by cross-validation on
dev, random embeddings) is at least majority vote (class balance from dev) minus 1 point, and
``LabelModel(K).fit(L_train)`` alone at least majority vote minus 2 points, except where it is
known to fall further behind (``LABEL_MODEL_SHORTFALL``, with the reason): there the test checks
that the shortfall is still there, so that a fix shows up as a failure asking to move the regime
back under the 2-point rule.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import liger
from liger import metrics

from ..helpers.dawid_skene import (
    N_ANNOTATORS,
    N_KEYWORDS,
    SPLIT_REGIME_BY_KEY,
    SPLIT_REGIMES,
    sample_split_regime,
)

SEEDS = range(5)
DIM = 16
# Regimes where the LabelModel alone is more than 2 points below majority vote (5-seed means at
# the time of writing: LabelModel / Liger with dev / majority vote).
LABEL_MODEL_SHORTFALL = {
    # 0.660 / 0.766 / 0.766 (accuracy). Train-only class-dependent abstention: with
    # abstentions="earned" the model learns that an abstention is evidence of a class, which is
    # false on test (abstentions="ignore": 0.706, still biased by the train abstentions).
    "h": "abstention that depends on the class in train only",
    # 0.366 / 0.411 / 0.411 (F1 of class 1). The rows no LF reaches (a common cause of all the
    # abstentions) pull the vote-estimated class balance from 0.80/0.20 to about 0.10/0.90 (0.68 /
    # 0.32 with 30 % such rows, right with none): rows without votes get that prior, class 1,
    # and voted rows are pulled towards it (accuracy 0.30 where predicting class 0 scores 0.80).
    "j": "rows without votes pull the vote-estimated class balance to the minority class",
}


def _score(metric: str, K: int, y: np.ndarray, predictions: np.ndarray) -> float:
    if metric == "accuracy":
        return metrics.accuracy(y, predictions)
    if metric == "f1":
        return metrics.f1(y, predictions, positive=1)
    return metrics.macro_f1(y, predictions, cardinality=K)


def _scores(key: str, seed: int) -> tuple[float, float, float]:
    """(LabelModel, Liger with dev, majority vote) test scores of one seed."""
    regime = SPLIT_REGIME_BY_KEY[key]
    K = regime.cardinality
    data = sample_split_regime(key, seed)
    rng = np.random.default_rng(seed)
    X = {s: rng.standard_normal((data[f"y_{s}"].shape[0], DIM)) for s in ("train", "dev", "test")}
    L_train, L_dev, y_dev, L_test = data["L_train"], data["L_dev"], data["y_dev"], data["L_test"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", liger.LabelModelWarning)
        model = liger.LabelModel(cardinality=K).fit(L_train)
        pipeline = liger.Liger(cardinality=K, thresholds=None, random_state=0)
        pipeline.fit(L_train, X["train"], L_dev, X["dev"], y_dev)
    voter = liger.MajorityVoter(cardinality=K, class_balance="dev").fit(L_train, y_dev=y_dev)
    predictions = (
        np.argmax(model.predict_proba(L_test), axis=1),  # ties to the lowest class
        pipeline.predict(L_test, X["test"]),
        voter.predict(L_test, tie_break_policy="lowest"),
    )
    y = data["y_test"]
    return tuple(_score(regime.metric, K, y, p) for p in predictions)


@pytest.mark.parametrize("key", [regime.key for regime in SPLIT_REGIMES])
def test_split_regime_quality(key):
    model, pipeline, majority = np.mean([_scores(key, seed) for seed in SEEDS], axis=0)
    numbers = {"regime": key, "label_model": model, "liger_dev": pipeline, "majority": majority}
    assert pipeline >= majority - 0.01, numbers
    if key in LABEL_MODEL_SHORTFALL:
        assert model < majority - 0.02, (
            f"the LabelModel is now within 2 points of majority vote ({numbers}): remove "
            f"{key!r} from LABEL_MODEL_SHORTFALL ({LABEL_MODEL_SHORTFALL[key]})"
        )
    else:
        assert model >= majority - 0.02, numbers


def test_split_regimes_are_what_they_say():
    data = sample_split_regime("g", 0)
    L_train, L_test = data["L_train"], data["L_test"]
    assert L_train.shape[1] == N_ANNOTATORS + N_KEYWORDS
    votes = (L_train[:, :N_ANNOTATORS] != -1).sum(axis=0)
    assert votes.min() >= 5 and votes.max() <= 30  # each annotator labels 5-30 train rows ...
    assert (L_test[:, :N_ANNOTATORS] == -1).all()  # ... and no test row
    coverage = (L_test[:, N_ANNOTATORS:] != -1).mean(axis=0)
    assert ((coverage > 0.15) & (coverage < 0.55)).all()

    data = sample_split_regime("h", 0)
    train, test = (data[f"L_{s}"] != -1 for s in ("train", "test"))
    assert 0.35 < train[:, 0].mean() < 0.45 and 0.03 < test[:, 0].mean() < 0.07
    assert 0.03 < train[:, 1].mean() < 0.07 and 0.35 < test[:, 1].mean() < 0.45
    by_class = [
        [train[data["y_train"] == c, 2].mean(), test[data["y_test"] == c, 2].mean()] for c in (0, 1)
    ]
    assert abs(by_class[0][0] - by_class[1][0]) > 0.2  # class-dependent abstention in train ...
    assert abs(by_class[0][1] - by_class[1][1]) < 0.06  # ... and not in test

    regime, data = SPLIT_REGIME_BY_KEY["i"], sample_split_regime("i", 0)
    assert regime.cardinality == 10 and regime.n_dev < 200 and data["L_train"].shape[1] == 20
    assert set(np.unique(data["y_dev"])) == set(range(10))

    data = sample_split_regime("j", 0)
    assert 0.58 < np.mean((data["L_test"] == -1).all(axis=1)) < 0.66
    assert 0.17 < np.mean(data["y_test"] == 1) < 0.23
