"""Liger end to end on the shared datasets (tuned on valid, scored once on test), and the CLI."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from liger import Liger, load_wrench
from liger.cli import main
from liger.metrics import compute

# Measured (README): liger / label model without extension, task metric on test.
# youtube accuracy 0.872 / 0.868, sms F1 0.896 / 0.381, trec macro-F1 0.585 / 0.499.
FLOORS = {"youtube": 0.86, "sms": 0.85, "trec": 0.54}


def _fit_and_score(dataset, **params):
    K = dataset.n_classes
    metric = "accuracy" if dataset.name == "youtube" else ("f1" if K == 2 else "macro_f1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = Liger(random_state=0, **params).fit(
            dataset.train.L, dataset.train.X, dataset.valid.L, dataset.valid.X, dataset.valid.y
        )
        predictions = model.predict(dataset.test.L, dataset.test.X)
    return compute(metric, dataset.test.y, predictions, K)[metric]


@pytest.fixture(scope="module")
def scores(data_dir):
    table = {}
    for name in FLOORS:
        dataset = load_wrench(data_dir / name)
        table[name] = (_fit_and_score(dataset), _fit_and_score(dataset, thresholds=None))
    return table


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_liger_quality_on_shared_data(scores, name):
    liger_score, baseline = scores[name]
    assert liger_score >= FLOORS[name], f"{name}: {liger_score:.3f} < {FLOORS[name]}"
    assert liger_score >= baseline - 0.005, "extension must not lose to the plain label model"


def test_extension_gains_three_points_on_average(scores):
    gains = [liger_score - baseline for liger_score, baseline in scores.values()]
    assert np.mean(gains) >= 0.03, gains


def test_cli_runs_the_bundled_example(capsys):
    assert main(["run", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    methods = {row["method"]: row for row in report["results"]}
    assert set(methods) == {"majority vote", "label model", "liger"}
    assert methods["majority vote"]["accuracy"] == pytest.approx(0.776, abs=1e-3)
    assert methods["liger"]["accuracy"] >= 0.85
    assert methods["liger"]["coverage"] >= methods["label model"]["coverage"]
