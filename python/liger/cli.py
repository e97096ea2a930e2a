"""The `liger` command line: `liger run [PATH]` evaluates Liger against its baselines; `liger
apply MODEL INPUT -o OUTPUT` labels a file of records with a saved labeler
(:mod:`liger.apply_cli`).

A user's mistake (a missing file, a file that is not what it should be, a bad argument, an LF
that fails on a record) is one line on stderr, ``liger: error: <message>``, and exit status 2,
as argparse's own usage errors; a bug of liger still shows its traceback."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence

from . import apply_cli

#: What a user's mistake raises (ModelFileError and LabelingFunctionError are ValueErrors).
USER_ERRORS = (OSError, ValueError, ImportError)
USER_ERROR_STATUS = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _run(args) if args.command == "run" else apply_cli.run(args)
    except USER_ERRORS as exc:
        print(f"{parser.prog}: error: {_one_line(exc)}", file=sys.stderr)
        return USER_ERROR_STATUS
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130


def _one_line(exc: BaseException) -> str:
    message = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        message = f"{exc.filename}: {exc.strerror}"
    return " ".join(message.split())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="liger",
        description="Weak supervision with embeddings: extend LFs, fit a label model.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run",
        help="compare majority vote, the label model, and Liger on a dataset",
        description="Fit on train, tune on valid, score once on test; print a table.",
    )
    run.add_argument(
        "path",
        nargs="?",
        help="a WRENCH dataset folder ({train,valid,test}.json, label.json, emb_<name>_*.npy); "
        "default: the youtube example bundled with liger",
    )
    run.add_argument("--embeddings", default="minilm", help="embedding file tag (default: minilm)")
    run.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    run.add_argument("--n-jobs", type=int, default=None, help="threads (default: all cores)")
    run.add_argument("--json", action="store_true", help="print JSON instead of a table")
    apply_cli.add_parser(commands)
    return parser


def _run(args) -> int:
    from .datasets import load_example, load_wrench
    from .label_model.class_balance import LabelModelWarning
    from .report import evaluate, format_table

    progress = _progress_printer()
    if args.path is None:
        progress("loading the bundled youtube example")
        dataset = load_example("youtube")
    else:
        progress(f"loading {args.path}")
        dataset = load_wrench(args.path, embeddings=args.embeddings)
    for split in (dataset.valid, dataset.test):  # checked before any fit, not after all of them
        if split.y is None:
            raise ValueError(
                f"{args.path}: {split.name}.json has no gold labels (no item has a 'label'); "
                "liger run tunes on valid and scores on test, so both need them"
            )
    with warnings.catch_warnings():
        # Fallback notes of the label model (rare LFs get the prior) are for library users.
        warnings.simplefilter("ignore", LabelModelWarning)
        results = evaluate(dataset, random_state=args.seed, n_jobs=args.n_jobs, progress=progress)
    if args.json:
        print(json.dumps({"dataset": dataset.name, "results": [r.to_dict() for r in results]}))
    else:
        print(format_table(dataset.name, results))
    return 0


def _progress_printer():
    """Progress goes to stderr, and only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return lambda message: None
    return lambda message: print(f"liger: {message} ...", file=sys.stderr, flush=True)
