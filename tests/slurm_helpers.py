"""Helpers for the tests that drive the real local Slurm (slurm/slurm-up.sh)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def write_profile(path: Path, **values) -> Path:
    """A cluster profile YAML on the local Slurm's debug partition (``values`` override)."""
    profile = {"partition": "debug", "time_min": 60, "mem_gb": 2, "array_parallelism": 2}
    path.write_text(yaml.safe_dump(profile | values))
    return path


def preempt_after_epoch(run: Path, epoch: int, out: Path, timeout_s: float = 300) -> None:
    """Wait until ``run`` has checkpointed ``epoch``, then submit a job to the higher-priority
    ``urgent`` partition that needs both cores: Slurm preempts the run's element (USR2), and
    submitit requeues it."""
    state = run / "checkpoint" / "state.json"
    deadline = time.time() + timeout_s
    while not (state.exists() and json.loads(state.read_text())["epoch"] >= epoch):
        assert time.time() < deadline, f"training did not reach epoch {epoch}"
        time.sleep(1)
    urgent = ["sbatch", "-p", "urgent", "-c", "2", "--mem=100M", "-o", str(out)]
    subprocess.run(urgent + ["--wrap", "sleep 3"], check=True, capture_output=True)


def wait_for_record(run: Path, timeout_s: float = 500) -> dict:
    """The run's record once it exists (its run.log in the failure message otherwise)."""
    deadline = time.time() + timeout_s
    while not (run / "record.json").exists():
        assert time.time() < deadline, (run / "run.log").read_text()
        time.sleep(3)
    return json.loads((run / "record.json").read_text())


def restart_slurm(max_array_size: int | None = None) -> None:
    """Re-run slurm/slurm-up.sh (as root, else through ``sudo -n``), with ``MaxArraySize``
    lowered to ``max_array_size`` or back to the default. This rewrites slurm.conf: only for
    a Slurm the tests started themselves (the ``slurm_started_by_tests`` fixture)."""
    env = [f"SLURM_MAX_ARRAY_SIZE={max_array_size}"] if max_array_size else []
    command = ["env", *env, "bash", str(REPO / "slurm" / "slurm-up.sh")]
    if os.getuid() != 0:
        command = ["sudo", "-n", *command]
    subprocess.run(command, check=True, capture_output=True)
