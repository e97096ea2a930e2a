"""The interactive loop: what one edit costs after a one-time build, next to a from-scratch fit.

Not part of the test run. Usage::

    python benches/bench_interactive.py                 # n = 100k, d = 384, m = 20
    python benches/bench_interactive.py --n 20000 --repeats 5
    python benches/bench_interactive.py --markdown      # the table as Markdown

Data: synthetic clustered embeddings (unit-norm float32; 500 clusters, each of one class, binary,
class balance about 0.4); m LFs, each unipolar, voting on about half of the points of its own
clusters (80 % of them of the LF's class) and on 1 % of the others (noise): coverage 5-30 %.
Train n points, dev 500 (labelled), test 5000.

Build: ``liger.Session`` with thresholds tuned on dev (k-NN graphs of every split against train,
one nearest-support sweep, the label model, tuning). Then, each repeated ``--repeats`` times (the
median is reported, every LF in turn):

- edit one LF's votes (a changed keyword: about 10 % of its votes dropped, as many new ones in its
  clusters), thresholds kept -> new probabilities for train, dev and test;
- the same edit with ``retune="lf"`` (that LF's level re-tuned on dev);
- change one threshold (0.02 looser: fallback points whose bound now clears it are searched),
  and back (their answers are cached);
- add an LF (a new one, like the others), then remove it.

From scratch: ``Liger(thresholds=<the session's thresholds>).fit`` on the same data, which computes
the train extension and the label model (getting the test probabilities too costs one more search,
not counted: a conservative baseline). Identity: after the edits, the session's probabilities for
every split are compared bit for bit with that fit's.

The machine may be shared: the load average before and after is printed; compare ratios within
one run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np

import liger
from liger import Liger, Session
from liger.label_model import LabelModel


def make_data(n: int, n_dev: int, n_test: int, d: int, m: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    clusters = 500
    centres = rng.standard_normal((clusters, d)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    cluster_class = (rng.random(clusters) < 0.4).astype(np.int64)
    lf_class = np.arange(m) % 2
    lf_clusters = []
    for j in range(m):
        share = rng.uniform(0.1, 0.6)  # of the clusters: coverage about share / 2
        own = np.flatnonzero(cluster_class == lf_class[j])
        other = np.flatnonzero(cluster_class != lf_class[j])
        count = max(1, int(share * clusters))
        chosen = np.concatenate(
            [
                rng.choice(own, min(own.size, int(0.8 * count)), replace=False),
                rng.choice(other, min(other.size, count - int(0.8 * count)), replace=False),
            ]
        )
        lf_clusters.append(chosen)

    def split(size):
        cluster = rng.integers(0, clusters, size)
        X = centres[cluster] + rng.standard_normal((size, d)).astype(np.float32) / np.sqrt(d)
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        L = np.full((size, m), -1, dtype=np.int64)
        for j in range(m):
            L[:, j] = lf_votes(rng, cluster, lf_clusters[j], lf_class[j])
        return L, X.astype(np.float32), cluster_class[cluster], cluster

    return split(n), split(n_dev), split(n_test), lf_clusters, lf_class


def lf_votes(rng, cluster, chosen, vote):
    fires = np.isin(cluster, chosen) & (rng.random(cluster.size) < 0.5)
    fires |= rng.random(cluster.size) < 0.01
    return np.where(fires, vote, -1)


def edited(rng, votes, cluster, chosen, vote):
    """A changed keyword: about 10 % of the LF's votes dropped, as many new ones in its clusters."""
    out = votes.copy()
    voted = np.flatnonzero(out != -1)
    out[rng.choice(voted, voted.size // 10, replace=False)] = -1
    candidates = np.flatnonzero((out == -1) & np.isin(cluster, chosen))
    out[rng.choice(candidates, min(candidates.size, voted.size // 10), replace=False)] = vote
    return out


def median_ms(values) -> float:
    return float(np.median(values)) * 1e3


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--d", type=int, default=384)
    p.add_argument("--m", type=int, default=20)
    p.add_argument("--dev", type=int, default=500)
    p.add_argument("--test", type=int, default=5000)
    p.add_argument("--k", type=int, default=32, help="neighbours per point in the k-NN graphs")
    p.add_argument("--repeats", type=int, default=11, help="timed edits per operation")
    p.add_argument("--fits", type=int, default=2, help="timed from-scratch fits")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--markdown", action="store_true")
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    load_before = os.getloadavg()

    (L, X, _, cl), (L_dev, X_dev, y_dev, cl_dev), (L_test, X_test, _, cl_test), lf_cl, lf_cls = (
        make_data(args.n, args.dev, args.test, args.d, args.m, args.seed)
    )
    clusters = {"train": cl, "dev": cl_dev, "test": cl_test}
    print(
        f"data: n={args.n} d={args.d} m={args.m} dev={args.dev} test={args.test}; coverage "
        f"{(L != -1).mean(0).min():.2f}-{(L != -1).mean(0).max():.2f}; k={args.k}",
        file=sys.stderr,
    )

    started = time.perf_counter()
    session = Session(L, X, dev=(L_dev, X_dev, y_dev), test=(L_test, X_test), k=args.k, retune=None)
    build = time.perf_counter() - started
    print(
        f"build {build:.1f} s; levels {session.levels_.tolist()}; dev {session.dev_score_:.4f}",
        file=sys.stderr,
    )

    rng = np.random.default_rng(args.seed + 1)
    rows: dict[str, list] = {}
    stages: dict[str, list] = {}
    fallback: dict[str, list] = {}

    def timed(name, call):
        report = call()
        rows.setdefault(name, []).append(report.seconds["total"])
        fallback.setdefault(name, []).append(report.fallback_points)
        for stage, seconds in report.seconds.items():
            stages.setdefault((name, stage), []).append(seconds)
        return report

    for r in range(args.repeats):
        j = r % args.m
        current = {s: session.votes(s)[:, j] for s in session.splits}
        new = {s: edited(rng, current[s], clusters[s], lf_cl[j], lf_cls[j]) for s in current}
        timed(
            "edit one LF's votes",
            lambda j=j, new=new: session.set_lf(j, new["train"], dev=new["dev"], test=new["test"]),
        )
    for r in range(max(1, args.repeats // 3)):
        j = (r * 7) % args.m
        current = {s: session.votes(s)[:, j] for s in session.splits}
        new = {s: edited(rng, current[s], clusters[s], lf_cl[j], lf_cls[j]) for s in current}
        timed(
            "edit one LF's votes + re-tune its level",
            lambda j=j, new=new: session.set_lf(
                j, new["train"], dev=new["dev"], test=new["test"], retune="lf"
            ),
        )
    for r in range(args.repeats):
        j = r % args.m
        # Loosen one LF's threshold a little (the first time may search fallback points), then
        # put it back (their answers are cached by then).
        t = float(session.thresholds_[j])
        if not np.isfinite(t):
            continue
        looser = t - 0.02
        timed("change one threshold", lambda j=j, v=looser: session.set_thresholds({j: v}))
        timed("change one threshold back", lambda j=j, v=t: session.set_thresholds({j: v}))
    for r in range(args.repeats):
        votes = {
            s: lf_votes(rng, clusters[s], lf_cl[r % args.m], lf_cls[r % args.m]) for s in clusters
        }
        threshold = float(session.thresholds_[r % args.m])
        timed(
            "add an LF",
            lambda votes=votes, threshold=threshold: session.add_lf(
                votes["train"], dev=votes["dev"], test=votes["test"], threshold=threshold
            ),
        )
        timed("remove an LF", lambda: session.remove_lf(session.n_lfs_ - 1))

    # From scratch, on the session's current votes and thresholds; then the identity check.
    fits = []
    model = None
    for _ in range(args.fits):
        started = time.perf_counter()
        model = Liger(thresholds=session.thresholds_).fit(
            session.votes("train"), X, session.votes("dev"), X_dev, y_dev
        )
        fits.append(time.perf_counter() - started)
    same = all(
        np.array_equal(model.predict_proba(session.votes(s), pts), session.predict_proba(s))
        for s, pts in (("train", X), ("dev", X_dev), ("test", X_test))
    )
    # The label model alone (another engineer's stage): refit on the train votes, with the class
    # balance estimated (default) and given.
    Lt = session.votes("train")
    lm_default = [_time(lambda: LabelModel().fit(Lt)) for _ in range(5)]
    balance = LabelModel().fit(Lt).class_balance_
    lm_given = [_time(lambda: LabelModel(class_balance=balance).fit(Lt)) for _ in range(5)]
    fitted = LabelModel().fit(Lt)
    Le = session.votes("train", extended=True)
    posterior = [_time(lambda: fitted.predict_proba(Le)) for _ in range(5)]
    load_after = os.getloadavg()

    scratch = float(np.median(fits))
    print_table(args, build, rows, stages, fallback, scratch, same, load_before, load_after)
    print(
        f"\nlabel model on the train votes alone (median of 5): fit {median_ms(lm_default):.1f} ms "
        f"(class balance estimated), {median_ms(lm_given):.1f} ms (given); posterior of the "
        f"train points {median_ms(posterior):.1f} ms"
    )


def _time(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def print_table(args, build, rows, stages, fallback, scratch, same, load_before, load_after):
    header = ["operation", "median ms", "x faster than fit", "fallback pts", "runs"]
    lines = []
    if args.markdown:
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|---|---:|---:|---:|---:|")
    else:
        lines.append(
            f"{header[0]:42} {header[1]:>10} {header[2]:>18} {header[3]:>13} {header[4]:>5}"
        )
    entries = [("one-time build", build * 1e3, None, None, 1)]
    for name, values in rows.items():
        entries.append(
            (
                name,
                median_ms(values),
                scratch / np.median(values),
                np.median(fallback[name]),
                len(values),
            )
        )
    entries.append(("from-scratch Liger.fit", scratch * 1e3, 1.0, None, args.fits))
    for name, ms, speedup, fb, runs in entries:
        cells = [
            name,
            f"{ms:.1f}",
            "-" if speedup is None else f"{speedup:.0f}x",
            "-" if fb is None else f"{fb:.0f}",
            str(runs),
        ]
        if args.markdown:
            lines.append("| " + " | ".join(cells) + " |")
        else:
            lines.append(
                f"{cells[0]:42} {cells[1]:>10} {cells[2]:>18} {cells[3]:>13} {cells[4]:>5}"
            )
    print("\n".join(lines))
    print(f"\nidentical to the from-scratch fit (train, dev, test probabilities): {same}")
    print(
        f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
        f"({os.cpu_count()} cores)"
    )
    print("\nwhere the milliseconds go (median per stage):")
    for name in rows:
        parts = [
            f"{stage} {median_ms(values):.1f}"
            for (op, stage), values in stages.items()
            if op == name and stage != "total"
        ]
        print(f"  {name}: " + ", ".join(parts))
    print(f"\nliger {liger.__version__}, python {sys.version.split()[0]}, numpy {np.__version__}")


if __name__ == "__main__":
    main()
