"""Model files beyond the documented limits (zip bombs, members declaring more than the file,
duplicate members) are refused with a ModelFileError before anything is inflated or allocated."""

from __future__ import annotations

import hashlib
import io
import json
import warnings
import zipfile

import numpy as np
import pytest

import liger
from liger import LabelModel, ModelFileError
from liger.io.limits import MAX_MANIFEST_BYTES, MAX_MEMBER_BYTES


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A saved LabelModel: its path and members."""
    rng = np.random.default_rng(0)
    L = np.where(rng.random((200, 4)) < 0.5, rng.integers(0, 2, (200, 4)), -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LabelModel(cardinality=2).fit(L)
    path = tmp_path_factory.mktemp("limits") / "model.npz"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    return path, members


def _write(path, members, compress=(), duplicate=()):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of a duplicate name
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in members:
                method = zipfile.ZIP_DEFLATED if name in compress else zipfile.ZIP_STORED
                archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return path


def _with_manifest(members, raw):
    out = dict(members)
    out["manifest.json"] = raw
    out["manifest.sha256"] = (hashlib.sha256(raw).hexdigest() + "\n").encode()
    return out


def test_limits_are_documented():
    assert MAX_MANIFEST_BYTES == 1 << 26 and MAX_MEMBER_BYTES == 1 << 36
    assert "MAX_MEMBER_BYTES" in liger.io.codec.__all__


def test_a_compressed_member_is_refused(saved, tmp_path):
    path, members = saved
    bad = _write(tmp_path / "deflated.npz", members.items(), compress={"arrays/a0.npy"})
    with pytest.raises(ModelFileError, match=r"deflated\.npz: .*'arrays/a0\.npy' is compressed"):
        liger.load(bad)


def test_a_zip_bomb_manifest_is_refused(saved, tmp_path):
    """A manifest padded with 64 MiB of spaces (valid JSON, checksum recomputed) deflates to a
    few dozen KiB: refused because compressed, and a stored one beyond the cap would be too."""
    path, members = saved
    raw = members["manifest.json"] + b" " * (64 << 20)
    bomb = _write(
        tmp_path / "bomb.npz", _with_manifest(members, raw).items(), compress={"manifest.json"}
    )
    assert bomb.stat().st_size < 1 << 20
    with pytest.raises(ModelFileError, match=r"bomb\.npz: .*'manifest\.json' is compressed"):
        liger.load(bomb)


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_a_member_declaring_more_than_the_file_is_refused(saved, tmp_path, method):
    """The central directory says manifest.json holds 8 TiB (zip64 sizes): a
    ModelFileError naming the member, not a MemoryError."""
    path, members = saved
    target = tmp_path / "huge.npz"
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
        # What the central directory (written on close, with zip64 sizes) will say.
        info = archive.getinfo("manifest.json")
        info.file_size = info.compress_size = 8 << 40
    problem = "'manifest.json' declares 8796" if method == zipfile.ZIP_STORED else "is compressed"
    with pytest.raises(ModelFileError, match=rf"huge\.npz: .*{problem}"):
        liger.load(target)


def test_a_duplicate_manifest_is_refused(saved, tmp_path):
    path, members = saved
    other = json.loads(members["manifest.json"])
    other["liger_version"] = "0.0.0"
    raw = json.dumps(other).encode()
    # The checksum is the second manifest's (the one zipfile reads): only the duplicate is wrong.
    checksum = (hashlib.sha256(raw).hexdigest() + "\n").encode()
    items = [(n, checksum if n == "manifest.sha256" else d) for n, d in members.items()]
    items.append(("manifest.json", raw))
    bad = _write(tmp_path / "twice.npz", items)
    with pytest.raises(ModelFileError, match=r"twice\.npz: .*'manifest\.json' appears twice"):
        liger.load(bad)


def test_an_npy_header_declaring_more_than_its_member_is_refused(saved, tmp_path):
    """A header saying shape (2**40,) with the manifest (and its checksum) agreeing: refused
    before the array is allocated."""
    path, members = saved
    manifest = json.loads(members["manifest.json"])
    key, entry = next(iter(manifest["arrays"].items()))
    header = {"descr": entry["dtype"], "fortran_order": False, "shape": (1 << 40,)}
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    payload = buffer.getvalue() + b"\0" * 16
    entry.update(sha256=hashlib.sha256(payload).hexdigest(), shape=[1 << 40])
    out = _with_manifest(members, json.dumps(manifest).encode())
    out[f"arrays/{key}.npy"] = payload
    bad = _write(tmp_path / "header.npz", out.items())
    with pytest.raises(ModelFileError, match=r"header\.npz: .*declares \d+ bytes of data"):
        liger.load(bad)
