"""Submit a sweep's unfinished runs as array jobs through submitit.

Runs are packed ``runs_per_element`` to an element; elements are submitted as arrays of at
most the cluster's MaxArraySize (several submissions when there are more; submitit does
not split). Every submission is appended to ``<results>/slurm/submissions.json`` so the
status view and ``retry`` know which array task holds which runs.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.cluster.profile import Profile, check_against_cluster
from toolkit.config import RunSpec
from toolkit.errors import InputError
from toolkit.files import write_json
from toolkit.run_folder import SweepManifest
from toolkit.training import custom_ops

log = logging.getLogger(__name__)
CLUSTERS = ("slurm", "local", "debug")


@dataclass
class Submitted:
    """What one submit call did."""

    job_ids: list[str] = field(default_factory=list)
    elements: int = 0
    runs: list[str] = field(default_factory=list)
    already_done: list[str] = field(default_factory=list)
    script: str = ""
    outcomes: list[dict] = field(default_factory=list)  # local/debug: what each element did


def job_name(sweep: str) -> str:
    """A Slurm job name made only of safe characters (the sweep name itself may be anything)."""
    return "expact-" + (re.sub(r"[^A-Za-z0-9_.-]+", "_", sweep).strip("_") or "sweep")[:40]


def slurm_parameters(profile: Profile, name: str) -> dict:
    """submitit SlurmExecutor parameters of ``profile``."""
    params = {
        "job_name": job_name(name),
        "time": profile.time_min,
        "mem": f"{int(profile.mem_gb * 1024)}MB",
        "cpus_per_task": profile.cpus_per_task,
        "array_parallelism": profile.array_parallelism,
        "signal_delay_s": profile.signal_delay_s,
    }
    for key in ("partition", "account", "qos", "constraint"):
        if getattr(profile, key):
            params[key] = getattr(profile, key)
    if profile.gpus_per_node:
        params["gpus_per_node"] = profile.gpus_per_node
    if profile.srun_args:
        params["srun_args"] = list(profile.srun_args)
    return params


def tasks_per_element(specs: list[RunSpec]) -> int:
    """Slurm tasks (ranks) each element needs: the specs' ``distributed.processes``, else 1."""
    return max([int(s.extra.get("distributed", {}).get("processes", 1)) for s in specs] or [1])


def pack(specs: list[RunSpec], runs_per_element: int) -> list[list[RunSpec]]:
    """Consecutive groups of ``runs_per_element`` specs (the last may be shorter)."""
    return [specs[i : i + runs_per_element] for i in range(0, len(specs), runs_per_element)]


def chunk(n: int, max_size: int) -> list[range]:
    """Element index ranges of at most ``max_size`` elements (one array submission each)."""
    return [range(i, min(i + max_size, n)) for i in range(0, n, max_size)]


def container_python(
    profile: Profile, results_dir: Path, specs: list[RunSpec], dry_run: bool = False
) -> str | None:
    """submitit's ``python=`` for a profile with a ``container``: ``apptainer exec`` of the
    image's ``python3``, binding the results folder and every folder a spec names (data,
    Tomtom target); None without a container."""
    if not profile.container:
        return None
    from toolkit.containers.apptainer import exec_python, find_apptainer, job_binds

    paths = [Path(results_dir)] + [p for spec in specs for p in _spec_paths(spec.to_dict())]
    try:
        apptainer = find_apptainer()
    except InputError:
        if not dry_run:
            raise
        apptainer = "apptainer"
    return exec_python(
        profile.container,
        job_binds(paths, profile.container_binds),
        gpus=profile.gpus_per_node > 0,
        apptainer=apptainer,
    )


def _spec_paths(value) -> list[Path]:
    """Existing absolute paths anywhere in a spec's values."""
    if isinstance(value, dict):
        return [p for v in value.values() for p in _spec_paths(v)]
    if isinstance(value, list | tuple):
        return [p for v in value for p in _spec_paths(v)]
    if isinstance(value, str) and value.startswith("/") and Path(value).exists():
        return [Path(value)]
    return []


def dry_run_script(
    profile: Profile, name: str, results_dir: Path, n_elements: int, specs: list[RunSpec] = ()
) -> str:
    """The sbatch script submitit would submit for the first array of this sweep."""
    import shlex
    import sys

    from submitit.slurm.slurm import _make_sbatch_string

    params = slurm_parameters(profile, name)
    if n_elements > 1:
        params["map_count"] = n_elements
    if tasks_per_element(list(specs)) > 1:
        params["ntasks_per_node"] = tasks_per_element(list(specs))
    python = container_python(profile, results_dir, list(specs), dry_run=True) or shlex.quote(
        sys.executable
    )
    folder = SweepManifest(results_dir).slurm_logs / "%j"
    command = f"{python} -u -m submitit.core._submit {folder}"
    return _make_sbatch_string(command=command, folder=folder, **params)


