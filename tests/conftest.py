"""Shared pytest fixtures and the loader of the shared real datasets."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

REPO_ROOT = Path(__file__).resolve().parents[1]

# Profiles of the hypothesis fuzz of the entry points (tests/test_fuzz_python.py), chosen with
# LIGER_FUZZ_PROFILE (default "ci"). They apply to those tests only (they pass the profile as
# the parent of their settings); the suite's other property tests keep their own settings.
#   ci:   a bounded run (tens of seconds for all targets), derandomized: a CI failure reproduces
#         exactly on any machine, and a shared machine's speed cannot make it flaky (no deadline).
#   long: local bug hunting, random and much longer: LIGER_FUZZ_PROFILE=long pytest
#         tests/test_fuzz_python.py (examples: LIGER_FUZZ_EXAMPLES, default 2000 per target).
settings.register_profile(
    "liger-fuzz-ci",
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "liger-fuzz-long",
    max_examples=int(os.environ.get("LIGER_FUZZ_EXAMPLES", "2000")),
    derandomize=False,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def fuzz_settings(scale: float = 1.0) -> settings:
    """The fuzz profile of ``LIGER_FUZZ_PROFILE`` ("ci" or "long"), with ``scale`` times its
    examples (slow targets run fewer)."""
    name = os.environ.get("LIGER_FUZZ_PROFILE", "ci")
    if name not in ("ci", "long"):
        raise pytest.UsageError(f"LIGER_FUZZ_PROFILE: expected 'ci' or 'long', got {name!r}")
    profile = settings.get_profile(f"liger-fuzz-{name}")
    return settings(profile, max_examples=max(1, int(profile.max_examples * scale)))


def pytest_report_header(config) -> str:
    import liger

    return f"liger {liger.__version__} from {Path(liger.__file__).parent}"


def pytest_configure(config) -> None:
    """With ``LIGER_TEST_INSTALLED=1`` (scripts/test-wheel) the suite must test an installed
    liger, never a source tree."""
    if os.environ.get("LIGER_TEST_INSTALLED") != "1":
        return
    import sysconfig

    import liger

    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    if site not in Path(liger.__file__).resolve().parents:
        raise pytest.UsageError(
            f"LIGER_TEST_INSTALLED=1: liger was imported from {liger.__file__}, not from {site}"
        )


def missing_data(message: str) -> None:
    """Skip the test, or fail it when ``LIGER_REQUIRE_DATA=1`` (CI with the data present)."""
    if os.environ.get("LIGER_REQUIRE_DATA") == "1":
        pytest.fail(f"{message} (LIGER_REQUIRE_DATA=1)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared real datasets: ``$LIGER_DATA``, default ``../shared/data`` from the repo root."""
    path = Path(os.environ.get("LIGER_DATA", REPO_ROOT.parent / "shared" / "data"))
    if not path.is_dir():
        missing_data(f"shared data not found at {path}; set LIGER_DATA")
    return path


def load_votes(data_dir: Path, name: str, split: str) -> tuple[np.ndarray, np.ndarray | None]:
    """``(L, y)`` of one split, in Liger's convention (-1 = abstain, classes 0..K-1).

    WRENCH JSON for youtube / sms / trec; FlyingSquid's {-1, +1} / 0 = abstain ``.npy`` for tennis
    (splits "train" and "valid"; its train split has no labels, so y is None there).
    """
    from liger.conventions import from_pm1

    folder = data_dir / name
    if name == "tennis":
        stem = {"train": "L_train_video", "valid": "L_dev_video"}[split]
        path = folder / f"{stem}.npy"
        if not path.is_file():
            missing_data(f"{path} not found")
        L = from_pm1(np.load(path))
        y = None if split == "train" else from_pm1(np.load(folder / "Y_dev_video.npy"))
        return L, y
    from liger.datasets import load_wrench

    if not (folder / f"{split}.json").is_file():
        missing_data(f"{folder / f'{split}.json'} not found")
    part = load_wrench(folder, embeddings=None, splits=(split,))[split]
    return part.L, part.y


def require_module(name: str):
    """Import an optional test dependency; skip without it locally, fail in CI (``CI`` set), where
    the ``test`` extra installs it."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(
                f"{name} is not installed but CI must run these tests (pip install '.[test]')"
            )
        pytest.skip(f"{name} is not installed (pip install '.[test]')")
