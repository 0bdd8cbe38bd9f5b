"""Benchmark: runs per hour of an array element, K runs at a time against one after another.

Usage: .venv/bin/python bench/bench_concurrent.py [--runs 4] [--cpus 2] [--k 2] [--rounds 2]
       [--n-seq 4000] [--epochs 5] [--model cnn-deep] [--gpus 0]

Each round submits the same Task 1 sweep (``--runs`` runs: relu and exponential trials of
``--model``, ``--n-seq`` generated sequences, ``--epochs`` epochs, no logos) twice through
``expact submit --cluster local`` into fresh results folders: once with a profile of
``cpus_per_task: --cpus``, ``runs_per_element: --runs``, ``concurrent_runs: 1`` (the runs one
after another in one process with ``--cpus`` threads) and once with ``concurrent_runs: --k``
(K processes of ``cpus // K`` threads each). Each sweep generates its data set (about a
second, the same in both). Printed: each sweep's wall time, runs per hour, and the ratio of the
concurrent element's runs per hour to the sequential one's (median over rounds; the two
alternate, so whatever else the machine runs weighs on both). ``--gpus 1`` puts
``gpus_per_node: 1`` in both profiles: the elements run the GPU preflight and the K
processes share the GPU with memory growth (``bench/gpu_check.sh`` runs it so).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def sweep_config(folder: Path, args: argparse.Namespace) -> Path:
    """The benchmark's Task 1 sweep."""
    trials = max(1, args.runs // 2)
    config = {
        "task": "task1",
        "name": "bench_concurrent",
        "models": [args.model],
        "activations": ["relu", "exponential"],
        "trials": trials,
        "data": {"generate": {"n_seq": args.n_seq}},
        "train": {"epochs": args.epochs, "patience": args.epochs},
        "filters": {"logos": False},
    }
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def profile(folder: Path, args: argparse.Namespace, concurrent: int) -> Path:
    path = folder / f"k{concurrent}.yaml"
    values = {
        "cpus_per_task": args.cpus,
        "runs_per_element": args.runs,
        "concurrent_runs": concurrent,
        "time_min": 600,
        "gpus_per_node": args.gpus,
    }
    path.write_text(yaml.safe_dump(values))
    return path


def submit(config: Path, profile_path: Path, results: Path) -> float:
    """Wall seconds of one ``expact submit --cluster local`` (it waits for its element)."""
    start = time.perf_counter()
    command = [sys.executable, "-m", "toolkit", "submit", str(config), "--cluster", "local"]
    command += ["--profile", str(profile_path), "--results", str(results)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--k", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--n-seq", type=int, default=4000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--model", default="cnn-deep")
    parser.add_argument("--gpus", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_concurrent_") as tmp:
        folder = Path(tmp)
        config = sweep_config(folder, args)
        walls: dict[int, list[float]] = {1: [], args.k: []}
        for r in range(args.rounds):
            for k in walls:
                wall = submit(config, profile(folder, args, k), folder / f"r{r}_k{k}")
                walls[k].append(wall)
                print(f"round {r}: K={k}: {wall:.1f} s, {args.runs / wall * 3600:.0f} runs/h")
        rate = {k: args.runs / statistics.median(w) * 3600 for k, w in walls.items()}
        print(
            f"\n{args.runs} runs ({args.model}, {args.n_seq} sequences, {args.epochs} epochs) "
            f"on {args.cpus} CPUs: one at a time {rate[1]:.0f} runs/h, {args.k} at a time "
            f"{rate[args.k]:.0f} runs/h, ratio {rate[args.k] / rate[1]:.2f}"
        )


if __name__ == "__main__":
    main()
