"""Benchmark: per-LF nearest support point (``liger.nearest_support``) against the usual ways.

Not part of the test run. Prints one table; ``--markdown`` prints it as a Markdown table for
README.md. Every contender gets the same data (synthetic unit-norm float32 embeddings, uniform on
the sphere or a mixture of 20 Gaussians; m = 10 LFs, each voting on a random 5-30 % of the rows)
and uses all cores:

  liger      ``liger.nearest_support(Q, X, L, metric="cosine")``: all LFs in one sweep.
  numpy      per LF j: gather S_j = X[support_j], then blocks of queries, ``Q_blk @ S_j.T``
             (into a reused buffer), argmax. The gather is timed: it is part of the work.
  published  ``sklearn.metrics.pairwise.cosine_similarity(Q, X)`` (a dense q x n matrix), then per
             LF max/argmax over that LF's columns. Only run where the q x n matrix fits
             (``--max-dense-gb``).
  sklearn    per LF: ``NearestNeighbors(n_neighbors=1, algorithm="brute", metric="cosine")``
             fitted on S_j, then ``kneighbors(Q)`` (fit timed).
  faiss      per LF: ``faiss.IndexFlatIP`` holding S_j, ``search(Q, 1)`` (index build timed;
             optional: skipped when faiss-cpu is not installed).
  roof       one bare NumPy GEMM ``Q @ U.T`` over the union U of the supports: U is gathered and
             the output buffer allocated outside the timing (queries in blocks only when the
             output would exceed ``--roof-gb``). Not a solution, a lower bound for any GEMM-based
             method.

The queries are the base rows themselves (extending the train split from itself), or a fixed
random subset of ``--queries`` of them when n is larger (marked ``*`` in the table).

Each (data set, contender) runs in a fresh subprocess that regenerates the data from the seed,
so peak memory can be read per contender: ``extra MB`` is the peak resident set during the
contender's runs minus the resident set right after data creation (Linux: VmHWM, reset via
/proc/self/clear_refs; elsewhere ru_maxrss). ``io MB`` is the inputs (Q when it is a separate
subset, X, the int64 votes L) plus liger's outputs (q x m float32 scores + int64 indices): the
done-criterion reads "liger's extra MB <= outputs + 64 MB". Times are the median of ``--repeats``
runs after one warm-up. ``match`` is the fraction of (query, LF) cells whose best score equals
liger's within 1e-5 (a near-tie may legitimately pick another index with the same score).

Examples::

    python benches/bench_extension.py --quick
    python benches/bench_extension.py --markdown
    python benches/bench_extension.py --sizes 50000 --dims 384 --dists uniform
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable

import numpy as np

CONTENDERS = ("liger", "numpy", "published", "sklearn", "faiss", "roof")
DISTS = ("uniform", "clustered")
N_LFS = 10
N_CLUSTERS = 20
MATCH_TOL = 1e-5
BLOCK_ELEMS = 1 << 25  # numpy baseline: a (q_blk x |S_j|) float32 block of at most 128 MB
MB = 1 << 20
GB = 1 << 30


# --------------------------------------------------------------------------------------------
# data


def make_data(dist: str, n: int, d: int, q_cap: int, seed: int) -> dict[str, Any]:
    """Unit-norm float32 base X (n, d), int64 votes L (n, m), queries Q (X itself or a subset)."""
    rng = np.random.default_rng([seed, n, d, DISTS.index(dist)])
    X = np.empty((n, d), dtype=np.float32)
    if dist == "clustered":
        centers = rng.standard_normal((N_CLUSTERS, d), dtype=np.float32)
        centers /= np.linalg.norm(centers, axis=1, keepdims=True)
        weights = rng.dirichlet(np.full(N_CLUSTERS, 2.0))
        comp = rng.choice(N_CLUSTERS, size=n, p=weights)
        # per-cluster spread: noise of norm ~0.4-1.2 around a unit center
        spread = (rng.uniform(0.4, 1.2, N_CLUSTERS) / np.sqrt(d)).astype(np.float32)
    chunk = 8192  # generate in chunks: no large temporaries, so RSS after data == data
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        x = rng.standard_normal((b - a, d), dtype=np.float32)
        if dist == "clustered":
            x *= spread[comp[a:b], None]
            x += centers[comp[a:b]]
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        X[a:b] = x
    L = np.full((n, N_LFS), -1, dtype=np.int64)
    coverage = rng.uniform(0.05, 0.30, N_LFS)
    for j in range(N_LFS):
        support = rng.random(n) < coverage[j]
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


def prep_liger(data: dict[str, Any], threads: int) -> Callable[[], Any]:
    import liger

    Q, X, L = data["Q"], data["X"], data["L"]
    return lambda: liger.nearest_support(Q, X, L, metric="cosine", n_jobs=None)


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
    q, u = Q.shape[0], U.shape[0]
    qb = max(1, min(q, int(roof_gb * GB) // (4 * max(u, 1))))
    out = np.empty((qb, u), dtype=np.float32)  # page-faulted by the warm-up run
    UT = U.T

    def run() -> None:
        if qb >= q:
            np.matmul(Q, UT, out=out)
        else:
            for a in range(0, q, qb):
                b = min(q, a + qb)
                np.matmul(Q[a:b], UT, out=out[: b - a])

    return run


PREPARE = {
    "liger": prep_liger,
    "numpy": prep_numpy,
    "published": prep_published,
    "sklearn": prep_sklearn,
    "faiss": prep_faiss,
    "roof": prep_roof,
}


# --------------------------------------------------------------------------------------------
# worker: one (data set, contender) in a fresh process


def _hwm_kb() -> int | None:
    try:
        with open("/proc/self/status") as f:
            return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))
    except (OSError, AttributeError):
        return None


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _rss_kb() -> int:
    try:
        with open("/proc/self/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
    except (OSError, AttributeError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    name = spec["contender"]
    threads = spec["threads"]
    # import the contender's libraries before measuring the baseline
    if name == "liger":
        import liger  # noqa: F401
    elif name in ("published", "sklearn"):
        import sklearn.metrics.pairwise  # noqa: F401
        import sklearn.neighbors  # noqa: F401
    elif name == "faiss":
        import faiss  # noqa: F401
    data = make_data(spec["dist"], spec["n"], spec["d"], spec["q_cap"], spec["seed"])
    base_kb = _rss_kb()
    use_hwm = _reset_peak() and _hwm_kb() is not None
    if not use_hwm:  # fall back to ru_maxrss: also counts the data-creation peak
        base_kb = max(base_kb, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    if name == "roof":
        run = prep_roof(data, threads, spec["roof_gb"])
    else:
        run = PREPARE[name](data, threads)
    times = []
    result = None
    for r in range(spec["repeats"] + 1):  # run 0 is the warm-up
        result = None
        t0 = time.perf_counter()
        result = run()
        t = time.perf_counter() - t0
        if r > 0:
            times.append(t)
    peak_kb = _hwm_kb() if use_hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out: dict[str, Any] = {
        "times": times,
        "extra_mb": max(0, peak_kb - base_kb) / 1024,
        "peak_method": "VmHWM" if use_hwm else "ru_maxrss",
    }
    if result is not None:
        np.save(spec["out"], np.asarray(result[0], dtype=np.float32))
        out["scores"] = spec["out"]
    return out


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


def run_contender(spec: dict[str, Any], timeout: float | None) -> dict[str, Any]:
    cmd = [sys.executable, os.path.abspath(__file__), "--_worker", json.dumps(spec)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:g} s"}
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
        return {"error": f"exit {proc.returncode}: {tail[0][:80]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine_info(threads: int) -> list[str]:
    import platform

    import liger

    lines = [
        f"machine: {platform.machine()}, os.cpu_count() = {os.cpu_count()} cores, "
        f"threads used = {threads}, liger SIMD = {liger._core.simd_level()}",
        f"python {platform.python_version()}, numpy {np.__version__}",
    ]
    try:
        from threadpoolctl import threadpool_info

        blas = [
            f"{p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} threads"
            + (f", {p['architecture']}" if p.get("architecture") else "")
            + ")"
            for p in threadpool_info()
            if p.get("user_api") == "blas"
        ]
        if blas:
            lines[-1] += ", BLAS: " + "; ".join(blas)
    except ImportError:
        pass
    for mod in ("sklearn", "faiss"):
        try:
            lines[-1] += f", {mod} {__import__(mod).__version__}"
        except ImportError:
            pass
    return lines


def _fmt_s(t: float) -> str:
    return f"{t:.3f}" if t < 10 else f"{t:.1f}"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10000,50000,200000", help="comma list of n")
    p.add_argument("--dims", default="384,768", help="comma list of d")
    p.add_argument("--dists", default=",".join(DISTS), help="uniform,clustered")
    p.add_argument(
        "--queries",
        type=int,
        default=10_000,
        help="queries per data set: a fixed random subset of the n base rows when n is larger "
        "(0 = all n rows)",
    )
    p.add_argument("--repeats", type=int, default=3, help="timed runs (after one warm-up)")
    p.add_argument("--contenders", default=",".join(CONTENDERS), help="comma list of contenders")
    p.add_argument("--max-dense-gb", type=float, default=6.0, help="limit for 'published'")
    p.add_argument("--roof-gb", type=float, default=4.0, help="roof GEMM output block limit")
    p.add_argument("--timeout", type=float, default=None, help="seconds per contender run")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke run")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.add_argument("--_worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args._worker:
        print(json.dumps(worker(json.loads(args._worker))))
        return

    import liger

    threads = liger._core.resolve_threads(None)
    if args.quick:
        args.sizes, args.dims, args.queries = "2000,8000", "384", 4000
    sizes = [int(s) for s in args.sizes.split(",") if s]
    dims = [int(s) for s in args.dims.split(",") if s]
    dists = [s.strip() for s in args.dists.split(",") if s.strip()]
    names = [s.strip() for s in args.contenders.split(",") if s.strip()]
    for name in names:
        if name not in CONTENDERS:
            p.error(f"unknown contender {name!r}; choose from {', '.join(CONTENDERS)}")
    for dist in dists:
        if dist not in DISTS:
            p.error(f"unknown dist {dist!r}; choose from {', '.join(DISTS)}")
    if args.repeats < 1:
        p.error("--repeats must be >= 1")
    names = sorted(names, key=CONTENDERS.index)  # liger first: the others are compared to it

    info = machine_info(threads)
    for line in info:
        print(line, file=sys.stderr)
    header = [
        "data", "n", "d", "q", "union", "contender", "median s",
        "x liger", "x roof", "extra MB", "io MB", "match",
    ]  # fmt: skip
    rows: list[list[str]] = []
    peak_methods = set()
    with tempfile.TemporaryDirectory(prefix="bench_extension_") as tmp:
        for dist in dists:
            for n in sizes:
                for d in dims:
                    data = make_data(dist, n, d, args.queries, args.seed)
                    q, subset = data["Q"].shape[0], data["subset"]
                    union = float((data["L"] != -1).any(axis=1).mean())
                    io_mb = (
                        (data["Q"].nbytes if subset else 0)
                        + data["X"].nbytes
                        + data["L"].nbytes
                        + q * N_LFS * (4 + 8)
                    ) / MB
                    del data
                    results: dict[str, dict[str, Any]] = {}
                    for name in names:
                        reason = _skip_reason(name, q, n, args.max_dense_gb)
                        if reason:
                            results[name] = {"error": f"skipped: {reason}"}
                            continue
                        label = f"{dist} n={n} d={d} q={q}: {name}"
                        print(f"  running {label} ...", file=sys.stderr, flush=True)
                        spec = {
                            "contender": name, "dist": dist, "n": n, "d": d,
                            "q_cap": args.queries, "seed": args.seed, "threads": threads,
                            "repeats": args.repeats, "roof_gb": args.roof_gb,
                            "out": os.path.join(tmp, f"{name}.npy"),
                        }  # fmt: skip
                        res = run_contender(spec, args.timeout)
                        if "times" in res:
                            res["median"] = float(np.median(res["times"]))
                            peak_methods.add(res["peak_method"])
                            print(
                                f"    {_fmt_s(res['median'])} s, extra {res['extra_mb']:.0f} MB",
                                file=sys.stderr,
                                flush=True,
                            )
                        else:
                            print(f"    {res['error']}", file=sys.stderr, flush=True)
                        results[name] = res
                    ref = results.get("liger", {})
                    ref_scores = np.load(ref["scores"]) if "scores" in ref else None
                    t_liger = ref.get("median")
                    t_roof = results.get("roof", {}).get("median")
                    for name in names:
                        res = results[name]
                        row = [dist, str(n), str(d), f"{q}*" if subset else str(q),
                               f"{union:.0%}", name]  # fmt: skip
                        if "median" not in res:
                            rows.append(row + [res["error"]] + [""] * 5)
                            continue
                        t = res["median"]
                        match = "-"
                        if "scores" in res and ref_scores is not None:
                            sc = np.load(res["scores"])
                            same = np.isclose(sc, ref_scores, rtol=0, atol=MATCH_TOL) | (
                                np.isneginf(sc) & np.isneginf(ref_scores)
                            )
                            match = f"{same.mean():.4%}"
                        rows.append(row + [
                            _fmt_s(t),
                            f"{t / t_liger:.2f}" if t_liger else "-",
                            f"{t / t_roof:.2f}" if t_roof else "-",
                            f"{res['extra_mb']:.0f}",
                            f"{io_mb:.0f}",
                            match,
                        ])  # fmt: skip

    notes = [
        f"Median of {args.repeats} runs after 1 warm-up; all contenders use all "
        f"{threads} threads; same unit-norm float32 data (m = {N_LFS} LFs, 5-30 % coverage "
        "each; union = rows covered by any LF).",
        (
            f"q* = a fixed random subset of {args.queries} of the n base rows as queries "
            "(otherwise the queries are all n base rows)."
            if any(r[3].endswith("*") for r in rows)
            else "The queries are all n base rows."
        ),
        "x liger / x roof = time relative to liger / to the bare GEMM Q @ U.T over the union U.",
        f"extra MB = peak RSS during the runs minus RSS after data creation "
        f"({'/'.join(sorted(peak_methods)) or 'n/a'}); io MB = inputs (Q if a subset, X, int64 L) "
        "+ outputs (q x m float32 + int64); total memory <= io + 64 MB reads extra <= outputs + "
        "64 MB.",
        f"match = share of (query, LF) best scores equal to liger's within {MATCH_TOL:g}.",
    ]
    print()
    if args.markdown:
        for line in info:
            print(f"{line}  ")
        print()
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" if i < 6 else "---:" for i in range(len(header))) + "|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        print()
        for line in notes:
            print(f"- {line}")
    else:
        for line in info:
            print(line)
        widths = [
            max(len(header[i]), *(len(r[i]) for r in rows if r[7:] != [""] * 5 or i < 6))
            for i in range(len(header))
        ]
        print("  ".join(h.rjust(w) for h, w in zip(header, widths)))
        for row in rows:
            if row[7:] == [""] * 5:  # skipped / failed: the reason spans the numeric columns
                print("  ".join(c.rjust(w) for c, w in zip(row[:6], widths)) + "  " + row[6])
            else:
                print("  ".join(c.rjust(w) for c, w in zip(row, widths)))
        print()
        for line in notes:
            print(line)


if __name__ == "__main__":
    main()
