"""Shared machinery of the search benchmarks (``bench_extension.py``, ``bench_knn.py``).

- Data: unit-norm float32 embeddings, uniform on the sphere or a mixture of 20 Gaussians
  (clustered: the hard case for screening, many near candidates), generated in chunks from a seed
  so a worker process can regenerate them without large temporaries.
- Workers: each (data set, contender) runs in a fresh subprocess, so peak memory can be read per
  contender (Linux VmHWM, reset via /proc/self/clear_refs; elsewhere ru_maxrss).
- Rounds: the driver runs every contender once per round, rounds interleaved, and reports medians
  over rounds of the times and of the per-round ratios (to the roof, to a reference contender), so
  that load from other processes on a shared machine hits all contenders alike.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from typing import Any, Callable

import numpy as np

DISTS = ("uniform", "clustered")
N_CLUSTERS = 20
MB = 1 << 20
GB = 1 << 30


def make_embeddings(dist: str, n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-norm float32 rows: uniform on the sphere, or 20 Gaussian clusters of different
    spreads (noise of norm about 0.4-1.2 around unit centres)."""
    X = np.empty((n, d), dtype=np.float32)
    if dist == "clustered":
        centers = rng.standard_normal((N_CLUSTERS, d), dtype=np.float32)
        centers /= np.linalg.norm(centers, axis=1, keepdims=True)
        weights = rng.dirichlet(np.full(N_CLUSTERS, 2.0))
        comp = rng.choice(N_CLUSTERS, size=n, p=weights)
        spread = (rng.uniform(0.4, 1.2, N_CLUSTERS) / np.sqrt(d)).astype(np.float32)
    chunk = 8192  # no large temporaries: RSS after data creation == data
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        x = rng.standard_normal((b - a, d), dtype=np.float32)
        if dist == "clustered":
            x *= spread[comp[a:b], None]
            x += centers[comp[a:b]]
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        X[a:b] = x
    return X


# --------------------------------------------------------------------------------------------
# peak memory of the current process


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


def measure(
    prepare: Callable[[], Callable[[], Any]], repeats: int, cpu_time: bool = False
) -> dict[str, Any]:
    """Times ``repeats`` runs (after one warm-up) of the callable ``prepare()`` returns (wall
    clock, or the process's CPU time with ``cpu_time``), and the peak resident memory above the
    level before ``prepare`` (the data already exists)."""
    clock = time.process_time if cpu_time else time.perf_counter
    base_kb = _rss_kb()
    use_hwm = _reset_peak() and _hwm_kb() is not None
    if not use_hwm:  # ru_maxrss also counts the data-creation peak
        base_kb = max(base_kb, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    run = prepare()
    times, result = [], None
    for r in range(repeats + 1):  # run 0 is the warm-up
        result = None
        t0 = clock()
        result = run()
        if r > 0:
            times.append(clock() - t0)
    peak_kb = _hwm_kb() if use_hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "times": times,
        "extra_mb": max(0, peak_kb - base_kb) / 1024,
        "peak_method": "VmHWM" if use_hwm else "ru_maxrss",
        "result": result,
    }


