"""The run record: the same top-level fields for every task, written last and atomically.

Every record holds ``status``, ``spec``, ``seed``, ``versions`` (packages, Python, platform,
the Tomtom back-end when the run used one), ``container`` (the Apptainer image and its labels,
None outside one), ``host`` (name, pid), ``slurm`` (job, array task, restart count, tasks),
``faults`` (test hooks active in the run; empty in normal use), ``first_layer``,
``epochs_run``, ``metrics`` (test ``auroc``/``aupr``), ``metrics_per_class``, ``files``
(relative to the run folder), ``timings_s`` and ``wall_s``; a task adds its own sections
(``match``, ``attribution``, ``saliency``, ``distributed``, ``data``...).
"""

from __future__ import annotations

import os
import shutil
import socket
import time

from toolkit.config import RunSpec
from toolkit.run_folder import RunFolder

SLURM_VARIABLES = (
    "SLURM_JOB_ID",
    "SLURM_ARRAY_JOB_ID",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_RESTART_COUNT",
    "SLURM_NTASKS",
)


def record(
    spec: RunSpec,
    run: RunFolder,
    *,
    started: float,
    timings: dict[str, float],
    history: dict,
    metrics: dict,
    files: dict,
    tomtom_backend: str | None = None,
    **sections,
) -> dict:
    """Build the run's record, write it (the run is done from then on), drop the checkpoint.

    Parameters
    ----------
    spec : RunSpec
    run : RunFolder
    started : float
        ``time.time()`` when the step started (for ``wall_s``).
    timings : dict
        Seconds per part of the step.
    history : dict
        The training history (for ``epochs_run``).
    metrics : dict
        Test metrics: ``auroc``, ``aupr`` and optionally ``auroc_per_class``,
        ``aupr_per_class``.
    files : dict
        The run's files by role, names relative to the run folder.
    tomtom_backend : str, optional
        The Tomtom back-end the run used; its version joins ``versions``.
    **sections
        The task's own sections, e.g. ``match=...``, ``attribution=...``.

    Returns
    -------
    dict
        The record as written to ``record.json``.
    """
    from toolkit import faults
    from toolkit.models import FIRST_ACTIVATION_LAYER
    from toolkit.records import container_record, package_versions

    versions = package_versions()
    if tomtom_backend is not None:
        from toolkit.tomtom import tomtom_version

        versions["tomtom"] = tomtom_version(tomtom_backend)
    values = {
        "status": "done",
        "spec": spec.to_dict(),
        "seed": spec.seed,
        "versions": versions,
        "container": container_record(),
        "host": {"name": socket.gethostname(), "pid": os.getpid()},
        "slurm": {k: os.environ.get(k) for k in SLURM_VARIABLES},
        "faults": faults.active(),
        "first_layer": FIRST_ACTIVATION_LAYER,
        "epochs_run": len(history.get("loss", [])),
        "metrics": {k: metrics[k] for k in ("auroc", "aupr")},
        "metrics_per_class": {
            k: metrics[f"{k}_per_class"] for k in ("auroc", "aupr") if f"{k}_per_class" in metrics
        },
        **sections,
        "files": files,
        "timings_s": timings,
        "wall_s": round(time.time() - started, 3),
    }
    run.write_record(values)
    shutil.rmtree(run.checkpoint, ignore_errors=True)  # the record and weights supersede it
    return values
