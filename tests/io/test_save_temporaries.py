"""A save killed outright (SIGKILL: no cleanup runs) leaves its temporary file; the next save
of the same path removes it (and never a live writer's)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np

import liger
from liger import LabelModel


def _temporaries(folder):
    return sorted(name for name in os.listdir(folder) if name != "model.npz")


def _model():
    rng = np.random.default_rng(0)
    L = np.where(rng.random((200, 4)) < 0.5, rng.integers(0, 2, (200, 4)), -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LabelModel(cardinality=2).fit(L)


def test_the_next_save_removes_the_temporary_of_a_killed_save(tmp_path):
    target = tmp_path / "model.npz"
    code = textwrap.dedent(
        f"""
        import os, signal, warnings
        import numpy as np
        from liger import LabelModel
        warnings.simplefilter("ignore")
        rng = np.random.default_rng(0)
        L = np.where(rng.random((200, 4)) < 0.5, rng.integers(0, 2, (200, 4)), -1)
        model = LabelModel(cardinality=2).fit(L)
        real = np.lib.format.write_array
        def killed(*args, **kwargs):  # SIGKILL in the middle of writing the file
            real(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
        np.lib.format.write_array = killed
        model.save({str(target)!r})
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert result.returncode == -9, result.stderr
    left = _temporaries(tmp_path)
    assert len(left) == 1 and left[0].startswith(".model.npz.") and not target.exists()
    # A live writer's temporary (this process's pid) is left alone.
    live = tmp_path / f".model.npz.{os.getpid()}.0123456789ab.liger-tmp"
    live.write_bytes(b"being written")
    model = _model()
    model.save(target)
    assert _temporaries(tmp_path) == [live.name]
    np.testing.assert_array_equal(liger.load(target).class_balance_, model.class_balance_)
    # Files that merely look alike are not touched.
    other = tmp_path / ".model.npz.backup"
    other.write_bytes(b"")
    model.save(target)
    assert _temporaries(tmp_path) == sorted([live.name, other.name])
