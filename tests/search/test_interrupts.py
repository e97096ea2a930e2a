"""Ctrl-C: a long search (and ``Liger.fit``, which runs one) answers SIGINT with
``KeyboardInterrupt`` within about a second and leaves no liger thread running.

Each case runs in its own Python process (``subprocess.run`` with a timeout, so a failure cannot
hang the suite), which:

1. builds random data (d = 384) large enough that the call runs for many seconds, and *measures*
   that: it times the same call on 1/30 of the queries and scales the time up (the sweep's cost
   is linear in the number of queries), growing n (up to 400k) until the estimate reaches 10 s on
   this machine. The estimate must be at least ``MIN_ESTIMATE`` (5 s), more than three times the
   allowed latency, so a liger that ignored Ctrl-C until the call returned would fail the
   latency check by seconds;
2. starts the call in the main thread and sends itself a real SIGINT (``os.kill``) from a timer
   thread 0.5 s later;
3. records how long after the signal ``KeyboardInterrupt`` arrived, and that it came out of the
   Rust call (the innermost frame is the call into ``liger._core`` in ``search/nearest.py``);
4. waits 0.3 s, then measures the process's CPU time over 0.5 s (a worker still sweeping would use
   about 0.5 s per thread) and reads the state of every ``liger*`` thread from
   ``/proc/self/task/*/stat`` (a busy thread is ``R``, running or runnable);
5. runs the call on small data again and checks that the result has the same bytes as before the
   interrupt (the thread pool still works).

On the 2-core CI machine (shared, loaded) the starting sizes (n = 40-60k) already give estimates
of 15-40 s, and a case costs about 3-5 s in all.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

#: The allowed delay between SIGINT and KeyboardInterrupt (measured: tens of milliseconds).
MAX_LATENCY = 1.5
#: The uninterrupted call must be estimated to run at least this long (seconds).
MIN_ESTIMATE = 5.0
#: CPU seconds the whole process may use in the 0.5 s after the interrupt has settled.
MAX_IDLE_CPU = 0.15
CHILD_TIMEOUT = 180

CHILD = textwrap.dedent(
    """
    import json, os, signal, sys, threading, time, traceback, warnings

    import numpy as np

    import liger

    warnings.simplefilter("ignore")
    # Python leaves SIGINT ignored when it starts with it ignored (a background job of a
    # non-interactive shell, as CI may run the suite): install the KeyboardInterrupt handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    case = sys.argv[1]
    rng = np.random.default_rng(0)


    def embeddings(n):
        return rng.standard_normal((n, 384), dtype=np.float32)


    def votes(n, m=10, coverage=0.3):
        cast = rng.random((n, m)) < coverage
        return np.where(cast, rng.integers(0, 2, (n, m)), -1).astype(np.int8)


    # call(q): the long call on the first q queries (its cost is linear in q); full(): the call
    # interrupted; small(): the same on small data, run before and after the interrupt.
    def build(n):
        if case in ("nearest_support", "nearest_support_exact", "thread") or "progress" in case:
            kernel = "exact" if case.endswith("exact") else "auto"
            X, L = embeddings(n), votes(n)

            def call(q):
                return liger.nearest_support(X[:q], X, L, kernel=kernel)

            def small():
                return liger.nearest_support(X[:50], X[:3000], L[:3000], kernel=kernel)

            return call, lambda: call(n), small
        if case == "knn_graph":
            X = embeddings(n)

            def call(q):
                return liger.knn_graph(X, 10, queries=X[:q])

            def small():
                return liger.knn_graph(X[:3000], 10)

            return call, lambda: liger.knn_graph(X, 10), small
        if case == "radius_neighbors":
            X = embeddings(n)

            def small():
                graph = liger.radius_neighbors(X[:3000], 0.15)
                return graph.indptr, graph.indices, graph.data

            def call(q):
                return liger.radius_neighbors(X, 0.25, queries=X[:q])

            return call, lambda: liger.radius_neighbors(X, 0.25), small
        if case == "fit":
            X, L = embeddings(n), votes(n)
            X_dev, L_dev, y_dev = embeddings(300), votes(300), rng.integers(0, 2, 300)

            def call(q):  # fit's first and longest stage: the train supports' nearest points
                return liger.nearest_support(X[:q], X, L)

            def full():
                return liger.Liger(random_state=0).fit(L, X, L_dev, X_dev, y_dev)

            def small():
                model = liger.Liger(random_state=0).fit(L[:3000], X[:3000], L_dev, X_dev, y_dev)
                return model.predict_proba(L_dev, X_dev)

            return call, full, small
        raise SystemExit(f"unknown case {case}")


    # The case built at n points or more: grown (the cost grows as n^2) until the call is
    # estimated (timed on 1/30 of the queries) to run `target` seconds, or n = `limit`.
    def sized(n, target, limit):
        while True:
            call, full, small = build(n)
            q = max(512, n // 30)
            started = time.perf_counter()
            call(q)
            estimate = (time.perf_counter() - started) * n / q
            if estimate >= target or n >= limit:
                return n, call, full, small, estimate
            n = min(limit, int(1.2 * n * (target / estimate) ** 0.5))


    def as_bytes(result):
        if isinstance(result, tuple):
            return b"".join(as_bytes(part) for part in result)
        return np.ascontiguousarray(result).tobytes()


    def liger_threads():
        states = {}
        for tid in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{tid}/comm") as f:
                    name = f.read().strip()
                with open(f"/proc/self/task/{tid}/stat") as f:
                    stat = f.read()
            except FileNotFoundError:  # the thread ended meanwhile
                continue
            if name.startswith("liger"):
                states[f"{name}/{tid}"] = stat[stat.rindex(")") + 2]
        return states


    sent = {}


    def interrupt():
        sent["at"] = time.perf_counter()
        os.kill(os.getpid(), signal.SIGINT)


    if case == "thread":
        n, call, full, small, _ = sized(12_000, 1.0, 200_000)
        started = time.perf_counter()
        reference = as_bytes(full())
        duration = time.perf_counter() - started
        result, finished = {}, threading.Event()


        def work():
            result["got"] = full()
            finished.set()


        worker = threading.Thread(target=work)
        timer = threading.Timer(0.2, interrupt)
        started = time.perf_counter()
        worker.start()
        timer.start()
        # (An Event, not Thread.join: Python 3.11 marks a thread stopped when a KeyboardInterrupt
        # interrupts join() while it runs, and a second join() then returns at once.)
        try:
            finished.wait()
            outcome, caught = "completed", time.perf_counter()
        except KeyboardInterrupt:
            outcome, caught = "interrupted", time.perf_counter()
        finished.wait(60)
        worker.join()
        print(json.dumps({
            "outcome": outcome,
            "duration": duration,
            "signal_after": sent["at"] - started,
            "latency": caught - sent["at"],
            "same": as_bytes(result["got"]) == reference,
        }))
        sys.exit()

    if case in ("progress", "progress_raises"):
        # A call of a few seconds inside liger.progress: the reports it gets, and (raises) what
        # an exception of the callback does to it.
        n, call, full, small, estimate = sized(12_000, 3.0, 200_000)
        reference = as_bytes(small())
        calls = []

        def record(stage, done, total):
            calls.append((stage, done, total, time.perf_counter()))
            if case == "progress_raises" and 0 < done < total:
                raise RuntimeError("stop here")

        started = time.perf_counter()
        try:
            with liger.progress(record):
                full()
            outcome = "completed"
        except RuntimeError as exc:
            outcome = f"raised {exc}"
        caught = time.perf_counter()
        time.sleep(0.3)
        cpu = time.process_time()
        time.sleep(0.5)
        idle_cpu = time.process_time() - cpu
        print(json.dumps({
            "outcome": outcome,
            "estimate": estimate,
            "duration": caught - started,
            "calls": [list(c[:3]) for c in calls],
            "latency": caught - calls[-1][3],
            "idle_cpu": idle_cpu,
            "threads": liger_threads(),
            "same_after": as_bytes(small()) == reference,
        }))
        sys.exit()

    first_n = 40_000 if case == "nearest_support_exact" else 60_000
    n, call, full, small, estimate = sized(first_n, 10.0, 400_000)
    if case == "nearest_support_progress":  # Ctrl-C answered as fast with progress reported
        unwatched, reports = full, []

        def full():
            with liger.progress(lambda *report: reports.append(report)):
                return unwatched()
    reference = as_bytes(small())

    timer = threading.Timer(0.5, interrupt)
    started = time.perf_counter()
    timer.start()
    try:
        full()
        outcome, caught, where = "completed", time.perf_counter(), None
    except KeyboardInterrupt as exc:
        caught = time.perf_counter()
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        outcome, where = "interrupted", [os.path.basename(frame.filename), frame.line]
    timer.join()
    time.sleep(0.3)
    cpu = time.process_time()
    time.sleep(0.5)
    idle_cpu = time.process_time() - cpu
    threads = liger_threads()
    again = as_bytes(small())
    print(json.dumps({
        "outcome": outcome,
        "n": n,
        "estimate": estimate,
        "signal_after": sent["at"] - started,
        "latency": caught - sent["at"],
        "where": where,
        "idle_cpu": idle_cpu,
        "threads": threads,
        "same_after": again == reference,
    }))
    """
)


@pytest.mark.parametrize(
    "case",
    [
        "nearest_support",
        "nearest_support_exact",
        "knn_graph",
        "radius_neighbors",
        "fit",
        "nearest_support_progress",
    ],
)
def test_sigint_interrupts_a_long_call_and_stops_its_threads(case):
    done = subprocess.run(
        [sys.executable, "-c", CHILD, case],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    report = json.dumps(got, indent=1)
    too_short = f"the call is too short to test on this machine\n{report}"
    assert got["estimate"] >= MIN_ESTIMATE, too_short
    assert got["outcome"] == "interrupted", report
    assert got["signal_after"] >= 0.45, report
    assert got["latency"] <= MAX_LATENCY, f"KeyboardInterrupt came too late\n{report}"
    # Raised out of the Rust call itself (not by Python code after it returned).
    assert got["where"][0] == "nearest.py" and "_core." in got["where"][1], report
    assert got["threads"], f"no liger worker thread found\n{report}"
    assert all(state != "R" for state in got["threads"].values()), f"a worker still runs\n{report}"
    assert got["idle_cpu"] <= MAX_IDLE_CPU, f"the process kept computing\n{report}"
    assert got["same_after"], report


def test_a_call_from_another_thread_completes_and_the_main_thread_gets_the_interrupt():
    """Only the main thread handles signals (Python's rule): SIGINT interrupts the main thread
    waiting for the other thread, and the search running there completes, correctly."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, "thread"],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    report = json.dumps(got, indent=1)
    assert got["duration"] >= 0.4, f"the call is too short to test on this machine\n{report}"
    assert got["outcome"] == "interrupted", report
    assert got["latency"] <= MAX_LATENCY, report
    assert got["same"], report


LF_CHILD = textwrap.dedent(
    """
    import json, os, signal, threading, time

    import numpy as np

    from liger import ABSTAIN, LFApplier, LabelingFunction

    signal.signal(signal.SIGINT, signal.default_int_handler)  # see CHILD

    started = []


    def slow(name):
        def lf(xs):
            started.append(name)
            time.sleep(0.4)
            return np.full(len(xs), ABSTAIN)

        return LabelingFunction(lf, name=name, vectorized=True)


    lfs = [slow(f"lf{j}") for j in range(8)]
    applier = LFApplier(n_jobs=2, backend="threads", cache=False)
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
    try:
        applier.apply(lfs, list(range(100)))
        outcome = "completed"
    except KeyboardInterrupt:
        outcome = "interrupted"
    time.sleep(0.5)  # any LF still queued would start meanwhile
    print(json.dumps({"outcome": outcome, "started": started}))
    """
)


def test_ctrl_c_while_lfs_run_in_threads_drops_the_lfs_not_started():
    """Eight 0.4 s LFs on two threads, SIGINT at 0.2 s: the two running LFs finish (Python code
    cannot be stopped), the six queued ones never start (``Executor.map``, which the applier
    uses, cancels its pending futures when waiting for one raises)."""
    done = subprocess.run(
        [sys.executable, "-c", LF_CHILD], capture_output=True, text=True, timeout=CHILD_TIMEOUT
    )
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["outcome"] == "interrupted", got
    assert len(got["started"]) <= 4, got


def _run_child(case):
    done = subprocess.run(
        [sys.executable, "-c", CHILD, case], capture_output=True, text=True, timeout=CHILD_TIMEOUT
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_progress_reports_are_monotone_and_end_complete():
    got = _run_child("progress")
    report = json.dumps({**got, "calls": got["calls"][:3] + ["..."] + got["calls"][-3:]}, indent=1)
    assert got["outcome"] == "completed", report
    calls = got["calls"]
    assert {stage for stage, _, _ in calls} == {"nearest support"}, report
    assert calls[0] == ["nearest support", 0, 0], report  # the stage starts
    done = [d for _, d, _ in calls]
    assert done == sorted(done), f"done went down\n{report}"
    assert all(0 <= d <= t for _, d, t in calls[1:]), report
    # A call of seconds reports every 0.2 s while it runs, and once complete.
    assert got["duration"] >= 1.0 and len(calls) >= 4, report
    assert any(0 < d < t for _, d, t in calls), report
    assert calls[-1][1] == calls[-1][2] > 0, report
    assert got["same_after"], report


def test_an_exception_of_the_progress_callback_stops_the_search():
    got = _run_child("progress_raises")
    report = json.dumps(got, indent=1)
    assert got["outcome"] == "raised stop here", report
    # The first report of a running search raised: the call stopped then, not at its end.
    assert got["latency"] <= MAX_LATENCY and got["duration"] < got["estimate"], report
    assert got["threads"], f"no liger worker thread found\n{report}"
    assert all(state != "R" for state in got["threads"].values()), f"a worker still runs\n{report}"
    assert got["idle_cpu"] <= MAX_IDLE_CPU, f"the process kept computing\n{report}"
    assert got["same_after"], report
