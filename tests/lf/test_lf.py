"""Labeling functions: decorator, application (order, dtype, backends), cache keys, errors."""

from __future__ import annotations

import dataclasses
import re
import threading
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import liger
from liger import ABSTAIN
from liger.lf import appliers as lf_module
from liger.lf.appliers import LFApplier, apply_lfs
from liger.lf.definition import LabelingFunction, LabelingFunctionError, labeling_function


def pandas():
    """pandas is in the test extra; the tests that need it import it here."""
    return pytest.importorskip("pandas")


SPAM, HAM = 1, 0
# Call counts live on a module: modules enter a cache key by name only, so counting calls does not
# change the LFs' keys (a list or dict global would: it is part of the key by value).
calls = types.ModuleType("calls")


def reset_calls():
    calls.__dict__.update(kw=0, short=0, helper=0)


reset_calls()  # tests that do not count calls still run LFs that increment them


TEXTS = [
    "Check out my channel!",
    "great song",
    "subscribe please http://spam.example",
    "I love this",
    "",
    "win a FREE phone now",
]


def reference(lfs, records):
    """The vote matrix written plainly: one Python call per (record, LF)."""
    return np.array([[lf(x) for lf in lfs] for x in records], dtype=np.int64).reshape(
        len(records), len(lfs)
    )


# ------------------------------------------------------------------ authoring
def test_decorator_forms_name_resources_and_pre():
    @labeling_function
    def bare(x):
        return SPAM if "check" in x.lower() else ABSTAIN

    @labeling_function(name="kw", resources={"words": ("free", "win")}, pre=[str.lower])
    def with_args(x, words):
        return SPAM if any(w in x for w in words) else ABSTAIN

    assert isinstance(bare, LabelingFunction) and bare.name == "bare"
    assert with_args.name == "kw" and with_args.resources == {"words": ("free", "win")}
    assert bare("CHECK it") == SPAM and with_args("WIN big") == SPAM and with_args("hi") == ABSTAIN
    assert "kw" in repr(with_args) and "pre" in repr(with_args)
    with pytest.raises(TypeError, match="func: expected a callable"):
        LabelingFunction(3)
    with pytest.raises(TypeError, match="resources: expected a mapping"):
        labeling_function(resources=[("a", 1)])(lambda x: -1)
    with pytest.raises(TypeError, match="pre: expected callables"):
        labeling_function(pre=["lower"])(lambda x: -1)


def test_records_of_every_kind_keep_row_order_and_match_a_plain_loop():
    pd = pandas()

    @labeling_function()
    def long_text(x):
        text = x if isinstance(x, str) else x["text"]
        return HAM if len(text) > 10 else ABSTAIN

    @labeling_function()
    def has_link(x):
        text = x if isinstance(x, str) else x["text"]
        return SPAM if "http" in text else ABSTAIN

    lfs = [long_text, has_link]
    expected = reference(lfs, TEXTS)
    dicts = [{"text": t, "id": i} for i, t in enumerate(TEXTS)]
    frame = pd.DataFrame({"text": TEXTS, "id": range(len(TEXTS))}, index=list("abcdef"))
    for records in (TEXTS, tuple(TEXTS), np.array(TEXTS), pd.Series(TEXTS), dicts, frame):
        L = LFApplier(cardinality=2).apply(lfs, records)
        np.testing.assert_array_equal(L, expected)
        assert L.dtype == np.int8 and L.shape == (6, 2)
    assert apply_lfs(lfs, iter(TEXTS)).tolist() == expected.tolist()


def test_frame_rows_read_by_attribute_label_and_position():
    pd = pandas()
    frame = pd.DataFrame({"text": ["a b", "c"], "n words": [2, 1], 3: ["x", "y"]})
    seen = []

    @labeling_function()
    def look(x):
        seen.append((x.text, x["text"], x["n words"], x[3], x[0], x.get("nope", 7), x.keys()))
        return ABSTAIN

    LFApplier(cache=False).apply([look], frame)
    assert seen[0] == ("a b", "a b", 2, "x", "a b", 7, ["text", "n words", 3])


