"""What the toolkit asks Slurm: limits before submitting, job states for the status view.

Every query is one command for all jobs of a sweep (one ``squeue``, one ``sacct``), never one
call per task, so a status refresh costs the same for 10 runs and for 10,000.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from toolkit.errors import InputError

FINISHED_BAD = {
    "FAILED",
    "CANCELLED",
    "TIMEOUT",
    "OUT_OF_MEMORY",
    "NODE_FAIL",
    "PREEMPTED",
    "BOOT_FAIL",
    "DEADLINE",
}


def available() -> bool:
    """True when the Slurm client commands are on PATH."""
    return all(shutil.which(c) for c in ("sbatch", "squeue", "sinfo", "scontrol"))


def _run(cmd: list[str], timeout: float = 30) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except FileNotFoundError:
        raise InputError(
            None, cmd[0], "Slurm command not found: is this a Slurm login node?"
        ) from None
    except subprocess.TimeoutExpired:
        raise InputError(None, cmd[0], f"no answer from Slurm within {timeout:.0f} s") from None
    except subprocess.CalledProcessError as exc:
        raise InputError(None, cmd[0], f"{' '.join(cmd)} failed: {exc.stderr.strip()}") from None
    return out.stdout


def max_array_size() -> int:
    """The cluster's MaxArraySize (array indices must be below it)."""
    match = re.search(r"^MaxArraySize\s*=\s*(\d+)", _run(["scontrol", "show", "config"]), re.M)
    return int(match.group(1)) if match else 1001  # Slurm's documented default


def partition_limits(partition: str | None) -> dict:
    """Partitions, the default one, and the largest node of ``partition`` (CPUs, memory, GRES)."""
    partitions, default = [], None
    for line in _run(["sinfo", "-h", "-o", "%P"]).split():
        name = line.rstrip("*")
        partitions.append(name)
        if line.endswith("*"):
            default = name
    target = partition or default
    max_cpus, max_mem, gres = 0, 0, ""
    if target in partitions:
        for line in _run(["sinfo", "-h", "-p", target, "-o", "%c|%m|%G"]).splitlines():
            cpus, mem, node_gres = line.split("|")
            max_cpus = max(max_cpus, int(cpus.rstrip("+")))
            max_mem = max(max_mem, int(mem.rstrip("+")))
            gres += node_gres
    return {
        "partitions": partitions,
        "default_partition": default,
        "max_cpus": max_cpus,
        "max_mem_mb": max_mem,
        "gres": gres,
    }


def job_states(job_ids: list[str]) -> dict[str, str]:
    """State of every array task (``"<job>_<task>"``) or plain job of ``job_ids``.

    One ``squeue`` call (live jobs, arrays expanded) and one ``sacct`` call (finished ones);
    squeue wins where both know a task, since sacct lags by a few seconds.
    """
    if not job_ids:
        return {}
    wanted = {str(j) for j in job_ids}
    states: dict[str, str] = {}
    if shutil.which("sacct"):
        try:
            out = _run(
                ["sacct", "-X", "-P", "-n", "-j", ",".join(sorted(wanted)), "-o", "JobID,State"]
            )
        except InputError:
            out = ""  # accounting disabled: live states from squeue only
        for line in out.splitlines():
            job, _, state = line.partition("|")
            for task in _expand(job):
                states[task] = state.split()[0] if state else "UNKNOWN"
    out = _run(["squeue", "-h", "-r", "-o", "%i|%T"])
    for line in out.splitlines():
        job, _, state = line.partition("|")
        if job.split("_")[0] in wanted:
            for task in _expand(job):
                states[task] = state
    return states


def _expand(job: str) -> list[str]:
    """``123_[0-2,5%2]`` -> ``123_0 123_1 123_2 123_5``; other ids unchanged."""
    match = re.fullmatch(r"(\d+)_\[([^\]]+)\]", job)
    if not match:
        return [job]
    base, spec = match.groups()
    tasks = []
    for part in spec.split("%")[0].split(","):
        lo, _, hi = part.partition("-")
        tasks.extend(f"{base}_{i}" for i in range(int(lo), int(hi or lo) + 1))
    return tasks
