"""Registry entries of the dataset loaders."""

from __future__ import annotations

from typing import Any

import numpy as np

import liger

from ..adversarial import Reject, anything, path, reject, works
from .common import Entry

# ------------------------------------------------------------------------------- datasets


def _wrench_folder(ctx, *, train=None, label=None, embeddings=None) -> Any:
    """A tiny WRENCH folder (3 train items, 2 LFs, d = 4) in the test's folder; the keyword
    arguments replace its files' contents."""
    import json

    folder = ctx.workdir / "wrench"
    folder.mkdir(exist_ok=True)
    items = {
        str(i): {"data": {"text": f"item {i}"}, "label": i % 2, "weak_labels": [i % 2, -1]}
        for i in range(3)
    }
    (folder / "label.json").write_text(
        json.dumps(label if label is not None else {"0": "a", "1": "b"})
    )
    (folder / "train.json").write_text(json.dumps(train if train is not None else items))
    X = embeddings if embeddings is not None else np.arange(12, dtype=np.float32).reshape(3, 4)
    np.save(folder / "emb_minilm_train.npy", X)
    return folder


def _item_with(**fields):
    items = {
        str(i): {"data": {"text": f"item {i}"}, "label": i % 2, "weak_labels": [i % 2, -1]}
        for i in range(3)
    }
    items["1"].update(fields)
    return items


def _broken_folder(**kwargs):
    return lambda a, ctx: (_wrench_folder(ctx, **kwargs), Reject(mention=".json"))


DATASET_ENTRIES = [
    Entry(
        "liger.load_wrench",
        liger.load_wrench,
        lambda ctx: {"folder": _wrench_folder(ctx), "embeddings": "minilm", "splits": ("train",)},
        roles={
            "folder": path(exists=True)
            .without("int")
            .plus(
                float_votes=_broken_folder(train=_item_with(weak_labels=[1.7, -1])),
                string_votes=_broken_folder(train=_item_with(weak_labels=["1", -1])),
                vote_out_of_range=_broken_folder(train=_item_with(weak_labels=[2, -1])),
                ragged_votes=_broken_folder(train=_item_with(weak_labels=[1])),
                votes_not_a_list=_broken_folder(train=_item_with(weak_labels=1)),
                float_label=_broken_folder(train=_item_with(label=0.5)),
                label_out_of_range=_broken_folder(train=_item_with(label=7)),
                missing_text=_broken_folder(train={"0": {"weak_labels": [0, -1]}}),
                bad_keys=_broken_folder(train={"a": {"data": {"text": "x"}, "weak_labels": [0]}}),
                empty_label_json=_broken_folder(label={}),
                wrong_embedding_rows=lambda a, ctx: (
                    _wrench_folder(ctx, embeddings=np.zeros((2, 4), np.float32)),
                    Reject(mention="emb_minilm_train.npy"),
                ),
                string_embeddings=lambda a, ctx: (
                    _wrench_folder(ctx, embeddings=np.array([["a"] * 4] * 3)),
                    Reject(mention="emb_minilm_train.npy"),
                ),
            ),
            "embeddings": anything(
                unknown=lambda a, ctx: (
                    "bogus",
                    Reject((OSError, ValueError), mention="emb_bogus_train.npy"),
                ),
                none=works(None),
            ),
            "splits": anything(
                unknown=reject(["dev"]),
                empty=reject([]),
                one_string=works("train"),
                none=reject(None),
            ),
        },
        check=lambda result, kwargs: result.train.L.shape == (3, 2),
    ),
    Entry(
        "liger.load_example",
        liger.load_example,
        lambda: {"name": "youtube"},
        roles={
            "name": anything(
                unknown=reject("imdb"),
                none=reject(None),
                int=reject(1),
                path_like=reject("../youtube"),
            )
        },
        check=lambda result, kwargs: result.train.X.dtype == np.float32,
    ),
]
