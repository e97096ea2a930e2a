"""Saving fitted estimators to one code-free file, and loading them back.

``model.save(path)`` writes a liger estimator (:class:`~liger.Liger`, :class:`~liger.LabelModel`,
:class:`~liger.MajorityVoter`, :class:`~liger.EndModel`), fitted or not, to ``path``;
``liger.load(path)`` returns an equal estimator whose predictions are bit-identical. Unlike a
pickle, the file holds no code: loading it never imports a module named by the file or runs
anything but NumPy's array reader (``allow_pickle=False``), so a file from an untrusted source can
at worst describe a wrong model. (Pickling the estimators works too, with pickle's usual caveats.)

File format, version 1.0
------------------------
The file is a ZIP archive, readable by ``numpy.load`` like any ``.npz``; members are stored
uncompressed with fixed timestamps, so the same model always gives the same bytes. ``load``
accepts stored members only, each name once, each declaring at most the file's size and
:data:`MAX_MEMBER_BYTES` (64 GiB; the manifest :data:`MAX_MANIFEST_BYTES`, 64 MiB), see
:mod:`liger.io.limits`:

``manifest.json``
    UTF-8 JSON object with the keys

    - ``"format"``: the string ``"liger-model"``;
    - ``"format_version"``: ``[major, minor]``, here ``[1, 0]``. A reader refuses a file of a
      larger major version (written by a newer, incompatible liger); a larger minor version only
      adds things an older reader may not understand, and it then fails with a clear error;
    - ``"liger_version"``, ``"numpy_version"``: the versions that wrote the file (informative:
      loading a file written by another liger version gives a :class:`ModelVersionWarning`);
    - ``"model"``: the estimator, as a *node* (below);
    - ``"arrays"``: ``{key: {"sha256", "dtype", "shape"}}`` for every array member, ``"sha256"``
      being the hex SHA-256 of the member's bytes.
``manifest.sha256``
    The hex SHA-256 of the bytes of ``manifest.json`` (and a newline).
``arrays/<key>.npy``
    One NumPy ``.npy`` file per array (no object arrays).

A node is JSON ``null``, ``true`` / ``false``, a string, an integer, a finite float, a list of
nodes (a Python list), or an object with exactly one of these forms:

- ``{"array": key}``: the array ``arrays/<key>.npy`` (two references to one key are one object);
- ``{"scalar": key}``: a NumPy scalar, stored as the 0-d array ``arrays/<key>.npy``;
- ``{"float": "nan" | "inf" | "-inf"}``: a non-finite Python float;
- ``{"tuple": [node, ...]}``;
- ``{"dict": [[key node, value node], ...]}``;
- ``{"estimator": class name, "id": n, "params": {name: node}, "state": {name: node}}``: an
  estimator of a registered class, rebuilt as ``cls(**params)`` and then given every attribute
  of ``state``;
- ``{"dataclass": class name, "id": n, "fields": {name: node}}``: an instance of a registered
  dataclass (e.g. :class:`liger.extension.tuning.NearestVotes`), rebuilt by its constructor;
- ``{"ref": n}``: the estimator or dataclass with ``"id": n`` written earlier in the file (so
  shared sub-objects, like ``Liger.label_models_[0] is Liger.global_label_model_``, stay shared).

Class names come from an explicit registry of liger classes (:data:`REGISTERED_CLASSES`), never
from an import path in the file.

What is saved of an estimator
-----------------------------
``params`` is ``get_params(deep=False)``. ``state`` is every other instance attribute (the fitted
attributes ending in ``_`` and private ones alike), so a new fitted attribute is saved without
any change here, as long as its value is made of the types above. An attribute of any other type
makes :func:`save` raise ``TypeError`` naming it (e.g. ``Liger.end_model_.coef_``). A class may
declare ``_persistence_transient = ("_cache", ...)``, attributes *not* saved (caches, locks), and
a method ``_after_load(self)`` that rebuilds them; it runs after the state is restored.

On load, a state entry must be an identifier, not a dunder, not a parameter and not a name of
the class (a method, property or class attribute it would shadow); then the class's
``_check_state(self)``, its schema (shapes, dtypes, ranges: :mod:`liger._checks.state`), checks
the restored state before anything uses it. Either refusal is a :class:`ModelFileError` naming
the entry.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import math
import os
import warnings
import zipfile
from typing import Any, Callable

import numpy as np

from .._version import __version__
from . import registry as _classes
from .errors import ModelFileError
from .limits import MAX_MANIFEST_BYTES, MAX_MEMBER_BYTES, check_members, check_npy_header
from .temporaries import remove_stale_temporaries, temporary_name

__all__ = [
    "FORMAT_VERSION",
    "MAX_MANIFEST_BYTES",
    "MAX_MEMBER_BYTES",
    "ModelFileError",
    "ModelVersionWarning",
    "load",
    "read_manifest",
    "save",
]

FORMAT_NAME = "liger-model"
FORMAT_VERSION = (1, 0)
MANIFEST = "manifest.json"
MANIFEST_CHECKSUM = "manifest.sha256"
ARRAY_PREFIX = "arrays/"
# Fixed member timestamps (the ZIP epoch): the same model always gives the same file bytes.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_HASH_BLOCK = 1 << 22

# The classes a file may name: registered by the classes themselves (liger.io.registry).


def __getattr__(name: str) -> Any:
    if name == "REGISTERED_CLASSES":
        return _classes.REGISTERED_CLASSES
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ModelVersionWarning(UserWarning):
    """The file was written by another liger version than the one loading it."""


def _registry() -> dict[str, type]:
    return _classes.registered()


def _describe(value: Any) -> str:
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}"


# ---------------------------------------------------------------------------------- encoding
class _Encoder:
    """Turns an object tree into JSON nodes plus a table of arrays (see the module docstring)."""

    def __init__(self) -> None:
        self.registry = _registry()
        self.arrays: dict[str, np.ndarray] = {}
        # id(object) -> (object, node); holding the object keeps its id from being reused.
        self._array_nodes: dict[int, tuple[Any, dict]] = {}
        self._object_ids: dict[int, tuple[Any, int]] = {}
        self._in_progress: set[int] = set()

    def _new_array(self, array: np.ndarray) -> str:
        key = f"a{len(self.arrays)}"
        self.arrays[key] = array
        return key

    def encode(self, value: Any, where: str) -> Any:
        kind = type(value)
        if value is None or kind in (bool, str, int):
            return value
        if kind is float:
            if math.isfinite(value):
                return value
            return {"float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
        if kind is np.ndarray:
            return self._encode_array(value, where)
        if isinstance(value, np.generic):
            scalar = np.asarray(value)
            if scalar.dtype.hasobject:
                raise TypeError(f"cannot save {where}: NumPy object scalars are not supported")
            return {"scalar": self._new_array(scalar)}
        if kind is list:
            return [self.encode(item, f"{where}[{i}]") for i, item in enumerate(value)]
        if kind is tuple:
            return {"tuple": [self.encode(item, f"{where}[{i}]") for i, item in enumerate(value)]}
        if kind is dict:
            return {
                "dict": [
                    [self.encode(key, f"{where} (a key)"), self.encode(item, f"{where}[{key!r}]")]
                    for key, item in value.items()
                ]
            }
        if self.registry.get(kind.__name__) is kind:
            return self._encode_object(value, where)
        raise TypeError(
            f"cannot save {where}: unsupported type {_describe(value)} (supported: None, bool, "
            "int, float, str, NumPy arrays and scalars without objects, lists, tuples, dicts, "
            "and the registered liger classes "
            f"{sorted(self.registry)}); declare it in _persistence_transient if it can be rebuilt"
        )

    def _encode_array(self, array: np.ndarray, where: str) -> dict:
        seen = self._array_nodes.get(id(array))
        if seen is not None:
            return seen[1]
        if array.dtype.hasobject:
            raise TypeError(
                f"cannot save {where}: arrays of dtype {array.dtype} hold Python objects; only "
                "arrays of numbers, booleans, strings or bytes can be saved"
            )
        node = {"array": self._new_array(array)}
        self._array_nodes[id(array)] = (array, node)
        return node

    def _encode_object(self, value: Any, where: str) -> dict:
        seen = self._object_ids.get(id(value))
        if seen is not None:
            if id(value) in self._in_progress and dataclasses.is_dataclass(value):
                raise TypeError(f"cannot save {where}: a dataclass that contains itself")
            return {"ref": seen[1]}
        number = len(self._object_ids)
        self._object_ids[id(value)] = (value, number)
        self._in_progress.add(id(value))
        name = type(value).__name__
        if dataclasses.is_dataclass(value):
            fields = {
                field.name: self.encode(getattr(value, field.name), f"{where}.{field.name}")
                for field in dataclasses.fields(value)
            }
            node = {"dataclass": name, "id": number, "fields": fields}
        else:
            params = value.get_params(deep=False)
            transient = set(getattr(type(value), "_persistence_transient", ()))
            state_names = sorted(set(vars(value)) - set(params) - transient)
            node = {
                "estimator": name,
                "id": number,
                "params": {k: self.encode(params[k], f"{where}.{k}") for k in sorted(params)},
                "state": {k: self.encode(getattr(value, k), f"{where}.{k}") for k in state_names},
            }
        self._in_progress.discard(id(value))
        return node


class _HashingWriter:
    """A write-only file object that forwards to ``target`` and hashes what passes through."""

    def __init__(self, target) -> None:
        self._target = target
        self.sha256 = hashlib.sha256()

    def write(self, data) -> int:
        self.sha256.update(data)
        return self._target.write(data)


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def _write_members(archive: zipfile.ZipFile, arrays: dict, manifest: dict) -> None:
    for key, array in arrays.items():
        info = _member(f"{ARRAY_PREFIX}{key}.npy")
        with archive.open(info, "w", force_zip64=array.nbytes > 1 << 30) as member:
            writer = _HashingWriter(member)
            np.lib.format.write_array(writer, array, allow_pickle=False)
        manifest["arrays"][key] = {
            "sha256": writer.sha256.hexdigest(),
            "dtype": array.dtype.str,
            "shape": list(array.shape),
        }
    raw = json.dumps(manifest, indent=1, allow_nan=False).encode("utf-8")
    archive.writestr(_member(MANIFEST), raw)
    archive.writestr(_member(MANIFEST_CHECKSUM), hashlib.sha256(raw).hexdigest() + "\n")


def _fspath(path: Any) -> str:
    """``path`` as a str; a TypeError naming ``path`` for anything but a str or path-like."""
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(f"path: expected a str or path-like, got {type(path).__name__}") from None
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    return path


def save(model: Any, path: str | os.PathLike) -> None:
    """Write ``model`` to ``path`` in the liger model format (see the module docstring).

    The file is first written next to ``path`` under a temporary name and then renamed, so an
    interrupted save never leaves a partial file at ``path``.

    Parameters
    ----------
    model : Liger, LabelModel, MajorityVoter or EndModel
        The estimator, usually fitted.
    path : str or path-like
        Where to write (any extension; ``.npz`` lets tools recognise the ZIP).

    Raises
    ------
    TypeError
        ``model`` is not a liger estimator, or one of its attributes has a type the format cannot
        hold (the message names the attribute, e.g. ``Liger.end_model_.coef_``).
    """
    registry = _registry()
    if registry.get(type(model).__name__) is not type(model) or dataclasses.is_dataclass(model):
        estimators = sorted(n for n, c in registry.items() if not dataclasses.is_dataclass(c))
        raise TypeError(f"model: expected a liger estimator ({estimators}), got {_describe(model)}")
    encoder = _Encoder()
    try:
        root = encoder.encode(model, type(model).__name__)
    except RecursionError:
        raise TypeError(
            f"cannot save {type(model).__name__}: its attributes nest too deeply, or a list or "
            "dict contains itself"
        ) from None
    manifest: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": list(FORMAT_VERSION),
        "liger_version": __version__,
        "numpy_version": np.__version__,
        "model": root,
        "arrays": {},
    }
    path = _fspath(path)
    directory, base = os.path.split(os.path.abspath(path))
    # Named recognisably, with the writer's pid: a save killed outright (SIGKILL, power loss)
    # cannot remove its temporary, so the next save of this path removes those of dead writers.
    remove_stale_temporaries(directory, base)
    temporary = temporary_name(directory, base)
    try:
        with open(temporary, "xb") as handle:
            with zipfile.ZipFile(handle, "w") as archive:
                _write_members(archive, encoder.arrays, manifest)
            handle.flush()
            os.fsync(handle.fileno())  # the rename below must not publish unwritten data
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


# ---------------------------------------------------------------------------------- decoding
_ZIP_ERRORS = (zipfile.BadZipFile, EOFError, OSError, ValueError)


def _open(path: str) -> zipfile.ZipFile:
    with open(path, "rb") as handle:  # FileNotFoundError names the path itself
        head = handle.read(4)
    if head not in (b"PK\x03\x04", b"PK\x05\x06"):
        raise ModelFileError(
            f"{path}: not a liger model file (expected a ZIP archive written by save(); the file "
            f"starts with {head!r})"
        )
    try:
        archive = zipfile.ZipFile(path)
    except _ZIP_ERRORS as exc:
        raise ModelFileError(f"{path}: corrupted or truncated model file ({exc})") from exc
    try:
        check_members(path, archive, MANIFEST, MANIFEST_CHECKSUM)
    except BaseException:
        archive.close()
        raise
    return archive


def _read_small(path: str, archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except KeyError:
        raise ModelFileError(
            f"{path}: not a liger model file (no {name}; an .npz written by something else?)"
        ) from None
    except _ZIP_ERRORS as exc:
        raise ModelFileError(f"{path}: corrupted model file: cannot read {name} ({exc})") from exc


def _checked_manifest(path: str, archive: zipfile.ZipFile) -> dict:
    raw = _read_small(path, archive, MANIFEST)
    recorded = _read_small(path, archive, MANIFEST_CHECKSUM).decode("ascii", "replace").strip()
    if hashlib.sha256(raw).hexdigest() != recorded:
        raise ModelFileError(
            f"{path}: corrupted model file: the SHA-256 of {MANIFEST} does not match "
            f"{MANIFEST_CHECKSUM}"
        )
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ModelFileError(
            f"{path}: corrupted model file: {MANIFEST} is not JSON ({exc})"
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ModelFileError(
            f"{path}: not a liger model file ({MANIFEST} does not say format {FORMAT_NAME!r})"
        )
    version = manifest.get("format_version")
    if (
        not isinstance(version, list)
        or len(version) != 2
        or not all(type(v) is int and v >= 0 for v in version)
    ):
        raise ModelFileError(f"{path}: corrupted model file: bad format_version {version!r}")
    major, minor = version
    if major != FORMAT_VERSION[0]:
        newer = "a newer" if major > FORMAT_VERSION[0] else "an older"
        raise ModelFileError(
            f"{path}: format version {major}.{minor} was written by {newer}, incompatible liger "
            f"({manifest.get('liger_version', 'unknown')}); this liger reads format "
            f"{FORMAT_VERSION[0]}.x"
            + (": upgrade liger to load it" if major > FORMAT_VERSION[0] else "")
        )
    if not isinstance(manifest.get("arrays"), dict) or "model" not in manifest:
        raise ModelFileError(f"{path}: corrupted model file: {MANIFEST} lacks 'arrays' or 'model'")
    return manifest


def read_manifest(path: str | os.PathLike) -> dict:
    """The checked manifest of a model file (format and liger versions, the model's node tree)
    without loading its arrays. Raises :class:`ModelFileError` as :func:`load` does."""
    path = os.fspath(path)
    with _open(path) as archive:
        return _checked_manifest(path, archive)


class _ArrayReader:
    """Reads each array member once, after checking its SHA-256, dtype and shape."""

    def __init__(self, path: str, archive: zipfile.ZipFile, table: dict) -> None:
        self.path, self.archive, self.table = path, archive, table
        self.cache: dict[str, np.ndarray] = {}

    def __call__(self, key: Any, where: str) -> np.ndarray:
        if not isinstance(key, str) or not isinstance(self.table.get(key), dict):
            raise ModelFileError(
                f"{self.path}: corrupted model file: {where} names array {key!r}, which is not "
                "listed in the manifest"
            )
        if key not in self.cache:
            self.cache[key] = self._read(key, self.table[key])
        return self.cache[key]

    def _read(self, key: str, entry: dict) -> np.ndarray:
        name = f"{ARRAY_PREFIX}{key}.npy"
        try:
            digest = hashlib.sha256()
            with self.archive.open(name) as member:  # reading to the end also checks the CRC
                for block in iter(lambda: member.read(_HASH_BLOCK), b""):
                    digest.update(block)
            if digest.hexdigest() != entry.get("sha256"):
                raise ModelFileError(
                    f"{self.path}: corrupted model file: the SHA-256 of {name} does not match "
                    "the manifest"
                )
            with self.archive.open(name) as member:
                dtype, shape = check_npy_header(self.path, name, member, self.archive)
            self._check_entry(name, dtype, shape, entry)
            with self.archive.open(name) as member:
                array = np.lib.format.read_array(member, allow_pickle=False)
        except KeyError:
            raise ModelFileError(
                f"{self.path}: corrupted or truncated model file: {name} is missing"
            ) from None
        except ModelFileError:
            raise
        except _ZIP_ERRORS as exc:
            raise ModelFileError(
                f"{self.path}: corrupted model file: cannot read {name} ({exc})"
            ) from exc
        self._check_entry(name, array.dtype, array.shape, entry)
        return array

    def _check_entry(self, name: str, dtype: np.dtype, shape: tuple, entry: dict) -> None:
        if dtype.str != entry.get("dtype") or list(shape) != entry.get("shape"):
            raise ModelFileError(
                f"{self.path}: corrupted model file: {name} holds dtype {dtype.str} shape "
                f"{list(shape)}, the manifest says {entry.get('dtype')} {entry.get('shape')}"
            )


_NODE_KEYS = {
    "array": {"array"},
    "scalar": {"scalar"},
    "float": {"float"},
    "tuple": {"tuple"},
    "dict": {"dict"},
    "ref": {"ref"},
    "estimator": {"estimator", "id", "params", "state"},
    "dataclass": {"dataclass", "id", "fields"},
}
_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


class _Decoder:
    def __init__(self, path: str, arrays: Callable[[Any, str], np.ndarray]) -> None:
        self.path = path
        self.arrays = arrays
        self.registry = _registry()
        self.objects: dict[int, Any] = {}

    def _corrupt(self, where: str, problem: str) -> ModelFileError:
        return ModelFileError(f"{self.path}: corrupted model file: {where}: {problem}")

    def decode(self, node: Any, where: str) -> Any:
        if node is None or type(node) in (bool, str, int, float):
            return node
        if type(node) is list:
            return [self.decode(item, f"{where}[{i}]") for i, item in enumerate(node)]
        if type(node) is not dict:
            raise self._corrupt(where, f"unexpected JSON value {node!r}")
        tag = next((t for t, keys in _NODE_KEYS.items() if set(node) == keys), None)
        if tag is None:
            raise self._corrupt(where, f"unknown node with keys {sorted(node)}")
        if tag == "array":
            return self.arrays(node["array"], where)
        if tag == "scalar":
            scalar = self.arrays(node["scalar"], where)
            if scalar.ndim != 0:
                raise self._corrupt(where, "a scalar must be a 0-d array")
            return scalar[()]
        if tag == "float":
            if node["float"] not in _FLOATS:
                raise self._corrupt(where, f"unknown float {node['float']!r}")
            return _FLOATS[node["float"]]
        if tag == "tuple":
            return tuple(self._items(node["tuple"], where))
        if tag == "dict":
            return self._dict(node["dict"], where)
        if tag == "ref":
            if node["ref"] not in self.objects:
                raise self._corrupt(where, f"reference to unknown object {node['ref']!r}")
            return self.objects[node["ref"]]
        return self._object(tag, node, where)

    def _items(self, items: Any, where: str) -> list:
        if type(items) is not list:
            raise self._corrupt(where, "expected a list")
        return [self.decode(item, f"{where}[{i}]") for i, item in enumerate(items)]

    def _dict(self, pairs: Any, where: str) -> dict:
        if type(pairs) is not list or not all(type(p) is list and len(p) == 2 for p in pairs):
            raise self._corrupt(where, "a dict must be a list of [key, value] pairs")
        result = {}
        for key_node, value_node in pairs:
            key = self.decode(key_node, f"{where} (a key)")
            try:
                result[key] = self.decode(value_node, f"{where}[{key!r}]")
            except TypeError as exc:  # an unhashable key
                raise self._corrupt(where, str(exc)) from exc
        return result

    def _class(self, name: Any, dataclass: bool, where: str) -> type:
        cls = self.registry.get(name) if isinstance(name, str) else None
        if cls is None or dataclasses.is_dataclass(cls) != dataclass:
            known = sorted(
                n for n, c in self.registry.items() if dataclasses.is_dataclass(c) == dataclass
            )
            kind = "a dataclass" if dataclass else "an estimator"
            raise ModelFileError(
                f"{self.path}: {where} is {kind} {name!r} that this liger does not know "
                f"(known: {known}); was the file written by a newer liger?"
            )
        return cls

    def _object(self, tag: str, node: dict, where: str) -> Any:
        number = node["id"]
        if type(number) is not int or number in self.objects:
            raise self._corrupt(where, f"bad object id {number!r}")
        if tag == "dataclass":
            cls = self._class(node["dataclass"], True, where)
            if type(node["fields"]) is not dict:
                raise self._corrupt(where, "'fields' must be an object")
            names = {f.name for f in dataclasses.fields(cls)}
            unknown = sorted(set(node["fields"]) - names)
            if unknown:
                raise self._corrupt(where, f"{cls.__name__} has no fields {unknown}")
            values = {k: self.decode(v, f"{where}.{k}") for k, v in node["fields"].items()}
            init = {f.name for f in dataclasses.fields(cls) if f.init}
            try:
                obj = cls(**{k: v for k, v in values.items() if k in init})
            except TypeError as exc:
                raise ModelFileError(
                    f"{self.path}: {where}: the saved fields of {cls.__name__} do not fit this "
                    f"liger's {cls.__name__} ({exc})"
                ) from exc
            for k, v in values.items():
                if k not in init:
                    object.__setattr__(obj, k, v)
            self.objects[number] = obj
            return obj
        cls = self._class(node["estimator"], False, where)
        if type(node["params"]) is not dict or type(node["state"]) is not dict:
            raise self._corrupt(where, "'params' and 'state' must be objects")
        params = {k: self.decode(v, f"{where}.{k}") for k, v in node["params"].items()}
        try:
            obj = cls(**params)
        except TypeError as exc:
            raise ModelFileError(
                f"{self.path}: {where}: the saved parameters of {cls.__name__} do not fit this "
                f"liger's {cls.__name__} ({exc})"
            ) from exc
        for k in node["state"]:
            problem = _state_name_problem(cls, k, params)
            if problem is not None:
                raise self._corrupt(f"{where}.{k}", problem)
        self.objects[number] = obj  # before the state: the state may refer back to it
        for k, v in node["state"].items():
            setattr(obj, k, self.decode(v, f"{where}.{k}"))
        check = getattr(cls, "_check_state", None)  # the class's schema of its fitted state
        if check is not None:
            try:
                check(obj)
            except (TypeError, ValueError) as exc:
                raise self._corrupt(where, f"state entry {exc}") from exc
        after_load = getattr(obj, "_after_load", None)
        if after_load is not None:
            after_load()
        return obj


_NO_ATTRIBUTE = object()


def _state_name_problem(cls: type, name: Any, params: dict) -> str | None:
    """Why a state entry may not be set on an instance of ``cls`` (None: it may): not an
    identifier, a dunder, a parameter, or a name of the class (a method, property or class
    attribute it would shadow)."""
    if not isinstance(name, str) or not name.isidentifier():
        return f"{name!r} is not an attribute name"
    if name.startswith("__") and name.endswith("__"):
        return "dunder names are refused"
    if name in params:
        return "a parameter, not a fitted attribute"
    if inspect.getattr_static(cls, name, _NO_ATTRIBUTE) is not _NO_ATTRIBUTE:
        return f"would shadow {cls.__name__}.{name} (a method, property or class attribute)"
    return None


def load(path: str | os.PathLike) -> Any:
    """Load an estimator written by ``save`` (``model.save(path)``).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    Liger, LabelModel, MajorityVoter or EndModel
        The estimator, with the parameters and fitted state it was saved with.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ModelFileError
        (a ``ValueError``) The file is not a liger model file, is corrupted or truncated (every
        array and the manifest carry a SHA-256), or was written in an incompatible (newer major)
        format version. The message names the path and the problem.

    Warns
    -----
    ModelVersionWarning
        The file was written by another liger version: its fitted state may lack attributes
        this version expects.
    """
    path = _fspath(path)
    with _open(path) as archive:
        manifest = _checked_manifest(path, archive)
        written_by = manifest.get("liger_version")
        if written_by != __version__:
            warnings.warn(
                f"{path} was written by liger {written_by}, this is liger {__version__}",
                ModelVersionWarning,
                stacklevel=2,
            )
        reader = _ArrayReader(path, archive, manifest["arrays"])
        try:
            model = _Decoder(path, reader).decode(manifest["model"], "model")
        except RecursionError:
            raise ModelFileError(f"{path}: corrupted model file: nodes nest too deeply") from None
    registry = _registry()
    if registry.get(type(model).__name__) is not type(model) or dataclasses.is_dataclass(model):
        raise ModelFileError(f"{path}: corrupted model file: the top node is not an estimator")
    return model
