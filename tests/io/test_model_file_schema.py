"""Crafted model files with valid checksums (every checksum recomputed, so that the state
validation, not the checksum, is what refuses them): each state entry is checked against its
class's schema before the model is used, and refused with a ModelFileError naming the entry."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import textwrap
import warnings
import zipfile

import numpy as np
import pytest

import liger
from liger import EndModel, LabelModel, Liger, MajorityVoter, ModelFileError

from ..helpers.reliability import blob_problem

BINARY = blob_problem(seed=0, K=2)


def _fit(cls, **params):
    (L, X, _), (L_dev, X_dev, y_dev) = BINARY[0], BINARY[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if cls is Liger:
            return Liger(thresholds=0.3, end_model="logreg", random_state=0, **params).fit(
                L, X, L_dev, X_dev, y_dev
            )
        if cls is EndModel:
            return EndModel(random_state=0).fit(X, np.eye(2)[(X[:, 0] > 0).astype(int)])
        return cls(cardinality=2).fit(L)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("schema")
    out = {}
    for cls in (LabelModel, MajorityVoter, EndModel, Liger):
        path = folder / f"{cls.__name__}.npz"
        _fit(cls).save(path)
        out[cls.__name__] = path
    return out


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _npy(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def _craft(src, dst, edit):
    """Copy a model file; ``edit(manifest, node of the top model, set_array)`` changes it, and
    every checksum is recomputed. ``set_array(node, name, array)`` stores an array entry."""
    members = _members(src)
    manifest = json.loads(members["manifest.json"])

    def set_array(state, name, array):
        key = f"x{len(manifest['arrays'])}"
        payload = _npy(array)
        members[f"arrays/{key}.npy"] = payload
        array = np.asarray(array)
        manifest["arrays"][key] = {
            "sha256": hashlib.sha256(payload).hexdigest(),
            "dtype": array.dtype.str,
            "shape": list(array.shape),
        }
        state[name] = {"array": key}

    edit(manifest, manifest["model"], set_array)
    raw = json.dumps(manifest).encode()
    members["manifest.json"] = raw
    members["manifest.sha256"] = (hashlib.sha256(raw).hexdigest() + "\n").encode()
    with zipfile.ZipFile(dst, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data)
    return dst


def _state(node):
    return node["state"]


CASES = {
    # LabelModel: a log table of the wrong width (predict_proba never returned).
    "log_flat_width_1": (
        "LabelModel",
        lambda m, node, put: put(_state(node), "_log_flat", np.zeros((2, 4))),
        r"_log_flat: expected shape \(2, 18\), got \(2, 4\)",
    ),
    "log_flat_width_0": (
        "LabelModel",
        lambda m, node, put: put(_state(node), "_log_flat", np.zeros((2, 0))),
        r"_log_flat: expected shape",
    ),
    "log_flat_nan": (
        "LabelModel",
        lambda m, node, put: put(_state(node), "_log_flat", np.full((2, 18), np.nan)),
        r"_log_flat: expected values, got NaN",
    ),
    "negative_balance": (
        "LabelModel",
        lambda m, node, put: put(_state(node), "class_balance_", np.array([1.5, -0.5])),
        r"class_balance_: expected values >= 0",
    ),
    "nan_balance": (
        "MajorityVoter",
        lambda m, node, put: put(_state(node), "class_balance_", np.array([np.nan, 0.5])),
        r"class_balance_: expected finite values",
    ),
    "balance_not_summing_to_one": (
        "MajorityVoter",
        lambda m, node, put: put(_state(node), "class_balance_", np.array([0.2, 0.2])),
        r"class_balance_: expected probabilities summing to 1",
    ),
    "cardinality_zero": (
        "LabelModel",
        lambda m, node, put: _state(node).update(_cardinality=0),
        r"_cardinality: expected an int in \[2, 1000\], got 0",
    ),
    "n_lfs_string": (
        "MajorityVoter",
        lambda m, node, put: _state(node).update(n_lfs_="4"),
        r"n_lfs_: expected an int, got str",
    ),
    "dunder_class": (
        "LabelModel",
        lambda m, node, put: _state(node).update(__class__="EndModel"),
        r"model\.__class__: dunder names are refused",
    ),
    "shadows_a_method": (
        "LabelModel",
        lambda m, node, put: _state(node).update(predict_proba=1),
        r"model\.predict_proba: would shadow LabelModel\.predict_proba",
    ),
    "shadows_a_class_attribute": (
        "LabelModel",
        lambda m, node, put: _state(node).update(_FITTED="n_lfs_"),
        r"model\._FITTED: would shadow",
    ),
    "not_an_identifier": (
        "MajorityVoter",
        lambda m, node, put: _state(node).update({"a b": 1}),
        r"'a b' is not an attribute name",
    ),
    "end_model_coef": (
        "EndModel",
        lambda m, node, put: put(_state(node), "coef_", np.zeros((4, 3))),
        r"coef_: expected shape \(\*, 2\)",
    ),
    "liger_thresholds": (
        "Liger",
        lambda m, node, put: put(_state(node), "thresholds_", np.zeros(2, dtype=np.float32)),
        r"thresholds_: expected shape",
    ),
    "liger_support_votes": (
        "Liger",
        lambda m, node, put: put(
            _state(node), "_L_support", np.full((len(BINARY[0][0]), 6), 7, dtype=np.int64)
        ),
        r"_L_support: expected values <= 1",
    ),
    "liger_nested_label_model": (
        "Liger",
        lambda m, node, put: put(
            _state(node)["global_label_model_"]["state"], "class_balance_", np.array([2.0, -1])
        ),
        r"global_label_model_: state entry class_balance_",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_crafted_state_entry_is_refused_by_name(case, files, tmp_path):
    model, edit, pattern = CASES[case]
    bad = _craft(files[model], tmp_path / f"{case}.npz", edit)
    with pytest.raises(ModelFileError, match=rf"{case}\.npz: corrupted model file: .*{pattern}"):
        liger.load(bad)


def test_the_untouched_files_load(files, tmp_path):
    for name, path in files.items():
        copy = _craft(path, tmp_path / f"same-{name}.npz", lambda m, node, put: None)
        assert type(liger.load(copy)).__name__ == name


def test_blocks_refuse_a_width_below_two():
    """In a subprocess with a timeout: before, _Blocks looped forever for width 0 or 1."""
    code = textwrap.dedent(
        """
        from liger.label_model.encoding import _Blocks
        for cardinality in (-1, 0):
            try:
                _Blocks(4, cardinality)
            except ValueError as error:
                assert "expected K + 1 >= 2 entries per LF" in str(error), error
            else:
                raise SystemExit("accepted")
        print("refused")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "refused", result.stdout + result.stderr


def test_a_wrong_width_log_table_never_hangs(files, tmp_path):
    """The crafted file of the issue, loaded and used in a subprocess with a timeout: the load
    refuses it (before, predict_proba looped forever in _Blocks)."""
    bad = _craft(
        files["LabelModel"],
        tmp_path / "width.npz",
        lambda m, node, put: put(_state(node), "_log_flat", np.zeros((2, 4))),
    )
    code = textwrap.dedent(
        f"""
        import numpy as np, liger
        try:
            model = liger.load({str(bad)!r})
            model.predict_proba(np.full((3, 4), -1))
        except liger.ModelFileError as error:
            print("refused:", error)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert "refused:" in result.stdout, result.stdout + result.stderr
