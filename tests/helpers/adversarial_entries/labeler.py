"""Registry entries of ``Labeler`` (and ``Session.to_labeler``): LFs + a fitted Liger applied to
raw records. The records are the texts ``"r0"`` .. ``"r79"`` (train, dev, test of the small
problem in that order); LF j looks its vote up in the problem's vote matrices, so the labeler's
votes are the problem's."""

from __future__ import annotations

import functools
import types

import numpy as np

import liger
from liger import Labeler, LFApplier, Liger, Session
from liger.labeler.encoders import HashingEncoder

from ..adversarial import (
    Reject,
    Works,
    anything,
    choice,
    embeddings,
    integer,
    path,
    reject,
    works,
)
from .common import (
    Entry,
    M,
    Special,
    check_labels,
    check_proba,
    data,
    fitted_label_model,
    fitted_liger,
    quiet,
)
from .label_model import _params_entries

TRAIN = [f"r{i}" for i in range(40)]
DEV = [f"r{i}" for i in range(40, 64)]
TEST = [f"r{i}" for i in range(64, 80)]


def _vote(text, column):
    return column[int(text[1:])]


@functools.cache
def _columns() -> list[tuple]:
    L, L_dev, L_test = data("L", "L_dev", "L_test")
    table = np.vstack([L, L_dev, L_test])
    return [tuple(int(v) for v in table[:, j]) for j in range(M)]


def lfs() -> list:
    return [
        liger.LabelingFunction(_vote, name=f"lf{j}", resources={"column": column})
        for j, column in enumerate(_columns())
    ]


def _changed_lfs() -> list:
    changed = lfs()
    changed[1] = liger.LabelingFunction(
        _vote, name="lf1", resources={"column": tuple(-1 for _ in range(80))}
    )
    return changed


def labeler(**params) -> Labeler:
    return Labeler.from_liger(fitted_liger(), lfs(), **{"batch_size": 7, **params})


@functools.cache
def _fitted_labeler() -> Labeler:
    return labeler()


def _labeler_state():
    """The fitted labeler without its applier (whose vote cache is meant to grow)."""
    return types.SimpleNamespace(
        **{k: v for k, v in vars(_fitted_labeler()).items() if k != "applier_"}
    )


def _saved(ctx, model=None):
    target = ctx.workdir / "labeler.npz"
    (model or labeler()).save(target)
    return target


def _predict_args():
    return {"records": list(TEST), "X": data("X_test")[0], "source": "auto"}


def _records_role():
    X_test = data("X_test")[0]
    return anything(
        tuple=works(tuple(TEST)),
        numpy_strings=works(np.array(TEST)),
        generator=lambda a, ctx: ((t for t in TEST), Works()),
        one_text=reject("r64", mention="records"),
        dict=reject({"text": "r64"}, mention="records"),
        int=reject(3, mention="records"),
        two_d_array=reject(np.array(TEST)[:, None], mention="records"),
        one_fewer=reject(TEST[:-1], mention="records and X"),
        unknown_record=reject([*TEST[:-1], "zz"]),  # the LF raises: LabelingFunctionError
        none=lambda a, ctx: (None, Reject(mention="records")),
    ), X_test


def _labelling_entry(method, check) -> Entry:
    records, _ = _records_role()
    roles = {
        "records": records.expecting(
            {"unknown record": Reject((liger.LabelingFunctionError,), mention="lf0")}
        ),
        "X": embeddings(),
        "source": choice("auto", "label_model", "end_model").plus(
            end_model_without_one=lambda a, ctx: ("end_model", Reject(mention="source"))
        ),
    }
    return Entry(
        f"liger.Labeler.{method}",
        lambda **kw: getattr(_fitted_labeler(), method)(**kw),
        _predict_args,
        roles=roles,
        names={"X": "X"},
        check=check,
        state=_labeler_state,
        metric="cosine",
        specials={
            "unbuilt labeler": Special(
                lambda ctx: (getattr(Labeler(), method), _predict_args()),
                Reject((liger.NotFittedError,), mention="not built"),
            ),
            "no X and no encoder": Special(
                lambda ctx: (getattr(labeler(), method), {"records": list(TEST)}),
                Reject(mention="encoder"),
            ),
            "an encoder of the wrong dimension": Special(
                lambda ctx: (
                    getattr(labeler(encoder=HashingEncoder(5)), method),
                    {"records": list(TEST)},
                ),
                Reject(mention="X"),
            ),
            "loaded without its LFs": Special(
                lambda ctx: (getattr(liger.load(_saved(ctx)), method), _predict_args()),
                Reject(mention="lfs"),
            ),
            "bad batch_size reported at use": Special(
                lambda ctx: (getattr(labeler().set_params(batch_size=0), method), _predict_args()),
                Reject(mention="batch_size"),
            ),
        },
    )


def _check_labeler(result, kwargs) -> None:
    assert isinstance(result, Labeler)
    X_test = data("X_test")[0]
    check_proba(result.predict_proba(list(TEST), X_test), kwargs, n=16)


