"""Loaders for weak-supervision datasets: WRENCH-format folders and a small bundled example.

A WRENCH folder holds ``{train,valid,test}.json`` (a JSON object keyed by item id ``"0"``, ``"1"``,
... in row order; each item has ``"data": {"text": ...}``, ``"label"`` and ``"weak_labels"``, the LF
votes with -1 = abstain), ``label.json`` (class index -> name), an optional ``readme.txt`` listing
the LF names, and optionally pre-computed embeddings ``emb_{name}_{split}.npy``.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ._checks.files import load_npy

SPLITS = ("train", "valid", "test")
EXAMPLES = ("youtube",)

__all__ = ["Dataset", "Split", "load_example", "load_wrench"]


# eq=False: the fields are NumPy arrays, whose element-wise ``==`` breaks the generated __eq__.
@dataclass(frozen=True, eq=False)
class Split:
    """One split (train, valid or test) of a weak-supervision dataset.

    Attributes
    ----------
    L : numpy.ndarray of int64, shape (n, m)
        Labeling-function votes: ``L[i, j]`` is the class LF ``j`` gives item ``i``, -1 = abstain.
    y : numpy.ndarray of int64, shape (n,), or None
        Gold labels in ``0..K-1``; None if the split has none. Gold labels of ``train`` are for
        evaluation only.
    X : numpy.ndarray of float32, shape (n, d), or None
        Item embeddings (L2-normalised for the bundled and WRENCH-MiniLM data); None if not loaded.
    texts : list of str, length n
        The item texts, in row order.
    name : str
        The split name (``"train"``, ``"valid"`` or ``"test"``).
    """

    L: np.ndarray
    y: np.ndarray | None
    X: np.ndarray | None
    texts: list[str]
    name: str

    @property
    def n(self) -> int:
        """Number of items."""
        return int(self.L.shape[0])

    @property
    def m(self) -> int:
        """Number of labeling functions."""
        return int(self.L.shape[1])

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        d = None if self.X is None else self.X.shape[1]
        return f"Split(name={self.name!r}, n={self.n}, m={self.m}, d={d}, y={self.y is not None})"


@dataclass(frozen=True, eq=False)
class Dataset:
    """A weak-supervision dataset: up to three splits plus class and LF names.

    Attributes
    ----------
    name : str
        Dataset name (the folder name for :func:`load_wrench`).
    train, valid, test : Split or None
        The splits; None for a split that was not loaded.
    class_names : list of str, length K
        ``class_names[k]`` is the name of class ``k``.
    lf_names : list of str, length m, or None
        LF names in column order of ``L``; None if they could not be read.
    """

    name: str
    train: Split | None
    valid: Split | None
    test: Split | None
    class_names: list[str]
    lf_names: list[str] | None = None

    @property
    def n_classes(self) -> int:
        """Number of classes K."""
        return len(self.class_names)

    @property
    def n_lfs(self) -> int:
        """Number of labeling functions m."""
        return next(iter(self.splits.values())).m

    @property
    def splits(self) -> dict[str, Split]:
        """The loaded splits by name, in the order train, valid, test."""
        return {s: getattr(self, s) for s in SPLITS if getattr(self, s) is not None}

    def __getitem__(self, split: str) -> Split:
        if split not in SPLITS:
            raise KeyError(f"split: expected one of {SPLITS}, got {split!r}")
        value = getattr(self, split)
        if value is None:
            raise KeyError(f"split {split!r} was not loaded (loaded: {list(self.splits)})")
        return value

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={v.n}" for k, v in self.splits.items())
        return f"Dataset(name={self.name!r}, K={self.n_classes}, m={self.n_lfs}, {sizes})"


def _require(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"expected dataset file {path}, but it does not exist")
    return path


def _read_json(path: Path) -> Any:
    with open(_require(path), encoding="utf-8") as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: not valid JSON ({e})") from None


def _check_integers(path: Path, key: str, values: list, nested: bool) -> None:
    """Every value (of every item's list when ``nested``) is a JSON integer: a float vote or
    label (``1.7``) would otherwise be truncated silently by the int64 conversion."""
    for item, value in enumerate(values):
        if value is None and not nested:
            continue  # an unlabelled item
        entries = value if nested else [value]
        if nested and not isinstance(value, list):
            raise ValueError(f"{path}: expected '{key}' to be a list, got {value!r} (item {item})")
        for entry in entries:
            if isinstance(entry, bool) or not isinstance(entry, int):
                raise ValueError(f"{path}: expected integer '{key}', got {entry!r} (item {item})")


def _read_class_names(path: Path) -> list[str]:
    raw = _read_json(path)
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"{path}: expected a non-empty JSON object class index -> name")
    keys = _row_order(path, list(raw))
    return [str(raw[k]) for k in keys]


def _row_order(path: Path, keys: list[str]) -> list[str]:
    """The keys sorted numerically; they must be exactly "0".."n-1"."""
    try:
        ids = sorted(int(k) for k in keys)
    except ValueError:
        bad = next(k for k in keys if not k.lstrip("-").isdigit())
        raise ValueError(
            f"{path}: expected integer keys '0'..'{len(keys) - 1}', got {bad!r}"
        ) from None
    if ids != list(range(len(keys))):
        missing = sorted(set(range(len(keys))) - set(ids))[:5]
        raise ValueError(
            f"{path}: expected contiguous keys '0'..'{len(keys) - 1}', got {len(keys)} keys "
            f"from {ids[0]} to {ids[-1]} (missing e.g. {missing})"
        )
    return [str(i) for i in ids]


def _read_split(folder: Path, split: str, n_classes: int, embeddings: str | None) -> Split:
    path = folder / f"{split}.json"
    raw = _read_json(path)
    if not isinstance(raw, dict):
        raise ValueError(
            f"{path}: expected a JSON object keyed by item id, got {type(raw).__name__}"
        )
    items = [raw[k] for k in _row_order(path, list(raw))]
    n = len(items)
    try:
        votes = [it["weak_labels"] for it in items]
        texts = [it["data"]["text"] for it in items]
    except (KeyError, TypeError) as e:
        raise ValueError(
            f"{path}: every item needs 'weak_labels' and 'data.text' ({e!r})"
        ) from None
    labels = [it.get("label") for it in items]

    _check_integers(path, "weak_labels", votes, nested=True)
    _check_integers(path, "label", labels, nested=False)
    lengths = np.fromiter(map(len, votes), dtype=np.int64, count=n)
    if n and (lengths != lengths[0]).any():
        row = int(np.flatnonzero(lengths != lengths[0])[0])
        raise ValueError(
            f"{path}: expected every item to have {lengths[0]} weak_labels (as item '0'), "
            f"item '{row}' has {lengths[row]}"
        )
    m = int(lengths[0]) if n else 0
    L = np.array(votes, dtype=np.int64).reshape(n, m)
    bad = (L < -1) | (L >= n_classes)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(
            f"{path}: expected votes in -1..{n_classes - 1} (-1 = abstain, K={n_classes} classes "
            f"in label.json), item '{i}' LF {j} has {L[i, j]}"
        )

    have = np.array([lab is not None for lab in labels], dtype=bool)
    if have.all() and n:
        y = np.array(labels, dtype=np.int64)
        bad_y = (y < 0) | (y >= n_classes)
        if bad_y.any():
            i = int(np.flatnonzero(bad_y)[0])
            raise ValueError(
                f"{path}: expected labels in 0..{n_classes - 1} (K={n_classes} classes in "
                f"label.json), item '{i}' has {y[i]}"
            )
    elif not have.any():
        y = None
    else:
        i = int(np.flatnonzero(~have)[0])
        raise ValueError(f"{path}: some items have a 'label' and some do not (item '{i}' has none)")

    X = None
    if embeddings is not None:
        emb_path = _require(folder / f"emb_{embeddings}_{split}.npy")
        X = load_npy(emb_path)
        if X.dtype == np.bool_ or not (
            np.issubdtype(X.dtype, np.floating) or np.issubdtype(X.dtype, np.integer)
        ):
            raise ValueError(f"{emb_path}: expected real-valued embeddings, got dtype {X.dtype}")
        if X.ndim != 2 or X.shape[0] != n:
            raise ValueError(
                f"{emb_path}: expected shape ({n}, d) to match the {n} items of {path.name}, "
                f"got {X.shape}"
            )
        X = np.ascontiguousarray(X, dtype=np.float32)
    return Split(L=L, y=y, X=X, texts=texts, name=split)


def _read_lf_names(path: Path, m: int) -> list[str] | None:
    """LF names from a WRENCH ``readme.txt``; None if absent or not parseable into m names.

    Two layouts occur: a comma-terminated list after "Labeling functions list:" (youtube), and one
    tab-separated ``class<TAB>regex<TAB>example`` line per LF (sms, trec), named "class: regex".
    """
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8", errors="replace")
    names: list[str] = []
    listed = re.search(r"functions list:\s*\n((?:[ \t]*\S[^\n]*\n?)+)", text, re.IGNORECASE)
    if listed:
        names = [ln.strip().rstrip(",").strip() for ln in listed.group(1).splitlines()]
    else:
        rows = [ln.split("\t") for ln in text.splitlines() if ln.count("\t") >= 1]
        names = [f"{r[0].strip()}: {r[1].strip()}" for r in rows]
    if len(names) != m:
        return None
    # trec repeats two rules verbatim; suffix the column so names stay usable as keys.
    seen: dict[str, int] = {}
    for j, nm in enumerate(names):
        seen[nm] = seen.get(nm, 0) + 1
        if seen[nm] > 1:
            names[j] = f"{nm} [column {j}]"
    return names


def load_wrench(
    folder: str | Path,
    embeddings: str | None = "minilm",
    splits: Sequence[str] = SPLITS,
) -> Dataset:
    """Load a WRENCH-format dataset folder.

    Parameters
    ----------
    folder : str or path-like
        Folder with ``label.json``, ``{split}.json`` and, unless ``embeddings`` is None,
        ``emb_{embeddings}_{split}.npy`` (float (n, d), rows in JSON order).
    embeddings : str or None, default "minilm"
        Embedding name in the file names; None loads no embeddings (``Split.X`` is None).
    splits : sequence of str, default ("train", "valid", "test")
        The splits to load; the others are None in the result.

    Returns
    -------
    Dataset
        ``L`` int64 (n, m), ``y`` int64 (n,), ``X`` float32 (n, d) per split.

    Raises
    ------
    FileNotFoundError
        A required file is missing (the message names its path).
    ValueError
        Keys not ``"0".."n-1"``, LF counts differing between items or splits, votes outside
        ``-1..K-1``, labels outside ``0..K-1``, or embedding rows not matching the JSON rows.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"expected a WRENCH dataset folder at {folder}, but it does not exist"
        )
    if splits is None or not (isinstance(splits, str) or hasattr(splits, "__iter__")):
        raise TypeError(f"splits: expected a split name or a sequence of them, got {splits!r}")
    splits = (splits,) if isinstance(splits, str) else tuple(splits)
    unknown = [s for s in splits if s not in SPLITS]
    if unknown or not splits:
        raise ValueError(f"splits: expected a non-empty subset of {SPLITS}, got {splits!r}")
    class_names = _read_class_names(folder / "label.json")
    loaded = {s: _read_split(folder, s, len(class_names), embeddings) for s in splits}
    ms = {s: v.m for s, v in loaded.items()}
    if len(set(ms.values())) > 1:
        raise ValueError(f"{folder}: expected the same number of LFs in every split, got {ms}")
    lf_names = _read_lf_names(folder / "readme.txt", next(iter(ms.values())))
    return Dataset(
        name=folder.name,
        train=loaded.get("train"),
        valid=loaded.get("valid"),
        test=loaded.get("test"),
        class_names=class_names,
        lf_names=lf_names,
    )


