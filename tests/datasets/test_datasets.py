"""Tests of liger.datasets: WRENCH loading on the shared data, bad inputs, the bundled example."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from liger.datasets import Dataset, Split, load_example, load_wrench

REPO = Path(__file__).resolve().parents[2]


# name: (train, valid, test sizes), m, K, majority-vote test accuracy from the data README
SHAPES = {
    "youtube": ((1586, 120, 250), 10, 2, 0.776),
    "sms": ((4571, 500, 500), 73, 2, 0.896),
    "trec": ((5033, 500, 500), 68, 6, 0.576),
}


def _majority_vote(L: np.ndarray, n_classes: int, default: int) -> np.ndarray:
    """Plurality of non-abstain votes; ties to the lowest class; uncovered items get `default`."""
    counts = np.stack([(L == k).sum(axis=1) for k in range(n_classes)], axis=1)
    pred = counts.argmax(axis=1)  # argmax takes the first maximum: ties to the lowest class
    pred[counts.sum(axis=1) == 0] = default
    return pred


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_load_wrench_shapes_and_majority_vote(data_dir: Path, name: str) -> None:
    (sizes, m, K, mv_acc) = SHAPES[name]
    ds = load_wrench(data_dir / name)
    assert isinstance(ds, Dataset)
    assert ds.name == name and ds.n_classes == K and len(ds.class_names) == K
    assert ds.lf_names is not None and len(ds.lf_names) == m
    assert len(set(ds.lf_names)) == m
    for split, n in zip(("train", "valid", "test"), sizes):
        sp = ds[split]
        assert sp.name == split and len(sp) == n
        assert sp.L.shape == (n, m) and sp.L.dtype == np.int64
        assert sp.y.shape == (n,) and sp.y.dtype == np.int64
        assert sp.X.shape == (n, 384) and sp.X.dtype == np.float32
        assert len(sp.texts) == n and all(isinstance(t, str) for t in sp.texts)
        assert sp.L.min() >= -1 and sp.L.max() < K
        assert sp.y.min() >= 0 and sp.y.max() < K
        np.testing.assert_allclose(np.linalg.norm(sp.X, axis=1), 1.0, atol=1e-4)
    default = int(np.bincount(ds.valid.y, minlength=K).argmax())
    pred = _majority_vote(ds.test.L, K, default)
    assert abs((pred == ds.test.y).mean() - mv_acc) < 0.0025


def test_load_wrench_options(data_dir: Path) -> None:
    ds = load_wrench(str(data_dir / "youtube"), embeddings=None, splits=("valid",))
    assert ds.train is None and ds.test is None and list(ds.splits) == ["valid"]
    assert ds.valid.X is None and ds.valid.L.shape == (120, 10)
    with pytest.raises(KeyError, match="not loaded"):
        ds["train"]
    with pytest.raises(KeyError, match="expected one of"):
        ds["dev"]
    with pytest.raises(ValueError, match="splits"):
        load_wrench(data_dir / "youtube", splits=("dev",))


# ---------------------------------------------------------------------------------- bad inputs


def _write_wrench(folder: Path, n: int = 4, m: int = 3, K: int = 2, emb: bool = True) -> Path:
    """A tiny valid WRENCH folder; tests then break one thing in it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "label.json").write_text(json.dumps({str(k): f"c{k}" for k in range(K)}))
    rng = np.random.default_rng(0)
    for split in ("train", "valid", "test"):
        items = {
            str(i): {
                "data": {"text": f"{split} item {i}"},
                "label": int(rng.integers(K)),
                "weak_labels": rng.integers(-1, K, size=m).tolist(),
            }
            for i in range(n)
        }
        (folder / f"{split}.json").write_text(json.dumps(items))
        if emb:
            np.save(folder / f"emb_minilm_{split}.npy", rng.normal(size=(n, 5)).astype(np.float32))
    return folder


def _edit(path: Path, fn) -> None:
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))


def test_tiny_folder_loads(tmp_path: Path) -> None:
    ds = load_wrench(_write_wrench(tmp_path / "tiny"))
    assert ds.train.L.shape == (4, 3) and ds.train.X.shape == (4, 5)
    assert ds.class_names == ["c0", "c1"] and ds.lf_names is None
    assert ds.train.texts[2] == "train item 2"


def test_keys_sorted_numerically(tmp_path: Path) -> None:
    folder = _write_wrench(tmp_path / "d", n=12)
    path = folder / "train.json"
    data = json.loads(path.read_text())
    # store in string order "0","1","10","11","2",...; rows must still come out in numeric order
    path.write_text(json.dumps({k: data[k] for k in sorted(data)}))
    ds = load_wrench(folder)
    assert ds.train.texts == [f"train item {i}" for i in range(12)]


