"""Persistence: pickle and ``save`` / ``liger.load`` round trips, and files ``load`` refuses."""

from __future__ import annotations

import hashlib
import json
import math
import os
import pickle
import warnings
import zipfile

import numpy as np
import pytest

import liger
from liger import EndModel, LabelModel, Liger, MajorityVoter, ModelFileError
from liger._estimator import NotFittedError, ParamsMixin, SaveMixin
from liger.extension.tuning import NearestVotes, TuningResult
from liger.io import codec as persistence
from liger.io import registry
from liger.io.codec import ModelVersionWarning

from ..helpers.reliability import blob_problem, call_keeping_inputs


@pytest.fixture(autouse=True)
def _quiet_label_model():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", liger.LabelModelWarning)
        yield


BINARY = blob_problem(seed=0, K=2)
MULTI = blob_problem(seed=1, K=3, m=7)


# ------------------------------------------------------------------ comparing two estimators


def assert_same(a, b, where="model", byte_order=True):
    """Recursive, bit-exact equality of two values as the format holds them (types included).
    ``byte_order=False``: a big-endian array may come back native (NumPy's pickle does that)."""
    assert type(a) is type(b), f"{where}: {type(a)} != {type(b)}"
    if isinstance(a, np.ndarray):
        if not byte_order:
            a = a.astype(a.dtype.newbyteorder("="))
            b = b.astype(b.dtype.newbyteorder("="))
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert a.tobytes() == b.tobytes(), where  # bit for bit, NaNs included
    elif isinstance(a, np.generic):
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), where
    elif isinstance(a, float):
        assert (math.isnan(a) and math.isnan(b)) or a == b, where
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]", byte_order)
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]", byte_order)
    elif isinstance(a, ParamsMixin) or hasattr(a, "__dataclass_fields__"):
        assert sorted(vars(a)) == sorted(vars(b)), f"{where}: attributes differ"
        for key in vars(a):
            assert_same(getattr(a, key), getattr(b, key), f"{where}.{key}", byte_order)
    else:
        assert a == b, where


def round_trip(model, tmp_path, name="model.npz"):
    path = tmp_path / name
    call_keeping_inputs(model.save, path)
    loaded = liger.load(path)
    assert_same(model, loaded)
    pickled = pickle.loads(pickle.dumps(model))
    assert_same(model, pickled, byte_order=False)
    # A loaded model pickles, and saves to the very same bytes.
    assert_same(model, pickle.loads(pickle.dumps(loaded)), byte_order=False)
    loaded.save(tmp_path / "again.npz")
    assert (tmp_path / "again.npz").read_bytes() == path.read_bytes()
    return loaded, pickled


def _fit_liger(problem, **params):
    (L, X, _), (L_dev, X_dev, y_dev), _ = problem
    if params.pop("no_dev", False):
        return Liger(**params).fit(L, X)
    return Liger(**params).fit(L, X, L_dev, X_dev, y_dev)


LIGER_CONFIGS = {
    "tuned binary": (BINARY, {}),
    "tuned global": (BINARY, {"threshold_search": "global", "tune_metric": "f1"}),
    "tuned multiclass + end model": (MULTI, {"end_model": "logreg", "random_state": 0}),
    "partitions tuned + end model": (
        BINARY,
        {"n_partitions": "tune", "end_model": "logreg", "random_state": 2},
    ),
    "3 partitions multiclass": (MULTI, {"n_partitions": 3, "random_state": 1}),
    "fixed threshold": (BINARY, {"thresholds": 0.4, "no_dev": True}),
    "threshold per LF with NaN": (
        BINARY,
        {"thresholds": [0.2, None, 0.5, np.nan, 0.3, 0.1], "no_dev": True},
    ),
    "thresholds None": (BINARY, {"thresholds": None, "no_dev": True}),
    "thresholds array euclidean": (
        BINARY,
        {"thresholds": np.full(6, 4.0), "metric": "euclidean", "no_dev": True},
    ),
    "majority label model": (MULTI, {"label_model": "majority", "n_partitions": 2}),
    "dev balance, fit on extended": (
        BINARY,
        {"class_balance": "dev", "fit_on": "extended", "n_partitions": 2, "random_state": 0},
    ),
    "likelihood+dev": (BINARY, {"class_balance": "likelihood+dev"}),
    "array balance": (MULTI, {"class_balance": np.array([0.5, 0.3, 0.2]), "cardinality": 3}),
}


