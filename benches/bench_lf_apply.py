"""When does running LFs in parallel pay? Serial vs worker processes (per-record LFs) and serial vs
threads (vectorised LFs), on the bundled youtube texts and on a synthetic 100k-row set.

    python benches/bench_lf_apply.py            # the table behind liger.lf's parallelism rule
    python benches/bench_lf_apply.py --repeat 5

Per-record LFs of three costs (a keyword test, a few regular expressions, a tokenising LF),
m = 10 of each; vectorised LFs of three kinds (NumPy arithmetic on a length column and over 32
numeric columns, which release the GIL, and pandas ``str.contains``, which mostly holds it). Every
configuration is timed with the cache off, contenders interleaved; median and min of ``--repeat``
runs. The applier's "auto" rule compares the serial time (extrapolated from each LF's first
rows) with ``liger.lf.appliers.PROCESS_MIN_SECONDS``, and for vectorised LFs the first one's
time times the number left with ``liger.lf.appliers.THREAD_MIN_SECONDS``.
"""

from __future__ import annotations

import argparse
import os
import re
import time

import numpy as np

import liger
from liger.lf.appliers import PROBE_ROWS, LFApplier
from liger.lf.definition import labeling_function

SPAM, HAM, ABSTAIN = 1, 0, -1
WORDS = ("check out", "subscribe", "my channel", "http", "free", "please", "visit", "win")
PATTERNS = [re.compile(p, re.I) for p in (r"check.{0,20}out", r"\bsub\w*", r"w{3}\.", r"\d{3,}")]
FEATURES = [f"f{i}" for i in range(32)]
STOP = frozenset("the a an and or to of in on is it this that i you my me".split())


def per_record_lfs(kind: str, m: int = 10) -> list:
    lfs = []
    for j in range(m):
        if kind == "keyword":

            def f(x, word=WORDS[j % 8]):
                return SPAM if word in x.lower() else ABSTAIN

        elif kind == "regex":

            def f(x, pattern=PATTERNS[j % 4], shift=j):
                return SPAM if pattern.search(x) and len(x) % 7 != shift % 7 else ABSTAIN

        else:  # tokenising: split, strip, set lookups (about the cost of a small NLP rule)

            def f(x, shift=j):
                tokens = [t.strip(".,!?") for t in x.lower().split()]
                content = [t for t in tokens if t and t not in STOP]
                if len(content) < 3 + shift % 3:
                    return HAM
                return SPAM if sum(t in WORDS for t in content) > shift % 2 else ABSTAIN

        lfs.append(labeling_function(name=f"{kind}_{j}")(f))
    return lfs


def vectorized_lfs(kind: str, m: int = 10) -> list:
    import pandas as pd

    lfs = []
    for j in range(m):
        if kind == "numpy":

            def f(frame, cut=20 + 10 * j):
                lengths = frame["length"].to_numpy()
                z = np.sqrt(lengths.astype(np.float64)) * np.log1p(lengths)
                return np.where(z > cut, SPAM, np.where(z < cut / 4, HAM, ABSTAIN))

        elif kind == "numpy heavy":  # elementwise work over 32 numeric columns

            def f(frame, shift=0.1 * j):
                features = frame[FEATURES].to_numpy()
                score = np.tanh(features + shift).sum(axis=1) + np.exp(-np.abs(features)).sum(1)
                return np.where(score > 14, SPAM, np.where(score < 10, HAM, ABSTAIN))

        else:

            def f(frame, word=WORDS[j % 8]):
                hit = frame["text"].str.contains(word, case=False, regex=False)
                return np.where(hit.to_numpy(), SPAM, ABSTAIN)

        lfs.append(labeling_function(name=f"{kind}_{j}", vectorized=True)(f))
    assert pd is not None
    return lfs


def synthetic_texts(n: int, seed: int = 0) -> list:
    """n texts: youtube comments resampled, each with two random words appended."""
    texts = liger.load_example("youtube").train.texts
    rng = np.random.default_rng(seed)
    vocabulary = np.array(sorted({w for t in texts for w in t.split()}))
    picks = rng.integers(0, len(texts), n)
    extra = vocabulary[rng.integers(0, len(vocabulary), (n, 2))]
    return [f"{texts[p]} {a} {b}" for p, (a, b) in zip(picks, extra)]


def timed(applier: LFApplier, lfs, records) -> tuple[float, np.ndarray]:
    started = time.perf_counter()
    L = applier.apply(lfs, records)
    return time.perf_counter() - started, L


def row(data_name, n, label, serial, parallel) -> None:
    s, p = np.median(serial), np.median(parallel)
    s_min, p_min = np.min(serial), np.min(parallel)
    print(
        f"{data_name:<15}{n:>8}  {label:<22}{s:>10.3f}{p:>12.3f}{s / p:>10.2f}"
        f"{s_min:>10.3f}{p_min:>10.3f}{s_min / p_min:>10.2f}"
    )


def serial_against(lfs, data, backend: str, repeat: int) -> tuple[list[float], list[float]]:
    """Times of the serial applier and of ``backend``'s, interleaved, on the same LFs and data;
    the two vote matrices must be identical."""
    serial = LFApplier(backend="serial", cache=False)
    parallel = LFApplier(backend=backend, cache=False)
    ts, tp = [], []
    for _ in range(repeat):
        t, L_serial = timed(serial, lfs, data)
        ts.append(t)
        t, L_parallel = timed(parallel, lfs, data)
        tp.append(t)
        assert np.array_equal(L_serial, L_parallel)
    return ts, tp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n", type=int, default=100_000, help="rows of the synthetic set")
    args = parser.parse_args()
    import pandas as pd

    datasets = {
        "youtube": liger.load_example("youtube").train.texts,
        f"synthetic {args.n // 1000}k": synthetic_texts(args.n),
    }
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"os.cpu_count() = {os.cpu_count()}; load average {load:.1f}; median and min of "
        f"{args.repeat}; cache off"
    )
    header = f"{'data':<15}{'n':>8}  {'LFs (m=10)':<22}"
    header += f"{'serial s':>10}{'parallel s':>12}{'speed-up':>10}"
    header += f"{'min ser.':>10}{'min par.':>10}{'min s-up':>10}"
    print(header)
    print("-" * len(header))
    for data_name, texts in datasets.items():
        frame = pd.DataFrame({"text": texts, "length": [len(t) for t in texts]})
        numeric = np.random.default_rng(0).standard_normal((len(texts), len(FEATURES)))
        frame = pd.concat([frame, pd.DataFrame(numeric, columns=FEATURES)], axis=1)
        for kind in ("keyword", "regex", "tokenising"):
            ts, tp = serial_against(per_record_lfs(kind), texts, "processes", args.repeat)
            row(data_name, len(texts), kind + " (processes)", ts, tp)
        for kind in ("numpy", "numpy heavy", "pandas str"):
            ts, tt = serial_against(vectorized_lfs(kind), frame, "threads", args.repeat)
            row(data_name, len(texts), kind + " (threads)", ts, tt)
    print(f"(processes: {PROBE_ROWS} probe rows per LF run in the parent first)")


if __name__ == "__main__":
    main()
