"""Several ranks running the same runs: a multi-task Slurm element, or a horovodrun launch.

Rank 0 runs each spec through :func:`toolkit.sweep.execute` (running marker, ``run.log``,
``error.json``, record); the other ranks run the same step with only a log of their own
(``run.rank<r>.log``). Whether a run is already done is decided by rank 0 and broadcast, so
all ranks skip or run it together. A run that fails on any rank ends the whole launch
(raising here, so the Slurm job or horovodrun exits non-zero): the other ranks would
otherwise wait in a collective of a run that is no longer running.

:func:`sweep_on_ranks` is what ``expact run CONFIG`` does when it finds itself started by
``horovodrun`` (or as one task of a multi-task Slurm step): rank 0 plans and prepares the
sweep, every rank runs its unfinished runs.
"""

from __future__ import annotations

import logging
from pathlib import Path

from toolkit.errors import InputError
from toolkit.run_folder import RunFolder, SweepManifest

log = logging.getLogger(__name__)


def sweep_on_ranks(config, results_dir: str | Path, progress: bool = False) -> dict:
    """Plan and prepare ``config`` on rank 0, then run its unfinished runs on every rank.

    Returns
    -------
    dict
        ``done`` and ``skipped`` run names, ``rank`` and ``size`` of this process.

    Raises
    ------
    InputError
        On every rank, when rank 0 found bad input (so no rank waits for the others).
    """
    from toolkit.sweep import plan, prepare_sweep
    from toolkit.training.horovod import init

    results_dir = Path(results_dir).resolve()
    hvd = init(SweepManifest(results_dir).rendezvous)
    specs = config.run_specs(results_dir)
    error = None
    if hvd.rank() == 0:
        try:
            todo, _ = plan(specs, results_dir)
            prepare_sweep(config, specs, todo, results_dir)
        except InputError as exc:
            error = str(exc)
    error = hvd.broadcast_object(error, root_rank=0, name="expact_prepare")
    if error:
        raise InputError(config.source, None, error)
    outcome = run_ranks(results_dir, [s.to_dict() for s in specs], progress=progress)
    return outcome | {"rank": hvd.rank(), "size": hvd.size()}


def run_ranks(results_dir: str | Path, specs: list[dict], progress: bool = False) -> dict:
    """Run ``specs`` (``RunSpec.to_dict()``) on every rank of this launch; see the module doc."""
    from toolkit.config import RunSpec
    from toolkit.sweep import execute
    from toolkit.tasks import run_step
    from toolkit.training.horovod import init

    results_dir = Path(results_dir)
    hvd = init(SweepManifest(results_dir).rendezvous)
    rank = hvd.rank()
    outcome: dict[str, list[str]] = {"done": [], "skipped": []}
    for values in specs:
        spec = RunSpec.from_dict(values)
        run = RunFolder.of(results_dir, spec)
        done = rank == 0 and run.is_done(spec)
        if hvd.broadcast_object(done, root_rank=0, name=f"expact_done_{spec.spec_hash}"):
            outcome["skipped"].append(spec.name)
            continue
        if rank == 0:
            if not execute(spec, results_dir, progress=progress):
                raise RuntimeError(
                    f"run {spec.name} failed on rank 0 of {hvd.size()}: see {run.error}"
                )
        else:
            _run_other_rank(run_step(spec.task), spec, run, rank, progress)
        outcome["done"].append(spec.name)
    return outcome


def _run_other_rank(step, spec, run: RunFolder, rank: int, progress: bool) -> None:
    from toolkit.sweep import log_to, stop_logging

    run.path.mkdir(parents=True, exist_ok=True)
    handler = log_to(run.rank_log(rank))
    try:
        step(spec, run.path, progress=progress)
    except Exception:
        log.exception("run %s failed on rank %d", spec.name, rank)
        raise
    finally:
        stop_logging(handler)
