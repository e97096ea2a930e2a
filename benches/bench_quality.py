"""Label quality on every real dataset in ``$LIGER_DATA`` (``../shared/data``), side by side.

Not part of the test run. Usage::

    python benches/bench_quality.py [--markdown] [--datasets youtube,sms,...]

For each dataset with embeddings (youtube, sms, trec, hausa, imdb): fit on train, choose on the
valid split (dev) only, score once on test. The dev objective is ``tune_metric="auto"``
(accuracy for balanced binary tasks, F1 of class 1 for imbalanced ones, macro-F1 for multiclass);
the table shows it for every method:

- majority vote (ties to the lowest class; rows without votes get the most frequent dev class);
- Snorkel 0.10's ``LabelModel`` (seed 0, default epochs; argmax of its probabilities, ties to the
  lowest class), when ``snorkel`` imports (``pip install snorkel``, the bench extra);
- liger's ``LabelModel`` alone (default settings, no dev labels);
- ``Liger(thresholds=None)``: no extension, dev used for the model choice;
- ``Liger()``: the default pipeline;
- ``Liger(end_model="logreg")``: the final model on the embeddings;
- the dev probe: a logistic regression on the dev labels alone (``EndModel(train_weights=(0,))``);
- ``cv``: ``Liger().cv_score_``, the out-of-fold dev estimate of the default pipeline, and the
  end model's cross-validated score.

tennis (votes only, no test split): the label models on train, scored on valid.

The last lines check the project's targets (issue "Labels that hold on data nobody tuned for").
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from pathlib import Path

import numpy as np

import liger
from liger import metrics
from liger.conventions import from_pm1
from liger.splits import resolve_tune_metric

ROOT = Path(__file__).resolve().parents[1]
TEXT_SETS = ("youtube", "sms", "trec", "hausa", "imdb")


def data_dir() -> Path:
    return Path(os.environ.get("LIGER_DATA", ROOT.parent / "shared" / "data"))


def snorkel_predict(L_train, L_test, K):
    """Snorkel's LabelModel predictions, or None when snorkel is not installed."""
    try:
        logging.getLogger("snorkel").setLevel(logging.ERROR)
        from snorkel.labeling.model import LabelModel as SnorkelLabelModel
    except Exception:
        return None
    model = SnorkelLabelModel(cardinality=K, verbose=False)
    model.fit(L_train, seed=0, progress_bar=False)
    return np.argmax(model.predict_proba(L_test), axis=1)


def score(metric, y, pred, K):
    return metrics.compute(metric, y, pred, K)[metric]


def text_row(name: str) -> dict:
    ds = liger.load_wrench(data_dir() / name)
    train, dev, test = ds.train, ds.valid, ds.test
    K = ds.n_classes
    metric = resolve_tune_metric("auto", K, dev.y)
    row = {"dataset": name, "metric": metric}
    voter = liger.MajorityVoter(cardinality=K, class_balance="dev").fit(train.L, y_dev=dev.y)
    row["majority"] = score(metric, test.y, voter.predict(test.L, tie_break_policy="lowest"), K)
    snorkel = snorkel_predict(train.L, test.L, K)
    row["snorkel"] = None if snorkel is None else score(metric, test.y, snorkel, K)
    model = liger.LabelModel(cardinality=K).fit(train.L)
    row["label model"] = score(metric, test.y, model.predict(test.L, tie_break_policy="lowest"), K)
    common = dict(cardinality=K, random_state=0)
    fits = {
        "no extension": liger.Liger(thresholds=None, **common),
        "liger": liger.Liger(**common),
        "liger + end": liger.Liger(end_model="logreg", **common),
    }
    for key, estimator in fits.items():
        estimator.fit(train.L, train.X, dev.L, dev.X, dev.y)
        row[key] = score(metric, test.y, estimator.predict(test.L, test.X), K)
        row[key + " s"] = estimator.fit_time_
    row["cv liger"] = fits["liger"].cv_score_
    end = fits["liger + end"].end_model_
    row["cv end"] = float(end.cv_scores_.max()) if end.cv_scores_ is not None else None
    row["end weight"] = end.train_weight_
    probe = liger.EndModel(train_weights=(0.0,), cv_metric=metric, random_state=0)
    probe._fit_weak(np.empty((0, dev.X.shape[1]), np.float32), np.empty((0, K)), dev.X, dev.y)
    row["dev probe"] = score(metric, test.y, probe.predict(test.X), K)
    return row


def tennis_row() -> dict:
    folder = data_dir() / "tennis"
    L_train = from_pm1(np.load(folder / "L_train_video.npy"))
    L_valid = from_pm1(np.load(folder / "L_dev_video.npy"))
    y_valid = from_pm1(np.load(folder / "Y_dev_video.npy"))
    row = {"dataset": "tennis (valid)", "metric": "accuracy"}
    voter = liger.MajorityVoter(cardinality=2).fit(L_train)
    row["majority"] = score(
        "accuracy", y_valid, voter.predict(L_valid, tie_break_policy="lowest"), 2
    )
    snorkel = snorkel_predict(L_train, L_valid, 2)
    row["snorkel"] = None if snorkel is None else score("accuracy", y_valid, snorkel, 2)
    model = liger.LabelModel(cardinality=2).fit(L_train)
    row["label model"] = score(
        "accuracy", y_valid, model.predict(L_valid, tie_break_policy="lowest"), 2
    )
    return row


COLUMNS = [
    "majority",
    "snorkel",
    "label model",
    "no extension",
    "liger",
    "cv liger",
    "liger + end",
    "cv end",
    "dev probe",
]


def fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--datasets", default=",".join(TEXT_SETS + ("tennis",)))
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    rows = []
    for name in args.datasets.split(","):
        rows.append(tennis_row() if name == "tennis" else text_row(name))
        print(f"# {name} done", file=sys.stderr, flush=True)
    header = ["dataset", "metric", *COLUMNS]
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print(
                "| "
                + " | ".join([row["dataset"], row["metric"]] + [fmt(row.get(c)) for c in COLUMNS])
                + " |"
            )
    else:
        print("  ".join(f"{h:>12}" for h in header))
        for row in rows:
            cells = [row["dataset"], row["metric"]] + [fmt(row.get(c)) for c in COLUMNS]
            print("  ".join(f"{c:>12}" for c in cells))
    # The targets: Liger >= max(MV, Snorkel) - 1 point, the final model >= max(MV, Snorkel,
    # probe) - 1 point, on average Liger >= max(MV, Snorkel) + 3 points, |cv - test| <= 3 points.
    text = [r for r in rows if "liger" in r]
    if text:
        print()
        gains, gaps = [], []
        for r in text:
            base = max(v for v in (r["majority"], r["snorkel"]) if v is not None)
            final_base = max(base, r["dev probe"])
            gains.append(r["liger"] - base)
            gaps.append(abs(r["cv liger"] - r["liger"]) if r["cv liger"] is not None else np.nan)
            gain, final_gain = r["liger"] - base, r["liger + end"] - final_base
            print(
                f"{r['dataset']:>8}: liger - max(MV, Snorkel) = {100 * gain:+.1f} pts; "
                f"end - max(MV, Snorkel, probe) = {100 * final_gain:+.1f} pts; "
                f"|cv - test| = {100 * gaps[-1]:.1f} pts; fit {r['liger s']:.2f} s "
                f"(+ end {r['liger + end s']:.2f} s, end train weight {r['end weight']})"
            )
        print(
            f"mean liger - max(MV, Snorkel) = {100 * np.mean(gains):+.1f} pts; "
            f"mean |cv - test| = {100 * np.nanmean(gaps):.1f} pts"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