def test_vectorized_lfs_over_a_frame_and_a_list():
    pd = pandas()

    @labeling_function(vectorized=True)
    def has_link(frame):
        return np.where(frame["text"].str.contains("http"), SPAM, ABSTAIN)

    @labeling_function(vectorized=True, resources={"cut": 10})
    def short(data, cut):
        texts = data["text"] if hasattr(data, "columns") else data
        return np.where(np.array([len(t) for t in texts]) < cut, HAM, ABSTAIN)

    frame = pd.DataFrame({"text": TEXTS})
    L = LFApplier(cardinality=2).apply([has_link, short], frame)
    np.testing.assert_array_equal(L[:, 0], [SPAM if "http" in t else -1 for t in TEXTS])
    np.testing.assert_array_equal(L[:, 1], [HAM if len(t) < 10 else -1 for t in TEXTS])
    assert LFApplier().apply([short], TEXTS).ravel().tolist() == L[:, 1].tolist()


@settings(max_examples=40, deadline=None)
@given(
    texts=st.lists(st.text(alphabet="abc xy", max_size=12), min_size=0, max_size=40),
    rules=st.lists(
        st.tuples(st.sampled_from(["a", "b", "ab", "x y", "c"]), st.integers(0, 2)),
        min_size=1,
        max_size=5,
    ),
)
def test_property_any_lfs_equal_the_plain_loop_and_their_vectorized_twins(texts, rules):
    lfs, twins = [], []
    for j, (word, label) in enumerate(rules):
        lfs.append(
            LabelingFunction(lambda x, w=word, c=label: c if w in x else ABSTAIN, name=f"lf{j}")
        )
        twins.append(
            LabelingFunction(
                lambda xs, w=word, c=label: np.array([c if w in x else -1 for x in xs], int),
                name=f"vec{j}",
                vectorized=True,
            )
        )
    applier = LFApplier(cardinality=3)
    L = applier.apply(lfs, texts)
    np.testing.assert_array_equal(L, reference(lfs, texts))
    np.testing.assert_array_equal(applier.apply(twins, texts), L)
    assert L.dtype == np.int8
    # Cached the second time, same matrix.
    np.testing.assert_array_equal(applier.apply(lfs, texts), L)
    assert applier.last_report_.ran == []


def test_vote_dtype_is_the_smallest_that_holds_the_classes():
    lf = LabelingFunction(lambda x: 299 if x == "b" else -1, name="many")
    assert LFApplier(cardinality=300).apply([lf], ["a", "b"]).dtype == np.int16
    assert LFApplier().apply([lf], ["a", "b"]).dtype == np.int16
    assert LFApplier(cardinality=5).apply([lf], ["a", "c"]).dtype == np.int8
    assert LFApplier().apply([lf], []).shape == (0, 1)


# ---------------------------------------------------------------------- cache
def test_unchanged_lfs_are_not_called_again():
    reset_calls()

    @labeling_function()
    def kw(x):
        calls.kw += 1
        return SPAM if "check" in x.lower() else ABSTAIN

    @labeling_function()
    def short(x):
        calls.short += 1
        return HAM if len(x) < 12 else ABSTAIN

    applier = LFApplier(cardinality=2)
    first = applier.apply([kw, short], TEXTS)
    assert (calls.kw, calls.short) == (6, 6)
    again = applier.apply([short, kw], TEXTS)  # reordered: columns follow the LFs
    assert (calls.kw, calls.short) == (6, 6)
    np.testing.assert_array_equal(again, first[:, ::-1])
    assert applier.last_report_.cached == ["short", "kw"] and applier.last_report_.ran == []

    @labeling_function(name="renamed")
    def kw_again(x):
        calls.kw += 1
        return SPAM if "check" in x.lower() else ABSTAIN

    applier.apply([kw_again], TEXTS)
    assert calls.kw == 6, "a renamed but identical LF is the same column"

    @labeling_function(name="kw")
    def kw_edited(x):  # edited body: also looks for "free"
        calls.kw += 1
        return SPAM if "check" in x.lower() or "free" in x.lower() else ABSTAIN

    edited = applier.apply([kw_edited, short], TEXTS)
    assert (calls.kw, calls.short) == (12, 6)
    assert applier.last_report_.ran == ["kw"] and applier.last_report_.cached == ["short"]
    assert edited[5, 0] == SPAM and first[5, 0] == ABSTAIN


