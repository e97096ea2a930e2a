"""Text encoders: what turns records' texts into the embeddings a :class:`~liger.Labeler` reads.

An encoder is any callable of a sequence of n strings returning an (n, d) float array (the
:class:`Encoder` protocol); float32 is what the search reads. Two are provided:

- :class:`HashingEncoder`: hashed character n-grams, L2-normalised. Deterministic, no model, no
  extra package: for tests, examples and a baseline, not for accuracy.
- :class:`SentenceTransformerEncoder` (extra ``liger[embed]``): a sentence-transformers model
  loaded from what is installed (a local folder or a model in the local cache, never a
  download). The library is imported when the encoder is made, never by ``import liger``.

Both are saved with a labeler (their parameters only); any other callable is code, which a model
file never holds: pass it again to :func:`liger.load` (``encoder=``).
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .._checks.validation import check_int
from .._estimator import ParamsMixin, SaveMixin

EMBED_EXTRA = "embed"


@runtime_checkable
class Encoder(Protocol):
    """A text encoder: ``encoder(texts) -> X``.

    ``texts`` is a sequence of n ``str``; ``X`` an array-like of shape (n, d) of finite floats
    (float32 preferred), row i the embedding of ``texts[i]``, the same ``d`` for every call and
    the same embedding for the same text (the labeler compares them with the train embeddings the
    pipeline was fitted on: encode those with the same encoder).
    """

    def __call__(self, texts: Sequence[str]) -> Any: ...


def check_texts(name: str, texts: Any) -> list[str]:
    """A list of str (a str alone is refused: it would be encoded character by character)."""
    if isinstance(texts, (str, bytes)) or not isinstance(texts, (Sequence, np.ndarray)):
        raise TypeError(f"{name}: expected a sequence of str, got {type(texts).__name__}")
    out = list(texts)
    for i, text in enumerate(out):
        if not isinstance(text, str):
            raise TypeError(f"{name}: expected str texts, got {type(text).__name__} at {i}")
    return out


def encode(encoder: Any, texts: list[str]) -> np.ndarray:
    """``encoder(texts)`` checked: (n, d) finite float32, one row per text; errors name
    ``encoder``."""
    X = encoder(texts)
    try:
        X = np.asarray(X)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"encoder: expected an (n, d) array of floats, got {exc}") from None
    if X.ndim != 2 or X.shape[0] != len(texts):
        raise ValueError(
            f"encoder: expected an array of shape ({len(texts)}, d) for {len(texts)} texts, got "
            f"shape {X.shape}"
        )
    if X.dtype.kind not in "fiu" or X.dtype == np.bool_:
        raise ValueError(f"encoder: expected float embeddings, got dtype {X.dtype}")
    return np.ascontiguousarray(X, dtype=np.float32)


class HashingEncoder(ParamsMixin, SaveMixin, saveable=True):
    """Hashed character n-grams (of the lower-cased text padded with spaces), counted into
    ``n_features`` buckets by BLAKE2b and L2-normalised; an empty text (no n-gram) gets a unit
    vector on bucket 0. Deterministic across processes and platforms.

    Parameters
    ----------
    n_features : int, default=64
    ngram_range : tuple (low, high), default=(2, 4)
        Lengths of the character n-grams counted.
    """

    def __init__(self, n_features: int = 64, ngram_range: tuple = (2, 4)):
        self.n_features = n_features
        self.ngram_range = ngram_range

    def _checked(self) -> tuple[int, int, int]:
        d = check_int("n_features", self.n_features, 1, 1 << 20)
        value = self.ngram_range
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise ValueError(f"ngram_range: expected a pair (low, high), got {value!r}")
        low = check_int("ngram_range[0]", value[0], 1, 64)
        high = check_int("ngram_range[1]", value[1], low, 64)
        return d, low, high

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """The (n, n_features) float32 embeddings of ``texts``."""
        d, low, high = self._checked()
        texts = check_texts("texts", texts)
        X = np.zeros((len(texts), d), dtype=np.float32)
        for i, text in enumerate(texts):
            padded = f" {text.lower()} "
            for size in range(low, high + 1):
                for start in range(len(padded) - size + 1):
                    gram = padded[start : start + size].encode("utf-8", "surrogatepass")
                    digest = hashlib.blake2b(gram, digest_size=8).digest()
                    X[i, int.from_bytes(digest, "little") % d] += 1.0
            norm = float(np.linalg.norm(X[i]))
            if norm == 0.0:
                X[i, 0] = 1.0
            else:
                X[i] /= norm
        return X


class SentenceTransformerEncoder(ParamsMixin, SaveMixin, saveable=True):
    """A `sentence-transformers <https://sbert.net>`_ model as an :class:`Encoder` (extra
    ``liger[embed]``: ``pip install 'liger[embed]'``).

    The model is loaded on first use, with ``local_files_only=True``: from a local folder or a
    model already in the local Hugging Face cache, never downloaded by liger.

    Parameters
    ----------
    model_name_or_path : str
        A folder holding a saved model, or the name of an installed (cached) model.
    device : str, optional
        ``"cpu"``, ``"cuda"``, ... (default: the library's choice).
    batch_size : int, default=64
    normalize : bool, default=True
        L2-normalise the embeddings (what ``metric="cosine"`` compares anyway).

    Raises
    ------
    ImportError
        sentence-transformers is not installed; the message names the extra.
    """

    _persistence_transient = ("_model",)

    def __init__(
        self,
        model_name_or_path: str,
        *,
        device: str | None = None,
        batch_size: int = 64,
        normalize: bool = True,
    ):
        if importlib.util.find_spec("sentence_transformers") is None:
            raise ImportError(
                "SentenceTransformerEncoder needs the sentence-transformers package, which is "
                f"not installed: pip install 'liger[{EMBED_EXTRA}]'"
            )
        if not isinstance(model_name_or_path, str) or not model_name_or_path:
            raise TypeError(
                f"model_name_or_path: expected a non-empty str, got {model_name_or_path!r}"
            )
        self.model_name_or_path = model_name_or_path
        self.device = device
        self.batch_size = batch_size
        self.normalize = normalize
        self._model = None

    def _after_load(self) -> None:
        self._model = None

    def _loaded(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(
                self.model_name_or_path, device=self.device, local_files_only=True
            )
        return self._model

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """The (n, d) float32 embeddings of ``texts``."""
        batch_size = check_int("batch_size", self.batch_size, 1)
        texts = check_texts("texts", texts)
        X = self._loaded().encode(
            texts,
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=bool(self.normalize),
            show_progress_bar=False,
        )
        return np.ascontiguousarray(X, dtype=np.float32)