@pytest.mark.parametrize("config", sorted(LIGER_CONFIGS))
def test_liger_round_trips_with_identical_predictions(config, tmp_path):
    problem, params = LIGER_CONFIGS[config]
    model = _fit_liger(problem, **dict(params))
    # The dev embeddings are read by the fit only: a saved model must not carry them.
    assert not any(
        isinstance(value, tuple) and any(x is problem[1][1] for x in value)
        for value in vars(model).values()
    )
    assert not hasattr(model, "_dev_labels")
    L_test, X_test, y_test = problem[2]
    for loaded in round_trip(model, tmp_path):
        for source in ("auto", "label_model"):
            expected = model.predict_proba(L_test, X_test, source=source)
            np.testing.assert_array_equal(
                loaded.predict_proba(L_test, X_test, source=source), expected
            )
        np.testing.assert_array_equal(
            loaded.transform(L_test, X_test), model.transform(L_test, X_test)
        )
        assert loaded.score(L_test, X_test, y_test) == model.score(L_test, X_test, y_test)
        assert str(loaded.lf_summary()) == str(model.lf_summary())
        # Shared sub-models stay shared.
        for part, sub in enumerate(model.label_models_):
            same = sub is model.global_label_model_
            assert (loaded.label_models_[part] is loaded.global_label_model_) == same


@pytest.mark.parametrize(
    ("problem", "params"),
    [
        (BINARY, {}),
        (MULTI, {"cardinality": 3}),
        (MULTI, {"cardinality": 3, "class_balance": [0.2, 0.3, 0.5], "aggregation": "mean"}),
        (BINARY, {"prior_accuracy": 0.8, "prior_strength": 0.0}),
    ],
)
def test_label_models_round_trip(problem, params, tmp_path):
    (L, _, _), _, (L_test, _, y_test) = problem
    for cls in (LabelModel, MajorityVoter):
        kwargs = {k: v for k, v in params.items() if k in cls().get_params()}
        model = cls(**kwargs).fit(L)
        for loaded in round_trip(model, tmp_path, f"{cls.__name__}.npz"):
            np.testing.assert_array_equal(loaded.predict_proba(L_test), model.predict_proba(L_test))
            np.testing.assert_array_equal(loaded.predict(L_test), model.predict(L_test))
            assert loaded.score(L_test, y_test) == model.score(L_test, y_test)


def test_label_model_state_set_after_the_derived_one_survives(tmp_path):
    """An LF that never votes gets the prior's accuracy after ``_set_derived`` ran: a loader that
    recomputed the derived state instead of restoring it would turn it into NaN."""
    (L, _, _), _, (L_test, _, _) = BINARY
    L = L.copy()
    L[:, 2] = -1
    model = LabelModel().fit(L)
    assert np.isfinite(model.accuracies_).all()
    loaded, _ = round_trip(model, tmp_path)
    np.testing.assert_array_equal(loaded.accuracies_, model.accuracies_)
    np.testing.assert_array_equal(loaded.predict_proba(L_test), model.predict_proba(L_test))


def test_label_model_from_params_round_trips(tmp_path):
    table = np.array([[[0.5, 0.6], [0.4, 0.1], [0.1, 0.3]]] * 3)
    model = LabelModel.from_params(table, [0.4, 0.6])
    loaded, _ = round_trip(model, tmp_path)
    L = np.array([[0, 1, -1], [-1, -1, -1], [1, 1, 0]])
    np.testing.assert_array_equal(loaded.predict_proba(L), model.predict_proba(L))


