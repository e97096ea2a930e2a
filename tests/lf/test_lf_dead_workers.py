"""A dead LF worker process (``os._exit`` in the LF, SIGKILL as the out-of-memory killer sends)
raises an error naming the LF instead of hanging ``apply`` (run in a subprocess, with a
timeout)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from liger.lf import appliers

CODE = """
import os, signal
from liger import LFApplier, LabelingFunction, LabelingFunctionError
RECORDS = [f"text {{i}}" for i in range(6000)]
target = RECORDS[4321]

def fine(x):
    return len(x) % 2

def dies(x):
    if x == target:
        {death}
    return -1

lfs = [LabelingFunction(fine, name="fine"), LabelingFunction(dies, name="dies")]
try:
    LFApplier(backend={backend!r}, n_jobs=2, cache=False).apply(lfs, RECORDS)
    print("no error")
except LabelingFunctionError as error:
    print("error:", error.lf, "|", error)
# The applier still works afterwards.
L = LFApplier(backend={backend!r}, n_jobs=2, cache=False).apply(lfs[:1], RECORDS)
print("after:", L.shape)
"""


@pytest.mark.skipif(not appliers._can_fork(), reason="worker processes need fork")
@pytest.mark.parametrize(
    "death, how",
    [
        ("os._exit(3)", "exited with code 3"),
        ("os.kill(os.getpid(), signal.SIGKILL)", "was killed by SIGKILL"),
    ],
)
@pytest.mark.parametrize("backend", ["processes", "auto"])
def test_a_dead_worker_raises_an_error_naming_the_lf(death, how, backend, monkeypatch):
    code = CODE.format(death=death, backend=backend)
    if backend == "auto":  # the auto rule picks processes for LF sets estimated over 0.2 s
        code = "import liger.lf.appliers as a; a.PROCESS_MIN_SECONDS = 0.0\n" + code
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "error: dies | labeling function 'dies'" in out, out
    assert how in out and "rows " in out, out
    assert "after: (6000, 1)" in out, out
