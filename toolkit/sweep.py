"""Run a sweep's specs on this machine: skip finished runs, isolate failures, summarise.

Executors (named as submitit's back-ends):

- ``local``: runs one after another in this process; an exception in one run is recorded
  (``error.json`` with the traceback, next to the run's outputs) and the others go on.
- ``debug``: the same, but an exception propagates, so a debugger stops at it.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.config import RunSpec, SweepConfig
from toolkit.errors import InputError
from toolkit.records import read_record, write_json

log = logging.getLogger(__name__)
EXECUTORS = ("local", "debug")


@dataclass
class SweepOutcome:
    """What a sweep call did."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def run_dir_of(results_dir: str | Path, spec: RunSpec) -> Path:
    """Folder of one run's outputs: ``<results>/runs/<model>_<activation>_<trial>``."""
    return Path(results_dir) / "runs" / spec.name


def sweep(
    config: SweepConfig,
    results_dir: str | Path,
    executor: str = "local",
    progress: bool = True,
) -> SweepOutcome:
    """Run every spec of ``config`` that has no complete record yet.

    Parameters
    ----------
    config : SweepConfig
        A validated config.
    results_dir : str or Path
        Where runs, shared inputs and summaries go.
    executor : {'local', 'debug'}
        See the module docstring.
    progress : bool
        Progress bars over runs and epochs.

    Returns
    -------
    SweepOutcome
    """
    from tqdm.auto import tqdm

    from toolkit.data import load
    from toolkit.steps import LOADER_TASK, run_step
    from toolkit.steps.prepare import prepare

    if executor not in EXECUTORS:
        raise InputError(None, "executor", f"expected one of {EXECUTORS}, got {executor!r}")
    results_dir = Path(results_dir).resolve()
    specs = config.run_specs(results_dir)
    todo, outcome = _plan(specs, results_dir)
    if todo:
        # shared inputs first, then a full check of the data set: bad input stops the sweep
        # here, before any run folder is made or any model trained
        prepare(todo[0])
        load(todo[0].data["path"], task=LOADER_TASK[config.task])
    write_json(
        results_dir / "sweep.json",
        {"config": config.source, "name": config.name, "task": config.task,
         "runs": [s.to_dict() for s in specs]},
    )
    if not todo:
        log.info("all %d runs of %s are done", len(specs), config.name)
        return outcome
    for spec in tqdm(todo, desc=f"{config.name} runs", unit="run", disable=not progress):
        run_dir = run_dir_of(results_dir, spec)
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "error.json").unlink(missing_ok=True)
        handler = logging.FileHandler(run_dir / "run.log", mode="a")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(handler)
        # the per-run log keeps the toolkit's INFO lines even when the caller's logging
        # (a notebook, pytest) leaves the root logger at WARNING
        toolkit_log = logging.getLogger("toolkit")
        if toolkit_log.level == logging.NOTSET:
            toolkit_log.setLevel(logging.INFO)
        try:
            run_step(spec.task)(spec, run_dir, progress=progress)
            outcome.done.append(spec.name)
        except Exception as exc:
            if executor == "debug":
                raise
            log.error("run %s failed: %s", spec.name, exc)
            write_json(
                run_dir / "error.json",
                {"run": spec.name, "spec_hash": spec.spec_hash, "error": repr(exc),
                 "traceback": traceback.format_exc()},
            )
            outcome.failed.append(spec.name)
        finally:
            logging.getLogger().removeHandler(handler)
            handler.close()
    return outcome


def _plan(specs: list[RunSpec], results_dir: Path) -> tuple[list[RunSpec], SweepOutcome]:
    """Split specs into done and to-do; refuse to overwrite records made from other specs."""
    outcome = SweepOutcome()
    todo, conflicts = [], []
    for spec in specs:
        record = read_record(run_dir_of(results_dir, spec))
        if record is None:
            todo.append(spec)
        elif record.get("spec", {}).get("spec_hash") == spec.spec_hash:
            outcome.skipped.append(spec.name)
        else:
            conflicts.append(spec.name)
    if conflicts:
        raise InputError(
            results_dir,
            "runs",
            f"{len(conflicts)} finished runs were made with other parameters (e.g. "
            f"{conflicts[0]}); use a new results folder, or delete those run folders to redo them",
        )
    return todo, outcome