def validate_for_cluster(profile: Profile, cluster: str) -> None:
    """Reject a profile the cluster can never satisfy (call before spending any compute)."""
    if cluster not in CLUSTERS:
        raise InputError(None, "cluster", f"expected one of {CLUSTERS}, got {cluster!r}")
    if cluster == "slurm":
        from toolkit.cluster import slurm

        check_against_cluster(profile, slurm.partition_limits(profile.partition), profile.name)


def submit(
    specs: list[RunSpec],
    todo: list[RunSpec],
    results_dir: str | Path,
    sweep_name: str,
    cluster: str = "slurm",
    profile: Profile | None = None,
) -> Submitted:
    """Submit the ``todo`` specs (already planned and prepared) as array jobs.

    Parameters
    ----------
    specs, todo : list of RunSpec
        Every spec of the sweep, and those without a record.
    cluster : {'slurm', 'local', 'debug'}
        submitit back-end: Slurm arrays; local subprocesses (waited for); in this process
        (waited for, a debugger works).
    """

    from toolkit.cluster.element import ArrayElement

    if cluster not in CLUSTERS:
        raise InputError(None, "cluster", f"expected one of {CLUSTERS}, got {cluster!r}")
    profile = profile or Profile()
    results_dir = Path(results_dir).resolve()
    out = Submitted(
        runs=[s.name for s in todo],
        already_done=sorted({s.name for s in specs} - {s.name for s in todo}),
    )
    if not todo:
        return out
    if cluster != "slurm" and tasks_per_element(todo) > 1:
        raise InputError(
            None,
            "distributed.processes",
            f"{tasks_per_element(todo)} processes "
            f"need --cluster slurm; locally use: horovodrun -np "
            f"{tasks_per_element(todo)} --gloo python -m toolkit.distributed CONFIG",
        )
    elements = pack(todo, profile.runs_per_element)
    out.elements = len(elements)
    folder = SweepManifest(results_dir).slurm_logs / "%j"
    python = container_python(profile, results_dir, todo)  # None: this process's Python
    if python is None:  # the runs use this installation: its kernels must build (an image
        custom_ops.require_kernels(todo)  # brings its own)
    executor, max_size = _executor(cluster, profile, folder, python, sweep_name, todo)
    max_size = max_size or len(elements)

    offset = 0
    for indices in chunk(len(elements), max_size):
        with executor.batch():
            jobs = [
                executor.submit(
                    ArrayElement(
                        str(results_dir),
                        [s.to_dict() for s in elements[i]],
                        gpus=profile.gpus_per_node,
                        concurrent=profile.concurrent_runs if cluster != "debug" else 1,
                    )
                )
                for i in indices
            ]
        entry = {
            "cluster": cluster,
            "submitted": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "profile": profile.to_dict(),
            "sweep": sweep_name,
            "elements": [
                {
                    "element": offset + k,
                    "job": job.job_id,
                    "runs": [s.name for s in elements[i]],
                    "log": str(job.paths.stderr),
                }
                for k, (i, job) in enumerate(zip(indices, jobs, strict=True))
            ],
        }
        _append_submission(results_dir, entry)
        out.job_ids.extend(job.job_id for job in jobs)
        log.info("submitted %d element(s) as %s", len(jobs), jobs[0].job_id.split("_")[0])
        offset += len(indices)
        if cluster != "slurm":  # local and debug jobs are waited for here
            out.outcomes.extend(job.result() for job in jobs)
    return out


def _executor(cluster: str, profile: Profile, folder, python, sweep_name: str, todo):
    """The submitit executor of ``cluster`` and its largest array (None: no limit)."""
    import submitit

    if cluster == "slurm":
        from toolkit.cluster import slurm

        validate_for_cluster(profile, cluster)
        max_size = slurm.max_array_size()
        if profile.max_array_size:
            max_size = min(max_size, profile.max_array_size)
        executor = submitit.SlurmExecutor(folder=folder, python=python)
        executor.update_parameters(**slurm_parameters(profile, sweep_name))
        if tasks_per_element(todo) > 1:  # Horovod: one job step with a task per rank
            executor.update_parameters(ntasks_per_node=tasks_per_element(todo))
    else:
        max_size = None
        if python and cluster == "debug":
            raise InputError(
                profile.name,
                "container",
                "the debug executor runs in this "
                "process and cannot run inside an image; use --cluster local",
            )
        extra = {"local_python": python} if python else {}
        executor = submitit.AutoExecutor(folder=folder, cluster=cluster, **extra)
        executor.update_parameters(
            timeout_min=profile.time_min, cpus_per_task=profile.cpus_per_task
        )
    return executor, max_size


def submissions(results_dir: str | Path) -> list[dict]:
    """Every submission recorded in ``<results>/slurm/submissions.json`` (oldest first)."""
    path = SweepManifest(Path(results_dir)).submissions
    if not path.exists():
        return []
    return json.loads(path.read_text())


def _append_submission(results_dir: Path, entry: dict) -> None:
    path = SweepManifest(results_dir).submissions
    write_json(path, submissions(results_dir) + [entry])
