"""The LF cache's code key follows wrappers (``__wrapped__``: functools.lru_cache / cache /
wraps) and the code of ``pre`` preprocessors, wherever they are defined: redefining them
invalidates the cached column."""

from __future__ import annotations

import sys
import types

import pytest

from liger import LabelingFunction, LFApplier

RECORDS = ["a", "bb", "ccc", "dddd"]


def _module(name: str, source: str) -> types.ModuleType:
    """A module (as a user's file of helpers would be), (re)defined from ``source``."""
    module = sys.modules.get(name) or types.ModuleType(name)
    sys.modules[name] = module
    exec(source, module.__dict__)
    return module


@pytest.fixture
def lfs_module():
    yield "liger_test_user_lfs"
    sys.modules.pop("liger_test_user_lfs", None)
    sys.modules.pop("liger_test_user_helpers", None)


@pytest.mark.parametrize("decorator", ["functools.lru_cache(maxsize=None)", "functools.cache"])
def test_a_cached_helper_redefined_invalidates_the_lf(decorator, lfs_module):
    source = f"""
import functools
@{decorator}
def helper(x):
    return VOTE
def lf(x):
    return helper(len(x))
"""
    applier = LFApplier(cardinality=2)
    first = _module(lfs_module, source.replace("VOTE", "0"))
    assert applier.apply([LabelingFunction(first.lf)], RECORDS)[:, 0].tolist() == [0] * 4
    second = _module(lfs_module, source.replace("VOTE", "1"))
    assert applier.apply([LabelingFunction(second.lf)], RECORDS)[:, 0].tolist() == [1] * 4
    # The LF itself wrapped: the same.
    third = _module(
        lfs_module, source.replace("VOTE", "0").replace("def lf", f"@{decorator}\ndef lf")
    )
    assert applier.apply([LabelingFunction(third.lf)], RECORDS)[:, 0].tolist() == [0] * 4


@pytest.mark.parametrize("wrapped", [False, True])
def test_a_redefined_pre_function_invalidates_the_lf(wrapped, lfs_module):
    """``pre`` functions defined in another module than the LF (a helpers module), plain or
    wrapped in functools.lru_cache."""
    lf_module = _module(lfs_module, "def lf(x):\n    return int(x > 2)\n")
    decorator = "@functools.lru_cache(maxsize=None)\n" if wrapped else ""
    source = f"import functools\n{decorator}def size(x):\n    return len(x) + SHIFT\n"
    applier = LFApplier(cardinality=2)
    helpers = _module("liger_test_user_helpers", source.replace("SHIFT", "0"))
    lf = LabelingFunction(lf_module.lf, pre=[helpers.size])
    assert applier.apply([lf], RECORDS)[:, 0].tolist() == [0, 0, 1, 1]
    helpers = _module("liger_test_user_helpers", source.replace("SHIFT", "2"))
    lf = LabelingFunction(lf_module.lf, pre=[helpers.size])
    assert applier.apply([lf], RECORDS)[:, 0].tolist() == [1, 1, 1, 1]
    # Unchanged: still served from the cache.
    applier.apply([lf], RECORDS)
    assert applier.last_report_.cached == [lf.name]