def make_keyword_lf(word, label=SPAM):
    def keyword(x):
        calls.kw += 1
        return label if word in x.lower() else ABSTAIN

    return labeling_function(keyword)


def test_a_changed_constant_closure_default_or_resource_invalidates():
    reset_calls()
    applier = LFApplier(cardinality=2)

    def runs(lf):
        before = calls.kw
        applier.apply([lf], TEXTS)
        return (calls.kw - before) // len(TEXTS)

    assert runs(make_keyword_lf("check")) == 1
    assert runs(make_keyword_lf("check")) == 0  # a new closure, same values: cached
    assert runs(make_keyword_lf("free")) == 1  # closure value changed
    assert runs(make_keyword_lf("free", HAM)) == 1

    @labeling_function()
    def constant(x):
        calls.kw += 1
        return SPAM if len(x) > 10 else ABSTAIN

    @labeling_function(name="constant")
    def constant_edited(x):
        calls.kw += 1
        return SPAM if len(x) > 11 else ABSTAIN

    assert runs(constant) == 1 and runs(constant) == 0 and runs(constant_edited) == 1

    def with_default(x, cut=10):
        calls.kw += 1
        return SPAM if len(x) > cut else ABSTAIN

    assert runs(LabelingFunction(with_default)) == 1
    with_default.__defaults__ = (11,)
    assert runs(LabelingFunction(with_default)) == 1

    def with_resource(x, cut):
        calls.kw += 1
        return SPAM if len(x) > cut else ABSTAIN

    assert runs(LabelingFunction(with_resource, resources={"cut": 10})) == 1
    assert runs(LabelingFunction(with_resource, resources={"cut": 10})) == 0
    assert runs(LabelingFunction(with_resource, resources={"cut": 11})) == 1
    assert runs(LabelingFunction(with_resource, resources={"cut": 11}, pre=[str.upper])) == 1


WORDS = ["check", "subscribe"]


def uses_helper(x):
    calls.helper += 1
    return SPAM if helper(x) else ABSTAIN


def helper(x):
    return any(w in x.lower() for w in WORDS)


def test_globals_and_helper_functions_are_part_of_the_key():
    reset_calls()
    applier = LFApplier(cardinality=2)
    lf = LabelingFunction(uses_helper)
    first = applier.apply([lf], TEXTS)
    applier.apply([lf], TEXTS)
    assert calls.helper == 6
    WORDS.append("free")  # a global the helper reads, edited in place
    try:
        second = applier.apply([lf], TEXTS)
        assert calls.helper == 12 and second[5, 0] == SPAM and first[5, 0] == ABSTAIN
    finally:
        WORDS.remove("free")
    global helper
    original = helper

    def helper(x):  # noqa: F811 - the helper redefined, as in a notebook cell
        return "song" in x

    try:
        third = applier.apply([lf], TEXTS)
        assert calls.helper == 18 and third[:, 0].tolist() == [-1, 1, -1, -1, -1, -1]
    finally:
        helper = original


def test_changed_data_reruns_and_a_given_data_key_skips_the_hash():
    pd = pandas()
    reset_calls()
    lf = make_keyword_lf("check")
    applier = LFApplier(cardinality=2)
    applier.apply([lf], TEXTS)
    edited = list(TEXTS)
    edited[1] = "check this"
    L = applier.apply([lf], edited)
    assert calls.kw == 12 and L[1, 0] == SPAM
    frame = pd.DataFrame({"text": TEXTS})
    by_column = LabelingFunction(lambda x: lf(x.text), name="by_column")
    applier.apply([by_column], frame)
    frame.loc[1, "text"] = "check this"  # modified in place: a different digest
    assert applier.apply([by_column], frame)[1, 0] == SPAM and calls.kw == 24
    applier.apply([lf], TEXTS, data_key="v1")
    applier.apply([lf], edited, data_key="v1")  # the caller's promise: same key, same data
    assert calls.kw == 30


