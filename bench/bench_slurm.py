"""Benchmark: array-job overhead on the local single-node Slurm (slurm/slurm-up.sh).

Usage: .venv/bin/python bench/bench_slurm.py [--runs 20] [--pack 10] [--reference-data DIR]
           [--json out.json]

1. Per-run overhead inside a packed element: one element with all runs, executed in this
   process (no Slurm); overhead = (element wall time - sum of the runs' own wall time) / runs.
   Target: <= 1 s per run.
2. The benefit of packing: the same tiny sweep (``--runs`` runs: CNN-deep, 1 epoch, 300
   sequences, no logos) submitted to the local Slurm packed (``runs_per_element=--pack``)
   and unpacked (``runs_per_element=1``), array_parallelism 2 (the node has 2 CPUs), in
   fresh results folders. Reported as seconds of sweep wall time saved per run,
   (unpacked - packed) / runs, beside both wall times.

Without ``--reference-data`` the JASPAR files come from ``$EXPACT_REFERENCE_DATA`` or
``../shared/reference_data``, or are written from pyjaspar (bench/reference.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))


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
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pack", type=int, default=10, help="runs_per_element when packed")
    parser.add_argument("--reference-data", type=Path, default=None)
    parser.add_argument("--skip-slurm", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    from reference import reference_folder

    result: dict = {"load_average_start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        reference = args.reference_data or reference_folder(tmp / "reference")
        config = _config(tmp, reference, args.runs)
        overhead, n = packed_overhead(config, tmp / "packed-inprocess")
        result |= {"runs": n, "overhead_per_packed_run_s": overhead}
        print(f"per-run overhead inside a packed element ({n} runs): {overhead:.3f} s")
        if not args.skip_slurm:
            on = slurm_sweep(config, tmp / "slurm-packed", args.pack)
            off = slurm_sweep(config, tmp / "slurm-unpacked", 1)
            saved = (off - on) / n
            elements = -(-n // args.pack)
            result |= {"packed_s": on, "unpacked_s": off, "saved_per_run_s": saved}
            print(
                f"{n}-run sweep on the local Slurm: packed ({args.pack} runs/element, "
                f"{elements} elements) {on:.1f} s, unpacked ({n} elements) {off:.1f} s"
            )
            print(
                f"packing saves {saved:.2f} s per run ({off - on:.1f} s for {n} runs; "
                f"unpacked/packed {off / on:.2f})"
            )
    result["load_average_end"] = os.getloadavg()[0]
    print(f"load average {result['load_average_start']:.2f} -> {result['load_average_end']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
