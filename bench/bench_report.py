"""Benchmark: the Dask report vs a plain pandas loop over 10,000 synthetic run records.

Writes N synthetic Task 1 records (the layout ``toolkit/steps/task1.py`` writes, ~4.3 KB each:
3 models x 17 activations x N/51 trials) into a scratch folder, then times, each in a fresh
process with its CPU time (user + system of the whole process tree) and the peak memory of
that tree (proportional set size, so pages shared by forked Dask workers count once) sampled
every 50 ms:

- ``pandas``: a plain loop: ``json.load`` every record, ``pd.json_normalize``, groupby
  mean/std, the two paper TSVs;
- ``dask-aggregate``: the report's aggregation alone (LocalCluster 2 x 1 thread, no cache)
  and the same two TSVs;
- ``dask-report``: the whole ``expact report`` (tables, t-tests, reproduction check, figures,
  HTML), cache empty;
- ``incremental``: the whole report again after 10 more records were written.

Usage (from the repository root)::

    .venv/bin/python bench/bench_report.py                 # 2,500 / 5,000 / 10,000 records, best of 2
    .venv/bin/python bench/bench_report.py --sizes 10000 --keep /tmp/bench_report
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))


def write_records(root: Path, n: int, start: int = 0) -> None:
    """``n`` records (trial numbers from ``start`` on) and a ``sweep.json`` naming them."""
    import numpy as np
    from report_records import record, write_record, write_sweep

    from toolkit.report.order import ACTIVATIONS

    models, acts = ("cnn-2", "cnn-50", "cnn-deep"), ACTIVATIONS[:17]
    rng = np.random.default_rng(start)
    cells = [(m, a) for m in models for a in acts]
    recs = []
    for k in range(start, start + n):
        model, act = cells[k % len(cells)]
        trial = k // len(cells)
        recs.append(
            record(
                model,
                act,
                trial,
                sweep="bench",
                auroc=float(rng.uniform(0.85, 0.95)),
                aupr=float(rng.uniform(0.6, 0.8)),
                match_fraction=int(rng.integers(0, 33)) / 32,
                match_any=int(rng.integers(0, 33)) / 32,
            )
        )
    if start == 0:
        write_sweep(root, recs, name="bench")
    else:
        for rec in recs:
            write_record(root, rec)


def measure_pandas(root: Path, out: Path) -> dict:
    import numpy as np
    import pandas as pd

    records = []
    for path in sorted((root / "runs").glob("*/record.json")):
        with open(path) as handle:
            records.append(json.load(handle))
    frame = pd.json_normalize(records)
    frame["cell"] = frame["spec.model"] + "_" + frame["spec.activation"]
    stats = frame.groupby("cell", sort=False)[
        ["metrics.auroc", "metrics.aupr", "match.match_any", "match.match_fraction"]
    ].agg([np.mean, lambda v: np.std(v)])
    out.mkdir(parents=True, exist_ok=True)
    for name, cols in (
        ("task1_classification_performance", ("metrics.auroc", "metrics.aupr")),
        ("task1_filter_results", ("match.match_any", "match.match_fraction")),
    ):
        lines = [
            f"{cell}\t"
            + "\t".join(f"{row[(c, 'mean')]:.3f}+/-{row[(c, '<lambda_0>')]:.3f}" for c in cols)
            for cell, row in stats.iterrows()
        ]
        (out / f"{name}.tsv").write_text("\n".join(lines) + "\n")
    return {"rows": len(frame)}


def measure_dask_aggregate(root: Path, out: Path) -> dict:
    import contextlib

    from toolkit.report.aggregate import aggregate
    from toolkit.report.cluster import dask_client
    from toolkit.report.inventory import inventory
    from toolkit.report.order import cell_order
    from toolkit.report.tables import paper_tables

    sweeps = inventory(root)
    entries = [e for s in sweeps for e in s.records.values()]
    with contextlib.ExitStack() as stack:
        rows, stats = aggregate(
            root,
            entries,
            lambda: stack.enter_context(dask_client("local")),
            min_cluster_files=0,
            progress=False,
            use_cache=False,
        )
    done = rows[rows["status"] == "done"]
    out.mkdir(parents=True, exist_ok=True)
    for table in paper_tables(done, cell_order(done, list(sweeps[0].expected.values()))):
        (out / f"{table.name}.tsv").write_text(table.tsv)
    return {"rows": len(rows), "aggregate_s": stats.seconds}


def measure_report(root: Path, out: Path) -> dict:
    from toolkit.report import report

    result = report(root, out, progress=False)
    return {
        "rows": result.counts["records"],
        "read": result.aggregation.read,
        "cached": result.aggregation.cached,
        "scheduler": result.aggregation.scheduler,
        "aggregate_s": result.aggregation.seconds,
    }


MEASURES = {
    "pandas": measure_pandas,
    "dask-aggregate": measure_dask_aggregate,
    "dask-report": measure_report,
    "incremental": measure_report,
}


def _pss(proc) -> int:
    """Proportional set size: forked workers' shared pages are counted once, not per process."""
    try:
        return proc.memory_full_info().pss
    except (AttributeError, OSError):
        return proc.memory_info().rss


