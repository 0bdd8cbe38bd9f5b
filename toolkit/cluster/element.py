"""One array element: several packed runs, executed one after another in one process."""

from __future__ import annotations

import os
from pathlib import Path

import submitit


class ArrayElement(submitit.helpers.Checkpointable):
    """The callable each array element runs: ``execute`` for each of its packed specs.

    A failing run is recorded (``error.json``) and the next one starts. On preemption or
    time-out, submitit calls :meth:`checkpoint` (inherited: resubmit the same element); the
    requeued element skips runs that have records, and the interrupted run resumes from its
    last epoch checkpoint.

    Parameters
    ----------
    results_dir : str
        The sweep's results folder.
    specs : list of dict
        ``RunSpec.to_dict()`` of each packed run.
    """

    def __init__(self, results_dir: str, specs: list[dict]):
        self.results_dir = results_dir
        self.specs = specs

    def __call__(self) -> dict:
        _limit_threads()
        from toolkit.training.horovod import launched

        if launched():
            # a multi-task element (Horovod, distributed.processes > 1): every task is a rank
            from toolkit.cluster.ranks import run_ranks

            return run_ranks(self.results_dir, self.specs)
        from toolkit.config import RunSpec
        from toolkit.sweep import execute

        outcome: dict[str, list[str]] = {"done": [], "failed": []}
        for values in self.specs:
            spec = RunSpec.from_dict(values)
            ok = execute(spec, Path(self.results_dir), progress=False)
            outcome["done" if ok else "failed"].append(spec.name)
        return outcome


def _limit_threads() -> None:
    """Use the CPUs Slurm gave this element, not every core of the node."""
    cpus = os.environ.get("SLURM_CPUS_PER_TASK")
    if not cpus:
        return
    for var in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        os.environ.setdefault(var, cpus)
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(int(cpus))
        tf.config.threading.set_inter_op_parallelism_threads(min(2, int(cpus)))
    except RuntimeError:
        pass  # TF already initialised in this process: keep its settings