def _from_lfs_session() -> Session:
    X, X_dev, y_dev, X_test = data("X", "X_dev", "y_dev", "X_test")
    return quiet(Session.from_lfs)(
        lfs(),
        list(TRAIN),
        X,
        dev=(list(DEV), X_dev, y_dev),
        test=(list(TEST), X_test),
        k=8,
        random_state=0,
        n_jobs=1,
    )


LFS_ROLE = anything(
    one_lf_alone=lambda a, ctx: (a[0], Reject(mention="lfs")),
    empty=reject([], mention="lfs"),
    too_few=lambda a, ctx: (a[:-1], Reject(mention="lfs")),
    not_callables=reject([1, 2, 3, 4], mention="lfs"),
    duplicate_names=lambda a, ctx: ([a[0]] * len(a), Reject(mention="lfs")),
    a_tuple=lambda a, ctx: (tuple(a), Works()),
)

LABELER_ENTRIES = [
    Entry(
        "liger.Labeler",
        Labeler,
        lambda: {"text_column": None, "batch_size": 7},
        roles={
            # scikit-learn's convention: parameters are checked where they are used.
            "batch_size": anything(zero_checked_at_use=works(0)),
            "text_column": anything(a_name=works("text")),
        },
        check=lambda result, kwargs: isinstance(result, Labeler),
    ),
    Entry(
        "liger.Labeler.from_liger",
        quiet(Labeler.from_liger),
        lambda: {
            "model": fitted_liger(),
            "lfs": lfs(),
            "encoder": None,
            "text_column": None,
            "batch_size": 7,
            "applier": None,
        },
        roles={
            "model": anything(
                unfitted=lambda a, ctx: (Liger(), Reject((liger.NotFittedError,), "not fitted")),
                label_model=lambda a, ctx: (fitted_label_model(), Reject(mention="model")),
                none=reject(None, mention="model"),
            ),
            "lfs": LFS_ROLE,
            "encoder": anything(
                not_callable=reject(3, mention="encoder"),
                hashing=lambda a, ctx: (HashingEncoder(6), Works()),
            ),
            "text_column": anything(int_list=reject([1], mention="text_column")),
            "batch_size": integer(low=1).expecting({"numpy int": Works()}),
            "applier": anything(
                not_an_applier=reject("serial", mention="applier"),
                an_applier=lambda a, ctx: (LFApplier(n_jobs=1), Works()),
            ),
        },
        check=_check_labeler,
    ),
    _labelling_entry("predict_proba", lambda r, kw: check_proba(r, kw, n=16)),
    _labelling_entry("predict", lambda r, kw: check_labels(r, kw, low=0)),
    Entry(
        "liger.Labeler.save",
        lambda path: _fitted_labeler().save(path),
        lambda ctx: {"path": ctx.workdir / "labeler.npz"},
        roles={"path": path(exists=False)},
        state=_fitted_labeler,
        specials={
            "unbuilt labelers save too": Special(
                lambda ctx: (Labeler().save, {"path": ctx.workdir / "unbuilt.npz"}), Works()
            )
        },
    ),
    Entry(
        "liger.Labeler.load",
        Labeler.load,
        lambda ctx: {
            "path": _saved(ctx),
            "lfs": lfs(),
            "encoder": None,
            "allow_changed_lfs": False,
        },
        roles={
            "path": path(exists=True),
            "lfs": LFS_ROLE.plus(
                changed_code=lambda a, ctx: (_changed_lfs(), Reject(mention="lf1")),
                none=lambda a, ctx: (None, Works()),
            ),
            "encoder": anything(not_callable=reject(3, mention="encoder")),
            "allow_changed_lfs": anything(
                string=reject("yes", mention="allow_changed_lfs"),
                true=works(True),
            ),
        },
        check=lambda result, kwargs: isinstance(result, Labeler),
        specials={
            "changed code allowed": Special(
                lambda ctx: (
                    Labeler.load,
                    {"path": _saved(ctx), "lfs": _changed_lfs(), "allow_changed_lfs": True},
                ),
                Works(),
            ),
            "a Liger file": Special(
                lambda ctx: (Labeler.load, {"path": _saved_liger(ctx), "lfs": lfs()}),
                Reject(mention="not a Labeler"),
            ),
        },
    ),
    *_params_entries(
        "liger.Labeler",
        labeler,
        "batch_size",
        0,
        lambda model: model.predict(list(TEST), data("X_test")[0]),
    ),
    Entry(
        "liger.Session.to_labeler",
        lambda **kw: _from_lfs_session().to_labeler(**kw),
        lambda: {"encoder": None, "text_column": None, "batch_size": 7},
        roles={
            "encoder": anything(not_callable=reject(3, mention="encoder")),
            "batch_size": integer(low=1).expecting({"numpy int": Works()}),
        },
        check=_check_labeler,
        specials={
            "a session of vote arrays": Special(
                lambda ctx: (quiet(_votes_session().to_labeler), {}),
                Reject(mention="to_labeler"),
            )
        },
    ),
]


def _saved_liger(ctx):
    target = ctx.workdir / "liger.npz"
    fitted_liger().save(target)
    return target


def _votes_session():
    from .common import new_session

    return new_session()