def run_measure(name: str, root: Path, out: Path) -> dict:
    """Run one measure in a fresh interpreter; wall time, CPU time and peak memory (PSS) of
    its process tree."""
    import resource

    import psutil

    started = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(
        [sys.executable, __file__, "--measure", name, "--dir", str(root), "--out", str(out)],
        stdout=subprocess.PIPE,
        text=True,
    )
    parent, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            procs = [parent, *parent.children(recursive=True)]
            peak = max(peak, sum(_pss(p) for p in procs if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the tree's CPU time (load-proof)
    cpu = (after.ru_utime + after.ru_stime) - (usage.ru_utime + usage.ru_stime)
    if proc.returncode:
        raise SystemExit(f"{name} failed ({proc.returncode})")
    return json.loads(proc.stdout.read().strip().splitlines()[-1]) | {
        "measure": name,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_mb": round(peak / 2**20),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2500, 5000, 10000])
    parser.add_argument("--keep", type=Path, default=None, help="scratch folder to keep")
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs per measure; the fastest is kept"
    )
    parser.add_argument("--measures", nargs="+", choices=sorted(MEASURES), default=sorted(MEASURES))
    parser.add_argument("--measure", choices=sorted(MEASURES), help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # child process
        started = time.perf_counter()
        result = MEASURES[args.measure](args.dir, args.out)
        print(json.dumps(result | {"inner_s": round(time.perf_counter() - started, 2)}))
        return
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="bench_report_"))
    results = []
    try:
        for n in args.sizes:
            root = scratch / f"n{n}"
            shutil.rmtree(root, ignore_errors=True)
            t0 = time.perf_counter()
            write_records(root, n)
            size_mb = sum(p.stat().st_size for p in (root / "runs").glob("*/record.json")) / 2**20
            print(
                f"# {n} records, {size_mb:.1f} MB, written in {time.perf_counter() - t0:.1f} s",
                flush=True,
            )
            for name in [
                m for m in ("pandas", "dask-aggregate", "dask-report") if m in args.measures
            ]:
                best = None
                for _ in range(args.repeat):
                    shutil.rmtree(root / ".report_cache", ignore_errors=True)  # cold every time
                    r = run_measure(name, root, scratch / f"out_{name}_{n}") | {"n": n}
                    best = r if best is None or r["wall_s"] < best["wall_s"] else best
                results.append(best)
                print(json.dumps(best), flush=True)
            best, added = None, 0
            for _ in range(args.repeat if "incremental" in args.measures else 0):
                write_records(root, 10, start=n + added)  # 10 more runs finished
                added += 10
                r = run_measure("incremental", root, scratch / f"out_dask-report_{n}")
                r |= {"n": n + added}
                best = r if best is None or r["wall_s"] < best["wall_s"] else best
            if best is not None:
                results.append(best)
                print(json.dumps(best), flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"\nload average at the end: {os.getloadavg()}")
    print("\n| records | measure | wall (s) | CPU (s) | peak memory (MB) | records read |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['n']:,} | {r['measure']} | {r['wall_s']:.2f} | {r['cpu_s']:.1f} | {r['peak_mb']} | "
            f"{r.get('read', r['rows'])} |"
        )


if __name__ == "__main__":
    main()