def load_example(name: str = "youtube") -> Dataset:
    """Load a small dataset bundled with liger (no download, no external files).

    Parameters
    ----------
    name : str, default "youtube"
        The example; available: ``"youtube"`` (WRENCH YouTube comment spam, K=2, m=10,
        train/valid/test = 1586/120/250, all-MiniLM-L6-v2 embeddings d=384).

    Returns
    -------
    Dataset
        As :func:`load_wrench`; embeddings are stored as float16 and returned as float32 rows
        re-normalised to unit length.

    Raises
    ------
    ValueError
        Unknown ``name`` (the message lists the available examples).
    """
    if name not in EXAMPLES:
        raise ValueError(f"name: expected one of {list(EXAMPLES)}, got {name!r}")
    root = resources.files("liger") / "data" / name
    meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
    with (root / "texts.json.gz").open("rb") as f:
        texts = json.loads(gzip.decompress(f.read()).decode("utf-8"))
    with (root / "data.npz").open("rb") as f, np.load(f, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}

    out: dict[str, Split] = {}
    for s in SPLITS:
        X = arrays[f"X_{s}"].astype(np.float32)
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        # float16 storage leaves norms ~1 +- 1e-3; restore unit rows (guarding all-zero rows).
        X /= np.where(norms > 0, norms, 1.0)
        out[s] = Split(
            L=arrays[f"L_{s}"].astype(np.int64),
            y=arrays[f"y_{s}"].astype(np.int64),
            X=X,
            texts=list(texts[s]),
            name=s,
        )
    return Dataset(
        name=name,
        train=out["train"],
        valid=out["valid"],
        test=out["test"],
        class_names=list(meta["class_names"]),
        lf_names=list(meta["lf_names"]),
    )
