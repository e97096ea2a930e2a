"""Progress of long builds and fits: ``with liger.progress(...):`` (:func:`progress`).

Usage::

    with liger.progress():                 # a bar per stage (tqdm), or a line on stderr
        session = liger.Session(L, X, dev=(L_dev, X_dev, y_dev))

    def report(stage, done, total):
        print(f"{stage}: {done} of {total}")

    with liger.progress(report):           # your callback instead
        Liger().fit(L, X, L_dev=L_dev, X_dev=X_dev, y_dev=y_dev)

What is reported
----------------
Inside the context, every *stage* of a build or fit that runs a search or another long step
reports: ``"k-NN graphs"`` (a Session's graphs of every split), ``"nearest support"``,
``"k-NN graph"``, ``"radius neighbours"``, ``"extension"``, ``"fallback search"`` (a Session's
exact searches of the points its graphs cannot answer) and ``"end model"``. A stage started inside
another (the k-NN graph searches of ``"k-NN graphs"``) counts towards the outer one.

``callback(stage, done, total)`` is called in the thread that entered the context:

- once when the stage starts, with ``done = total = 0`` (``total = 0``: not known yet);
- while a search of the compiled core runs (from Python's main thread), every 0.2 s, with
  ``done`` and ``total`` counted in query x candidate pairs of its sweeps; ``done`` never
  decreases, ``total`` may grow (a stage that runs several searches, each known only when it
  starts);
- once when the stage ends, with ``done == total >= 1`` (1 for a step that counts no pairs).

An exception raised by the callback propagates out of the build: a search it interrupts is
cancelled first (its worker threads have stopped when the exception arrives), exactly as Ctrl-C
is answered. Ctrl-C is answered as fast with progress reported as without.

``progress()`` / ``progress(True)``: a `tqdm <https://tqdm.github.io>`_ bar per stage (terminal or
notebook, ``tqdm.auto``; shown once a stage has run 1 s) when tqdm is installed
(``pip install "liger[progress]"``), else a plain line on stderr every second while a stage runs
longer than that. ``progress(False)`` or ``progress(None)``: no reports (a way to silence an
enclosing context). Contexts nest; the innermost one of the thread running the stage reports
(a context opened in another thread sees nothing of this one's builds).
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from ._native import _core

__all__ = ["progress"]

Callback = Callable[[str, int, int], Any]

# The open contexts (innermost last) and the stage being reported, if any.
_contexts: list[_Context] = []
_lock = threading.Lock()


class _Context:
    """One ``progress(...)`` context: its callback, the thread it reports in, its open stage."""

    def __init__(self, callback: Callback | None) -> None:
        self.callback = callback
        self.thread = threading.get_ident()
        self.stage: _Stage | None = None


class _Stage:
    """The counts of an open stage: the finished core calls' and the running one's."""

    def __init__(self, name: str, callback: Callback) -> None:
        self.name = name
        self.callback = callback
        self.done = self.total = 0  # finished core calls
        self.last = 0  # the last ``done`` reported (monotone)

    def report(self, done: int, total: int) -> None:
        done = max(done, self.last)
        self.last = done
        self.callback(self.name, done, max(total, done))

    def core(self, done: int, total: int, finished: bool) -> None:
        """The core's hook: ``(done, total)`` of the call running now; ``finished`` once. A call
        that counts nothing (no sweep: a scan of the inputs) is not reported."""
        if total == 0:
            return
        self.report(self.done + done, self.total + total)
        if finished:
            self.done += done
            self.total += total


def _innermost() -> _Context | None:
    """The innermost open context of this thread."""
    thread = threading.get_ident()
    return next((c for c in reversed(_contexts) if c.thread == thread), None)


def _core_hook(done: int, total: int, finished: bool) -> None:
    """Installed in the core while a context is open: the running call's progress to the open
    stage of this thread's innermost context (nothing when no stage is open)."""
    context = _innermost()
    if context is not None and context.stage is not None:
        context.stage.core(int(done), int(total), bool(finished))


@contextlib.contextmanager
def progress(callback: Callback | bool | None = True) -> Iterator[None]:
    """Report the progress of the builds and fits run inside the ``with`` block.

    Parameters
    ----------
    callback : callable, bool or None, default=True
        ``callback(stage: str, done: int, total: int)`` (see the module docstring for when it is
        called); True: a tqdm bar per stage if tqdm is installed (``pip install
        "liger[progress]"``), else a line on stderr every second; False or None: nothing
        (silences an enclosing context).
    """
    display = _default_display() if callback is True else None  # ours to close at the end
    if display is not None:
        callback = display
    elif callback is False or callback is None:
        callback = None
    elif not callable(callback):
        raise TypeError(
            f"callback: expected a callable (stage, done, total), True, False or None, got "
            f"{type(callback).__name__}"
        )
    context = _Context(callback)
    with _lock:
        _contexts.append(context)
        if len(_contexts) == 1:
            _core.set_progress(_core_hook)
    try:
        yield
    finally:
        with _lock:
            _contexts.remove(context)
            if not _contexts:
                _core.set_progress(None)
        if display is not None:
            display.close()


@contextlib.contextmanager
def stage(name: str) -> Iterator[None]:
    """A stage of a build (used by liger's stages around their long steps): reported to this
    thread's innermost context when there is one and no stage is open in it yet; a no-op
    otherwise (cheap: no context, no work)."""
    context = _innermost() if _contexts else None
    if context is None or context.callback is None or context.stage is not None:
        yield
        return
    current = _Stage(name, context.callback)
    context.stage = current
    try:
        current.report(0, 0)
        yield
        done = max(current.total, 1)
        current.report(done, done)
    finally:
        context.stage = None


def _default_display() -> Callback:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _Lines()
    return _Bars(tqdm)


class _Bars:
    """A tqdm bar per stage, shown once the stage has run ``delay`` seconds."""

    def __init__(self, tqdm: Any, delay: float = 1.0) -> None:
        self._tqdm = tqdm
        self._delay = delay
        self._bar: Any = None
        self._name: str | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self._bar is None or stage != self._name or (done == 0 and total == 0):
            self.close()  # a stage starts: the previous one's bar is complete
            self._name = stage
            self._bar = self._tqdm(
                total=total or None, desc=stage, unit="pair", unit_scale=True, delay=self._delay
            )
        bar = self._bar
        if total and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar = None
        self._name = None


class _Lines:
    """A line on stderr every ``every`` seconds while a stage runs longer than that."""

    def __init__(self, every: float = 1.0, stream: Any = None) -> None:
        self._every = every
        self._stream = stream
        self._stage: str | None = None
        self._started = self._printed = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage != self._stage or (done == 0 and total == 0):
            self._stage, self._started, self._printed = stage, now, now
            return
        if now - self._printed < self._every:
            return
        self._printed = now
        share = f"{100 * done / total:.0f}%" if total else "..."
        stream = self._stream if self._stream is not None else sys.stderr
        print(f"liger: {stage}: {share} ({now - self._started:.0f} s)", file=stream, flush=True)

    def close(self) -> None:
        pass
