"""Time of the end model in the loop, on the bundled youtube example (or a WRENCH folder).

    python benches/bench_end_model.py                 # youtube, median of 15
    python benches/bench_end_model.py ../shared/data/sms --repeat 5

Rows: the full ``Liger(end_model="logreg").fit`` (docs/BENCHMARKS.md), the same fit without
the end model, the end model's cross-validated fit alone, and the interactive refit
(``warm_start=True``: the chosen hyperparameters, one fit from the previous coefficients) after
an edit that silences one LF. Timings are medians of interleaved runs; the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

import liger
from liger import EndModel, Liger


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", help="WRENCH folder (default: bundled youtube)")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    ds = liger.load_example("youtube") if args.path is None else liger.load_wrench(args.path)
    tr, dv = ds.train, ds.valid
    common = dict(random_state=0, cardinality=ds.n_classes)
    full = Liger(end_model="logreg", **common)
    bare = Liger(**common)
    bare.fit(tr.L, tr.X, dv.L, dv.X, dv.y)
    metric = full.set_params().fit(tr.L, tr.X, dv.L, dv.X, dv.y).tune_metric_
    proba = bare.predict_proba(tr.L, tr.X, source="label_model")
    L_edit, L_dev_edit = tr.L.copy(), dv.L.copy()
    L_edit[:, 0] = L_dev_edit[:, 0] = -1  # the edit: the first LF silenced
    proba_edit = Liger(**common).fit(L_edit, tr.X, L_dev_edit, dv.X, dv.y)
    proba_edit = proba_edit.predict_proba(L_edit, tr.X, source="label_model")

    times: dict = {key: [] for key in ("full", "bare", "cv", "refit")}
    iterations: dict = {}
    for _ in range(args.repeat):
        started = time.perf_counter()
        full.fit(tr.L, tr.X, dv.L, dv.X, dv.y)
        times["full"].append(time.perf_counter() - started)
        started = time.perf_counter()
        bare.fit(tr.L, tr.X, dv.L, dv.X, dv.y)
        times["bare"].append(time.perf_counter() - started)
        model = EndModel(cv_metric=metric, random_state=0, warm_start=True)
        started = time.perf_counter()
        model._fit_weak(tr.X, proba, dv.X, dv.y)
        times["cv"].append(time.perf_counter() - started)
        iterations["cv"] = model.n_iter_
        started = time.perf_counter()
        model._fit_weak(tr.X, proba_edit, dv.X, dv.y)
        times["refit"].append(time.perf_counter() - started)
        iterations["refit"] = model.n_iter_
    print(f"{ds.name}: n_train={tr.n}, n_dev={dv.n}, d={tr.X.shape[1]}, K={ds.n_classes}; ")
    print(f"os.cpu_count()={os.cpu_count()}; median of {args.repeat} interleaved runs (s)")
    rows = [
        ("Liger(end_model='logreg').fit", "full", ""),
        ("Liger().fit (no end model)", "bare", ""),
        ("EndModel._fit_weak (cross-validated)", "cv", f"{iterations['cv']} L-BFGS iterations"),
        ("EndModel refit after an edit", "refit", f"{iterations['refit']} L-BFGS iterations"),
    ]
    for label, key, note in rows:
        values = np.array(times[key])
        print(f"  {label:<34}{np.median(values):8.4f}  (min {values.min():.4f})  {note}")


if __name__ == "__main__":
    main()
