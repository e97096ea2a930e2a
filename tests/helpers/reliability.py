"""Helpers of the reliability tests: input fingerprints, problem generators, state digests."""

from __future__ import annotations

import hashlib
import json
import warnings
from typing import Any, Callable

import numpy as np

# ------------------------------------------------------------------ inputs are never modified


def fingerprint(value: Any, _seen: frozenset = frozenset()) -> Any:
    """A comparable summary of everything a call could modify in ``value``: for an array its
    dtype, shape, strides, flags and the SHA-256 of its bytes; containers and liger objects (their
    attributes) recursively; anything else by ``repr``."""
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        if data.dtype.hasobject:  # no bytes to hash: the objects' reprs
            digest = hashlib.sha256(repr(data.tolist()).encode())
        else:
            digest = hashlib.sha256(data.view(np.uint8).reshape(-1) if data.size else b"")
        return (
            "ndarray",
            value.dtype.str,
            value.shape,
            value.strides,
            bool(value.flags.writeable),
            bool(value.flags.c_contiguous),
            bool(value.flags.f_contiguous),
            digest.hexdigest(),
        )
    if _is_sparse(value):
        return ("sparse", value.format, fingerprint(_sparse_parts(value), _seen))
    if type(value).__module__.startswith("pandas") and hasattr(value, "to_numpy"):
        dtypes = value.dtypes if hasattr(value, "dtypes") else value.dtype
        parts = [value.to_numpy(), list(value.index), str(dtypes)]
        if hasattr(value, "columns"):
            parts.append(list(value.columns))
        return ("pandas", type(value).__name__, fingerprint(parts, _seen))
    if id(value) in _seen:
        return ("cycle", type(value).__name__)
    inner = _seen | {id(value)}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [fingerprint(item, inner) for item in value])
    if isinstance(value, dict):
        return ("dict", [(repr(k), fingerprint(v, inner)) for k, v in value.items()])
    if type(value).__module__.startswith("liger") and hasattr(value, "__dict__"):
        return (type(value).__name__, fingerprint(vars(value), inner))
    return ("object", type(value).__name__, repr(value))


def _is_sparse(value: Any) -> bool:
    import scipy.sparse

    return scipy.sparse.issparse(value)


def _sparse_parts(value: Any) -> list:
    if value.format in ("csr", "csc", "bsr"):
        return [value.shape, value.data, value.indices, value.indptr, value.has_sorted_indices]
    return [value.shape, value.toarray()]


