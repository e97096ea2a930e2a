"""Benchmark: how fast Ctrl-C stops a long call, and what watching for it costs.

Not part of the test run. Two modes:

``latency``: random unit-norm embeddings (d = 384) and votes (m = 10 LFs, 30 % coverage) of ``--n``
points; the uninterrupted call is timed once, then ``--trials`` times the call is started in the
main thread and a timer thread sends the process a real SIGINT (``os.kill``) after a random delay
(uniform in 0.2-3 s, so the signal lands in different phases). Reports the delay from the signal
to the ``KeyboardInterrupt`` (median, max) and the process CPU time used in the 0.5 s after it,
once 0.2 s have passed (~0: no worker left running). Targets: ``liger.nearest_support(X, X, L)``
(default kernel) and ``Liger(random_state=0).fit(L, X, L_dev, X_dev, y_dev)``.

``overhead``: the same calls uninterrupted, in fresh processes that import liger from this tree or
from ``--baseline`` (a folder holding a ``liger`` package built without the signal polling, e.g.
the previous commit's), rounds interleaved (ABBA) so machine load hits both alike. Reports the
median time of each and the median of the per-round ratios this / baseline, for a long search
(``--n-overhead`` points) and for many small ones (per-call overhead of the watch; per process the
best of 5 batches).

Examples::

    python benches/bench_interrupts.py latency --n 60000 --trials 10
    python benches/bench_interrupts.py overhead --baseline /tmp/base-py --rounds 6
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(os.path.dirname(HERE), "python")


def make_data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 384), dtype=np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    L = np.where(rng.random((n, 10)) < 0.3, rng.integers(0, 2, (n, 10)), -1).astype(np.int8)
    return rng, X, L


def targets(n: int):
    import liger

    rng, X, L = make_data(n)
    X_dev = make_data(300, seed=1)[1]
    L_dev = np.where(rng.random((300, 10)) < 0.3, rng.integers(0, 2, (300, 10)), -1)
    y_dev = rng.integers(0, 2, 300)
    return {
        "nearest_support": lambda: liger.nearest_support(X, X, L),
        "Liger.fit": lambda: liger.Liger(random_state=0).fit(L, X, L_dev, X_dev, y_dev),
    }


def latency(args) -> None:
    warnings.simplefilter("ignore")
    # Python leaves SIGINT ignored when started with it ignored (e.g. as a background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    rng = np.random.default_rng(1)
    print(f"n = {args.n}, d = 384, m = 10, {os.cpu_count()} cores, trials = {args.trials}")
    print(f"{'call':16} {'full (s)':>9} {'median ms':>10} {'max ms':>8} {'max idle CPU s':>15}")
    for name, call in targets(args.n).items():
        started = time.perf_counter()
        call()
        full = time.perf_counter() - started
        latencies, idle = [], []
        for _ in range(args.trials):
            sent = {}

            def interrupt(sent=sent):
                sent["at"] = time.perf_counter()
                os.kill(os.getpid(), signal.SIGINT)

            delay = float(rng.uniform(0.2, min(3.0, 0.8 * full)))
            timer = threading.Timer(delay, interrupt)
            timer.start()
            try:
                call()
                raise SystemExit(f"{name}: completed before the signal ({delay:.1f} s)")
            except KeyboardInterrupt:
                latencies.append(time.perf_counter() - sent["at"])
            timer.join()
            time.sleep(0.2)
            cpu = time.process_time()
            time.sleep(0.5)
            idle.append(time.process_time() - cpu)
        print(
            f"{name:16} {full:9.1f} {1e3 * statistics.median(latencies):10.1f} "
            f"{1e3 * max(latencies):8.1f} {max(idle):15.3f}",
            flush=True,
        )


WORKER = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])
import numpy as np
import liger
from bench_interrupts import make_data
n, small_calls = int(sys.argv[3]), int(sys.argv[4])
rng, X, L = make_data(n)
liger.nearest_support(X[:64], X[:2000], L[:2000])
started = time.perf_counter()
liger.nearest_support(X, X, L)
long = time.perf_counter() - started
Q, B, LB = X[:4], X[:256], L[:256]
batches = []
for _ in range(5):  # the best batch: load from other processes only ever adds time
    started = time.perf_counter()
    for _ in range(small_calls // 5):
        liger.nearest_support(Q, B, LB)
    batches.append((time.perf_counter() - started) / (small_calls // 5))
print(json.dumps({"file": liger.__file__, "long": long, "small": min(batches)}))
"""


def overhead(args) -> None:
    paths = {"this": SOURCE, "baseline": os.path.abspath(args.baseline)}
    times: dict = {name: {"long": [], "small": []} for name in paths}
    ratios: dict = {"long": [], "small": []}
    for r in range(args.rounds):
        order = ("this", "baseline") if r % 2 == 0 else ("baseline", "this")
        got = {}
        for name in order:
            done = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    WORKER,
                    paths[name],
                    HERE,
                    str(args.n_overhead),
                    str(args.small_calls),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            got[name] = json.loads(done.stdout.strip().splitlines()[-1])
            if not got[name]["file"].startswith(paths[name]):
                raise SystemExit(f"{name}: imported liger from {got[name]['file']}")
        for kind in ("long", "small"):
            for name in paths:
                times[name][kind].append(got[name][kind])
            ratios[kind].append(got["this"][kind] / got["baseline"][kind])
        print(
            f"round {r}: long {got['this']['long']:.2f} / {got['baseline']['long']:.2f} s, "
            f"small {1e6 * got['this']['small']:.0f} / {1e6 * got['baseline']['small']:.0f} us",
            flush=True,
        )
    print(f"\nn = {args.n_overhead} (long), {args.small_calls} calls of 4 x 256 (small)")
    print(f"{'call':22} {'this':>10} {'baseline':>10} {'median ratio':>13} {'ratio range':>15}")
    for kind, unit, scale in (("long", "s", 1.0), ("small", "us", 1e6)):
        label = "nearest_support long" if kind == "long" else "nearest_support small"
        this = scale * statistics.median(times["this"][kind])
        base = scale * statistics.median(times["baseline"][kind])
        low, high = min(ratios[kind]), max(ratios[kind])
        print(
            f"{label:22} {this:8.2f}{unit:>2} {base:8.2f}{unit:>2} "
            f"{statistics.median(ratios[kind]):13.3f} {low:7.3f}-{high:.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    lat = modes.add_parser("latency")
    lat.add_argument("--n", type=int, default=60_000)
    lat.add_argument("--trials", type=int, default=10)
    over = modes.add_parser("overhead")
    over.add_argument("--baseline", required=True)
    over.add_argument("--rounds", type=int, default=6)
    over.add_argument("--n-overhead", type=int, default=20_000)
    over.add_argument("--small-calls", type=int, default=5000)
    args = parser.parse_args()
    if args.mode == "latency":
        sys.path.insert(0, SOURCE)
        latency(args)
    else:
        overhead(args)


if __name__ == "__main__":
    main()
