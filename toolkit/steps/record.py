"""The run record: the same top-level fields for every task, written last and atomically.

Every record holds ``status``, ``spec``, ``seed``, ``versions`` (packages, Python, platform,
the Tomtom back-end when the run used one), ``container`` (the Apptainer image and its labels,
None outside one), ``device`` (what it trained on: CPU model and flags, or the GPUs, driver,
CUDA and cuDNN versions; :func:`toolkit.training.device.device_record`), ``host`` (name, pid), ``slurm`` (job, array task, restart count, tasks),
``faults`` (test hooks active in the run; empty in normal use), ``first_layer``,
``epochs_run``, ``metrics`` (test ``auroc``/``aupr``), ``metrics_per_class``, ``files``
(and, for runs trained in one process, ``model_built``: the first conv block as built)
(relative to the run folder), ``timings_s`` and ``wall_s`` (a requeued run's include
``train_earlier_attempts``, the training seconds of the epochs it kept from earlier attempts); a task adds its own sections
(``match``, ``motif_db`` and ``match_rule`` where filters meet Tomtom, ``attribution``,
``saliency``, ``distributed``, ``data``...).
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

from toolkit.config import RunSpec
from toolkit.run_folder import RunFolder

SLURM_VARIABLES = (
    "SLURM_JOB_ID",
    "SLURM_ARRAY_JOB_ID",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_RESTART_COUNT",
    "SLURM_NTASKS",
)


class Clock:
    """When a step started and how long each of its parts took (the record's ``timings_s``)."""

    def __init__(self) -> None:
        self.started = time.time()
        self.timings: dict[str, float] = {}

    @contextmanager
    def lap(self, name: str) -> Iterator[None]:
        """Time the block as ``timings[name]`` (seconds)."""
        t0 = time.time()
        yield
        self.timings[name] = round(time.time() - t0, 3)


def record(
    spec: RunSpec,
    run: RunFolder,
    clock: Clock,
    fitted=None,
    *,
    files: dict,
    history: dict | None = None,
    metrics: dict | None = None,
    tomtom_backend: str | None = None,
    **sections,
) -> dict:
    """Build the run's record, write it (the run is done from then on), drop the checkpoint.

    Parameters
    ----------
    spec : RunSpec
    run : RunFolder
    clock : Clock
        The step's start and the seconds of its parts.
    fitted : toolkit.steps.fit.Fitted, optional
        The trained model's history, test metrics and timings; ``weights.h5`` and
        ``history.json`` join ``files``. Steps that train otherwise pass ``history`` and
        ``metrics`` instead.
    files : dict
        The run's files by role, names relative to the run folder.
    history : dict, optional
        The training history (for ``epochs_run``), when there is no ``fitted``.
    metrics : dict, optional
        Test metrics (``auroc``, ``aupr``, optionally ``auroc_per_class``,
        ``aupr_per_class``), when there is no ``fitted``.
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
    from toolkit.provenance import container_record, package_versions
    from toolkit.training.device import device_record

    timings = dict(clock.timings)
    if fitted is not None:
        history, metrics = fitted.history, fitted.metrics
        timings |= fitted.timings
        sections = {"model_built": fitted.first_layer()} | sections
        files = {"weights": run.weights.name, "history": run.history.name} | files
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
        "device": device_record(),
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
        # this attempt, plus the training time of epochs kept from earlier attempts
        "wall_s": round(time.time() - clock.started + timings.get("train_earlier_attempts", 0), 3),
    }
    run.write_record(values)
    shutil.rmtree(run.checkpoint, ignore_errors=True)  # the record and weights supersede it
    return values


def data_section(spec: RunSpec, data, **extra) -> dict:
    """The record's ``data`` section: the file and the size of each split."""
    sizes = {s: int(len(getattr(data, f"x_{s}"))) for s in ("train", "valid", "test")}
    return {"path": spec.data["path"], "n": sizes, **extra}
