"""Run a sweep's specs: skip finished runs, isolate failures, log per run.

The same :func:`execute` runs one spec whether it is called in this process
(:func:`sweep`, ``expact run``) or inside a Slurm array element (``toolkit.cluster``).

Executors of :func:`sweep` (named as submitit's back-ends):

- ``local``: runs one after another in this process; an exception in one run is recorded
  (``error.json`` with the traceback, next to the run's outputs) and the others go on.
- ``debug``: the same, but an exception propagates, so a debugger stops at it.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from toolkit import faults
from toolkit.config import RunSpec, SweepConfig
from toolkit.config.schema import input_file_exists
from toolkit.errors import InputError
from toolkit.run_folder import RunFolder, SweepManifest
from toolkit.training import custom_ops

log = logging.getLogger(__name__)
EXECUTORS = ("local", "debug")


@dataclass
class SweepOutcome:
    """What a sweep call did."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def plan(specs: list[RunSpec], results_dir: str | Path) -> tuple[list[RunSpec], list[str]]:
    """Split specs into to-do and done (names); refuse records made from other specs.

    A run is done when its ``record.json`` exists and was made from an identical spec.
    """
    todo, done, conflicts = [], [], []
    for spec in specs:
        state = RunFolder.of(results_dir, spec).state(spec.spec_hash)
        if state == "done":
            done.append(spec.name)
        elif state == "stale":
            conflicts.append(spec.name)
        else:  # no record, or one that does not parse (redone)
            todo.append(spec)
    if conflicts:
        raise InputError(
            results_dir,
            "runs",
            f"{len(conflicts)} finished runs were made with other parameters (e.g. "
            f"{conflicts[0]}); use a new results folder, or delete those run folders to redo them",
        )
    return todo, done


def prepare_sweep(
    config: SweepConfig,
    specs: list[RunSpec],
    todo: list[RunSpec],
    results_dir: str | Path,
    checked: bool = False,
) -> None:
    """Every input checked, shared inputs made (and a generated data set checked), then
    ``sweep.json``.

    Bad input stops here, before any run folder is made or any model trained.

    Parameters
    ----------
    checked : bool
        The caller already ran :func:`toolkit.config.inputs.check_inputs` on this config
        (the command line does, to print what it checked): do not read the inputs twice.
    """
    from toolkit.config.inputs import check_data_file, check_inputs
    from toolkit.steps.prepare import prepare

    if not checked:
        check_inputs(config, results_dir)
    if todo:
        data = Path(todo[0].data["path"])
        generated = not input_file_exists(data)
        prepare(todo[0])
        if generated:  # an existing data set was checked by check_inputs; a new one now
            check_data_file(config.task, data)
    SweepManifest(Path(results_dir)).write(config.source, config.name, config.task, specs)


def execute(
    spec: RunSpec, results_dir: str | Path, progress: bool = True, raise_errors: bool = False
) -> bool:
    """Run one spec into its folder unless it is done; True when it ends with a record.

    While it runs, ``running.json`` (host, pid, Slurm job) marks the folder; on failure the
    traceback goes to ``error.json`` and the function returns False (or raises, with
    ``raise_errors``). ``run.log`` collects the run's log lines across attempts.
    """
    from toolkit.tasks import run_step

    run = RunFolder.of(results_dir, spec)
    if run.is_done(spec):
        return True
    run.mark_running(_where())
    handler = log_to(run.log)
    try:
        log.info("run %s starts (%s)", spec.name, _where())
        faults.fail_run(spec.name)
        run_step(spec.task)(spec, run.path, progress=progress)
        return True
    except Exception as exc:
        if raise_errors:
            raise
        log.error("run %s failed: %s", spec.name, exc)
        run.write_error(
            {
                "run": spec.name,
                "spec_hash": spec.spec_hash,
                "error": repr(exc),
                "traceback": traceback.format_exc(),
            }
            | _where(),
        )
        return False
    finally:
        run.clear_running()
        stop_logging(handler)


def log_to(path: Path) -> logging.Handler:
    """Append every log line to ``path`` until :func:`stop_logging` (a run's own log).

    The per-run log keeps the toolkit's INFO lines even when the caller's logging (a
    notebook, pytest, a Slurm job) leaves the root logger at WARNING.
    """
    handler = logging.FileHandler(path, mode="a")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    toolkit_log = logging.getLogger("toolkit")
    if toolkit_log.level == logging.NOTSET:
        toolkit_log.setLevel(logging.INFO)
    return handler


def stop_logging(handler: logging.Handler) -> None:
    logging.getLogger().removeHandler(handler)
    handler.close()


def sweep(
    config: SweepConfig,
    results_dir: str | Path,
    executor: str = "local",
    progress: bool = True,
    checked: bool = False,
) -> SweepOutcome:
    """Run every spec of ``config`` that has no complete record yet, in this process.

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
    checked : bool
        The inputs were already checked (:func:`prepare_sweep`).

    Returns
    -------
    SweepOutcome
    """
    if executor not in EXECUTORS:
        raise InputError(None, "executor", f"expected one of {EXECUTORS}, got {executor!r}")
    results_dir = Path(results_dir).resolve()
    specs = config.run_specs(results_dir)
    todo, done = plan(specs, results_dir)
    custom_ops.require_kernels(todo)  # before the data are made: no compute spent
    prepare_sweep(config, specs, todo, results_dir, checked=checked)
    return run_planned(todo, done, results_dir, config.name, executor, progress)


def run_planned(
    todo: list[RunSpec],
    done: list[str],
    results_dir: Path,
    name: str,
    executor: str = "local",
    progress: bool = True,
) -> SweepOutcome:
    """Execute the planned ``todo`` specs one after another (``sweep``'s loop; also the
    re-analyses of ``expact analyze``, whose manifest their caller wrote)."""
    from tqdm.auto import tqdm

    outcome = SweepOutcome(skipped=done)
    if not todo:
        log.info("all %d runs of %s are done", len(done), name)
    for spec in tqdm(todo, desc=f"{name} runs", unit="run", disable=not progress):
        ok = execute(spec, results_dir, progress=progress, raise_errors=executor == "debug")
        (outcome.done if ok else outcome.failed).append(spec.name)
    return outcome


def _where() -> dict:
    return {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "slurm_job": os.environ.get("SLURM_ARRAY_JOB_ID", os.environ.get("SLURM_JOB_ID")),
        "slurm_task": os.environ.get("SLURM_ARRAY_TASK_ID"),
        "restart": os.environ.get("SLURM_RESTART_COUNT"),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
