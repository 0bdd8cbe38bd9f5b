"""One array element: several packed runs, executed one after another or K at a time."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import submitit

log = logging.getLogger(__name__)


class ArrayElement(submitit.helpers.Checkpointable):
    """The callable each array element runs: ``execute`` for each of its packed specs.

    A failing run is recorded (``error.json``) and the next one starts. On preemption or
    time-out, submitit calls :meth:`checkpoint` (inherited: resubmit the same element); the
    requeued element skips runs that have records, and an interrupted run resumes from its
    last epoch checkpoint (with ``concurrent`` > 1, every interrupted run).

    Parameters
    ----------
    results_dir : str
        The sweep's results folder.
    specs : list of dict
        ``RunSpec.to_dict()`` of each packed run.
    gpus : int
        GPUs the profile asks for: the element checks that TensorFlow sees them before any
        run starts, and otherwise writes the reason into every run's ``error.json`` and
        trains nothing (no silent CPU fallback).
    concurrent : int
        Runs trained at the same time, each in its own process with ``cpus // concurrent``
        threads (and, on a GPU, TensorFlow's memory growth so they share it). 1: one after
        another in this process.
    """

    def __init__(self, results_dir: str, specs: list[dict], gpus: int = 0, concurrent: int = 1):
        self.results_dir = results_dir
        self.specs = specs
        self.gpus = gpus
        self.concurrent = concurrent

    def __call__(self) -> dict:
        from toolkit.training.horovod import launched

        if launched():
            # a multi-task element (Horovod, distributed.processes > 1): every task is a rank
            from toolkit.cluster.ranks import run_ranks

            _limit_threads(_element_cpus())
            return run_ranks(self.results_dir, self.specs)
        if self.concurrent > 1 and len(self.specs) > 1:
            return self._run_concurrently()
        _limit_threads(_element_cpus())
        if self.gpus and not self._gpus_seen():
            return {"done": [], "failed": [s.name for s in self._specs()]}
        from toolkit.sweep import execute

        outcome: dict[str, list[str]] = {"done": [], "failed": []}
        for spec in self._specs():
            ok = execute(spec, Path(self.results_dir), progress=False)
            outcome["done" if ok else "failed"].append(spec.name)
        return outcome

    def _specs(self):
        from toolkit.config import RunSpec

        return [RunSpec.from_dict(values) for values in self.specs]

    def _gpus_seen(self) -> bool:
        """The GPU preflight; on failure every unfinished run gets the reason as its error."""
        from toolkit.training.device import GpuUnavailable, gpu_preflight

        try:
            gpu_preflight(self.gpus)
            return True
        except GpuUnavailable as exc:
            log.error("GPU preflight failed: %s", exc)
            record_failure(self.results_dir, self._specs(), f"GPU preflight: {exc}")
            return False

    def _run_concurrently(self) -> dict:
        """The packed runs ``concurrent`` at a time, each in a fresh process."""
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        workers = min(self.concurrent, len(self.specs))
        threads = max(1, _element_cpus() // workers)
        context = multiprocessing.get_context("spawn")  # no TensorFlow state inherited
        outcome: dict[str, list[str]] = {"done": [], "failed": []}
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_worker_setup, initargs=(threads, self.gpus)
        ) as pool:
            futures = {
                spec.name: pool.submit(_execute_in_worker, self.results_dir, values, self.gpus)
                for spec, values in zip(self._specs(), self.specs, strict=True)
            }
            for spec in self._specs():
                try:
                    ok = futures[spec.name].result()
                except BrokenProcessPool:
                    ok = False
                    record_failure(
                        self.results_dir,
                        [spec],
                        "the run's worker process died (killed, or out of memory: see the "
                        "element's log and the profile's mem_gb)",
                    )
                outcome["done" if ok else "failed"].append(spec.name)
        return outcome


def record_failure(results_dir: str | Path, specs: list, message: str) -> None:
    """Write ``message`` as the ``error.json`` of every spec without a record."""
    import socket
    import time

    from toolkit.run_folder import RunFolder

    for spec in specs:
        run = RunFolder.of(results_dir, spec)
        if run.is_done(spec):
            continue
        run.path.mkdir(parents=True, exist_ok=True)
        run.write_error(
            {
                "run": spec.name,
                "spec_hash": spec.spec_hash,
                "error": message,
                "traceback": "",
                "host": socket.gethostname(),
                "slurm_job": os.environ.get("SLURM_ARRAY_JOB_ID", os.environ.get("SLURM_JOB_ID")),
                "slurm_task": os.environ.get("SLURM_ARRAY_TASK_ID"),
                "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
            }
        )


def _worker_setup(threads: int, gpus: int) -> None:
    """A concurrent run's process: its share of the CPUs; on a GPU, memory grown on demand
    (the runs share the device instead of the first taking all of its memory)."""
    for var in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        os.environ[var] = str(threads)
    if gpus:
        os.environ["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"
    _limit_threads(threads, always=True)


def _execute_in_worker(results_dir: str, values: dict, gpus: int) -> bool:
    """One run in a concurrent worker (after the GPU preflight when GPUs were asked for)."""
    from toolkit.config import RunSpec
    from toolkit.sweep import execute

    spec = RunSpec.from_dict(values)
    if gpus:
        from toolkit.training.device import GpuUnavailable, gpu_preflight

        try:
            gpu_preflight(gpus)
        except GpuUnavailable as exc:
            record_failure(results_dir, [spec], f"GPU preflight: {exc}")
            return False
    return execute(spec, Path(results_dir), progress=False)


def _element_cpus() -> int:
    """The CPUs Slurm gave this element (``SLURM_CPUS_PER_TASK``), else this machine's."""
    return int(os.environ.get("SLURM_CPUS_PER_TASK") or os.cpu_count() or 1)


def _limit_threads(cpus: int, always: bool = False) -> None:
    """Use ``cpus`` threads, not every core of the node (inside a Slurm element, or
    ``always``: a concurrent worker; a local element keeps TensorFlow's own choice)."""
    if not (always or os.environ.get("SLURM_CPUS_PER_TASK")):
        return
    for var in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        os.environ.setdefault(var, str(cpus))
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(cpus)
        tf.config.threading.set_inter_op_parallelism_threads(min(2, cpus))
    except RuntimeError:
        pass  # TF already initialised in this process: keep its settings
