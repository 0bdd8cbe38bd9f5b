"""Several ranks running the same runs: a multi-task Slurm element, or a horovodrun launch.

Rank 0 runs each spec through :func:`toolkit.sweep.execute` (running marker, ``run.log``,
``error.json``, record); the other ranks run the same step with only a log of their own
(``run.rank<r>.log``). Whether a run is already done is decided by rank 0 and broadcast, so
all ranks skip or run it together. A run that fails on any rank ends the whole launch
(raising here, so the Slurm job or horovodrun exits non-zero): the other ranks would
otherwise wait in a collective of a run that is no longer running.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def run_ranks(results_dir: str | Path, specs: list[dict], progress: bool = False) -> dict:
    """Run ``specs`` (``RunSpec.to_dict()``) on every rank of this launch; see the module doc."""
    from toolkit.config import RunSpec
    from toolkit.distributed.launch import init
    from toolkit.records import read_record
    from toolkit.steps import run_step
    from toolkit.sweep import execute, run_dir_of

    results_dir = Path(results_dir)
    hvd = init(results_dir / "slurm" / "rendezvous")
    rank = hvd.rank()
    outcome: dict[str, list[str]] = {"done": [], "skipped": []}
    for values in specs:
        spec = RunSpec.from_dict(values)
        run_dir = run_dir_of(results_dir, spec)
        done = False
        if rank == 0:
            record = read_record(run_dir)
            done = record is not None and record.get("spec", {}).get("spec_hash") == spec.spec_hash
        if hvd.broadcast_object(done, root_rank=0, name=f"expact_done_{spec.spec_hash}"):
            outcome["skipped"].append(spec.name)
            continue
        if rank == 0:
            if not execute(spec, results_dir, progress=progress):
                raise RuntimeError(
                    f"run {spec.name} failed on rank 0 of {hvd.size()}: see "
                    f"{run_dir / 'error.json'}"
                )
        else:
            _run_other_rank(run_step(spec.task), spec, run_dir, rank, progress)
        outcome["done"].append(spec.name)
    return outcome


def _run_other_rank(step, spec, run_dir: Path, rank: int, progress: bool) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(run_dir / f"run.rank{rank}.log", mode="a")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    toolkit_log = logging.getLogger("toolkit")
    if toolkit_log.level == logging.NOTSET:
        toolkit_log.setLevel(logging.INFO)
    try:
        step(spec, run_dir, progress=progress)
    except Exception:
        log.exception("run %s failed on rank %d", spec.name, rank)
        raise
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
