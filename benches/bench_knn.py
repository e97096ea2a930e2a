"""Benchmark: exact k-NN graphs (``liger.knn_graph``) against faiss, NumPy and the GEMM roof.

Not part of the test run. Prints one table (``--markdown``: docs/BENCHMARKS.md). Every contender
gets the same unit-norm float32 embeddings (uniform or clustered, see ``benchlib.py``), searches by
inner product (= cosine on unit rows) and uses all cores:

  liger-screened  ``liger.knn_graph(X, k, kernel="screened")``: one blocked sweep, top-k fused into
                  it, int8 screen (AVX-512 VNNI), every candidate that could enter the top k
                  re-scored exactly.
  liger-exact     the same with ``kernel="exact"`` (float32 GEMM screen); the reference.
  faiss           ``faiss.IndexFlatIP`` holding X, ``search(Q, k)`` (BLAS GEMM + heaps; index build
                  timed; optional: skipped when faiss-cpu is not installed).
  numpy           blocks of queries: ``Q_blk @ X.T`` into a reused buffer, ``argpartition``, sort.
  roof            the bare float32 GEMM ``Q @ X.T`` in blocks into a reused buffer (allocated
                  outside the timing): a lower bound for any float32 GEMM-based method.

With ``--queries 0`` (the default at n <= 50k) the queries are all n rows and a row is not its
own neighbour: liger and NumPy exclude it, faiss searches k + 1 and drops it. Larger n use a fixed
random subset of ``--queries`` rows as queries (marked ``*``); a query then finds itself first,
as in faiss, and the cost per query is that of the full graph.

Rounds, peak memory and ratios as in ``bench_extension.py``: ``x screened`` / ``x roof`` are
medians of per-round ratios to liger-screened / to the roof. ``match``: for the liger contenders
the share of (query, rank) entries whose index and score bits equal liger-exact's; for the others
the share whose score equals liger-exact's at that rank within 1e-5.

Examples::

    python benches/bench_knn.py --quick
    python benches/bench_knn.py --markdown --sizes 50000,200000 --ks 10,32
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from typing import Any, Callable

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (  # noqa: E402
    DISTS,
    MB,
    add_round_options,
    add_run_options,
    limit_threads,
    machine_info,
    make_embeddings,
    measure,
    print_table,
    roof_gemm,
    run_rounds,
    summary_rows,
)

CONTENDERS = ("liger-screened", "liger-exact", "faiss", "numpy", "roof")
MATCH_TOL = 1e-5
BLOCK_BYTES = 1 << 29  # numpy and roof: a (q_blk x n) float32 block of at most 512 MB


def make_data(dist: str, n: int, d: int, q_cap: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng([seed, n, d, DISTS.index(dist), 7])
    X = make_embeddings(dist, n, d, rng)
    if q_cap and q_cap < n:
        Q = X[np.sort(rng.choice(n, size=q_cap, replace=False))]
    else:
        Q = X
    return {"X": X, "Q": Q, "graph": Q is X}


def _block(n: int) -> int:
    return max(1, BLOCK_BYTES // (4 * n))


def _prep_liger(kernel: str) -> Callable[[dict[str, Any], int, int], Callable[[], Any]]:
    def prepare(data: dict[str, Any], k: int, threads: int) -> Callable[[], Any]:
        import liger

        X, Q = data["X"], None if data["graph"] else data["Q"]
        return lambda: liger.knn_graph(X, k, metric="ip", queries=Q, kernel=kernel, n_jobs=threads)

    return prepare


def prep_faiss(data: dict[str, Any], k: int, threads: int) -> Callable[[], Any]:
    import faiss

    X, Q, graph = data["X"], data["Q"], data["graph"]

    def run() -> tuple[np.ndarray, np.ndarray]:
        index = faiss.IndexFlatIP(X.shape[1])
        index.add(X)
        D, ind = index.search(Q, k + 1 if graph else k)
        if not graph:
            return D, ind
        # Drop each row itself (first, barring exact duplicates ranked before it).
        keep = ind != np.arange(len(Q))[:, None]
        keep[keep.sum(axis=1) > k, -1] = False  # the row was not among the k + 1: drop the last
        return D[keep].reshape(len(Q), k), ind[keep].reshape(len(Q), k)

    return run


def prep_numpy(data: dict[str, Any], k: int, threads: int) -> Callable[[], Any]:
    X, Q, graph = data["X"], data["Q"], data["graph"]
    q, n = Q.shape[0], X.shape[0]
    qb = _block(n)
    buf = np.empty((qb, n), dtype=np.float32)

    def run() -> tuple[np.ndarray, np.ndarray]:
        scores = np.empty((q, k), dtype=np.float32)
        indices = np.empty((q, k), dtype=np.int64)
        for a in range(0, q, qb):
            b = min(q, a + qb)
            G = buf[: b - a]
            np.matmul(Q[a:b], X.T, out=G)
            if graph:
                G[np.arange(b - a), np.arange(a, b)] = -np.inf
            part = np.argpartition(-G, k - 1, axis=1)[:, :k]
            vals = np.take_along_axis(G, part, 1)
            order = np.argsort(-vals, axis=1, kind="stable")
            indices[a:b] = np.take_along_axis(part, order, 1)
            scores[a:b] = np.take_along_axis(vals, order, 1)
        return scores, indices

    return run


def prep_roof(data: dict[str, Any], k: int, threads: int) -> Callable[[], Any]:
    return roof_gemm(data["Q"], data["X"], _block(data["X"].shape[0]))


PREPARE = {
    "liger-screened": _prep_liger("screened"),
    "liger-exact": _prep_liger("exact"),
    "faiss": prep_faiss,
    "numpy": prep_numpy,
    "roof": prep_roof,
}


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    name = spec["contender"]
    if name.startswith("liger"):
        import liger  # noqa: F401
    elif name == "faiss":
        import faiss

        faiss.omp_set_num_threads(spec["threads"])
    data = make_data(spec["dist"], spec["n"], spec["d"], spec["q_cap"], spec["seed"])
    with limit_threads(spec["threads"]):
        prepare = lambda: PREPARE[name](data, spec["k"], spec["threads"])  # noqa: E731
        res = measure(prepare, spec["repeats"], spec["cpu_time"])
    result = res.pop("result")
    if result is not None:
        np.save(spec["out"] + ".scores.npy", np.asarray(result[0], dtype=np.float32))
        np.save(spec["out"] + ".indices.npy", np.asarray(result[1], dtype=np.int64))
        res["out"] = spec["out"]
    return res


def _match(res: dict[str, Any], ref: dict[str, Any] | None, name: str) -> str:
    if not ref or "out" not in res or "out" not in ref:
        return "-"
    scores, ref_scores = (np.load(r["out"] + ".scores.npy") for r in (res, ref))
    if name.startswith("liger"):
        indices, ref_indices = (np.load(r["out"] + ".indices.npy") for r in (res, ref))
        same = (indices == ref_indices) & (scores.view(np.int32) == ref_scores.view(np.int32))
        return f"{same.mean():.4%} bits"
    return f"{np.isclose(scores, ref_scores, rtol=0, atol=MATCH_TOL).mean():.4%}"


def _skip_reason(name: str) -> str | None:
    if name == "faiss":
        try:
            import faiss  # noqa: F401
        except ImportError:
            return "faiss-cpu not installed (pip install '.[bench]')"
    return None


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="50000,200000", help="comma list of n")
    p.add_argument("--dims", default="384", help="comma list of d")
    p.add_argument("--ks", default="10,32", help="comma list of k")
    p.add_argument("--dists", default=",".join(DISTS), help="uniform,clustered")
    p.add_argument(
        "--queries",
        type=int,
        default=-1,
        help="queries: all n rows when 0, a fixed random subset of this many rows otherwise "
        "(default: all rows up to n = 50000, else 10000)",
    )
    add_round_options(p, CONTENDERS, repeats=1)
    add_run_options(p)
    args = p.parse_args(argv)

    if args._worker:
        print(json.dumps(worker(json.loads(args._worker))))
        return

    import liger

    threads = args.threads or liger._core.resolve_threads(None)
    if args.quick:
        args.sizes, args.dims, args.ks = "4000,12000", "384", "10"
    sizes = [int(s) for s in args.sizes.split(",") if s]
    dims = [int(s) for s in args.dims.split(",") if s]
    ks = [int(s) for s in args.ks.split(",") if s]
    dists = [s.strip() for s in args.dists.split(",") if s.strip()]
    names = [s.strip() for s in args.contenders.split(",") if s.strip()]
    for name in names:
        if name not in CONTENDERS:
            p.error(f"unknown contender {name!r}; choose from {', '.join(CONTENDERS)}")
    for dist in dists:
        if dist not in DISTS:
            p.error(f"unknown dist {dist!r}; choose from {', '.join(DISTS)}")
    if args.repeats < 1 or args.rounds < 1:
        p.error("--repeats and --rounds must be >= 1")
    names = sorted(names, key=CONTENDERS.index)

    info = machine_info(threads)
    for line in info:
        print(line, file=sys.stderr)
    header = [
        "data", "n", "d", "k", "q", "contender", "median s",
        "x screened", "x roof", "extra MB", "io MB", "match",
    ]  # fmt: skip
    rows: list[list[str]] = []
    peak_methods = set()
    with tempfile.TemporaryDirectory(prefix="bench_knn_") as tmp:
        for dist in dists:
            for n in sizes:
                q_cap = args.queries if args.queries >= 0 else (0 if n <= 50_000 else 10_000)
                for d in dims:
                    q = n if not q_cap or q_cap >= n else q_cap
                    for k in ks:
                        io_mb = (n * d * 4 + (q * d * 4 if q < n else 0) + q * k * 12) / MB
                        spec = {
                            "dist": dist, "n": n, "d": d, "k": k,
                            "q_cap": q_cap, "seed": args.seed, "threads": threads,
                            "repeats": args.repeats, "cpu_time": args.cpu_time,
                        }  # fmt: skip
                        skipped = {name: _skip_reason(name) for name in names}
                        summary = run_rounds(
                            __file__, names, spec, tmp, args.rounds, args.timeout,
                            f"{dist} n={n} d={d} k={k} q={q}", skipped, _match, peak_methods,
                        )  # fmt: skip
                        prefix = [dist, str(n), str(d), str(k), f"{q}*" if q < n else str(q)]
                        rows += summary_rows(summary, names, prefix, io_mb)

    clock = "CPU time of the process" if args.cpu_time else "wall-clock time"
    notes = [
        f"{args.rounds} round(s) x (1 warm-up + {args.repeats} timed runs) per contender, "
        f"rounds interleaved; medians over rounds of the {clock}. All contenders use "
        f"{threads} thread(s); "
        "same unit-norm float32 data, inner product.",
        "q = all n rows (a row is not its own neighbour); q* = a fixed random subset of the rows "
        "(each finds itself first).",
        "x screened / x roof = time relative to liger-screened / to the bare float32 GEMM "
        "Q @ X.T (medians of per-round ratios).",
        f"extra MB = peak RSS during the runs minus RSS after data creation "
        f"({'/'.join(sorted(peak_methods)) or 'n/a'}); io MB = X (+ Q if a subset) + outputs.",
        "match = identical (index, score bits) to liger-exact for the liger contenders; score "
        f"at each rank within {MATCH_TOL:g} of liger-exact's for the others.",
    ]
    print_table(info, header, rows, notes, args.markdown)


if __name__ == "__main__":
    main()
