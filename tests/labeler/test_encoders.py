"""The encoders of liger.labeler.encoders: the protocol, the hashing encoder, and the
sentence-transformers wrapper's error when its extra is missing."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from liger.labeler.encoders import Encoder, HashingEncoder, SentenceTransformerEncoder, encode


def test_hashing_encoder_is_deterministic_normalised_float32():
    encoder = HashingEncoder(n_features=64)
    assert isinstance(encoder, Encoder)
    X = encoder(["Check out my channel", "check OUT my channel", "", "song"])
    assert X.dtype == np.float32 and X.shape == (4, 64)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(X[0], X[1])  # lower-cased
    assert HashingEncoder(8, (4, 4))([""])[0, 0] == 1.0  # no n-gram: a unit vector
    np.testing.assert_array_equal(encoder(["song"]), X[3:])
    # The same embeddings in another process (no per-process hash seed).
    code = (
        "from liger.labeler.encoders import HashingEncoder;"
        "print(HashingEncoder()(['song']).tobytes().hex())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == X[3].tobytes().hex()
    assert HashingEncoder(8, (1, 1))(["ab"]).shape == (1, 8)
    with pytest.raises(TypeError, match="texts"):
        encoder("one text")
    with pytest.raises(TypeError, match="texts"):
        encoder([1, 2])
    with pytest.raises(ValueError, match="n_features"):
        HashingEncoder(n_features=0)(["a"])
    with pytest.raises(ValueError, match="ngram_range"):
        HashingEncoder(ngram_range=(3, 2))(["a"])


def test_encoder_outputs_are_checked_naming_the_encoder():
    with pytest.raises(ValueError, match=r"encoder: expected an array of shape \(2, d\)"):
        encode(lambda texts: np.zeros((3, 4)), ["a", "b"])
    with pytest.raises(ValueError, match="encoder: expected float"):
        encode(lambda texts: np.array([["a"], ["b"]]), ["a", "b"])
    X = encode(lambda texts: [[1.0, 2.0]] * len(texts), ["a", "b"])
    assert X.dtype == np.float32 and X.flags.c_contiguous


@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is not None,
    reason="sentence-transformers is installed",
)
def test_sentence_transformer_encoder_names_the_extra_when_missing():
    with pytest.raises(ImportError, match=r"liger\[embed\]"):
        SentenceTransformerEncoder("all-MiniLM-L6-v2")
    # import liger never imports it
    code = (
        "import sys, liger, liger.labeler.encoders; print('sentence_transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
