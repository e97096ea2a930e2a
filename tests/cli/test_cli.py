"""The `liger` command: user errors are one line and exit status 2; `liger apply` labels a CSV /
JSONL file with a saved labeler, as Labeler.predict_proba does."""

from __future__ import annotations

import csv
import json
import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import liger
from liger import Session
from liger.labeler.encoders import HashingEncoder

from . import cli_lfs

ROOT = Path(__file__).resolve().parents[2]


def _liger(*args, cwd=ROOT):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "python"), str(ROOT), env.get("PYTHONPATH", "")]
    )
    return subprocess.run(
        [sys.executable, "-m", "liger", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def _one_line_error(result, *fragments):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("liger: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def youtube():
    return liger.load_example("youtube")


@pytest.fixture(scope="module")
def saved(youtube, tmp_path_factory):
    """A labeler of the CLI LFs (with the hashing encoder, saved with it), its session, and the
    youtube test texts."""
    ds = youtube
    encoder = HashingEncoder(n_features=32)
    X, X_dev, X_test = (encoder(s.texts) for s in (ds.train, ds.valid, ds.test))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        session = Session.from_lfs(
            cli_lfs.LFS,
            ds.train.texts,
            X,
            dev=(ds.valid.texts, X_dev, ds.valid.y),
            test=(ds.test.texts, X_test),
            thresholds=0.5,
            retune=None,
        )
        labeler = session.to_labeler(encoder)
    folder = tmp_path_factory.mktemp("cli")
    labeler.save(folder / "labeler.npz")
    np.save(folder / "X_test.npy", X_test)
    return folder, session, list(ds.test.texts), X_test


def test_user_errors_are_one_line_with_exit_status_2(tmp_path, saved):
    folder = saved[0]
    _one_line_error(_liger("run", tmp_path / "nonexistent"), "nonexistent")
    wrench = tmp_path / "wrench"
    wrench.mkdir()
    rng = np.random.default_rng(0)
    for split, n in (("train", 4), ("valid", 3), ("test", 3)):
        items = {
            str(i): {"data": {"text": "t"}, "label": i % 2, "weak_labels": [0, -1]}
            for i in range(n)
        }
        (wrench / f"{split}.json").write_text(json.dumps(items))
        np.save(wrench / f"emb_minilm_{split}.npy", rng.normal(size=(n, 5)).astype(np.float32))
    (wrench / "label.json").write_text(json.dumps({"0": "a", "1": "b"}))
    (wrench / "emb_minilm_train.npy").write_bytes(pickle.dumps([1, 2]))
    _one_line_error(_liger("run", wrench), "emb_minilm_train.npy", ".npy header")
    texts = tmp_path / "texts.csv"
    texts.write_text("text\ncheck out my channel\n")
    out = tmp_path / "out.csv"
    lfs = "tests.cli.cli_lfs:LFS"
    model = folder / "labeler.npz"
    _one_line_error(
        _liger("apply", tmp_path / "none.npz", texts, "-o", out, "--lfs", lfs), "none.npz"
    )
    _one_line_error(_liger("apply", texts, texts, "-o", out, "--lfs", lfs), "texts.csv")
    _one_line_error(_liger("apply", model, tmp_path / "no.csv", "-o", out, "--lfs", lfs), "no.csv")
    _one_line_error(
        _liger("apply", model, texts, "-o", tmp_path / "o.txt", "--lfs", lfs), "--output"
    )
    _one_line_error(_liger("apply", model, texts, "-o", out, "--lfs", "nomodule:LFS"), "--lfs")
    _one_line_error(
        _liger("apply", model, texts, "-o", out, "--lfs", "tests.cli.cli_lfs:NOT_A_LIST"), "--lfs"
    )
    _one_line_error(
        _liger("apply", model, texts, "-o", out, "--lfs", "tests.cli.cli_lfs:LFS.x"), "--lfs"
    )
    _one_line_error(
        _liger("apply", model, texts, "-o", out, "--lfs", lfs, "--text-column", "body"),
        "--text-column",
        "body",
    )
    _one_line_error(
        _liger("apply", model, texts, "-o", out, "--lfs", lfs, "--embeddings", texts), "texts.csv"
    )
    _one_line_error(
        _liger(
            *("apply", model, texts, "-o", out, "--lfs", lfs),
            *("--embeddings", folder / "X_test.npy", "-q"),
        ),
        "X: expected one row per record",
    )
    assert not out.exists(), "a failed run leaves no output file"
    usage = _liger("apply", model)
    assert usage.returncode == 2 and "usage" in usage.stderr


def _rows_of(path: Path, kind: str) -> tuple[np.ndarray, np.ndarray]:
    with path.open() as handle:
        rows = (
            list(csv.DictReader(handle)) if kind == "csv" else [json.loads(line) for line in handle]
        )
    labels = np.array([int(row["label"]) for row in rows])
    proba = np.array([[float(row[f"proba_{k}"]) for k in range(2)] for row in rows])
    return labels, proba


def test_apply_labels_csv_and_jsonl_like_the_labeler(tmp_path, saved):
    folder, session, texts, X_test = saved
    expected = session.predict_proba("test")
    csv_in = tmp_path / "in.csv"
    with csv_in.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        writer.writerows([[i, t] for i, t in enumerate(texts)])
    jsonl_in = tmp_path / "in.jsonl"
    jsonl_in.write_text(
        "".join(json.dumps({"text": t, "id": i}) + "\n" for i, t in enumerate(texts))
    )
    model = folder / "labeler.npz"
    lfs = "tests.cli.cli_lfs:LFS"
    for source, kind in ((csv_in, "csv"), (jsonl_in, "jsonl")):
        out = tmp_path / f"out.{kind}"
        # The saved encoder embeds the texts (the hashing encoder is saved with the labeler).
        result = _liger("apply", model, source, "-o", out, "--lfs", lfs, "--batch-size", 100)
        assert result.returncode == 0, result.stderr
        assert result.stderr.count("labelled") == -(-len(texts) // 100), "progress per batch"
        labels, proba = _rows_of(out, kind)
        np.testing.assert_array_equal(proba, expected)  # repr of floats: exact
        np.testing.assert_array_equal(labels, expected.argmax(axis=1))
    out = tmp_path / "from_npy.jsonl"
    result = _liger(
        "apply", model, csv_in, "-o", out, "--lfs", lfs, "--embeddings", folder / "X_test.npy", "-q"
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
    np.testing.assert_array_equal(_rows_of(out, "jsonl")[1], expected)
