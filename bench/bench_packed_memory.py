"""Benchmark: memory of a packed array element as it runs one run after another.

Usage: .venv/bin/python bench/bench_packed_memory.py [--runs 30] [--n-seq 300] [--epochs 1]
           [--json out.json]

A packed element (profile ``runs_per_element``) runs its runs in one process
(``toolkit.cluster.element.ArrayElement``: ``toolkit.sweep.execute`` for each spec in turn).
This runs the same sequence of ``execute`` calls in a fresh process on a tiny Task 1 sweep
(CNN-deep x 5 activations x trials, ``--epochs`` epochs on ``--n-seq`` generated sequences,
Tomtom with the built-in back-end, no logos) and reads the process's resident set size
(``VmRSS``) before the first run (TensorFlow imported, data prepared) and after every run,
and its peak (``VmHWM``). Growth per run is the least-squares slope of RSS over runs 2..N
(the first run also pays one-off costs: graph tracing, numba's cached kernels, Tomtom's
target database). Prints the figures the README's ``mem_gb`` rule for packed elements is
made from: fixed + growth x ``runs_per_element``, where fixed is the fitted line's intercept
plus the largest transient above it (the peak ``VmHWM`` minus the line at that many runs).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024  # kB -> MB
    raise KeyError(key)


def _config(tmp: Path, runs: int, n_seq: int, epochs: int) -> Path:
    import yaml
    from reference import reference_folder

    reference = reference_folder(tmp / "reference")
    activations = ["relu", "exponential", "sigmoid", "tanh", "softplus"]
    path = tmp / "bench.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "task": "task1",
                "name": "packed_memory",
                "models": ["cnn-deep"],
                "activations": activations,
                "trials": max(1, -(-runs // len(activations))),
                "data": {
                    "generate": {"n_seq": n_seq, "pfm": str(reference / "pfm_vertebrates.txt")}
                },
                "train": {"epochs": epochs},
                "filters": {"logos": False},
                "tomtom": {"target": str(reference / "JASPAR_CORE_2016_vertebrates.meme")},
            }
        )
    )
    return path


def element(config_path: Path, results: Path, runs: int) -> dict:
    """In this (fresh) process: what a packed element does, with RSS after every run."""
    from toolkit.config import load_config
    from toolkit.sweep import execute, plan, prepare_sweep

    config = load_config(config_path)
    specs = config.run_specs(results)
    todo, _ = plan(specs, results)
    todo = todo[:runs]
    prepare_sweep(config, specs, todo, results)
    import tensorflow  # noqa: F401  (an element imports it once, before its first run)

    rss = [_status_mb("VmRSS")]
    walls = []
    for spec in todo:
        t0 = time.perf_counter()
        assert execute(spec, results, progress=False), f"run {spec.name} failed"
        walls.append(time.perf_counter() - t0)
        rss.append(_status_mb("VmRSS"))
    return {"rss_mb": rss, "peak_mb": _status_mb("VmHWM"), "run_wall_s": walls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="at least 3")
    parser.add_argument("--n-seq", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--_child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._child:
        out = element(Path(args._child[0]), Path(args._child[1]), args.runs)
        print("RESULT " + json.dumps(out))
        return

    import numpy as np

    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-packed-") as tmp:
        tmp = Path(tmp)
        config = _config(tmp, args.runs, args.n_seq, args.epochs)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--runs",
                str(args.runs),
                "--_child",
                str(config),
                str(tmp / "results"),
            ],
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - t0
        lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
        if proc.returncode or not lines:
            sys.exit(f"the element failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        out = json.loads(lines[-1].removeprefix("RESULT "))
    rss = np.array(out["rss_mb"])
    runs = len(rss) - 1
    k = np.arange(2, runs + 1)
    slope, intercept = (float(v) for v in np.polyfit(k, rss[2:], 1))
    # peak over a pack of R runs ~ intercept + slope x R + what a run holds transiently
    transient = max(0.0, out["peak_mb"] - (intercept + slope * runs))
    fixed = intercept + transient
    summary = {
        "runs": runs,
        "n_seq": args.n_seq,
        "epochs": args.epochs,
        "rss_before_first_run_mb": float(rss[0]),
        "rss_after_first_run_mb": float(rss[1]),
        "rss_after_last_run_mb": float(rss[-1]),
        "growth_per_run_mb": slope,
        "fixed_mb": fixed,
        "transient_mb": transient,
        "peak_mb": out["peak_mb"],
        "median_run_wall_s": float(np.median(out["run_wall_s"])),
        "element_wall_s": wall,
        "load_average_start": load0,
        "load_average_end": os.getloadavg()[0],
        "rss_mb": out["rss_mb"],
    }
    print(
        f"packed element, {runs} tiny Task 1 runs (CNN-deep, {args.epochs} epoch(s), "
        f"{args.n_seq} sequences), one process; load average {load0:.2f} -> "
        f"{summary['load_average_end']:.2f}"
    )
    print(f"  RSS before the first run (TensorFlow imported): {rss[0]:7.0f} MB")
    print(f"  RSS after the first run:                        {rss[1]:7.0f} MB")
    print(f"  RSS after run {runs}:                             {rss[-1]:7.0f} MB")
    print(f"  growth per run (slope over runs 2..{runs}):       {slope:7.1f} MB")
    print(f"  peak (VmHWM):                                   {out['peak_mb']:7.0f} MB")
    print(f"  median run wall time {summary['median_run_wall_s']:.1f} s; element {wall:.0f} s")
    print(f"  transient within a run above the fitted line:   {transient:7.0f} MB")
    print(
        f"  => mem_gb for a pack of R runs: about {fixed / 1024:.2f} GB + "
        f"{slope / 1024:.3f} GB x R (+ the runs' own data beyond this tiny set)"
    )
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
