"""Registry entries of model files (``save`` / ``liger.load``)."""

from __future__ import annotations

from typing import Any

import liger

from ..adversarial import Reject, Works, path
from .common import Entry, Special, fitted_label_model, is_fitted

# ------------------------------------------------------------------------------- persistence


def _saved(ctx, model=None) -> Any:
    path = ctx.workdir / "saved.npz"
    (model or fitted_label_model()).save(path)
    return path


def _corrupted(ctx) -> Any:
    path = _saved(ctx)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    return path


PERSISTENCE_ENTRIES = [
    Entry(
        "liger.load",
        liger.load,
        lambda ctx: {"path": _saved(ctx)},
        roles={
            "path": path(exists=True).plus(
                # ModelFileError (a ValueError) names the file.
                text_file=lambda a, ctx: (
                    _text_file(ctx),
                    Reject((liger.ModelFileError,), "notes.npz"),
                ),
                corrupted=lambda a, ctx: (
                    _corrupted(ctx),
                    Reject((liger.ModelFileError,), "saved.npz"),
                ),
                truncated=lambda a, ctx: (
                    _truncated(ctx),
                    Reject((liger.ModelFileError,), "saved.npz"),
                ),
                str_path=lambda a, ctx: (str(a), Works()),
                bytes_path=lambda a, ctx: (str(a).encode(), Works()),
            )
        },
        check=is_fitted,
        specials={
            # lfs / encoder / allow_changed_lfs re-bind a Labeler's code: refused for the others.
            "lfs for an estimator file": Special(
                lambda ctx: (liger.load, {"path": _saved(ctx), "lfs": [len]}),
                Reject(mention="lfs"),
            ),
            "allow_changed_lfs for an estimator file": Special(
                lambda ctx: (liger.load, {"path": _saved(ctx), "allow_changed_lfs": True}),
                Reject(mention="allow_changed_lfs"),
            ),
            "allow_changed_lfs not a bool": Special(
                lambda ctx: (liger.load, {"path": _saved(ctx), "allow_changed_lfs": "yes"}),
                Reject(mention="allow_changed_lfs"),
            ),
        },
    ),
]


def _text_file(ctx):
    path = ctx.workdir / "notes.npz"
    path.write_text("not a model")
    return path


def _truncated(ctx):
    path = _saved(ctx)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 3])
    return path