def call_keeping_inputs(func: Callable, *args: Any, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)``, asserting that no argument (array, list, nested container)
    changed in any way: values, dtype, shape, strides, writeable / contiguity flags."""
    named = {f"argument {i}": a for i, a in enumerate(args)} | {
        f"argument {k!r}": v for k, v in kwargs.items()
    }
    before = {name: fingerprint(value) for name, value in named.items()}
    result = func(*args, **kwargs)
    for name, value in named.items():
        assert fingerprint(value) == before[name], (
            f"{getattr(func, '__qualname__', func)} modified its {name}"
        )
    return result


# ------------------------------------------------------------------ problems


def blob_problem(seed=0, n=500, n_dev=120, n_test=150, d=12, m=6, K=2):
    """Train / dev / test splits of K Gaussian blobs with noisy LFs, each voting one class on a
    quarter of the points. Returns ``((L, X, y), (L_dev, X_dev, y_dev), (L_test, X_test, y_test))``.
    """
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((K, d)) * 1.5

    def split(size):
        y = rng.integers(0, K, size)
        X = (centers[y] + rng.standard_normal((size, d))).astype(np.float32)
        lf_class = np.arange(m) % K
        fires = rng.random((size, m)) < 0.25
        correct = rng.random((size, m)) < 0.8
        target = y[:, None] == lf_class[None, :]
        L = np.where(fires & (target == correct), lf_class[None, :], -1)
        return L, X, y

    return split(n), split(n_dev), split(n_test)


# ------------------------------------------------------------------ digests of fitted state


def state_digest(
    model: Any, ignore: tuple[str, ...] = ("fit_time_", "n_jobs"), int_width: bool = True
) -> str:
    """SHA-256 of an estimator's parameters and whole fitted state (every attribute, nested
    estimators included, arrays bit for bit), leaving out the parameters and attributes named in
    ``ignore`` (wall-clock times, the thread count). Uses the walker of
    :mod:`liger.io.codec`. ``int_width=False``: integer arrays count by value, not by width
    (a model keeps int8 votes as int8: the same fit as from int64 votes)."""
    from liger.io.codec import _Encoder

    encoder = _Encoder()
    tree = encoder.encode(model, type(model).__name__)
    _drop(tree, set(ignore))
    digest = hashlib.sha256(json.dumps(tree, sort_keys=True).encode())
    for key in sorted(encoder.arrays, key=lambda k: int(k[1:])):
        array = np.ascontiguousarray(encoder.arrays[key])
        if not int_width and array.dtype.kind in "iu":
            array = array.astype(np.int64)
        digest.update(f"{key}:{array.dtype.str}:{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _drop(node: Any, names: set[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _drop(item, names)
    elif isinstance(node, dict):
        if "estimator" in node:
            for part in ("params", "state"):
                for name in names & set(node[part]):
                    del node[part][name]
        for value in node.values():
            _drop(value, names)


def array_digest(*arrays: np.ndarray) -> str:
    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}:{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def workload_digests(n_jobs: int | None = None) -> dict[str, str]:
    """Digests of every deterministic output the determinism tests compare: searches, the label
    models, the end model and Liger (tuned thresholds, tuned and fixed partitions, end model),
    binary and multiclass. Runs in under a second."""
    import liger
    from liger import EndModel, LabelModel, Liger, MajorityVoter

    out: dict[str, str] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for K in (2, 3):
            (L, X, _), (L_dev, X_dev, y_dev), (L_test, X_test, _) = blob_problem(seed=K, K=K)
            out[f"nearest_support K={K}"] = array_digest(
                *liger.nearest_support(X_test, X, L, n_jobs=n_jobs)
            )
            out[f"nearest_support euclidean K={K}"] = array_digest(
                *liger.nearest_support(X_test, X, L, metric="euclidean", n_jobs=n_jobs)
            )
            out[f"knn_graph K={K}"] = array_digest(*liger.knn_graph(X, 5, n_jobs=n_jobs))
            label_model = LabelModel(cardinality=K).fit(L)
            out[f"LabelModel K={K}"] = state_digest(label_model)
            out[f"LabelModel proba K={K}"] = array_digest(label_model.predict_proba(L_test))
            out[f"MajorityVoter K={K}"] = state_digest(MajorityVoter(cardinality=K).fit(L))
            proba = label_model.predict_proba(L)
            end = EndModel(penalties=(1e-3, 1e-1), train_weights=(0.1, 1.0), n_folds=2)
            end.set_params(random_state=0)._fit_weak(X, proba, X_dev, y_dev)
            out[f"EndModel K={K}"] = state_digest(end)
            out[f"EndModel proba K={K}"] = array_digest(end.predict_proba(X_test))
            # The whole pipeline: tuned thresholds and partitions (+ the end model for K = 3).
            model = Liger(
                n_partitions="tune",
                end_model="logreg" if K == 3 else None,
                random_state=0,
                n_jobs=n_jobs,
            ).fit(L, X, L_dev, X_dev, y_dev)
            out[f"Liger tuned K={K}"] = state_digest(model)
            out[f"Liger proba K={K}"] = array_digest(
                model.predict_proba(L_test, X_test),
                model.predict_proba(L_test, X_test, source="label_model"),
            )
            parts = Liger(thresholds=0.3, n_partitions=3, random_state=1, n_jobs=n_jobs)
            parts.fit(L, X, L_dev, X_dev, y_dev)
            out[f"Liger 3 parts K={K}"] = state_digest(parts)
            out[f"Liger 3 parts proba K={K}"] = array_digest(parts.predict_proba(L_test, X_test))
    return out
