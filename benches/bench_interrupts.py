"""Benchmark: how fast Ctrl-C stops a long call, and what watching for it costs.

Not part of the test run. Two modes:

``latency``: random unit-norm embeddings (d = 384) and votes (m = 10 LFs, 30 % coverage) of ``--n``
points; the uninterrupted call is timed once, then ``--trials`` times the call is started in the
main thread and a timer thread sends the process a real SIGINT (``os.kill``) after a random delay
(uniform in 0.2-3 s, so the signal lands in different phases). Reports the delay from the signal
to the ``KeyboardInterrupt`` (median, max) and the process CPU time used in the 0.5 s after it,
once 0.2 s have passed (~0: no worker left running). Targets: ``liger.nearest_support(X, X, L)``
(default kernel) and ``Liger(random_state=0).fit(L, X, L_dev, X_dev, y_dev)``.

``overhead``: the same search uninterrupted, with liger from this tree and from ``--baseline`` (a
folder holding a ``liger`` package built without the signal polling, e.g. the previous commit's,
imported as ``liger_base`` in the same process), rounds interleaved (ABBA) so machine load hits
both alike. Reports the median time of each and the quartiles of the per-round ratios this /
baseline, for many small searches (the per-call cost of the watch) and a long one.

Examples::

    python benches/bench_interrupts.py latency --n 60000 --trials 10
    python benches/bench_interrupts.py overhead --baseline /tmp/base-py --rounds 8
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
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


def overhead(args) -> None:
    """Both builds in this process (the baseline's package copied as ``liger_base``), calls
    interleaved batch by batch, so load from other processes hits both alike."""
    import atexit
    import shutil
    import tempfile

    sys.path.insert(0, SOURCE)
    folder = tempfile.mkdtemp(prefix="liger-baseline-")
    atexit.register(shutil.rmtree, folder, True)
    shutil.copytree(os.path.join(args.baseline, "liger"), os.path.join(folder, "liger_base"))
    sys.path.insert(0, folder)
    import liger_base

    import liger

    builds = {"this": liger, "baseline": liger_base}
    for name, module in builds.items():
        print(f"{name}: {module._core.__file__}")
    _, X, L = make_data(args.n_overhead)
    Q, B, LB = X[:4], X[:256], L[:256]
    expected = liger.nearest_support(Q, B, LB)[1]
    assert all((m.nearest_support(Q, B, LB)[1] == expected).all() for m in builds.values())

    def interleaved(rounds, run):
        """Per build, ``run(module)`` once per round, ABBA order; the values and the ratios."""
        got: dict = {name: [] for name in builds}
        for r in range(rounds):
            for name in ("this", "baseline") if r % 2 == 0 else ("baseline", "this"):
                got[name].append(run(builds[name]))
        return got, [a / b for a, b in zip(got["this"], got["baseline"])]

    def small(module, calls=200):
        started = time.perf_counter()
        for _ in range(calls):
            module.nearest_support(Q, B, LB)
        return (time.perf_counter() - started) / calls

    def long(module):
        started = time.perf_counter()
        module.nearest_support(X, X, L)
        return time.perf_counter() - started

    print(f"{'call':34} {'this':>9} {'baseline':>9} {'median ratio':>13} {'quartiles':>13}")
    for label, rounds, run, scale, unit in (
        ("nearest_support 4 x 256 (x200)", 60, small, 1e6, "us"),
        (f"nearest_support n = {args.n_overhead}", args.rounds, long, 1.0, "s"),
    ):
        got, ratios = interleaved(rounds, run)
        q1, q2, q3 = np.percentile(ratios, [25, 50, 75])
        this, base = (scale * statistics.median(got[name]) for name in builds)
        print(f"{label:34} {this:7.1f}{unit:>2} {base:7.1f}{unit:>2} {q2:13.3f} {q1:6.3f}-{q3:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    lat = modes.add_parser("latency")
    lat.add_argument("--n", type=int, default=60_000)
    lat.add_argument("--trials", type=int, default=10)
    over = modes.add_parser("overhead")
    over.add_argument("--baseline", required=True)
    over.add_argument("--rounds", type=int, default=8)
    over.add_argument("--n-overhead", type=int, default=40_000)
    args = parser.parse_args()
    if args.mode == "latency":
        sys.path.insert(0, SOURCE)
        latency(args)
    else:
        overhead(args)


if __name__ == "__main__":
    main()
