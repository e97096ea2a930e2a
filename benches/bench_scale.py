"""Scale on one machine: ``nearest_support`` and ``Liger.fit`` at n = 1,000,000, d = 384.

Reports, per stage, the wall time, the process's CPU time and the peak resident memory (Linux
VmHWM) next to the size of the data the stage was given, so that "no n x n (or q x n) matrix"
is a measured claim: a 1M x 1M float32 similarity matrix would be 4 TB; the peak above the data
is what liger itself allocated.

Data (synthetic, generated in chunks from a seed, no large temporaries):
- X: unit-norm float32 rows from a mixture of 20 Gaussian clusters (``benchlib.make_embeddings``,
  the hard case for screening: many near candidates).
- y: each cluster has a class; a point takes its cluster's class, flipped with probability 0.1.
- L: int8 votes (-1 = abstain) of ``m`` keyword-like LFs: LF j fires only inside 3 clusters of
  its own, on a fraction of their points (its coverage), and votes y with its accuracy
  (0.65-0.9), another class otherwise. Extension has something to find: the LF's silent
  neighbours in the same clusters.
- A labelled dev split of ``--dev`` points from the same process (the only data tuning sees).

Each stage runs in a fresh process (``--_worker``) so its peak memory is its own:
- ``nearest_support``: every train point (or ``--queries`` sampled rows) against every LF's
  support among the n train rows, the search Liger's extension runs;
- ``liger_fit``: ``Liger().fit(L, X, L_dev, X_dev, y_dev)`` with the defaults (search, per-LF
  threshold tuning on dev, label model), then ``predict_proba`` on the dev split.

Usage::

    python benches/bench_scale.py                       # n = 1M, d = 384, m = 10, both stages
    python benches/bench_scale.py --n 100000 --markdown  # smaller, as a Markdown table
    python benches/bench_scale.py --queries 100000      # nearest_support from 100k sampled rows
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

N_CLUSTERS = benchlib.N_CLUSTERS
FLIP = 0.1


def make_data(n: int, n_dev: int, d: int, m: int, k: int, seed: int):
    """X (n + n_dev, d) float32, y (n + n_dev,) int64, L (n + n_dev, m) int8; see the module
    docstring. The clusters are drawn again here with the same seed as ``make_embeddings``'s."""
    rng = np.random.default_rng(seed)
    total = n + n_dev
    X = benchlib.make_embeddings("clustered", total, d, rng)
    # The cluster of each row, recovered as its most similar centre, block by block (the
    # generator does not return it and regenerating it would double the memory peak).
    centres = _cluster_centres(X, rng)
    cluster = np.empty(total, dtype=np.int64)
    for a in range(0, total, 65536):
        cluster[a : a + 65536] = np.argmax(X[a : a + 65536] @ centres.T, axis=1)
    cluster_class = rng.integers(0, k, N_CLUSTERS)
    y = cluster_class[cluster]
    flip = rng.random(total) < FLIP
    y[flip] = (y[flip] + rng.integers(1, k, int(flip.sum()))) % k

    L = np.full((total, m), -1, dtype=np.int8)
    for j in range(m):
        home = rng.choice(N_CLUSTERS, size=3, replace=False)
        coverage = rng.uniform(0.05, 0.3)
        accuracy = rng.uniform(0.65, 0.9)
        rows = np.flatnonzero(np.isin(cluster, home) & (rng.random(total) < coverage))
        right = rng.random(rows.size) < accuracy
        wrong = (y[rows] + rng.integers(1, k, rows.size)) % k
        L[rows, j] = np.where(right, y[rows], wrong).astype(np.int8)
    return X, y, L


