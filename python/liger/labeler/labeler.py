"""The deployable pipeline: labeling functions + a fitted :class:`~liger.Liger` (+ an encoder)
that labels new raw records.

A :class:`Labeler` applies its LFs to records (through an :class:`~liger.LFApplier` and its
cache), embeds their texts (or reads given embeddings), extends the votes from the train supports
and labels them with the fitted label model (or end model), in batches of ``batch_size``
records, so an input of any size is labelled in bounded memory. Build one from a fitted Liger
(:meth:`Labeler.from_liger`) or from an interactive session (:meth:`liger.Session.to_labeler`).

``save(path)`` writes a code-free file (:mod:`liger.io.codec`): the fitted pipeline, with the
supports restricted to the train rows where some LF voted (:mod:`.supports`), the LFs' names and
code fingerprints (:meth:`liger.LabelingFunction.fingerprint`), and the encoder when it is one
of liger's (:mod:`.encoders`). :func:`liger.load` (``lfs=``, ``encoder=``) binds the code
again and refuses LFs whose names or fingerprints differ from the saved ones, unless
``allow_changed_lfs=True``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from .._checks.validation import check_bool, check_int
from .._estimator import NotFittedError, ParamsMixin, SaveMixin
from ..io.codec import _fspath
from ..io.codec import load as load_file
from ..io.registry import registered
from ..lf.appliers import LFApplier, _as_lfs
from ..pipeline.estimator import Liger
from .encoders import encode
from .records import batches, check_records, n_records, texts_of
from .supports import compact_supports

DEFAULT_BATCH_SIZE = 10_000


class Labeler(ParamsMixin, SaveMixin, saveable=True):
    """Label raw records with labeling functions and a fitted pipeline.

    Build with :meth:`from_liger` or :meth:`liger.Session.to_labeler`; the constructor holds the
    parameters only.

    Parameters
    ----------
    text_column : str, optional
        What the encoder reads of a record: None, the record itself (a str); else a DataFrame
        column or a key of dict records.
    batch_size : int, default=10000
        Records labelled at a time (LFs applied, texts encoded, votes extended).

    Attributes
    ----------
    model_ : Liger
        The fitted pipeline (label model, thresholds, the supports, an optional end model).
    lfs_ : list of LabelingFunction or None
        The LFs, in the model's column order (None after :func:`liger.load` without ``lfs``).
    lf_names_ : list of str
    lf_fingerprints_ : list of (str or None)
        The LFs' code fingerprints (None where the code cannot be fingerprinted).
    encoder_ : callable or None
    applier_ : LFApplier
    n_classes_ : int
    """

    _persistence_transient = ("lfs_", "encoder_", "applier_")

    def __init__(self, *, text_column: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE):
        self.text_column = text_column
        self.batch_size = batch_size

    # ------------------------------------------------------------------ building
    @classmethod
    def from_liger(
        cls,
        model: Any,
        lfs: Any,
        encoder: Any = None,
        *,
        text_column: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        applier: LFApplier | None = None,
    ) -> Labeler:
        """A labeler of a :class:`~liger.Liger` fitted on the votes of ``lfs``.

        Parameters
        ----------
        model : Liger
            Fitted (``Liger.fit``) on the votes of ``lfs``, column j being ``lfs[j]``'s, and on
            embeddings from ``encoder`` if one is given.
        lfs : list of LabelingFunction (or callables of one record)
        encoder : callable, optional
            :class:`liger.labeler.encoders.Encoder`: texts -> (n, d) embeddings. Without one,
            :meth:`predict_proba` needs ``X``.
        text_column, batch_size
            As in the class.
        applier : LFApplier, optional
            Applies the LFs (default: a new one with the model's number of classes).
        """
        if not isinstance(model, Liger):
            raise TypeError(f"model: expected a fitted liger.Liger, got {type(model).__name__}")
        compact = compact_supports(model)
        labeler = cls(text_column=text_column, batch_size=batch_size)
        labeler._check_params()
        labeler.model_ = compact
        labeler.n_classes_ = int(model.n_classes_)
        labeler._bind(lfs, encoder, allow_changed_lfs=True, applier=applier)
        fitted_names = getattr(model, "lf_names_", None)
        if fitted_names is not None and [str(n) for n in fitted_names] != labeler.lf_names_:
            raise ValueError(
                f"lfs: expected the LFs the model was fitted on ({fitted_names}), got "
                f"{labeler.lf_names_}"
            )
        return labeler

    def _check_params(self) -> None:
        check_int("batch_size", self.batch_size, 1)
        if self.text_column is not None and not isinstance(self.text_column, (str, int)):
            raise TypeError(
                f"text_column: expected a column name (str) or None, got "
                f"{type(self.text_column).__name__}"
            )

    def _bind(self, lfs, encoder, allow_changed_lfs, applier=None) -> None:
        """Attach the code a file cannot hold: the LFs (checked against the recorded names and
        fingerprints unless ``allow_changed_lfs``) and the encoder."""
        check_bool("allow_changed_lfs", allow_changed_lfs)
        if encoder is not None and not callable(encoder):
            raise TypeError(
                f"encoder: expected a callable of a list of texts, got {type(encoder).__name__}"
            )
        if applier is not None and not isinstance(applier, LFApplier):
            raise TypeError(f"applier: expected an LFApplier, got {type(applier).__name__}")
        if lfs is not None:
            lfs = _as_lfs(lfs)
            m = self.model_.n_lfs_
            if len(lfs) != m:
                raise ValueError(
                    f"lfs: expected {m} labeling functions (the model's), got {len(lfs)}"
                )
            names = [lf.name for lf in lfs]
            prints = [lf.fingerprint() for lf in lfs]
            if hasattr(self, "lf_names_") and not allow_changed_lfs:
                self._check_same_lfs(names, prints)
            self.lf_names_, self.lf_fingerprints_ = names, prints
        self.lfs_ = lfs
        if encoder is None:
            encoder = getattr(self, "_saved_encoder", None)
        self.encoder_ = encoder
        self._saved_encoder = encoder if type(encoder) in registered().values() else None
        self.applier_ = applier or LFApplier(cardinality=self.n_classes_)

    def _check_same_lfs(self, names: list, prints: list) -> None:
        if names != self.lf_names_:
            raise ValueError(
                f"lfs: expected the LFs the labeler was saved with, {self.lf_names_}, got "
                f"{names} (pass allow_changed_lfs=True to use them anyway)"
            )
        changed = [
            n
            for n, old, new in zip(names, self.lf_fingerprints_, prints)
            if None not in (old, new) and old != new
        ]
        if changed:
            raise ValueError(
                f"lfs: the code of {changed} differs from the code the labeler was saved with "
                "(its votes would differ from the ones the label model was fitted on); pass "
                "allow_changed_lfs=True to use them anyway"
            )
        unknown = [
            n for n, old, new in zip(names, self.lf_fingerprints_, prints) if None in (old, new)
        ]
        if unknown:
            warnings.warn(
                f"lfs: the code of {unknown} cannot be fingerprinted: liger cannot check that it "
                "is the code the labeler was saved with",
                UserWarning,
                stacklevel=4,
            )

    def _after_load(self) -> None:
        self.lfs_ = None
        self.encoder_ = getattr(self, "_saved_encoder", None)
        self.applier_ = LFApplier(cardinality=self.n_classes_)

    # ------------------------------------------------------------------ labelling
    def predict_proba(self, records: Any, X: Any = None, *, source: str = "auto") -> np.ndarray:
        """Class probabilities of raw records.

        Parameters
        ----------
        records : list of records, pandas DataFrame or Series, or any iterable of records
            What the LFs read (an iterable is read once, one batch at a time).
        X : array-like of shape (q, d), optional
            The records' embeddings (a ``np.load(..., mmap_mode="r")`` array is read one batch
            at a time). Default: the encoder's embeddings of the records' texts.
        source : {"auto", "label_model", "end_model"}, default="auto"
            As in :meth:`liger.Liger.predict_proba`.

        Returns
        -------
        proba : ndarray of shape (q, K)
        """
        parts = list(self._iter_proba(records, X, source))
        if not parts:
            return np.empty((0, self.n_classes_))
        return np.concatenate([proba for _, proba in parts])

    def predict(self, records: Any, X: Any = None, *, source: str = "auto") -> np.ndarray:
        """Most probable class of each record (ties to the lowest class), shape (q,)."""
        return np.argmax(self.predict_proba(records, X, source=source), axis=1)

    def _iter_proba(self, records: Any, X: Any, source: str) -> Iterator[tuple[int, np.ndarray]]:
        """``(first row, probabilities)`` of each batch, in order (the CLI writes them as they
        come)."""
        if not hasattr(self, "model_"):
            raise NotFittedError(
                "This Labeler is not built: use Labeler.from_liger, Session.to_labeler or "
                "liger.load"
            )
        if source not in ("auto", "label_model", "end_model"):
            raise ValueError(
                f"source: expected 'auto', 'label_model' or 'end_model', got {source!r}"
            )
        self._check_params()
        if self.lfs_ is None:
            raise ValueError(
                "lfs: this labeler was loaded without its labeling functions: pass them, "
                "liger.load(path, lfs=[...])"
            )
        check_records(records)
        X = self._check_X(records, X)
        start = 0
        for batch in batches(records, self.batch_size):
            n = len(batch)
            if X is None:
                X_batch = encode(self.encoder_, texts_of(batch, self.text_column, start))
            else:
                X_batch = X[start : start + n]
                if X_batch.shape[0] != n:
                    raise ValueError(
                        f"X: expected one row per record, got {X.shape[0]} rows for more records"
                    )
            L = self.applier_.apply(self.lfs_, batch)
            yield start, self.model_._predict_proba(L, X_batch, source)
            start += n
        if X is not None and start != X.shape[0]:
            raise ValueError(
                f"X: expected one row per record, got {X.shape[0]} rows for {start} records"
            )

    def _check_X(self, records: Any, X: Any):
        if X is None:
            if self.encoder_ is None:
                raise ValueError(
                    "X: expected the records' embeddings, got None, and this labeler has no "
                    "encoder (pass X, or an encoder to Labeler.from_liger / liger.load)"
                )
            return None
        if not isinstance(X, np.ndarray) or X.ndim != 2:
            from .._checks.pandas import is_pandas, to_numpy

            X = to_numpy("X", X) if is_pandas(X) else np.asarray(X)
            if X.ndim != 2:
                raise ValueError(f"X: expected a 2-D array (q, d), got shape {X.shape}")
        n = n_records(records)
        if n is not None and n != X.shape[0]:
            raise ValueError(
                f"records and X: expected the same number of rows, got {n} and {X.shape[0]}"
            )
        return X

    # ------------------------------------------------------------------ files
    @classmethod
    def load(
        cls,
        path: Any,
        *,
        lfs: Any = None,
        encoder: Any = None,
        allow_changed_lfs: bool = False,
    ) -> Labeler:
        """A labeler written by :meth:`save`, with its code bound again (:func:`liger.load`
        with ``lfs=``: the same).

        Parameters
        ----------
        path : str or path-like
        lfs : list of LabelingFunction, optional
            The LFs, in the saved order: their names and code fingerprints must be the saved
            ones. Without them the labeler cannot label (only inspect).
        encoder : callable, optional
            Replaces the saved encoder (needed when the saved labeler had a user's encoder:
            code, which the file does not hold).
        allow_changed_lfs : bool, default=False
            Accept LFs whose names or code differ from the saved ones.

        Raises
        ------
        ValueError
            The file holds another estimator, or the LFs differ (and ``allow_changed_lfs`` is
            False).
        """
        check_bool("allow_changed_lfs", allow_changed_lfs)
        model = load_file(path)
        if not isinstance(model, cls):
            raise ValueError(
                f"path: {_fspath(path)} holds a {type(model).__name__}, not a Labeler (read it "
                "with liger.load)"
            )
        model._bind(lfs, encoder, allow_changed_lfs)
        return model

    def __repr__(self) -> str:
        if not hasattr(self, "model_"):
            return super().__repr__()
        return (
            f"Labeler(m={self.model_.n_lfs_}, K={self.n_classes_}, lfs={self.lf_names_}, "
            f"encoder={type(self.encoder_).__name__ if self.encoder_ is not None else None})"
        )


def load(
    path: Any, *, lfs: Any = None, encoder: Any = None, allow_changed_lfs: bool = False
) -> Any:
    """Load an estimator or a labeler written by ``save`` (``model.save(path)``).

    Parameters
    ----------
    path : str or path-like
    lfs, encoder, allow_changed_lfs
        For a :class:`~liger.Labeler` file only: its code bound again, as in
        :meth:`Labeler.load`.

    Returns
    -------
    Liger, LabelModel, MajorityVoter, EndModel or Labeler
        The estimator, with the parameters and fitted state it was saved with.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ModelFileError
        (a ``ValueError``) Not a liger model file, corrupted or truncated, or of an incompatible
        format version (see :func:`liger.io.codec.load`).
    ValueError
        ``lfs`` / ``encoder`` given for a file that is not a labeler, or LFs that differ from
        the saved ones.
    """
    check_bool("allow_changed_lfs", allow_changed_lfs)
    model = load_file(path)
    if isinstance(model, Labeler):
        model._bind(lfs, encoder, allow_changed_lfs)
        return model
    given = [name for name, value in (("lfs", lfs), ("encoder", encoder)) if value is not None]
    if given or allow_changed_lfs:
        given = given or ["allow_changed_lfs"]
        raise ValueError(
            f"{', '.join(given)}: only a Labeler file takes them; {_fspath(path)} holds a "
            f"{type(model).__name__}"
        )
    return model
