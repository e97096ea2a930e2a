"""The LF applier's worker processes: chunk tasks ``(LF j, rows start:stop)`` run over a
``concurrent.futures.ProcessPoolExecutor`` with the fork start method (the workers inherit the
LFs and the records: nothing is pickled on the way in). A worker that dies (``os._exit`` in an
LF, SIGKILL from the OOM killer) breaks the pool (``BrokenProcessPool``) instead of hanging the
apply: the error names the LF of the task that worker was running, and its rows."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Callable

from .definition import LabelingFunctionError

_FORK_STATE: tuple | None = None  # (run, started), read by the forked workers


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin"


def _worker(task):
    i, j, start, stop = task
    run, started = _FORK_STATE
    started[i] = os.getpid()  # which worker took task i (to name the LF if it dies)
    return i, run(j, start, stop)


def run_in_processes(
    run: Callable, tasks: Sequence[tuple], workers: int, names: Sequence[str]
) -> list:
    """``run(j, start, stop)`` of every task ``(j, start, stop)`` in forked workers, in task
    order. ``names[j]``: LF j's name, for the :class:`LabelingFunctionError` a dead worker
    raises."""
    global _FORK_STATE
    context = multiprocessing.get_context("fork")
    started = context.RawArray("q", len(tasks))  # shared with the workers (inherited)
    results: list = [None] * len(tasks)
    broken = None
    _FORK_STATE = (run, started)
    try:
        with warnings.catch_warnings():
            # Python >= 3.12 warns about fork in a multithreaded process; the workers only run
            # the LFs' Python code, and liger's native core is fork-safe.
            warnings.simplefilter("ignore", DeprecationWarning)
            with ProcessPoolExecutor(min(workers, len(tasks)), mp_context=context) as pool:
                futures = [pool.submit(_worker, (i, *task)) for i, task in enumerate(tasks)]
                # With fork every worker starts at the first submit: keep them to read their
                # exit codes once the pool is shut down.
                processes = dict(getattr(pool, "_processes", None) or {})
                try:
                    for future in futures:
                        i, part = future.result()
                        results[i] = part
                except BrokenProcessPool as exc:
                    broken = exc
                    for future in futures:
                        future.cancel()
    finally:
        _FORK_STATE = None
    if broken is not None:  # the pool is shut down: every worker has exited
        raise _dead_worker(tasks, results, list(started), processes, names) from broken
    return results


def _dead_worker(tasks, results, started, processes, names) -> LabelingFunctionError:
    innocent = (0, -signal.SIGTERM, None)  # finished, or terminated by the broken pool
    dead = {pid: p.exitcode for pid, p in processes.items() if p.exitcode not in innocent}
    unfinished = [i for i, part in enumerate(results) if part is None and started[i]]
    culprits = [i for i in unfinished if started[i] in dead] or unfinished or [0]
    j, start, stop = tasks[culprits[0]]
    code = dead.get(started[culprits[0]])
    if code is None:
        how = "died"
    elif code < 0:
        how = f"was killed by {signal.Signals(-code).name}"
    else:
        how = f"exited with code {code}"
    others = sorted({names[tasks[i][0]] for i in culprits[1:]} - {names[j]})
    maybe = f" (or one of {others})" if others else ""
    return LabelingFunctionError(
        f"labeling function {names[j]!r}{maybe}: the worker process applying it to rows "
        f"{start}..{stop - 1} {how} (os._exit or sys.exit in the LF, or the out-of-memory "
        "killer?); run it with LFApplier(backend='serial') to see its error",
        names[j],
    )