def test_missing_folder_and_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_wrench(tmp_path / "nowhere")
    for name in ("label.json", "valid.json", "emb_minilm_test.npy"):
        folder = _write_wrench(tmp_path / name.replace(".", "_"))
        (folder / name).unlink()
        with pytest.raises(FileNotFoundError, match=name.replace(".", r"\.")):
            load_wrench(folder)
    # no embedding files is fine when none are asked for
    folder = _write_wrench(tmp_path / "noemb", emb=False)
    assert load_wrench(folder, embeddings=None).test.X is None
    with pytest.raises(FileNotFoundError, match="emb_minilm_train.npy"):
        load_wrench(folder)


def test_embedding_row_mismatch(tmp_path: Path) -> None:
    folder = _write_wrench(tmp_path / "d")
    np.save(folder / "emb_minilm_valid.npy", np.zeros((3, 5), dtype=np.float32))
    with pytest.raises(ValueError, match=r"emb_minilm_valid\.npy.*\(4, d\).*\(3, 5\)"):
        load_wrench(folder)


def test_label_out_of_range(tmp_path: Path) -> None:
    folder = _write_wrench(tmp_path / "d")
    _edit(folder / "test.json", lambda d: d["2"].update(label=2))
    with pytest.raises(ValueError, match=r"test\.json.*labels in 0\.\.1.*item '2' has 2"):
        load_wrench(folder)


def test_vote_out_of_range(tmp_path: Path) -> None:
    folder = _write_wrench(tmp_path / "d")
    _edit(folder / "train.json", lambda d: d["1"].update(weak_labels=[-2, 0, 1]))
    with pytest.raises(ValueError, match=r"train\.json.*votes in -1\.\.1.*item '1' LF 0 has -2"):
        load_wrench(folder)
    _edit(folder / "train.json", lambda d: d["1"].update(weak_labels=[0, 5, 1]))
    with pytest.raises(ValueError, match=r"item '1' LF 1 has 5"):
        load_wrench(folder)


def test_ragged_votes(tmp_path: Path) -> None:
    folder = _write_wrench(tmp_path / "d")
    _edit(folder / "valid.json", lambda d: d["3"].update(weak_labels=[0, 1]))
    with pytest.raises(ValueError, match=r"valid\.json.*3 weak_labels.*item '3' has 2"):
        load_wrench(folder)


def test_lf_count_differs_between_splits(tmp_path: Path) -> None:
    folder = _write_wrench(tmp_path / "d")
    _edit(folder / "test.json", lambda d: [v.update(weak_labels=[0, 1]) for v in d.values()])
    with pytest.raises(ValueError, match="same number of LFs"):
        load_wrench(folder)


@pytest.mark.parametrize(
    "new_key, match",
    [
        ("7", r"contiguous keys '0'..'3', got 4 keys from 0 to 7 \(missing e.g. \[3\]\)"),
        ("x", "integer keys.*got 'x'"),
    ],
)
def test_non_contiguous_keys(tmp_path: Path, new_key: str, match: str) -> None:
    folder = _write_wrench(tmp_path / "d")
    _edit(folder / "train.json", lambda d: d.update({new_key: d.pop("3")}))
    with pytest.raises(ValueError, match=rf"train\.json.*{match}"):
        load_wrench(folder)


# ------------------------------------------------------------------------------ bundled example


def test_load_example_standalone() -> None:
    ds = load_example()
    assert ds.name == "youtube" and ds.class_names == ["HAM", "SPAM"] and len(ds.lf_names) == 10
    for split, n in zip(("train", "valid", "test"), (1586, 120, 250)):
        sp = ds[split]
        assert isinstance(sp, Split) and sp.L.shape == (n, 10) and sp.L.dtype == np.int64
        assert sp.y.dtype == np.int64 and sp.X.dtype == np.float32 and sp.X.shape == (n, 384)
        np.testing.assert_allclose(np.linalg.norm(sp.X, axis=1), 1.0, atol=1e-6)
        assert len(sp.texts) == n


def test_load_example_matches_shared_data(data_dir: Path) -> None:
    ex, ref = load_example("youtube"), load_wrench(data_dir / "youtube")
    assert ex.class_names == ref.class_names and ex.lf_names == ref.lf_names
    for split in ("train", "valid", "test"):
        a, b = ex[split], ref[split]
        np.testing.assert_array_equal(a.L, b.L)
        np.testing.assert_array_equal(a.y, b.y)
        assert a.texts == b.texts
        cos = np.einsum("ij,ij->i", a.X, b.X)  # both unit rows
        assert cos.min() > 0.999
        np.testing.assert_allclose(a.X, b.X, atol=2e-3)


def test_load_example_unknown_name() -> None:
    with pytest.raises(ValueError, match=r"'youtube'.*'imdb'"):
        load_example("imdb")