def run_worker(script: str, spec: dict[str, Any], timeout: float | None) -> dict[str, Any]:
    """Runs ``script --_worker SPEC`` in a fresh process; its last stdout line is JSON."""
    cmd = [sys.executable, os.path.abspath(script), "--_worker", json.dumps(spec)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:g} s"}
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
        return {"error": f"exit {proc.returncode}: {tail[0][:80]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def roof_gemm(Q: np.ndarray, base: np.ndarray, block_rows: int) -> Callable[[], None]:
    """The roof: ``Q @ base.T`` as bare float32 GEMMs of ``block_rows`` query rows each, into an
    output block allocated here (page-faulted by the warm-up run, outside the timing)."""
    q, n = Q.shape[0], base.shape[0]
    qb = max(1, min(q, block_rows))
    out = np.empty((qb, n), dtype=np.float32)
    base_t = base.T

    def run() -> None:
        for a in range(0, q, qb):
            b = min(q, a + qb)
            np.matmul(Q[a:b], base_t, out=out[: b - a])

    return run


def run_rounds(
    script: str,
    names: list[str],
    spec: dict[str, Any],
    out_dir: str,
    n_rounds: int,
    timeout: float | None,
    label: str,
    skipped: dict[str, str | None],
    match: Callable[[dict[str, Any], dict[str, Any] | None, str], str],
    peak_methods: set[str],
) -> dict:
    """Runs every contender of ``names`` (but those with a reason in ``skipped``) once per round
    in a fresh worker given ``spec`` plus its name and an output path in ``out_dir`` (rounds
    interleaved), marks each result's agreement with liger-exact's by ``match``, and returns
    ``summarise``'s medians against liger-screened. Progress goes to stderr; ``peak_methods``
    collects how each worker read its peak memory."""
    rounds: list[dict[str, Any]] = []
    for r in range(n_rounds):
        results: dict[str, dict[str, Any]] = {}
        for name in names:
            reason = skipped.get(name)
            if reason:
                results[name] = {"error": f"skipped: {reason}"}
                continue
            print(f"  running {label} round {r + 1}: {name} ...", file=sys.stderr, flush=True)
            worker_spec = {**spec, "contender": name, "out": os.path.join(out_dir, name)}
            res = run_worker(script, worker_spec, timeout)
            if "times" in res:
                res["median"] = float(np.median(res["times"]))
                peak_methods.add(res["peak_method"])
                msg = f"{fmt_s(res['median'])} s, extra {res['extra_mb']:.0f} MB"
            else:
                msg = res["error"]
            print(f"    {msg}", file=sys.stderr, flush=True)
            results[name] = res
        ref = results.get("liger-exact")
        for name, res in results.items():
            if "times" in res:
                res["match"] = match(res, ref, name)
        rounds.append(results)
    return summarise(rounds, reference="liger-screened")


def add_round_options(parser, contenders: tuple[str, ...], repeats: int) -> None:
    """The options every rounds-driven search bench shares (with the thread options)."""
    parser.add_argument(
        "--repeats", type=int, default=repeats, help="timed runs per round (after a warm-up)"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="rounds over all contenders, interleaved"
    )
    parser.add_argument(
        "--contenders", default=",".join(contenders), help="comma list of contenders"
    )


def add_run_options(parser) -> None:
    """Timeout, seed, smoke-run and output options, the thread options, and the hidden worker
    entry point."""
    parser.add_argument("--timeout", type=float, default=None, help="seconds per contender run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke run")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    add_thread_options(parser)
    parser.add_argument("--_worker", help=argparse.SUPPRESS)


def summary_rows(summary: dict, names: list[str], prefix: list[str], io_mb: float) -> list:
    """Table rows (prefix + contender + time, ratios, memory, match) of ``run_rounds``'s summary;
    a contender that never ran gets its reason in the time column."""
    rows = []
    for name in names:
        res = summary[name]
        row = prefix + [name]
        if "median" not in res:
            rows.append(row + [res["error"]] + [""] * 5)
            continue
        rows.append(
            row
            + [
                fmt_s(res["median"]),
                fmt_x(res["x_ref"]),
                fmt_x(res["x_roof"]),
                f"{res['extra_mb']:.0f}",
                f"{io_mb:.0f}",
                res.get("match", "-"),
            ]
        )
    return rows


def summarise(rounds: list[dict[str, Any]], reference: str, roof: str = "roof") -> dict:
    """Per contender: median time over rounds, median per-round ratios to ``reference`` and to
    ``roof``, the largest extra memory, and the first error if it never ran."""
    out: dict[str, dict[str, Any]] = {}
    names = {name for r in rounds for name in r}
    for name in names:
        ok = [r for r in rounds if "median" in r.get(name, {})]
        if not ok:
            out[name] = {"error": next(r[name]["error"] for r in rounds if name in r)}
            continue

        def ratio(to: str, ok=ok, name=name) -> float | None:
            vals = [r[name]["median"] / r[to]["median"] for r in ok if "median" in r.get(to, {})]
            return float(np.median(vals)) if vals else None

        out[name] = {
            "median": float(np.median([r[name]["median"] for r in ok])),
            "x_ref": ratio(reference),
            "x_roof": ratio(roof),
            "extra_mb": max(r[name]["extra_mb"] for r in ok),
            "peak_method": ok[0][name]["peak_method"],
            "rounds": len(ok),
        }
        for key in ("match",):
            if key in ok[0][name]:
                out[name][key] = ok[0][name][key]
    return out


def limit_threads(threads: int):
    """A context limiting BLAS / OpenMP pools to ``threads`` (liger and faiss are told directly)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(threads)


def add_thread_options(parser) -> None:
    parser.add_argument(
        "--threads", type=int, default=0, help="threads per contender (0 = all cores)"
    )
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time the process's CPU time instead of the wall clock (with --threads 1: ratios "
        "that other jobs on a shared machine barely move)",
    )


def machine_info(threads: int) -> list[str]:
    import platform

    import liger

    lines = [
        f"machine: {platform.machine()}, os.cpu_count() = {os.cpu_count()} cores, "
        f"threads used = {threads}, liger SIMD = {liger._core.simd_level()}, "
        f"liger screen (auto, d=384) = {liger._core.screen_engine('auto', 384)}",
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
    try:
        load = os.getloadavg()
        lines.append(f"load average at start: {load[0]:.1f} (shared machine: other jobs ran too)")
    except OSError:
        pass
    return lines


def fmt_s(t: float) -> str:
    return f"{t:.3f}" if t < 10 else f"{t:.1f}"


def fmt_x(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def print_table(
    info: list[str], header: list[str], rows: list[list[str]], notes: list[str], markdown: bool
) -> None:
    """Rows whose numeric cells are all empty carry a reason (skipped / failed) in the first."""
    n_text = next(i for i, h in enumerate(header) if h == "contender") + 1
    print()
    if markdown:
        for line in info:
            print(f"{line}  ")
        print()
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" if i < n_text else "---:" for i in range(len(header))) + "|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        print()
        for line in notes:
            print(f"- {line}")
        return
    for line in info:
        print(line)
    full = [r for r in rows if any(r[n_text + 1 :])]
    widths = [max([len(header[i])] + [len(r[i]) for r in full]) for i in range(len(header))]
    print("  ".join(h.rjust(w) for h, w in zip(header, widths)))
    for row in rows:
        if not any(row[n_text + 1 :]):  # skipped / failed: the reason spans the numeric columns
            print("  ".join(c.rjust(w) for c, w in zip(row[:n_text], widths)) + "  " + row[n_text])
        else:
            print("  ".join(c.rjust(w) for c, w in zip(row, widths)))
    print()
    for line in notes:
        print(line)
