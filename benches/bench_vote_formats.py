"""What the vote format costs: the same votes as dense int64, dense int8 and CSR (int8 data).

For each format, in a fresh process (so each peak is its own): the bytes of the vote matrix, then
the time and the peak resident memory above the data (Linux VmHWM) of

- ``LabelModel().fit(L)`` (statistics computed from the format as given),
- ``MajorityVoter().fit(L).predict_proba(L)``,
- ``nearest_support(Q, X, L)`` for ``--queries`` query rows against all n base rows (the searches
  read the format as given: no widening copy, no densifying),

and whether the outputs are bit-identical to the int64 ones (a hash per stage).

Data: n points, m keyword-like LFs each voting on ``--coverage`` of the rows (binary votes of
accuracy 0.7-0.9 against a hidden label), float32 embeddings of dimension d.

Usage::

    python benches/bench_vote_formats.py                      # n = 1M, m = 100, 2 % coverage
    python benches/bench_vote_formats.py --n 200000 --m 50
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

FORMATS = ("dense int64", "dense int8", "csr int8")


def make_votes(n: int, m: int, coverage: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, m) int8 votes (-1 = abstain) and the COO positions of the votes, column by column."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n, dtype=np.int8)
    L = np.full((n, m), -1, dtype=np.int8)
    for j in range(m):
        rows = np.flatnonzero(rng.random(n) < coverage)
        right = rng.random(rows.size) < rng.uniform(0.7, 0.9)
        L[rows, j] = np.where(right, y[rows], 1 - y[rows])
    return L, y


def as_format(L: np.ndarray, fmt: str):
    import scipy.sparse as sp

    if fmt == "dense int64":
        return L.astype(np.int64)
    if fmt == "dense int8":
        return L
    rows, cols = np.nonzero(L != -1)
    return sp.csr_array((L[rows, cols], (rows, cols)), shape=L.shape)


def nbytes(L) -> int:
    if isinstance(L, np.ndarray):
        return L.nbytes
    return L.data.nbytes + L.indices.nbytes + L.indptr.nbytes


def digest(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:12]


def worker(spec: dict) -> dict:
    import liger

    L8, _ = make_votes(spec["n"], spec["m"], spec["coverage"], spec["seed"])
    rng = np.random.default_rng(spec["seed"] + 1)
    X = rng.standard_normal((spec["n"], spec["d"]), dtype=np.float32)
    Q = X[rng.choice(spec["n"], spec["queries"], replace=False)]
    L = as_format(L8, spec["format"])
    del L8
    stages = {
        "LabelModel.fit": lambda: liger.LabelModel().fit(L).accuracies_,
        "MajorityVoter fit + predict_proba": lambda: liger.MajorityVoter().fit(L).predict_proba(L),
        "nearest_support": lambda: liger.nearest_support(Q, X, L),
    }
    out = {"votes_mb": nbytes(L) / benchlib.MB}
    for name, run in stages.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            before = benchlib._rss_kb()
            benchlib._reset_peak()
            t0 = time.perf_counter()
            result = run()
            seconds = time.perf_counter() - t0
            peak = benchlib._hwm_kb()
        arrays = result if isinstance(result, tuple) else (result,)
        out[name] = {
            "seconds": seconds,
            "extra_mb": (peak - before) / 1024 if peak else None,
            "digest": digest(*arrays),
        }
        del result, arrays
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--m", type=int, default=100)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--coverage", type=float, default=0.02)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--_worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._worker:
        print(json.dumps(worker(json.loads(args._worker))))
        return

    info = benchlib.machine_info(os.cpu_count() or 1)
    info.insert(
        0,
        f"bench_vote_formats: n = {args.n:,}, m = {args.m} LFs voting on {args.coverage:.0%} of "
        f"the rows each, d = {args.d}, {args.queries:,} queries for nearest_support, seed "
        f"{args.seed}",
    )
    spec = {k: getattr(args, k) for k in ("n", "m", "d", "coverage", "queries", "seed")}
    results = {}
    for fmt in FORMATS:
        print(f"running {fmt} ...", file=sys.stderr, flush=True)
        results[fmt] = benchlib.run_worker(__file__, {**spec, "format": fmt}, None)
    header = ["stage", "contender", "votes MB", "seconds", "extra MB", "same as int64"]
    rows = []
    stages = [k for k in results[FORMATS[0]] if k != "votes_mb"]
    for stage in stages:
        reference = results[FORMATS[0]].get(stage, {}).get("digest")
        for fmt in FORMATS:
            r = results[fmt]
            if "error" in r:
                rows.append([stage, fmt, r["error"], "", "", ""])
                continue
            s = r[stage]
            rows.append(
                [
                    stage,
                    fmt,
                    f"{r['votes_mb']:.0f}",
                    benchlib.fmt_s(s["seconds"]),
                    "-" if s["extra_mb"] is None else f"{s['extra_mb']:.0f}",
                    "yes" if s["digest"] == reference else "NO",
                ]
            )
    notes = [
        "extra MB = peak RSS (VmHWM) during the stage minus the RSS before it (votes, embeddings "
        "and queries already in memory); each format runs in its own process; one run each, "
        "wall clock",
        "same as int64 = the stage's outputs hash to the same bytes as with dense int64 votes",
    ]
    benchlib.print_table(info, header, rows, notes, args.markdown)


if __name__ == "__main__":
    main()
