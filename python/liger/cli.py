"""The `liger` command line: `liger run [PATH]` evaluates Liger against its baselines."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
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
    args = parser.parse_args(argv)

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