@pytest.mark.parametrize("with_dev", [True, False])
def test_end_model_round_trips(with_dev, tmp_path):
    (L, X, _), (_, X_dev, y_dev), (_, X_test, _) = MULTI
    proba = LabelModel(cardinality=3).fit(L).predict_proba(L)
    model = EndModel(random_state=0, penalties=[1e-3, 1e-2])
    model._fit_weak(X, proba, *((X_dev, y_dev) if with_dev else ()))
    for loaded in round_trip(model, tmp_path):
        np.testing.assert_array_equal(loaded.predict_proba(X_test), model.predict_proba(X_test))
    assert type(liger.load(tmp_path / "model.npz").penalties) is list


@pytest.mark.parametrize("cls", [Liger, LabelModel, MajorityVoter, EndModel])
def test_unfitted_estimators_round_trip_and_stay_unfitted(cls, tmp_path):
    model = cls()
    loaded, _ = round_trip(model, tmp_path)
    assert repr(loaded) == repr(model)
    with pytest.raises(NotFittedError):
        if cls is Liger:
            loaded.predict(BINARY[2][0], BINARY[2][1])
        elif cls is EndModel:
            loaded.predict(BINARY[2][1])
        else:
            loaded.predict(BINARY[2][0])


# ------------------------------------------------------------------ the generic walker


def test_new_fitted_attributes_of_supported_kinds_need_no_change(tmp_path):
    """What other estimators may grow: every supported kind, public and private, nested."""
    model = _fit_liger(BINARY, n_partitions=2, random_state=0, end_model="logreg")
    (L, X, _), _, _ = BINARY
    scores, indices = liger.nearest_support(X[:5], X, L)
    votes = NearestVotes.from_search(L[:5], scores, indices, L, "cosine")
    model.new_scalars_ = (np.float32(0.1), np.int8(-3), np.bool_(True), np.float64(np.nan))
    model.new_numbers_ = [0, -(2**70), 1.5, math.inf, -math.inf, math.nan, True, None, "é ✓"]
    model.new_dict_ = {"a": {1: [np.arange(3)]}, (1, "b"): None, 2.5: "x", None: ()}
    model.new_arrays_ = [
        np.zeros((0, 4)),
        np.array(3.0),
        np.asfortranarray(np.arange(12.0).reshape(3, 4)),
        np.arange(10)[::3],
        np.array(["ab", "c"]),
        np.array([b"xy", b""]),
        np.zeros(2, dtype=[("a", "<i4"), ("b", "<f8")]),
        np.array([1 + 2j], dtype=np.complex64),
        np.array([1.0], dtype=">f8"),
    ]
    model.new_votes_ = votes
    model.new_result_ = TuningResult(np.ones(2), np.zeros(2), 0.5, 0.1, 7)
    model.new_models_ = {"again": model.global_label_model_, "other": LabelModel()}
    model._new_private = (model.end_model_, [model.end_model_])
    loaded, _ = round_trip(model, tmp_path)
    assert loaded.new_models_["again"] is loaded.global_label_model_
    assert loaded._new_private[0] is loaded._new_private[1][0] is loaded.end_model_
    assert loaded.new_arrays_[2].flags.f_contiguous
    assert isinstance(loaded.new_votes_, NearestVotes)
    np.testing.assert_array_equal(loaded.new_votes_.extend(np.zeros(6)), votes.extend(np.zeros(6)))


@pytest.mark.parametrize(
    ("attribute", "value", "named"),
    [
        ("bad_", object(), r"Liger\.bad_: unsupported type builtins\.object"),
        ("bad_", {1, 2}, r"Liger\.bad_: unsupported type builtins\.set"),
        ("bad_", np.array([None, 1]), r"Liger\.bad_: arrays of dtype object"),
        ("bad_", [1, {"k": (2, lambda: 0)}], r"Liger\.bad_\[1\]\['k'\]\[1\]: unsupported type"),
        ("_rng", np.random.default_rng(0), r"Liger\._rng: unsupported type numpy\.random"),
        ("bad_", np.ma.masked_array([1, 2]), r"Liger\.bad_: unsupported type numpy\.ma"),
    ],
)
def test_unsupported_attribute_fails_at_save_naming_it(attribute, value, named, tmp_path):
    model = _fit_liger(BINARY, end_model="logreg", random_state=0)
    setattr(model, attribute, value)
    with pytest.raises(TypeError, match=f"cannot save {named}"):
        model.save(tmp_path / "model.npz")
    assert os.listdir(tmp_path) == [], "a failed save leaves no file behind"
    delattr(model, attribute)
    model.end_model_.nested_ = value  # nested estimators get the full path
    with pytest.raises(TypeError, match=r"cannot save Liger\.end_model_\.nested_"):
        model.save(tmp_path / "model.npz")


