"""``liger apply MODEL INPUT -o OUTPUT``: label the records of a CSV / JSONL / Parquet file with
a saved :class:`~liger.Labeler`, writing ``label`` and ``proba_0`` .. ``proba_{K-1}`` per record
(CSV or JSONL, in input order).

Input is read one batch at a time (CSV and JSONL with the standard library, streamed; Parquet
with pandas, which needs pyarrow), embeddings come from a ``.npy`` file (memory-mapped) or the
labeler's encoder, and the output is written under a temporary name and renamed when every
record is labelled: a failed run leaves no partial file.
"""

from __future__ import annotations

import csv
import importlib
import itertools
import json
import os
import sys
from collections.abc import Iterator
from typing import Any

INPUT_KINDS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
OUTPUT_KINDS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def add_parser(commands) -> None:
    apply = commands.add_parser(
        "apply",
        help="label a CSV / JSONL / Parquet file of texts with a saved labeler",
        description="Apply a saved liger.Labeler's LFs to the records of INPUT, extend and label "
        "them; write label and proba_0..proba_{K-1} per record to OUTPUT.",
    )
    apply.add_argument("model", help="a labeler file written by Labeler.save")
    apply.add_argument("input", help="records: .csv, .jsonl (.ndjson) or .parquet")
    apply.add_argument("-o", "--output", required=True, help="where to write: .csv or .jsonl")
    apply.add_argument(
        "--lfs",
        required=True,
        help="module:attr, a list of the labeler's labeling functions (module imported from the "
        "current directory or sys.path)",
    )
    apply.add_argument("--text-column", default="text", help="the column of texts (default: text)")
    apply.add_argument(
        "--lf-input",
        choices=("text", "row"),
        default="text",
        help="what an LF reads: the text (default) or the whole row (a dict)",
    )
    apply.add_argument("--embeddings", help="a .npy file of the records' embeddings, in order")
    apply.add_argument(
        "--encoder", help="module:attr, an encoder (texts -> embeddings) instead of the saved one"
    )
    apply.add_argument("--batch-size", type=int, default=None, help="records per batch")
    apply.add_argument(
        "--allow-changed-lfs",
        action="store_true",
        help="accept LFs whose code differs from the code the labeler was saved with",
    )
    apply.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")


def run(args) -> int:
    from ._checks.files import load_npy
    from .labeler.labeler import Labeler

    input_kind = _kind(args.input, INPUT_KINDS, "INPUT")
    output_kind = _kind(args.output, OUTPUT_KINDS, "--output")
    if not os.path.isfile(args.input):
        raise FileNotFoundError(f"{args.input}: no such file")
    lfs = _import_attribute(args.lfs, "--lfs")
    if not isinstance(lfs, (list, tuple)):
        raise ValueError(f"--lfs: expected a list of labeling functions, got {type(lfs).__name__}")
    encoder = None if args.encoder is None else _import_attribute(args.encoder, "--encoder")
    labeler = Labeler.load(
        args.model, lfs=list(lfs), encoder=encoder, allow_changed_lfs=args.allow_changed_lfs
    )
    text_mode = args.lf_input == "text"
    labeler.set_params(text_column=None if text_mode else args.text_column)
    if args.batch_size is not None:
        if args.batch_size < 1:
            raise ValueError(f"--batch-size: expected an int >= 1, got {args.batch_size}")
        labeler.set_params(batch_size=args.batch_size)
    X = None if args.embeddings is None else load_npy(args.embeddings, mmap_mode="r")
    rows = _rows(args.input, input_kind, labeler.batch_size)
    records: Iterator[Any] = (
        (_text(row, args.text_column, i) for i, row in enumerate(rows)) if text_mode else rows
    )
    progress = (lambda message: None) if args.quiet else _progress
    written = _write(
        args.output,
        output_kind,
        labeler._iter_proba(records, X, "auto"),
        labeler.n_classes_,
        progress,
    )
    progress(f"wrote {written} labels to {args.output}")
    return 0


def _kind(path: str, kinds: dict, name: str) -> str:
    extension = os.path.splitext(path)[1].lower()
    if extension not in kinds:
        raise ValueError(f"{name}: expected a file ending in {', '.join(kinds)}, got {path!r}")
    return kinds[extension]


def _import_attribute(spec: str, name: str) -> Any:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{name}: expected module:attr (e.g. my_lfs:LFS), got {spec!r}")
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        value: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"{name}: cannot import {module_name!r} ({exc})") from None
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise ValueError(f"{name}: {module_name!r} has no attribute {attribute!r}")
        value = getattr(value, part)
    return value


def _rows(path: str, kind: str, batch_size: int) -> Iterator[dict]:
    if kind == "jsonl":
        yield from _jsonl_rows(path)
    elif kind == "csv":
        with open(path, newline="", encoding="utf-8") as handle:
            yield from csv.DictReader(handle)
    else:
        yield from _parquet_rows(path, batch_size)


def _jsonl_rows(path: str) -> Iterator[dict]:
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not a JSON object ({exc.msg})") from None
            if not isinstance(row, dict):
                raise ValueError(
                    f"{path}:{number}: expected a JSON object, got {type(row).__name__}"
                )
            yield row


def _parquet_rows(path: str, batch_size: int) -> Iterator[dict]:
    try:
        import pyarrow.parquet as parquet
    except ImportError:
        raise ValueError(
            f"{path}: reading Parquet needs pyarrow (pip install pyarrow), which is not installed"
        ) from None
    for batch in parquet.ParquetFile(path).iter_batches(batch_size=batch_size):
        yield from batch.to_pylist()


def _text(row: dict, column: str, index: int) -> str:
    if column not in row:
        raise ValueError(
            f"--text-column: record {index} has no column {column!r} (it has {sorted(row)})"
        )
    text = row[column]
    if not isinstance(text, str):
        raise ValueError(
            f"--text-column: record {index}'s {column!r} is {type(text).__name__}, not a text"
        )
    return text


def _write(path: str, kind: str, batches, K: int, progress) -> int:
    directory, base = os.path.split(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"--output: the folder {directory} does not exist")
    temporary = os.path.join(directory, f".{base}.{os.getpid()}.tmp")
    columns = ["label", *(f"proba_{k}" for k in range(K))]
    written = 0
    try:
        with open(temporary, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle) if kind == "csv" else None
            if writer is not None:
                writer.writerow(columns)
            for start, proba in batches:
                labels = proba.argmax(axis=1)
                for label, row in zip(labels.tolist(), proba.tolist()):
                    if writer is not None:
                        writer.writerow([label, *(repr(p) for p in row)])
                    else:
                        record = dict(zip(columns, itertools.chain([label], row)))
                        handle.write(json.dumps(record) + "\n")
                written = start + proba.shape[0]
                progress(f"labelled {written} records")
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return written


def _progress(message: str) -> None:
    print(f"liger: {message}", file=sys.stderr, flush=True)