def test_uncacheable_lfs_run_every_time():
    reset_calls()
    lock = threading.Lock()  # cannot be pickled or fingerprinted

    @labeling_function()
    def locked(x):
        with lock:
            calls.kw += 1
        return ABSTAIN

    applier = LFApplier()
    applier.apply([locked], TEXTS)
    applier.apply([locked], TEXTS)
    assert calls.kw == 12 and applier.last_report_.uncacheable == ["locked"]


def test_cache_is_bounded_and_read_only():
    lfs = [
        LabelingFunction(lambda x, j=j: j % 2 if len(x) > j else -1, name=f"lf{j}")
        for j in range(6)
    ]
    applier = LFApplier(cache_bytes=3 * len(TEXTS))  # three int8 columns
    applier.apply(lfs, TEXTS)
    assert len(applier._columns) == 3
    assert all(not column.flags.writeable for column in applier._columns.values())
    applier.apply(lfs[3:], TEXTS)
    assert applier.last_report_.ran == []
    applier.clear_cache()
    applier.apply(lfs[3:], TEXTS)
    assert applier.last_report_.ran == ["lf3", "lf4", "lf5"]


def test_fingerprint_follows_values_not_identity():
    pattern = re.compile("a+")
    f = LabelingFunction(lambda x, p=pattern: 1 if p.search(x) else -1, name="f")
    g = LabelingFunction(lambda x, p=re.compile("a+"): 1 if p.search(x) else -1, name="g")
    h = LabelingFunction(lambda x, p=re.compile("b+"): 1 if p.search(x) else -1, name="h")
    assert f.fingerprint() == g.fingerprint() != h.fingerprint()
    arrays = [
        LabelingFunction(lambda x, a=a: -1, name="a").fingerprint()
        for a in (np.arange(3), np.arange(3), np.arange(4))
    ]
    assert arrays[0] == arrays[1] != arrays[2]
    sets = [
        LabelingFunction(lambda x, s=frozenset(v): -1, name="s").fingerprint()
        for v in (["a", "b"], ["b", "a"], ["a", "c"])
    ]
    assert sets[0] == sets[1] != sets[2]


# --------------------------------------------------------------------- errors
def test_an_exception_names_the_lf_and_the_row_and_chains_the_original():
    pd = pandas()

    @labeling_function()
    def fragile(x):
        return SPAM if x["text"].startswith("win") else {}["missing"]

    frame = pd.DataFrame({"text": TEXTS}, index=[f"id{i}" for i in range(6)])
    with pytest.raises(
        LabelingFunctionError, match=r"'fragile' raised KeyError on row 0 \(index 'id0'\)"
    ) as info:
        LFApplier().apply([fragile], frame)
    assert isinstance(info.value.__cause__, KeyError)
    assert (info.value.lf, info.value.row, info.value.index) == ("fragile", 0, "id0")

    @labeling_function()
    def late(x):
        if x == TEXTS[4]:
            raise ZeroDivisionError("late failure")
        return ABSTAIN

    with pytest.raises(
        LabelingFunctionError, match=r"'late' raised ZeroDivisionError on row 4"
    ) as info:
        LFApplier().apply([late], TEXTS)
    assert isinstance(info.value.__cause__, ZeroDivisionError) and info.value.row == 4
    assert isinstance(info.value, ValueError)  # catchable as a ValueError


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "None"),
        (1.0, "1.0"),
        (True, "True"),
        ("1", "'1'"),
        (2, "2"),
        (-2, "-2"),
        ((1,), r"\(1,\)"),
    ],
)
def test_a_bad_return_value_names_the_lf_the_row_and_the_value(value, shown):
    @labeling_function()
    def odd(x):
        return value if x == TEXTS[3] else ABSTAIN

    with pytest.raises(LabelingFunctionError, match=rf"'odd' returned {shown}.* on row 3") as info:
        LFApplier(cardinality=2).apply([odd], TEXTS)
    assert info.value.row == 3 and info.value.lf == "odd"