def test_self_containing_list_fails_at_save(tmp_path):
    model = LabelModel().fit(BINARY[0][0])
    model.loop_ = [1]
    model.loop_.append(model.loop_)
    with pytest.raises(TypeError, match=r"cannot save LabelModel: .*contains itself"):
        model.save(tmp_path / "model.npz")
    assert os.listdir(tmp_path) == []


def test_unsupported_parameter_fails_at_save(tmp_path):
    model = LabelModel(class_balance=object())
    with pytest.raises(TypeError, match=r"cannot save LabelModel\.class_balance: unsupported"):
        model.save(tmp_path / "model.npz")


def test_unregistered_classes_are_refused(tmp_path):
    class MyLiger(Liger):
        pass

    with pytest.raises(TypeError, match=r"model: expected a liger estimator"):
        persistence.save(MyLiger(), tmp_path / "model.npz")
    with pytest.raises(TypeError, match=r"model: expected a liger estimator"):
        persistence.save({"not": "a model"}, tmp_path / "model.npz")
    model = LabelModel().fit(BINARY[0][0])
    model.extra_ = MyLiger()
    with pytest.raises(TypeError, match=r"LabelModel\.extra_: unsupported type .*MyLiger"):
        model.save(tmp_path / "model.npz")


class _Cached(ParamsMixin, SaveMixin):
    """An estimator with a transient cache, rebuilt by ``_after_load``."""

    _persistence_transient = ("_cache",)

    def __init__(self, scale=2.0):
        self.scale = scale

    def fit(self):
        self.weights_ = np.arange(4.0) * self.scale
        self._after_load()
        return self

    def _after_load(self):
        self._cache = lambda: self.weights_.sum()  # not storable: must not be saved


def test_transient_attributes_are_rebuilt_by_the_after_load_hook(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "REGISTERED_CLASSES", registry.REGISTERED_CLASSES + (_Cached,))
    model = _Cached(scale=3.0).fit()
    model.save(tmp_path / "cached.npz")
    manifest = persistence.read_manifest(tmp_path / "cached.npz")
    assert set(manifest["model"]["state"]) == {"weights_"}
    loaded = liger.load(tmp_path / "cached.npz")
    assert loaded._cache() == model._cache() == 18.0


