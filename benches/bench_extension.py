"""Benchmark: per-LF nearest support point (``liger.nearest_support``) against the usual ways.

Not part of the test run. Prints one table; ``--markdown`` prints it as a Markdown table for
docs/BENCHMARKS.md. Every contender gets the same data (synthetic unit-norm float32 embeddings,
uniform on the sphere or a mixture of 20 Gaussians, see ``benchlib.py``; m LFs, each voting on a
random share of the rows drawn from ``--coverage``) and uses all cores:

  liger-screened  ``liger.nearest_support(Q, X, L, kernel="screened")``: all LFs in one sweep, int8
                  screen (AVX-512 VNNI), every possible winner re-scored exactly.
  liger-exact     the same with ``kernel="exact"`` (float32 GEMM screen); the reference the other
                  contenders are checked against.
  numpy           per LF j: gather S_j = X[support_j], then blocks of queries, ``Q_blk @ S_j.T``
                  (into a reused buffer), argmax. The gather is timed: it is part of the work.
  published       ``sklearn.metrics.pairwise.cosine_similarity(Q, X)`` (a dense q x n matrix), then
                  per LF max/argmax over that LF's columns. Only run where the q x n matrix fits
                  (``--max-dense-gb``).
  sklearn         per LF: ``NearestNeighbors(n_neighbors=1, algorithm="brute", metric="cosine")``
                  fitted on S_j, then ``kneighbors(Q)`` (fit timed).
  faiss           per LF: ``faiss.IndexFlatIP`` holding S_j, ``search(Q, 1)`` (index build timed;
                  optional: skipped when faiss-cpu is not installed).
  roof            one bare NumPy float32 GEMM ``Q @ U.T`` over the union U of the supports: U is
                  gathered and the output buffer allocated outside the timing (queries in blocks
                  only when the output would exceed ``--roof-gb``). Not a solution: a lower bound
                  for any float32 GEMM-based method.

The queries are the base rows themselves (extending the train split from itself), or a fixed
random subset of ``--queries`` of them when n is larger (marked ``*`` in the table).

Each (data set, contender) runs in a fresh subprocess that regenerates the data from the seed, so
peak memory can be read per contender: ``extra MB`` is the peak resident set during the
contender's runs minus the resident set right after data creation. ``io MB`` is the inputs (Q when
it is a separate subset, X, the int64 votes L) plus liger's outputs (q x m float32 scores + int64
indices). Each contender does ``--repeats`` timed runs after one warm-up (median kept) per round;
``--rounds`` rounds run all contenders in turn, and the table shows medians over rounds of the
times and of each round's ratios (``x screened`` = time / liger-screened's, ``x roof`` = time /
the roof's), which cancels most of the noise of a shared machine. ``match``: for the liger
contenders, the share of (query, LF) cells whose index and score bits equal liger-exact's (the
search contract says 100 %); for the others, the share whose best score equals liger-exact's
within 1e-5 (a near-tie may legitimately pick another row).

Examples::

    python benches/bench_extension.py --quick
    python benches/bench_extension.py --markdown --sizes 50000 --dims 384,768
    python benches/bench_extension.py --sizes 50000 --dims 384 --lfs 10,50 --coverage 1,1
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
    GB,
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

CONTENDERS = (
    "liger-screened", "liger-exact", "numpy", "published", "sklearn", "faiss", "roof",
)  # fmt: skip
MATCH_TOL = 1e-5
BLOCK_ELEMS = 1 << 25  # numpy baseline: a (q_blk x |S_j|) float32 block of at most 128 MB


# --------------------------------------------------------------------------------------------
# data


def make_data(
    dist: str, n: int, d: int, q_cap: int, seed: int, lfs: int, coverage: tuple[float, float]
) -> dict[str, Any]:
    """Unit-norm float32 base X (n, d), int64 votes L (n, lfs) with per-LF coverage drawn from
    ``coverage``, queries Q (X itself or a subset)."""
    rng = np.random.default_rng([seed, n, d, DISTS.index(dist)])
    X = make_embeddings(dist, n, d, rng)
    L = np.full((n, lfs), -1, dtype=np.int64)
    share = rng.uniform(coverage[0], coverage[1], lfs)
    for j in range(lfs):
        support = rng.random(n) < share[j]
        main_class = rng.integers(0, 2)
        votes = np.where(rng.random(n) < 0.8, main_class, 1 - main_class)
        L[support, j] = votes[support]
    if q_cap and q_cap < n:
        q_idx = np.sort(rng.choice(n, size=q_cap, replace=False))
        Q = X[q_idx]
    else:
        Q = X  # the train split extended from itself: the same array, no copy
    return {"X": X, "L": L, "Q": Q, "subset": Q is not X}


# --------------------------------------------------------------------------------------------
# contenders: each prepare(data, threads) returns a zero-argument callable returning
# (scores (q, m) float32, indices (q, m) int64), or None for the roof. prepare() is not timed.


def _empty_result(q: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full((q, m), -np.inf, dtype=np.float32), np.full((q, m), -1, dtype=np.int64)


def _prep_liger(kernel: str) -> Callable[[dict[str, Any], int], Callable[[], Any]]:
    def prepare(data: dict[str, Any], threads: int) -> Callable[[], Any]:
        import liger

        Q, X, L = data["Q"], data["X"], data["L"]
        return lambda: liger.nearest_support(
            Q, X, L, metric="cosine", n_jobs=threads, kernel=kernel
        )

    return prepare


def _supports(L: np.ndarray):
    """(LF, indices of the train points where it voted) for every LF that voted at least once."""
    for j in range(L.shape[1]):
        support = np.flatnonzero(L[:, j] != -1)
        if support.size:
            yield j, support


def prep_numpy(data: dict[str, Any], threads: int) -> Callable[[], Any]:
    Q, X, L = data["Q"], data["X"], data["L"]
    q, m = Q.shape[0], L.shape[1]
    buf = np.empty(BLOCK_ELEMS, dtype=np.float32)

    def run() -> tuple[np.ndarray, np.ndarray]:
        scores, indices = _empty_result(q, m)
        for j, support in _supports(L):
            s = support.size
            S = X[support]
            qb = max(1, min(q, BLOCK_ELEMS // s))
            for a in range(0, q, qb):
                b = min(q, a + qb)
                G = buf[: (b - a) * s].reshape(b - a, s)
                np.matmul(Q[a:b], S.T, out=G)
                best = G.argmax(axis=1)
                scores[a:b, j] = G[np.arange(b - a), best]
                indices[a:b, j] = support[best]
        return scores, indices

    return run


def prep_published(data: dict[str, Any], threads: int) -> Callable[[], Any]:
    from sklearn.metrics.pairwise import cosine_similarity

    Q, X, L = data["Q"], data["X"], data["L"]
    q, m = Q.shape[0], L.shape[1]

    def run() -> tuple[np.ndarray, np.ndarray]:
        K = cosine_similarity(Q, X)
        scores, indices = _empty_result(q, m)
        for j, support in _supports(L):
            sub = K[:, support]
            best = sub.argmax(axis=1)
            scores[:, j] = sub[np.arange(q), best]
            indices[:, j] = support[best]
            del sub
        return scores, indices

    return run


def prep_sklearn(data: dict[str, Any], threads: int) -> Callable[[], Any]:
    from sklearn.neighbors import NearestNeighbors

    Q, X, L = data["Q"], data["X"], data["L"]
    q, m = Q.shape[0], L.shape[1]

    def run() -> tuple[np.ndarray, np.ndarray]:
        scores, indices = _empty_result(q, m)
        for j, support in _supports(L):
            nn = NearestNeighbors(n_neighbors=1, algorithm="brute", metric="cosine")
            nn.fit(X[support])
            dist, ind = nn.kneighbors(Q)
            scores[:, j] = 1.0 - dist[:, 0]
            indices[:, j] = support[ind[:, 0]]
        return scores, indices

    return run


def prep_faiss(data: dict[str, Any], threads: int) -> Callable[[], Any]:
    import faiss

    faiss.omp_set_num_threads(threads)
    Q, X, L = data["Q"], data["X"], data["L"]
    q, d, m = Q.shape[0], Q.shape[1], L.shape[1]

    def run() -> tuple[np.ndarray, np.ndarray]:
        scores, indices = _empty_result(q, m)
        for j, support in _supports(L):
            index = faiss.IndexFlatIP(d)
            index.add(X[support])
            D, ind = index.search(Q, 1)
            scores[:, j] = D[:, 0]
            indices[:, j] = support[ind[:, 0]]
            del index
        return scores, indices

    return run


def prep_roof(data: dict[str, Any], threads: int, roof_gb: float = 4.0) -> Callable[[], Any]:
    Q, X, L = data["Q"], data["X"], data["L"]
    U = X[np.flatnonzero((L != -1).any(axis=1))]  # gathered outside the timing
    return roof_gemm(Q, U, int(roof_gb * GB) // (4 * max(U.shape[0], 1)))


PREPARE = {
    "liger-screened": _prep_liger("screened"),
    "liger-exact": _prep_liger("exact"),
    "numpy": prep_numpy,
    "published": prep_published,
    "sklearn": prep_sklearn,
    "faiss": prep_faiss,
    "roof": prep_roof,
}


# --------------------------------------------------------------------------------------------
# worker: one (data set, contender) in a fresh process


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    name = spec["contender"]
    threads = spec["threads"]
    # import the contender's libraries before measuring the baseline
    if name.startswith("liger"):
        import liger  # noqa: F401
    elif name in ("published", "sklearn"):
        import sklearn.metrics.pairwise  # noqa: F401
        import sklearn.neighbors  # noqa: F401
    elif name == "faiss":
        import faiss  # noqa: F401
    data = make_data(
        spec["dist"], spec["n"], spec["d"], spec["q_cap"], spec["seed"], spec["lfs"],
        tuple(spec["coverage"]),
    )  # fmt: skip
    with limit_threads(threads):
        if name == "roof":
            prepare = lambda: prep_roof(data, threads, spec["roof_gb"])  # noqa: E731
        else:
            prepare = lambda: PREPARE[name](data, threads)  # noqa: E731
        res = measure(prepare, spec["repeats"], spec["cpu_time"])
    result = res.pop("result")
    if result is not None:
        np.save(spec["out"] + ".scores.npy", np.asarray(result[0], dtype=np.float32))
        np.save(spec["out"] + ".indices.npy", np.asarray(result[1], dtype=np.int64))
        res["out"] = spec["out"]
    return res


# --------------------------------------------------------------------------------------------
# driver


def _skip_reason(name: str, q: int, n: int, max_dense_gb: float) -> str | None:
    if name == "published" and 4 * q * n > max_dense_gb * GB:
        return f"q x n matrix {4 * q * n / GB:.1f} GB > {max_dense_gb:g} GB"
    if name == "faiss":
        try:
            import faiss  # noqa: F401
        except ImportError:
            return "faiss-cpu not installed (pip install '.[bench]')"
    if name in ("published", "sklearn"):
        try:
            import sklearn  # noqa: F401
        except ImportError:
            return "scikit-learn not installed (pip install '.[bench]')"
    return None


def _match(res: dict[str, Any], ref: dict[str, Any] | None, name: str) -> str:
    """Agreement with liger-exact: identical bits for liger contenders, scores within 1e-5 for
    the others (see the module documentation)."""
    if not ref or "out" not in res or "out" not in ref:
        return "-"
    scores, ref_scores = (np.load(r["out"] + ".scores.npy") for r in (res, ref))
    if name.startswith("liger"):
        indices, ref_indices = (np.load(r["out"] + ".indices.npy") for r in (res, ref))
        same = (indices == ref_indices) & (scores.view(np.int32) == ref_scores.view(np.int32))
        return f"{same.mean():.4%} bits"
    same = np.isclose(scores, ref_scores, rtol=0, atol=MATCH_TOL) | (
        np.isneginf(scores) & np.isneginf(ref_scores)
    )
    return f"{same.mean():.4%}"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10000,50000,200000", help="comma list of n")
    p.add_argument("--dims", default="384,768", help="comma list of d")
    p.add_argument("--dists", default=",".join(DISTS), help="uniform,clustered")
    p.add_argument("--lfs", default="10", help="comma list of the number of LFs m")
    p.add_argument(
        "--coverage",
        default="0.05,0.30",
        help="low,high: each LF votes on a share of the rows drawn uniformly in [low, high] "
        "('1,1': every LF votes everywhere)",
    )
    p.add_argument(
        "--queries",
        type=int,
        default=10_000,
        help="queries per data set: a fixed random subset of the n base rows when n is larger "
        "(0 = all n rows)",
    )
    add_round_options(p, CONTENDERS, repeats=3)
    p.add_argument("--max-dense-gb", type=float, default=6.0, help="limit for 'published'")
    p.add_argument("--roof-gb", type=float, default=4.0, help="roof GEMM output block limit")
    add_run_options(p)
    args = p.parse_args(argv)

    if args._worker:
        print(json.dumps(worker(json.loads(args._worker))))
        return

    import liger

    threads = args.threads or liger._core.resolve_threads(None)
    if args.quick:
        args.sizes, args.dims, args.queries = "2000,8000", "384", 4000
    sizes = [int(s) for s in args.sizes.split(",") if s]
    dims = [int(s) for s in args.dims.split(",") if s]
    lf_counts = [int(s) for s in args.lfs.split(",") if s]
    coverage = tuple(float(c) for c in args.coverage.split(","))
    dists = [s.strip() for s in args.dists.split(",") if s.strip()]
    names = [s.strip() for s in args.contenders.split(",") if s.strip()]
    for name in names:
        if name not in CONTENDERS:
            p.error(f"unknown contender {name!r}; choose from {', '.join(CONTENDERS)}")
    for dist in dists:
        if dist not in DISTS:
            p.error(f"unknown dist {dist!r}; choose from {', '.join(DISTS)}")
    if len(coverage) != 2 or not 0 < coverage[0] <= coverage[1] <= 1:
        p.error("--coverage must be low,high with 0 < low <= high <= 1")
    if args.repeats < 1 or args.rounds < 1:
        p.error("--repeats and --rounds must be >= 1")
    names = sorted(names, key=CONTENDERS.index)

    info = machine_info(threads)
    for line in info:
        print(line, file=sys.stderr)
    header = [
        "data", "n", "d", "m", "q", "union", "contender", "median s",
        "x screened", "x roof", "extra MB", "io MB", "match",
    ]  # fmt: skip
    rows: list[list[str]] = []
    peak_methods = set()
    with tempfile.TemporaryDirectory(prefix="bench_extension_") as tmp:
        for dist in dists:
            for n in sizes:
                for d in dims:
                    for m in lf_counts:
                        data = make_data(dist, n, d, args.queries, args.seed, m, coverage)
                        q, subset = data["Q"].shape[0], data["subset"]
                        union = float((data["L"] != -1).any(axis=1).mean())
                        io_mb = (
                            (data["Q"].nbytes if subset else 0)
                            + data["X"].nbytes
                            + data["L"].nbytes
                            + q * m * (4 + 8)
                        ) / MB
                        del data
                        spec = {
                            "dist": dist, "n": n, "d": d,
                            "q_cap": args.queries, "seed": args.seed, "lfs": m,
                            "coverage": coverage, "threads": threads,
                            "repeats": args.repeats, "cpu_time": args.cpu_time,
                            "roof_gb": args.roof_gb,
                        }  # fmt: skip
                        skipped = {
                            name: _skip_reason(name, q, n, args.max_dense_gb) for name in names
                        }
                        summary = run_rounds(
                            __file__, names, spec, tmp, args.rounds, args.timeout,
                            f"{dist} n={n} d={d} m={m} q={q}", skipped, _match, peak_methods,
                        )  # fmt: skip
                        q_cell = f"{q}*" if subset else str(q)
                        prefix = [dist, str(n), str(d), str(m), q_cell, f"{union:.0%}"]
                        rows += summary_rows(summary, names, prefix, io_mb)

    clock = "CPU time of the process" if args.cpu_time else "wall-clock time"
    notes = [
        f"{args.rounds} round(s) x (1 warm-up + {args.repeats} timed runs) per contender, "
        f"rounds interleaved; medians over rounds of the {clock}. All contenders use "
        f"{threads} thread(s); "
        f"same unit-norm float32 data (each LF votes on {coverage[0]:.0%}-{coverage[1]:.0%} "
        "of the rows; union = rows covered by any LF).",
        (
            f"q* = a fixed random subset of {args.queries} of the n base rows as queries "
            "(otherwise the queries are all n base rows)."
            if any(r[4].endswith("*") for r in rows)
            else "The queries are all n base rows."
        ),
        "x screened / x roof = time relative to liger-screened / to the bare float32 GEMM "
        "Q @ U.T over the union U (medians of per-round ratios).",
        f"extra MB = peak RSS during the runs minus RSS after data creation "
        f"({'/'.join(sorted(peak_methods)) or 'n/a'}); io MB = inputs (Q if a subset, X, int64 L) "
        "+ outputs (q x m float32 + int64).",
        "match = identical (index, score bits) to liger-exact for the liger contenders; best "
        f"score within {MATCH_TOL:g} of liger-exact's for the others.",
    ]
    print_table(info, header, rows, notes, args.markdown)


if __name__ == "__main__":
    main()