def _cluster_centres(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Centres of the 20 clusters, estimated by a few Lloyd steps on a 20k sample (cheap; the
    classes only need to be a function of the region, not of the generator's exact centres)."""
    sample = X[rng.choice(len(X), size=min(len(X), 20000), replace=False)]
    centres = sample[rng.choice(len(sample), size=N_CLUSTERS, replace=False)].copy()
    for _ in range(10):
        assign = np.argmax(sample @ centres.T, axis=1)
        for c in range(N_CLUSTERS):
            members = sample[assign == c]
            if len(members):
                centres[c] = members.mean(axis=0)
        centres /= np.linalg.norm(centres, axis=1, keepdims=True) + 1e-12
    return centres


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            return int(re.search(rf"{field}:\s+(\d+)", f.read()).group(1))
    except (OSError, AttributeError):
        return None


def worker(spec: dict) -> dict:
    import liger

    t0 = time.perf_counter()
    X, y, L = make_data(spec["n"], spec["dev"], spec["d"], spec["m"], spec["k"], spec["seed"])
    n = spec["n"]
    X_train, L_train = X[:n], L[:n]  # views: no copies
    X_dev, L_dev, y_dev = X[n:], L[n:], y[n:]
    gen_s = time.perf_counter() - t0
    data_mb = (X.nbytes + L.nbytes + y.nbytes) / benchlib.MB
    union = float(np.mean((L_train != -1).any(axis=1)))
    coverage = float(np.mean(L_train != -1))

    queries = X_train
    q = spec["queries"] or n
    if spec["stage"] == "nearest_support" and q < n:  # sampled query rows, copied before the clock
        rows = np.sort(np.random.default_rng(spec["seed"] + 1).choice(n, q, replace=False))
        queries = X_train[rows]

    rss_before_kb = _status_kb("VmRSS")
    benchlib._reset_peak()  # VmHWM := current RSS, so the peak below is this stage's
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if spec["stage"] == "nearest_support":
        scores, indices = liger.nearest_support(queries, X_train, L_train)
        detail = f"q = {q:,} queries x {int((L_train != -1).any(axis=1).sum()):,} union rows"
        out_mb = (scores.nbytes + indices.nbytes) / benchlib.MB
        accuracy = None
    else:
        model = liger.Liger(random_state=0).fit(L_train, X_train, L_dev, X_dev, y_dev)
        proba = model.predict_proba(L_dev, X_dev)
        detail = f"dev = {len(y_dev):,}, thresholds tuned per LF on dev"
        out_mb = proba.nbytes / benchlib.MB
        accuracy = float(np.mean(np.argmax(proba, axis=1) == y_dev))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    peak_kb = _status_kb("VmHWM")
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mb": peak_kb / 1024 if peak_kb else None,
        "rss_before_mb": rss_before_kb / 1024 if rss_before_kb else None,
        "extra_mb": (peak_kb - rss_before_kb) / 1024 if peak_kb and rss_before_kb else None,
        "data_mb": data_mb,
        "out_mb": out_mb,
        "gen_s": gen_s,
        "union": union,
        "coverage": coverage,
        "detail": detail,
        "dev_accuracy": accuracy,
        "engine": liger._core.screen_engine("auto", spec["d"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="train rows")
    parser.add_argument("--d", type=int, default=384)
    parser.add_argument("--m", type=int, default=10, help="LFs")
    parser.add_argument("--k", type=int, default=2, help="classes")
    parser.add_argument("--dev", type=int, default=2000, help="labelled dev rows")
    parser.add_argument(
        "--queries", type=int, default=0, help="nearest_support query rows (0 = all n)"
    )
    parser.add_argument(
        "--stages", default="nearest_support,liger_fit", help="comma-separated stages"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=None, help="seconds per stage")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--_worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._worker:
        print(json.dumps(worker(json.loads(args._worker))))
        return

    info = benchlib.machine_info(os.cpu_count() or 1)
    info.insert(
        0,
        f"bench_scale: n = {args.n:,} train + {args.dev:,} dev rows, d = {args.d}, m = {args.m} "
        f"int8 LFs, K = {args.k}, clustered float32 embeddings, seed {args.seed}",
    )
    header = ["stage", "contender", "wall s", "cpu s", "peak RSS MB", "above start MB"]
    header += ["data MB", "output MB", "what"]
    rows, notes = [], []
    for stage in args.stages.split(","):
        spec = {
            "stage": stage,
            "n": args.n,
            "d": args.d,
            "m": args.m,
            "k": args.k,
            "dev": args.dev,
            "queries": args.queries,
            "seed": args.seed,
        }
        print(f"running {stage} ...", file=sys.stderr, flush=True)
        r = benchlib.run_worker(__file__, spec, args.timeout)
        if "error" in r:
            rows.append([stage, "liger", r["error"], "", "", "", "", "", ""])
            continue
        print(json.dumps({stage: r}), file=sys.stderr, flush=True)
        what = r["detail"]
        if r["dev_accuracy"] is not None:
            what += f", dev accuracy {r['dev_accuracy']:.3f}"
        rows.append(
            [
                stage,
                f"liger ({r['engine']})",
                benchlib.fmt_s(r["wall_s"]),
                benchlib.fmt_s(r["cpu_s"]),
                f"{r['peak_rss_mb']:.0f}",
                f"{r['extra_mb']:.0f}",
                f"{r['data_mb']:.0f}",
                f"{r['out_mb']:.0f}",
                what,
            ]
        )
        notes_line = (
            f"{stage}: LF coverage {r['coverage']:.1%} of votes, union of supports "
            f"{r['union']:.1%} of rows; data generated in {r['gen_s']:.0f} s"
        )
        notes.append(notes_line)
    q = args.queries or args.n
    notes.append(
        f"an n x n float32 similarity matrix would be {args.n * args.n * 4 / benchlib.GB:,.0f} GB "
        f"(q x n: {q * args.n * 4 / benchlib.GB:,.0f} GB); 'above start' is the peak RSS "
        "(VmHWM) minus the RSS when the stage started (the data already in memory)"
    )
    benchlib.print_table(info, header, rows, notes, args.markdown)


if __name__ == "__main__":
    main()