def test_vectorized_lf_errors():
    bad_shape = LabelingFunction(lambda xs: np.zeros(2, int), name="short_out", vectorized=True)
    with pytest.raises(
        LabelingFunctionError, match=r"'short_out' \(vectorized\) returned shape \(2,\)"
    ):
        LFApplier().apply([bad_shape], TEXTS)
    floats = LabelingFunction(lambda xs: np.zeros(len(xs)), name="floats", vectorized=True)
    with pytest.raises(LabelingFunctionError, match="'floats' .*dtype float64"):
        LFApplier().apply([floats], TEXTS)
    out_of_range = LabelingFunction(lambda xs: np.arange(len(xs)), name="wide", vectorized=True)
    with pytest.raises(LabelingFunctionError, match=r"'wide' returned 2 on row 2") as info:
        LFApplier(cardinality=2).apply([out_of_range], TEXTS)
    assert info.value.value == 2

    def boom(xs):
        raise RuntimeError("no column")

    with pytest.raises(LabelingFunctionError, match="'boom' .*raised RuntimeError") as info:
        LFApplier().apply([LabelingFunction(boom, vectorized=True)], TEXTS)
    assert isinstance(info.value.__cause__, RuntimeError)


def test_bad_arguments():
    lf = make_keyword_lf("a")
    with pytest.raises(ValueError, match="lfs: expected unique names, got 'keyword' twice"):
        LFApplier().apply([lf, make_keyword_lf("b")], TEXTS)
    with pytest.raises(TypeError, match="lfs: expected a list of labeling functions"):
        LFApplier().apply(lf, TEXTS)
    with pytest.raises(TypeError, match="lfs: expected labeling functions or callables, got int"):
        LFApplier().apply([lf, 3], TEXTS)
    with pytest.raises(ValueError, match="lfs: expected at least one"):
        LFApplier().apply([], TEXTS)
    with pytest.raises(TypeError, match="records: expected a sequence of records .* got one str"):
        LFApplier().apply([lf], "one text")
    with pytest.raises(TypeError, match="records: expected a DataFrame, a Series or a sequence"):
        LFApplier().apply([lf], None)
    with pytest.raises(ValueError, match="backend: expected one of"):
        LFApplier(backend="gpu").apply([lf], TEXTS)
    with pytest.raises(ValueError, match="cardinality: expected None or an int >= 2"):
        LFApplier(cardinality=1).apply([lf], TEXTS)


# ------------------------------------------------------------------ backends
BIG = [f"{t} {i}" for i in range(600) for t in TEXTS]  # 3600 rows


@pytest.mark.skipif(not lf_module._can_fork(), reason="worker processes need fork")
def test_processes_give_the_serial_matrix_and_report_worker_errors():
    lfs = [make_keyword_lf("check"), LabelingFunction(lambda x: len(x) % 3 - 1, name="mod")]
    serial = LFApplier(backend="serial", cache=False).apply(lfs, BIG)
    parallel_applier = LFApplier(backend="processes", n_jobs=2, cache=False)
    np.testing.assert_array_equal(parallel_applier.apply(lfs, BIG), serial)
    assert parallel_applier.last_report_.backend["per_record"] == "processes"

    target = BIG[3001]

    @labeling_function()
    def fails_late(x):
        if x == target:
            raise ValueError("deep in the data")
        return ABSTAIN

    with pytest.raises(
        LabelingFunctionError, match="'fails_late' raised ValueError on row 3001"
    ) as info:
        parallel_applier.apply([fails_late], BIG)
    assert isinstance(info.value.__cause__, ValueError)
    assert "worker process" in str(info.value.__cause__.__cause__)

    @labeling_function()
    def bad_value_late(x):
        return 7 if x == target else ABSTAIN

    with pytest.raises(LabelingFunctionError, match="'bad_value_late' returned 7 on row 3001"):
        LFApplier(backend="processes", n_jobs=2, cardinality=2).apply([bad_value_late], BIG)


