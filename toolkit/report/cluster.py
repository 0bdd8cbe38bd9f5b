"""Dask clusters for the report: local worker processes, or workers running as Slurm jobs.

- ``local``: a :class:`distributed.LocalCluster` of small processes (default 2 workers x 1
  thread, no dashboard), enough for reading tens of thousands of small JSON files. On Linux
  the worker processes are forked (``EXPACT_DASK_START_METHOD=spawn`` to spawn them instead).
- ``slurm``: a :class:`dask_jobqueue.SLURMCluster`; each worker is one Slurm job (1 core,
  ``memory`` per job) started with this interpreter, so the workers import this toolkit. The
  network interface defaults to ``lo`` when the only Slurm node is this machine (a single-node
  Slurm on localhost), else to Dask's choice; set ``interface`` for a real cluster's fabric.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator

log = logging.getLogger(__name__)
CLUSTERS = ("local", "slurm")


@contextlib.contextmanager
def dask_client(
    cluster: str = "local",
    workers: int = 2,
    interface: str | None = None,
    partition: str | None = None,
    memory: str = "1GB",
    walltime: str = "00:30:00",
    timeout_s: float = 120.0,
) -> Iterator:
    """A connected :class:`distributed.Client` with ``workers`` workers, closed on exit.

    Parameters
    ----------
    cluster : {'local', 'slurm'}
    workers : int
        Worker processes (local) or Slurm jobs (slurm), one thread each.
    interface : str, optional
        Network interface of the scheduler and workers (slurm only; see the module doc).
    partition : str, optional
        Slurm partition (default: the cluster's default partition).
    memory, walltime : str
        Per-worker Slurm job limits.
    timeout_s : float
        How long to wait for the workers to connect.

    Yields
    ------
    distributed.Client
    """
    from distributed import Client

    if cluster == "local":
        import dask
        from distributed import LocalCluster

        # fork: the workers start in ~0.1 s of CPU instead of ~1.3 s each (no re-import of
        # pandas, dask and this toolkit); EXPACT_DASK_START_METHOD=spawn is the safe fallback
        method = os.environ.get(
            "EXPACT_DASK_START_METHOD", "fork" if sys.platform == "linux" else "spawn"
        )
        if method == "fork":
            # objects that exist now (e.g. a 10,000-run sweep.json) leave the collector's
            # view, so the workers' garbage collections do not touch, and copy, the parent's heap
            gc.freeze()
        with (
            dask.config.set({"distributed.worker.multiprocessing-method": method}),
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.CRITICAL,  # worker heartbeats failing at shutdown are noise
            ) as local,
            Client(local) as client,
        ):
            gc.unfreeze()
            client.wait_for_workers(workers, timeout=timeout_s)
            yield client
        return
    if cluster != "slurm":
        raise ValueError(f"cluster must be one of {CLUSTERS}, got {cluster!r}")
    from dask_jobqueue import SLURMCluster

    if interface is None:
        interface = _default_interface()
    kwargs = {
        "cores": 1,
        "processes": 1,
        "memory": memory,
        "walltime": walltime,
        "python": sys.executable,
        "job_name": "expact-report",
        "scheduler_options": {"dashboard": False, "dashboard_address": ":0"},
    }
    if interface:
        kwargs["interface"] = interface
    if partition:
        kwargs["queue"] = partition
    with SLURMCluster(**kwargs) as slurm, Client(slurm) as client:
        slurm.scale(jobs=workers)
        log.info("submitted %d Slurm worker jobs:\n%s", workers, slurm.job_script())
        client.wait_for_workers(workers, timeout=timeout_s)
        yield client


def _default_interface() -> str | None:
    """``lo`` when Slurm's only node is this machine (single-node Slurm), else None."""
    if shutil.which("sinfo") is None:
        return None
    try:
        out = subprocess.run(
            ["sinfo", "-h", "-N", "-o", "%N"], capture_output=True, text=True, timeout=10
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return "lo" if out and set(out) <= {"localhost", "127.0.0.1"} else None
