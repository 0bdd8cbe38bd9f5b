"""Benchmark: array-job overhead on the local single-node Slurm (slurm/slurm-up.sh).

Usage: .venv/bin/python bench/bench_slurm.py [--runs 100] [--reference-data DIR]

1. Per-run overhead inside a packed element: one element with all runs, executed in this
   process (no Slurm); overhead = (element wall time - sum of the runs' own wall time) / runs.
   Target: <= 1 s per run.
2. Wall time of a tiny sweep (`--runs` runs: CNN-deep, 1 epoch, 300 sequences, no logos)
   submitted to the local Slurm with packing on (runs_per_element=10) and off
   (runs_per_element=1), array_parallelism 2 (the node has 2 CPUs).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]


def _config(tmp: Path, reference_data: Path, runs: int) -> Path:
    import yaml

    activations = ["relu", "exponential", "sigmoid", "tanh", "softplus"]
    trials = max(1, runs // len(activations))
    path = tmp / "bench.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "task": "task1",
                "name": "bench",
                "models": ["cnn-deep"],
                "activations": activations,
                "trials": trials,
                "data": {
                    "generate": {"n_seq": 300, "pfm": str(reference_data / "pfm_vertebrates.txt")}
                },
                "train": {"epochs": 1},
                "filters": {"logos": False},
                "tomtom": {"target": str(reference_data / "JASPAR_CORE_2016_vertebrates.meme")},
            }
        )
    )
    return path


def packed_overhead(config_path: Path, results: Path) -> tuple[float, int]:
    from toolkit.cluster.element import ArrayElement
    from toolkit.config import load_config
    from toolkit.sweep import plan, prepare_sweep

    config = load_config(config_path)
    specs = config.run_specs(results)
    todo, _ = plan(specs, results)
    prepare_sweep(config, specs, todo, results)
    import tensorflow  # noqa: F401  (paid once per element on a cluster too; not overhead)

    t0 = time.perf_counter()
    ArrayElement(str(results), [s.to_dict() for s in todo])()
    wall = time.perf_counter() - t0
    own = sum(json.loads(p.read_text())["wall_s"] for p in results.glob("runs/*/record.json"))
    return (wall - own) / len(todo), len(todo)


def slurm_sweep(config_path: Path, results: Path, runs_per_element: int) -> float:
    import yaml

    from toolkit.cli import main

    profile = results.parent / f"profile{runs_per_element}.yaml"
    profile.write_text(
        yaml.safe_dump(
            {
                "partition": "debug",
                "time_min": 120,
                "mem_gb": 2,
                "array_parallelism": 2,
                "runs_per_element": runs_per_element,
            }
        )
    )
    t0 = time.perf_counter()
    code = main(
        [
            "submit",
            str(config_path),
            "--profile",
            str(profile),
            "--results",
            str(results),
            "--wait",
            "--timeout",
            "7200",
        ]
    )
    assert code == 0, "the sweep failed"
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument(
        "--reference-data", type=Path, default=REPO.parent / "shared" / "reference_data"
    )
    parser.add_argument("--skip-slurm", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        config = _config(tmp, args.reference_data, args.runs)
        overhead, n = packed_overhead(config, tmp / "packed-inprocess")
        print(f"per-run overhead inside a packed element ({n} runs): {overhead:.3f} s")
        if args.skip_slurm:
            return
        on = slurm_sweep(config, tmp / "slurm-packed", 10)
        off = slurm_sweep(config, tmp / "slurm-unpacked", 1)
        print(
            f"{n}-run sweep on the local Slurm: packed (10 runs/element) {on:.1f} s, "
            f"unpacked {off:.1f} s, ratio unpacked/packed {off / on:.2f}"
        )


if __name__ == "__main__":
    main()
