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
one run. "CPU ms" is the process's CPU time (all threads: the exact searches use every core, so it
can exceed the wall time; on a busy machine the wall time exceeds it).
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
from liger.label_model.encoding import EncodedVotes
from liger.label_model.statistics import VoteStatistics
from liger.label_model.triplet import LabelModel


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
    p.add_argument("--k", type=int, default=64, help="neighbours per point in the k-NN graphs")
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
    cpu_seconds: dict[str, list] = {}

    def timed(name, call):
        cpu = time.process_time()
        report = call()
        cpu_seconds.setdefault(name, []).append(time.process_time() - cpu)
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
    # The label-model stage alone, as the session runs it after an edit: the statistics update,
    # the refit from statistics with the class balance estimated (the default) and given, and
    # the posterior of the train points (from the vote matrix, and from the encoded votes the
    # session keeps). Median (wall, CPU) of 7 runs.
    Lt = session.votes("train")
    stats = VoteStatistics.from_votes(Lt, 2)
    column = edited(rng, Lt[:, 0].astype(np.int64), cl, lf_cl[0], lf_cls[0])
    balance = LabelModel().fit_statistics(stats).class_balance_
    fitted = LabelModel().fit_statistics(stats)
    Le = session.votes("train", extended=True)
    encoded = EncodedVotes(Le, 2)
    parts = {
        "statistics update (replace_lf)": lambda: stats.replace_lf(0, Lt, column),
        "refit, class balance estimated": lambda: LabelModel().fit_statistics(stats),
        "refit, class balance given": lambda: LabelModel(class_balance=balance).fit_statistics(
            stats
        ),
        "posterior of the train points": lambda: fitted.predict_proba(Le),
        "the same from EncodedVotes (the session's)": lambda: fitted.predict_proba(encoded),
    }
    stage_times = {name: [_time(call) for _ in range(7)] for name, call in parts.items()}
    load_after = os.getloadavg()

    scratch = float(np.median(fits))
    print_table(
        args, build, rows, cpu_seconds, stages, fallback, scratch, same, load_before, load_after
    )
    print("\nthe label-model stage alone (median of 7; wall ms / CPU ms):")
    for name, values in stage_times.items():
        wall = median_ms([v[0] for v in values])
        cpu = median_ms([v[1] for v in values])
        print(f"  {name}: {wall:.1f} / {cpu:.1f}")


def _time(call) -> tuple[float, float]:
    """(wall, CPU) seconds of one call."""
    started, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - started, time.process_time() - cpu


def print_table(
    args, build, rows, cpu_seconds, stages, fallback, scratch, same, load_before, load_after
):
    header = ["operation", "median ms", "CPU ms", "x faster than fit", "searched pts", "runs"]
    lines = []
    if args.markdown:
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|---|---:|---:|---:|---:|---:|")
    else:
        lines.append(
            f"{header[0]:42} {header[1]:>10} {header[2]:>8} {header[3]:>18} {header[4]:>13} "
            f"{header[5]:>5}"
        )
    entries = [("one-time build", build * 1e3, None, None, None, 1)]
    for name, values in rows.items():
        entries.append(
            (
                name,
                median_ms(values),
                median_ms(cpu_seconds[name]),
                scratch / np.median(values),
                np.median(fallback[name]),
                len(values),
            )
        )
    entries.append(("from-scratch Liger.fit", scratch * 1e3, None, 1.0, None, args.fits))
    for name, ms, cpu, speedup, fb, runs in entries:
        cells = [
            name,
            f"{ms:.1f}",
            "-" if cpu is None else f"{cpu:.1f}",
            "-" if speedup is None else f"{speedup:.0f}x",
            "-" if fb is None else f"{fb:.0f}",
            str(runs),
        ]
        if args.markdown:
            lines.append("| " + " | ".join(cells) + " |")
        else:
            lines.append(
                f"{cells[0]:42} {cells[1]:>10} {cells[2]:>8} {cells[3]:>18} {cells[4]:>13} "
                f"{cells[5]:>5}"
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
