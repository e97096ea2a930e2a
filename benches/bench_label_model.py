"""Label-model benchmark: speed against Snorkel / FlyingSquid, and accuracy on the shared datasets.

Not part of the test run. Usage::

    python benches/bench_label_model.py            # both tables
    python benches/bench_label_model.py --speed    # timing table only
    python benches/bench_label_model.py --datasets # real-data table only

Speed: binary vote matrices sampled from the naive-Bayes model (accuracies 0.6-0.9, coverages
0.1-0.9, class balance 0.4), n in {10k, 100k, 1M} x m in {10, 50}, plus n = 1M, m = 20. Each time is
the best of a few runs; Snorkel's LabelModel is warmed up (one small fit and predict) before it is
timed, and fitted with its defaults (100 epochs). Contenders that do not import are skipped with
the reason. Datasets: fit on the train votes, score on test (tennis: valid, its only labelled
split); "dev" rows take the class balance from the valid labels (not for tennis, where those are
the scored labels).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from liger import metrics
from liger.conventions import from_pm1
from liger.label_model.class_balance import LabelModelWarning
from liger.label_model.majority import MajorityVoter
from liger.label_model.triplet import LabelModel

ROOT = Path(__file__).resolve().parents[1]
SIZES = [
    (10_000, 10),
    (10_000, 50),
    (100_000, 10),
    (100_000, 50),
    (1_000_000, 10),
    (1_000_000, 20),
    (1_000_000, 50),
]


def sample_binary(n: int, m: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(L, y) from a binary naive-Bayes model, one LF at a time to keep memory at O(n m)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(np.int64)
    L = np.empty((n, m), dtype=np.int64)
    for j in range(m):
        accuracy, coverage = rng.uniform(0.6, 0.9), rng.uniform(0.1, 0.9)
        votes = rng.random(n) < coverage
        correct = rng.random(n) < accuracy
        L[:, j] = np.where(votes, np.where(correct, y, 1 - y), -1)
    return L, y


def best_of(repeats: int, fn, *args, **kwargs):
    """(best wall time in seconds, result) of ``fn(*args, **kwargs)`` over ``repeats`` runs."""
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, result


def load_snorkel():
    try:
        logging.getLogger("snorkel").setLevel(logging.ERROR)
        from snorkel.labeling.model import LabelModel as SnorkelLabelModel
    except Exception as exc:  # ImportError, or a broken dependency at import time
        return None, f"{type(exc).__name__}: {exc}"
    return SnorkelLabelModel, None


def load_flyingsquid():
    try:
        from flyingsquid.label_model import LabelModel as FlyingSquidLabelModel
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"
    return FlyingSquidLabelModel, None


def snorkel_fit(cls, L: np.ndarray, cardinality: int, class_balance=None):
    model = cls(cardinality=cardinality, verbose=False)
    model.fit(L, class_balance=class_balance, seed=0, progress_bar=False)
    return model


def speed_table() -> None:
    snorkel, snorkel_error = load_snorkel()
    flyingsquid, fs_error = load_flyingsquid()
    print(f"threads: {os.cpu_count()} cores")
    if snorkel is None:
        print(f"Snorkel LabelModel: skipped ({snorkel_error})")
    else:
        import torch

        print(f"Snorkel LabelModel: torch {torch.__version__}, {torch.get_num_threads()} threads")
        warm, _ = sample_binary(2000, 10, seed=99)
        snorkel_fit(snorkel, warm, 2).predict_proba(warm)
    if flyingsquid is None:
        print(f"FlyingSquid: skipped ({fs_error})")
    header = (
        f"{'n':>9} {'m':>3} | {'liger fit':>9} {'predict':>8} {'total':>7} {'acc':>6} |"
        f" {'snorkel fit':>11} {'predict':>8} {'total':>7} {'acc':>6} | {'speed-up':>8}"
    )
    if flyingsquid is not None:
        header += f" | {'fsquid fit':>10} {'predict':>8}"
    print(header)
    print("-" * len(header))
    for n, m in SIZES:
        L, y = sample_binary(n, m, seed=n + m)
        repeats = 3 if n <= 100_000 else 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LabelModelWarning)
            fit_s, model = best_of(repeats, LabelModel().fit, L)
        predict_s, proba = best_of(repeats, model.predict_proba, L)
        accuracy = np.mean(proba.argmax(axis=1) == y)
        row = f"{n:>9,} {m:>3} | {fit_s:>9.3f} {predict_s:>8.3f} {fit_s + predict_s:>7.3f}"
        row += f" {accuracy:>6.3f} |"
        if snorkel is not None:
            s_repeats = 1 if n > 100_000 else 2
            s_fit, s_model = best_of(s_repeats, snorkel_fit, snorkel, L, 2)
            s_pred, s_proba = best_of(s_repeats, s_model.predict_proba, L)
            s_acc = np.mean(s_proba.argmax(axis=1) == y)
            speedup = (s_fit + s_pred) / (fit_s + predict_s)
            row += f" {s_fit:>11.3f} {s_pred:>8.3f} {s_fit + s_pred:>7.3f} {s_acc:>6.3f} |"
            row += f" {speedup:>7.1f}x"
        else:
            row += f" {'-':>11} {'-':>8} {'-':>7} {'-':>6} | {'-':>8}"
        if flyingsquid is not None and n <= 100_000:
            pm1 = np.where(L == -1, 0, 2 * L - 1)
            f_fit, f_model = best_of(1, _flyingsquid_fit, flyingsquid, pm1)
            f_pred, _ = best_of(1, f_model.predict_proba, pm1)
            row += f" | {f_fit:>10.3f} {f_pred:>8.3f}"
        print(row, flush=True)


def _flyingsquid_fit(cls, pm1: np.ndarray):
    model = cls(pm1.shape[1])
    model.fit(pm1)
    return model


def data_dir() -> Path:
    return Path(os.environ.get("LIGER_DATA", ROOT.parent / "shared" / "data"))


def load(name: str, split: str):
    folder = data_dir() / name
    if name == "tennis":
        stem = {"train": "L_train_video", "valid": "L_dev_video"}[split]
        L = from_pm1(np.load(folder / f"{stem}.npy"))
        y = None if split == "train" else from_pm1(np.load(folder / "Y_dev_video.npy"))
        return L, y
    items = json.loads((folder / f"{split}.json").read_text())
    rows = [items[str(i)] for i in range(len(items))]
    return (
        np.array([r["weak_labels"] for r in rows], dtype=np.int64),
        np.array([r["label"] for r in rows], dtype=np.int64),
    )


def datasets_table() -> None:
    if not data_dir().is_dir():
        print(f"datasets: skipped, {data_dir()} not found (set LIGER_DATA)")
        return
    snorkel, snorkel_error = load_snorkel()
    if snorkel is None:
        print(f"Snorkel LabelModel: skipped ({snorkel_error})")
    print(f"{'dataset':<8} {'split':<5} {'method':<22} {'acc':>6} {'F1':>6}  {'fit s':>6}  balance")
    averages: dict[str, list[float]] = {}
    evaluations = (("youtube", "test"), ("sms", "test"), ("trec", "test"), ("tennis", "valid"))
    for name, split in evaluations:
        L_train, _ = load(name, "train")
        _, y_valid = load(name, "valid")
        L_eval, y_eval = load(name, split)
        K = int(max(L_train.max(), y_valid.max())) + 1
        metric = "f1" if K == 2 else "macro_f1"
        dev = name != "tennis"
        # (label, estimator, y_dev for fit)
        contenders = [
            ("majority vote", MajorityVoter(K, class_balance="dev" if dev else None), dev),
            ("triplet", LabelModel(K), False),
        ]
        if dev:
            contenders.append(("triplet, dev balance", LabelModel(K, class_balance="dev"), True))
        for label, estimator, use_dev in contenders:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", LabelModelWarning)
                seconds, model = best_of(
                    1, estimator.fit, L_train, y_dev=y_valid if use_dev else None
                )
            scores = model.score(L_eval, y_eval, ["accuracy", metric], tie_break_policy="lowest")
            averages.setdefault(label, []).append(scores["accuracy"])
            balance = np.round(model.class_balance_, 3).tolist()
            print(
                f"{name:<8} {split:<5} {label:<22} {scores['accuracy']:>6.3f}"
                f" {scores[metric]:>6.3f}  {seconds:>6.3f}  {balance}"
            )
        if snorkel is not None:
            seconds, model = best_of(1, snorkel_fit, snorkel, L_train, K)
            pred = model.predict_proba(L_eval).argmax(axis=1)  # ties to the lowest, as above

            accuracy = metrics.accuracy(y_eval, pred)
            score = metrics.f1(y_eval, pred) if K == 2 else metrics.macro_f1(y_eval, pred, K)
            averages.setdefault("snorkel", []).append(accuracy)
            print(
                f"{name:<8} {split:<5} {'snorkel (defaults)':<22} {accuracy:>6.3f} {score:>6.3f}"
                f"  {seconds:>6.3f}"
            )
    print("average accuracy over the datasets each method ran on:")
    for label, values in averages.items():
        print(f"  {label:<22} {np.mean(values):.4f}  ({len(values)} datasets)")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", action="store_true", help="timing table only")
    parser.add_argument("--datasets", action="store_true", help="real-data table only")
    args = parser.parse_args(argv)
    both = not (args.speed or args.datasets)
    if args.speed or both:
        speed_table()
        print()
    if args.datasets or both:
        datasets_table()


if __name__ == "__main__":
    main(sys.argv[1:])
