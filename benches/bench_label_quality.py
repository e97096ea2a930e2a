"""Label-model quality on simulated Dawid-Skene data with known truth (issue 10).

Not part of the test run. Usage::

    python benches/bench_label_quality.py              # plain-text table
    python benches/bench_label_quality.py --markdown   # the docs/BENCHMARKS.md table
    python benches/bench_label_quality.py --seeds 5 --regimes a b f

Regimes (``tests/helpers/dawid_skene.py``): (a) 10 LFs, 30-80 % coverage; (b) 100 sparse annotators,
1-3 % coverage, accuracies 0.6-0.9, 1000 items; (b1) the same with about one vote per item;
(c) five LFs plus four near-copies of one weak LF; (d) 1 % positive class; (e) 4 classes;
(f) one-class (unipolar) LFs as in spam filters. Each seed draws new LF parameters and new data.

Contenders, same votes: liger ``LabelModel()`` and ``MajorityVoter()`` (defaults); Snorkel 0.10
``LabelModel`` (``fit(L, n_epochs=500, seed=seed)``, the tutorials' setting, its default uniform
class balance; torch limited to one thread, its fastest setting on the shared 2-core machine);
crowd-kit ``DawidSkene(n_iter=100)`` (items without a vote get its estimated prior's most likely
class). Snorkel and crowd-kit are optional: a contender that does not import
is skipped with the reason. Predictions are the argmax of each contender's probabilities (ties to
the lowest class, for every contender); accuracy is averaged over the seeds, time is the median
fit + predict time.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/helpers/dawid_skene.py: the regimes shared with the tests

from liger.label_model.class_balance import LabelModelWarning  # noqa: E402
from liger.label_model.majority import MajorityVoter  # noqa: E402
from liger.label_model.triplet import LabelModel  # noqa: E402
from tests.helpers.dawid_skene import REGIME_BY_KEY, REGIMES, sample_regime  # noqa: E402


def liger_label_model(L: np.ndarray, K: int, seed: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LabelModelWarning)
        model = LabelModel(K).fit(L)
    return model.predict_proba(L)


def liger_majority(L: np.ndarray, K: int, seed: int) -> np.ndarray:
    return MajorityVoter(K).fit(L).predict_proba(L)


def load_snorkel():
    try:
        logging.getLogger("snorkel").setLevel(logging.ERROR)
        import torch
        from snorkel.labeling.model import LabelModel as SnorkelLabelModel
    except Exception as exc:  # ImportError, or a broken dependency at import time
        return None, f"{type(exc).__name__}: {exc}"
    # On a busy 2-core machine torch's thread pool spins: 20 s per fit with 2 threads against
    # 0.8 s with one (regime a, measured here). One thread is Snorkel's fastest setting here.
    torch.set_num_threads(1)

    def snorkel(L: np.ndarray, K: int, seed: int) -> np.ndarray:
        model = SnorkelLabelModel(cardinality=K, verbose=False)
        votes = L.astype(np.int64)
        model.fit(votes, n_epochs=500, seed=seed, progress_bar=False)
        return model.predict_proba(votes)

    return snorkel, None


def load_crowdkit():
    try:
        import pandas as pd
        from crowdkit.aggregation import DawidSkene
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"

    def dawid_skene(L: np.ndarray, K: int, seed: int) -> np.ndarray:
        rows, lfs = np.nonzero(L != -1)
        frame = pd.DataFrame({"task": rows, "worker": lfs, "label": L[rows, lfs].astype(int)})
        model = DawidSkene(n_iter=100)
        proba = model.fit_predict_proba(frame)
        out = np.zeros((L.shape[0], K))
        prior = model.priors_.reindex(range(K)).fillna(0.0).to_numpy()
        out[:] = prior  # items without any vote
        known = proba.reindex(columns=range(K)).fillna(0.0)
        out[known.index.to_numpy()] = known.to_numpy()
        return out

    return dawid_skene, None


def run(regime_keys, seeds: int):
    contenders = {"liger LabelModel": liger_label_model, "liger MajorityVoter": liger_majority}
    skipped = {}
    for name, loader in (
        ("Snorkel LabelModel", load_snorkel),
        ("crowd-kit DawidSkene", load_crowdkit),
    ):
        fn, error = loader()
        if fn is None:
            skipped[name] = error
        else:
            contenders[name] = fn
    results = {}  # (regime, contender) -> (accuracies, seconds)
    for key in regime_keys:
        regime = REGIME_BY_KEY[key]
        for seed in range(seeds):
            L, y = sample_regime(key, seed)
            # Interleaved: every contender sees each seed's data before the next seed is drawn.
            for name, fn in contenders.items():
                start = time.perf_counter()
                proba = fn(L, regime.cardinality, seed)
                seconds = time.perf_counter() - start
                accuracy = float(np.mean(np.argmax(proba, axis=1) == y))
                accs, times = results.setdefault((key, name), ([], []))
                accs.append(accuracy)
                times.append(seconds)
        print(f"regime {key} done", file=sys.stderr, flush=True)
    return contenders, skipped, results


def machine() -> str:
    parts = [f"{platform.machine()}, os.cpu_count() = {os.cpu_count()}"]
    try:
        import torch

        parts.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    except Exception:
        pass
    return ", ".join(parts) + f", python {platform.python_version()}, numpy {np.__version__}"


def table(regime_keys, contenders, results, markdown: bool) -> str:
    names = list(contenders)
    lines = []
    if markdown:
        header = "| regime | " + " | ".join(names) + " | liger - MV | liger - Snorkel |"
        lines += [header, "|---" * (len(names) + 3) + "|"]
    else:
        lines.append(
            f"{'regime':<7}" + "".join(f"{n:>26}" for n in names) + "   liger-MV  liger-Snork"
        )
    for key in regime_keys:
        cells = []
        for name in names:
            accs, times = results[(key, name)]
            cells.append(f"{np.mean(accs):.3f} ({np.median(times):.3f} s)")
        liger = np.mean(results[(key, "liger LabelModel")][0])
        mv = np.mean(results[(key, "liger MajorityVoter")][0])
        gaps = [f"{100 * (liger - mv):+.1f}"]
        snorkel = results.get((key, "Snorkel LabelModel"))
        gaps.append("-" if snorkel is None else f"{100 * (liger - np.mean(snorkel[0])):+.1f}")
        label = f"({key}) {REGIME_BY_KEY[key].description}"
        if markdown:
            lines.append(f"| {label} | " + " | ".join(cells) + f" | {gaps[0]} | {gaps[1]} |")
        else:
            lines.append(
                f"{key:<7}" + "".join(f"{c:>26}" for c in cells) + f"   {gaps[0]:>8}  {gaps[1]:>10}"
            )
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--regimes", nargs="*", default=[r.key for r in REGIMES])
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    contenders, skipped, results = run(args.regimes, args.seeds)
    print(f"Machine: {machine()}; {args.seeds} seeds per regime.")
    for name, reason in skipped.items():
        print(f"{name}: skipped ({reason})")
    print("Accuracy averaged over the seeds (median fit + predict seconds); gaps in points.")
    print(table(args.regimes, contenders, results, args.markdown))


if __name__ == "__main__":
    main(sys.argv[1:])