# ------------------------------------------------------------------ the file


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A saved Liger (with an end model) and its bytes."""
    path = tmp_path_factory.mktemp("saved") / "liger.npz"
    _fit_liger(BINARY, end_model="logreg", random_state=0).save(path)
    return path, path.read_bytes()


def _rewrite(src, dst, edit_manifest=None, edit_member=None, fix_checksum=True):
    """Copy a model file, editing the manifest (a dict) and/or members (name, bytes) -> bytes."""
    with zipfile.ZipFile(src) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    if edit_manifest is not None:
        manifest = json.loads(members["manifest.json"])
        edit_manifest(manifest)
        members["manifest.json"] = json.dumps(manifest).encode()
        if fix_checksum:
            members["manifest.sha256"] = (
                hashlib.sha256(members["manifest.json"]).hexdigest().encode()
            )
    if edit_member is not None:
        members = {name: edit_member(name, data) for name, data in members.items()}
    with zipfile.ZipFile(dst, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return dst


def test_file_layout_is_an_npz_with_a_json_manifest(saved):
    path, _ = saved
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
    assert "manifest.json" in names and "manifest.sha256" in names
    assert manifest["format"] == "liger-model" and manifest["format_version"] == [1, 0]
    assert manifest["liger_version"] == liger.__version__
    assert manifest["model"]["estimator"] == "Liger"
    assert manifest["model"]["state"]["end_model_"]["estimator"] == "EndModel"
    assert sorted(f"arrays/{key}.npy" for key in manifest["arrays"]) == sorted(
        n for n in names if n.startswith("arrays/")
    )
    with np.load(path, allow_pickle=False) as npz:  # plain NumPy reads the arrays
        key = manifest["model"]["state"]["_X_support"]["array"]
        np.testing.assert_array_equal(npz[f"arrays/{key}"], BINARY[0][1])
    assert persistence.read_manifest(path) == manifest


def test_same_model_same_bytes_and_saving_replaces_atomically(saved, tmp_path):
    path, data = saved
    model = liger.load(path)
    target = tmp_path / "model.npz"
    target.write_bytes(b"old content")
    model.save(str(target))  # str and Path both work
    assert target.read_bytes() == data
    assert os.listdir(tmp_path) == ["model.npz"], "no temporary file left"
    with pytest.raises(FileNotFoundError):
        model.save(tmp_path / "missing-dir" / "model.npz")
    assert os.listdir(tmp_path) == ["model.npz"]


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.npz"):
        liger.load(tmp_path / "nothing.npz")


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (b"", r"not a liger model file \(expected a ZIP archive"),
        (b"hello world", r"not a liger model file \(expected a ZIP archive"),
        (pickle.dumps(LabelModel()), r"not a liger model file"),
        (b"\x93NUMPY\x01\x00", r"not a liger model file"),
    ],
)
def test_foreign_files_are_refused(content, pattern, tmp_path):
    path = tmp_path / "foreign.npz"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=pattern) as info:
        liger.load(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_a_plain_npz_is_refused(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, a=np.arange(3))
    with pytest.raises(ModelFileError, match=r"plain\.npz: not a liger model file \(no manifest"):
        liger.load(path)


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.999, 22, 4])
def test_truncated_files_are_refused(keep, saved, tmp_path):
    _, data = saved
    size = int(len(data) * keep) if isinstance(keep, float) else len(data) - keep
    path = tmp_path / "truncated.npz"
    path.write_bytes(data[:size])
    with pytest.raises(ModelFileError, match=r"truncated\.npz: corrupted or truncated"):
        liger.load(path)


def test_flipped_bytes_are_refused(saved, tmp_path):
    path, data = saved
    X = BINARY[0][1]
    offset = data.find(X.tobytes()[:64])
    assert offset > 0
    for position in (offset + 5, offset + X.nbytes - 1, data.find(b'"format"') + 3):
        corrupted = bytearray(data)
        corrupted[position] ^= 0x10
        target = tmp_path / "flipped.npz"
        target.write_bytes(bytes(corrupted))
        with pytest.raises(ModelFileError, match=r"flipped\.npz: corrupted model file"):
            liger.load(target)


def test_checksums_catch_changes_that_keep_the_zip_valid(saved, tmp_path):
    path, _ = saved

    def touch(manifest):
        manifest["model"]["params"]["min_gain"] = 0.5

    bad = _rewrite(path, tmp_path / "m.npz", touch, fix_checksum=False)
    with pytest.raises(ModelFileError, match=r"m\.npz: corrupted .*SHA-256 of manifest\.json"):
        liger.load(bad)

    def change_array(name, data):
        if name != "arrays/a1.npy":
            return data
        return data[:-4] + bytes(byte ^ 0xFF for byte in data[-4:])

    bad = _rewrite(path, tmp_path / "a.npz", edit_member=change_array)
    with pytest.raises(ModelFileError, match=r"a\.npz: corrupted .*SHA-256 of arrays/a1\.npy"):
        liger.load(bad)


def test_newer_major_format_is_refused_newer_minor_is_read(saved, tmp_path):
    path, _ = saved

    def bump(version):
        def edit(manifest):
            manifest["format_version"] = version

        return edit

    bad = _rewrite(path, tmp_path / "v2.npz", bump([2, 0]))
    with pytest.raises(ModelFileError, match=r"v2\.npz: format version 2\.0 .*newer.*upgrade"):
        liger.load(bad)
    with pytest.raises(ModelFileError, match=r"format version 2\.0"):
        persistence.read_manifest(bad)
    bad = _rewrite(path, tmp_path / "v0.npz", bump([0, 9]))
    with pytest.raises(ModelFileError, match=r"v0\.npz: format version 0\.9 .*older"):
        liger.load(bad)
    for version in ("1.0", [1], [1, -1], None):
        bad = _rewrite(path, tmp_path / "weird.npz", bump(version))
        with pytest.raises(ModelFileError, match=r"weird\.npz: corrupted .*format_version"):
            liger.load(bad)
    minor = _rewrite(path, tmp_path / "v1_7.npz", bump([1, 7]))
    L_test, X_test, _ = BINARY[2]
    np.testing.assert_array_equal(
        liger.load(minor).predict_proba(L_test, X_test),
        liger.load(path).predict_proba(L_test, X_test),
    )


def test_other_liger_version_warns(saved, tmp_path):
    def edit(manifest):
        manifest["liger_version"] = "999.0"

    other = _rewrite(saved[0], tmp_path / "other.npz", edit)
    with pytest.warns(ModelVersionWarning, match="written by liger 999.0"):
        liger.load(other)


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        (lambda m: m.update(format="something-else"), r"not a liger model file"),
        (lambda m: m["model"].update(estimator="os.system"), r"estimator 'os\.system' that this"),
        (lambda m: m["model"].update(estimator="NearestVotes"), r"estimator 'NearestVotes' that"),
        (lambda m: m["model"]["params"].update(evil={"x": 1}), r"unknown node with keys \['x'\]"),
        (lambda m: m["model"]["params"].update(n_parts=3), r"parameters of Liger do not fit"),
        (lambda m: m["model"]["state"].update(x_={"array": "a999"}), r"not listed"),
        (lambda m: m["model"]["state"].update(x_={"ref": 99}), r"reference to unknown object"),
        (lambda m: m["model"]["state"].update(x_={"float": "big"}), r"unknown float 'big'"),
        (lambda m: m["model"]["state"].update(x_={"dict": [[[1], 2]]}), r"unhashable"),
        (lambda m: m.update(model=[1, 2]), r"the top node is not an estimator"),
        (lambda m: m.pop("arrays"), r"lacks 'arrays' or 'model'"),
    ],
)
def test_inconsistent_manifests_are_refused(edit, pattern, saved, tmp_path):
    bad = _rewrite(saved[0], tmp_path / "bad.npz", edit)
    with pytest.raises(ModelFileError, match=r"bad\.npz: .*" + pattern):
        liger.load(bad)


@pytest.mark.parametrize("depth", [400, 100_000])
def test_absurdly_nested_manifests_are_refused(depth, saved, tmp_path):
    with zipfile.ZipFile(saved[0]) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    del manifest["model"]
    nested = '{"tuple": [' * depth + "null" + "]}" * depth
    raw = (json.dumps(manifest)[:-1] + f', "model": {nested}}}').encode()
    path = tmp_path / "deep.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", raw)
        archive.writestr("manifest.sha256", hashlib.sha256(raw).hexdigest())
    with pytest.raises(ModelFileError, match=r"deep\.npz: corrupted .*(nest too deeply|not JSON)"):
        liger.load(path)


def test_object_arrays_in_a_file_are_never_unpickled(saved, tmp_path):
    evil = np.array([print], dtype=object)
    buffer = __import__("io").BytesIO()
    np.lib.format.write_array(buffer, evil, allow_pickle=True)
    payload = buffer.getvalue()

    def edit(manifest):
        manifest["arrays"]["a1"].update(
            sha256=hashlib.sha256(payload).hexdigest(), dtype="|O", shape=[1]
        )

    def member(name, data):
        return payload if name == "arrays/a1.npy" else data

    bad = _rewrite(saved[0], tmp_path / "evil.npz", edit, member)
    with pytest.raises(ModelFileError, match=r"evil\.npz: corrupted .*cannot read arrays/a1"):
        liger.load(bad)