@pytest.mark.skipif(not lf_module._can_fork(), reason="worker processes need fork")
def test_auto_rule_switches_on_the_estimated_serial_time(monkeypatch):
    lfs = [make_keyword_lf("check")]
    applier = LFApplier(n_jobs=2, cache=False)
    applier.apply(lfs, BIG)
    assert applier.last_report_.backend["per_record"] == "serial"  # milliseconds: not worth it
    monkeypatch.setattr(lf_module, "PROCESS_MIN_SECONDS", 0.0)
    L = applier.apply(lfs, BIG)
    assert applier.last_report_.backend["per_record"] == "processes"
    np.testing.assert_array_equal(L, LFApplier(backend="serial").apply(lfs, BIG))
    assert LFApplier(n_jobs=1).apply(lfs, BIG) is not None


def test_threads_give_the_serial_matrix(monkeypatch):
    lfs = [
        LabelingFunction(
            lambda xs, j=j: np.array([len(x) % (j + 2) - 1 for x in xs]),
            name=f"v{j}",
            vectorized=True,
        )
        for j in range(4)
    ]
    serial = LFApplier(backend="serial").apply(lfs, BIG)
    threaded = LFApplier(backend="threads", n_jobs=2)
    np.testing.assert_array_equal(threaded.apply(lfs, BIG), serial)
    assert threaded.last_report_.backend["vectorized"] == "threads"
    auto = LFApplier(n_jobs=2)
    np.testing.assert_array_equal(auto.apply(lfs, BIG), serial)
    assert auto.last_report_.backend["vectorized"] == "serial"  # milliseconds: not worth a pool
    monkeypatch.setattr(lf_module, "THREAD_MIN_SECONDS", 0.0)
    auto = LFApplier(n_jobs=2)
    np.testing.assert_array_equal(auto.apply(lfs, BIG), serial)
    assert auto.last_report_.backend["vectorized"] == "threads"


def test_without_pandas_lists_still_work(monkeypatch):
    """liger.lf never imports pandas; with pandas absent, lists and arrays are the records."""
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)
    L = LFApplier().apply([make_keyword_lf("check")], TEXTS)
    assert L[:, 0].tolist() == [1, -1, -1, -1, -1, -1]


def test_youtube_texts_are_bundled_for_writing_lfs():
    ds = liger.load_example("youtube")
    assert len(ds.train.texts) == ds.train.n and all(isinstance(t, str) for t in ds.train.texts)

    @labeling_function()
    def check_out(x):
        return SPAM if "check out" in x.lower() else ABSTAIN

    L = liger.LFApplier(cardinality=2).apply([check_out], ds.valid.texts)
    covered = L[:, 0] != ABSTAIN
    assert covered.sum() > 5 and (ds.valid.y[covered] == SPAM).mean() > 0.9


class Matcher:
    """A user class whose method an LF calls through an instance."""

    def __init__(self, word):
        self.word = word

    def match(self, x):
        return self.word in x


@dataclasses.dataclass
class Rule:
    word: str
    label: int = SPAM

    def __call__(self, x):
        return self.label if self.word in x else ABSTAIN


def test_callable_dataclass_instances_are_lfs_keyed_by_their_fields():
    applier = LFApplier(cardinality=2)
    L = applier.apply([LabelingFunction(Rule("http"), name="link")], TEXTS)
    assert L[:, 0].tolist() == [-1, -1, 1, -1, -1, -1]
    applier.apply([LabelingFunction(Rule("http"), name="link")], TEXTS)
    assert applier.last_report_.cached == ["link"]
    applier.apply([LabelingFunction(Rule("http", HAM), name="link")], TEXTS)
    assert applier.last_report_.ran == ["link"]


def test_instances_of_user_classes_count_by_state_and_methods():
    def key(matcher):
        return LabelingFunction(
            lambda x, m=matcher: 1 if m.match(x) else -1, name="m"
        ).fingerprint()

    assert key(Matcher("a")) == key(Matcher("a")) != key(Matcher("b"))
    original = Matcher.match
    try:
        Matcher.match = lambda self, x: self.word not in x  # the method edited
        edited = key(Matcher("a"))
    finally:
        Matcher.match = original
    assert edited != key(Matcher("a"))


def test_docstring_examples_run():
    import doctest

    from liger.diagnostics import tables
    from liger.lf import definition

    for module in (definition, tables):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0, module.__name__
