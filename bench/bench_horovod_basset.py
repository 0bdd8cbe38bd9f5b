"""Benchmark: Basset training throughput with 1 and 2 Horovod processes (Gloo) on this machine.

Usage: .venv/bin/python bench/bench_horovod_basset.py [--n 4096] [--batch 32] [--steps 12]
                                                      [--epochs 3] [--procs 1 2]

Writes a small file of the Basset er.h5 layout (600 nt, 164 targets) to a temp folder and runs
the real Task 4 path, ``horovodrun -np K --gloo python -m toolkit.distributed CONFIG``, for each
K: ``--batch`` sequences per rank per step (weak scaling: the global batch grows with K, as
data-parallel training does), ``--steps`` steps per epoch. Each rank gets cores / K threads.
Reported: training sequences/s of all ranks together over the epochs after the first (the
first traces the graphs), from the run's history; wall time of the launch. The temp folder is
deleted at the end.
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

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--procs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(REPO / "tests"))  # reference_data: the er.h5 layout writer
    import yaml
    from reference_data import write_basset_layout

    folder = Path(tempfile.mkdtemp(prefix="expact-hvd-bench-"))
    try:
        rng = np.random.default_rng(0)

        def split(n):
            x = np.eye(4, dtype=np.uint8)[rng.integers(0, 4, (n, 600))].transpose(0, 2, 1)
            return x, (rng.random((n, 164)) < 0.1).astype(np.uint8)

        data = write_basset_layout(
            folder / "er.h5", {"train": split(args.n), "valid": split(256), "test": split(256)}
        )
        cores = os.cpu_count() or 1
        horovodrun = Path(sys.executable).with_name("horovodrun")
        print(
            f"{cores} cores; Basset, batch {args.batch} per rank, {args.steps} steps/epoch, "
            f"{args.epochs} epochs (the first excluded)"
        )
        for k in args.procs:
            config = {
                "task": "task4",
                "name": f"bench{k}",
                "models": ["basset"],
                "activations": ["relu"],
                "data": {"path": str(data)},
                "train": {
                    "epochs": args.epochs,
                    "batch_size": args.batch,
                    "patience": 100,
                    "monitor": "val_auroc",
                },
                "distributed": {
                    "processes": k,
                    "steps_per_epoch": args.steps,
                    "reverse_complement": "random",
                    "max_eval_sequences": 256,
                },
            }
            path = folder / f"bench{k}.yaml"
            path.write_text(yaml.safe_dump(config))
            threads = str(max(1, cores // k))
            env = os.environ | {
                "OMP_NUM_THREADS": threads,
                "TF_NUM_INTRAOP_THREADS": threads,
                "TF_NUM_INTEROP_THREADS": "1",
                "TF_CPP_MIN_LOG_LEVEL": "2",
            }
            t0 = time.perf_counter()
            out = subprocess.run(
                [
                    str(horovodrun),
                    "-np",
                    str(k),
                    "-H",
                    f"localhost:{k}",
                    "--gloo",
                    sys.executable,
                    "-m",
                    "toolkit.distributed",
                    str(path),
                    "--results",
                    str(folder / f"r{k}"),
                ],
                capture_output=True,
                text=True,
                cwd=REPO,
                env=env,
            )
            wall = time.perf_counter() - t0
            if out.returncode:
                print(out.stdout[-2000:], out.stderr[-4000:])
                raise SystemExit(f"horovodrun -np {k} failed")
            run = folder / f"r{k}" / "runs" / "basset_relu_0"
            history = json.loads((run / "history.json").read_text())
            speeds = history["train_seq_per_s"][1:]
            print(
                json.dumps(
                    {
                        "processes": k,
                        "threads_per_rank": int(threads),
                        "global_batch": args.batch * k,
                        "train_seq_per_s": round(float(np.mean(speeds)), 1),
                        "per_epoch": [round(v, 1) for v in speeds],
                        "launch_wall_s": round(wall, 1),
                    }
                ),
                flush=True,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
