"""The label model's pairwise statistics grow as F^2 (F <= m K distinct (LF, class) votes):
beyond the documented MAX_PAIRWISE_FEATURES an early MemoryError names the sizes, before anything
is allocated (run under an address-space limit, in a subprocess, so a regression cannot take the
machine's memory)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from liger.label_model.passes import MAX_PAIRWISE_FEATURES, PEAK_BYTES_PER_ENTRY

CODE = """
import resource, warnings
import numpy as np
from scipy import sparse
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
from liger import LabelModel, Liger
warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
L = rng.integers(0, 1000, (3000, 10)).astype(np.int16)  # F ~ 9500 of m K = 10000
L = {layout}
try:
    LabelModel(cardinality=1000).fit(L)
    print("fitted")
except MemoryError as error:
    print("refused:", error)
"""


def test_the_limit_is_documented():
    assert MAX_PAIRWISE_FEATURES == 5000
    assert PEAK_BYTES_PER_ENTRY * (MAX_PAIRWISE_FEATURES + 1) ** 2 < 2e9


# Dense votes, and CSR votes (no stored entry = abstain; class 0 left out so none is dropped).
@pytest.mark.parametrize("layout", ["L", "sparse.csr_matrix(np.where(L == 0, 1, L))"])
def test_too_many_features_are_refused_early_with_the_sizes(layout):
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CODE.format(layout=layout))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "refused: L: the label model's pairwise statistics of m = 10 LFs x K = 1000" in out, (
        out + result.stderr
    )
    assert "the limit is F <= 5000" in out and "label_model='majority'" in out, out
