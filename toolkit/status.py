"""Status of a sweep: done / running / pending / failed / missing runs.

Run folders say what finished (``record.json``), what failed inside Python (``error.json``)
and what is running (``running.json``); Slurm says what is queued and which elements died
without a word (time-out, out of memory, cancelled). One ``squeue`` and one ``sacct`` call per
refresh, whatever the number of runs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.run_folder import STATES, RunFolder, SweepManifest

# always listed in the one-line count; stale and corrupt only when present
_ALWAYS = ("done", "running", "pending", "failed", "missing")
LOST_AFTER_S = 120  # an element unknown to squeue and sacct this long after submission is lost


@dataclass
class RunStatus:
    name: str
    state: str
    reason: str = ""
    log: str = ""
    error_tail: list[str] = field(default_factory=list)
    job: str = ""


@dataclass
class SweepStatus:
    name: str
    task: str
    runs: list[RunStatus]

    def counts(self) -> Counter:
        return Counter(r.state for r in self.runs)

    def unfinished(self) -> list[str]:
        """Runs neither done nor queued/running: what ``retry`` resubmits (a corrupt record
        is redone; a stale one, made from other parameters, is never overwritten)."""
        return [r.name for r in self.runs if r.state in ("failed", "missing", "corrupt")]

    def active(self) -> bool:
        return any(r.state in ("running", "pending") for r in self.runs)


def sweep_status(results_dir: str | Path, query_slurm: bool = True) -> SweepStatus | None:
    """The state of every run of the sweep in ``results_dir`` (None if there is no sweep)."""
    results_dir = Path(results_dir)
    sweep = SweepManifest(results_dir).read()
    if sweep is None:
        return None
    element_of, states, queried = _queue(results_dir, query_slurm)
    runs = [_run_status(results_dir, run, element_of, states, queried) for run in sweep["runs"]]
    return SweepStatus(sweep["name"], sweep["task"], runs)


def _queue(results_dir: Path, query_slurm: bool) -> tuple[dict[str, dict], dict[str, str], bool]:
    """Each run's newest array element, the Slurm state of each job, whether Slurm answered."""
    from toolkit.cluster.submit import submissions

    # the newest submission holding a run decides its queue state
    element_of: dict[str, dict] = {}
    slurm_jobs = []
    for entry in submissions(results_dir):
        for element in entry["elements"]:
            for name in element["runs"]:
                element_of[name] = element | {
                    "cluster": entry["cluster"],
                    "submitted": entry.get("submitted", ""),
                }
            if entry["cluster"] == "slurm":
                slurm_jobs.append(element["job"].split("_")[0])
    states: dict[str, str] = {}
    queried = False  # did Slurm answer? (only then can an element be declared lost)
    if query_slurm and slurm_jobs:
        from toolkit.cluster import slurm

        if slurm.available():
            states = slurm.job_states(sorted(set(slurm_jobs)))
            queried = True
    return element_of, states, queried


def _run_status(results_dir: Path, run: dict, element_of, states, queried: bool) -> RunStatus:
    """One run's state from its folder, its array element and the element's Slurm state."""
    name = run["name"]
    folder = RunFolder.of(results_dir, name)
    here = folder.state(run["spec_hash"])
    element = element_of.get(name, {})
    job = element.get("job", "")
    job_state = states.get(job, "")
    log = str(folder.log)
    if here == "done":
        return RunStatus(name, "done", job=job)
    elif here == "stale":
        return RunStatus(
            name,
            "stale",
            reason="record made from other parameters (never overwritten)",
            log=str(folder.record),
            job=job,
        )
    elif job_state in ("RUNNING", "COMPLETING"):
        state = "running" if here == "running" else "pending"
        return RunStatus(name, state, reason=f"element {job} running", log=log, job=job)
    elif job_state in ("PENDING", "REQUEUED", "CONFIGURING", "SUSPENDED"):
        return RunStatus(
            name, "pending", reason=f"element {job} {job_state.lower()}", log=log, job=job
        )
    elif here == "corrupt":
        return RunStatus(
            name, "corrupt", reason=f"{folder.record.name} unreadable", log=log, job=job
        )
    elif here == "failed":
        error = folder.read_error()
        tail = error["traceback"].strip().splitlines()[-3:]
        return RunStatus(name, "failed", reason=error["error"], log=log, error_tail=tail, job=job)
    elif element and job_state:
        # the element ended (time-out, OOM, cancelled, node failure) before this run did
        tail = _tail(Path(element["log"]), 3)
        return RunStatus(
            name,
            "failed",
            reason=f"element {job} {job_state}",
            log=element["log"],
            error_tail=tail,
            job=job,
        )
    elif element and element["cluster"] == "slurm" and queried and _age(element) > LOST_AFTER_S:
        # neither squeue nor sacct knows the element: it is gone (without accounting,
        # a killed job leaves no trace; never wait for it forever)
        return RunStatus(
            name,
            "failed",
            log=element["log"],
            job=job,
            reason=f"element {job} left the queue without a record "
            "(no accounting entry; is sacct enabled?)",
            error_tail=_tail(Path(element["log"]), 3),
        )
    elif element and element["cluster"] == "slurm":
        # just submitted (sacct lags a few seconds) or Slurm not reachable from here
        return RunStatus(
            name,
            "pending",
            reason=f"element {job}: no state from Slurm yet",
            log=log,
            job=job,
        )
    else:
        return RunStatus(name, "missing", reason="not submitted")


def status(results_dir: str | Path) -> str:
    """A text view: counts per state, then each failed run with its log and last error lines."""
    report = sweep_status(results_dir)
    if report is None:
        return f"{results_dir}: no sweep.json (not a results folder, or nothing started yet)"
    counts = report.counts()
    lines = [
        f"{report.name} ({report.task}): "
        + ", ".join(f"{counts[s]} {s}" for s in STATES if s in _ALWAYS or counts[s])
        + f", {len(report.runs)} total"
    ]
    for run in report.runs:
        if run.state == "running":
            lines.append(f"  running {run.name} ({run.reason}; log: {run.log})")
    for run in report.runs:
        if run.state in ("failed", "stale", "corrupt"):
            lines.append(f"  {run.state.upper()} {run.name}: {run.reason}  (log: {run.log})")
            lines.extend(f"      {line}" for line in run.error_tail)
    return "\n".join(lines)


def _age(element: dict) -> float:
    """Seconds since the element's submission (0 when unknown)."""
    import time

    try:
        submitted = time.mktime(time.strptime(element["submitted"], "%Y-%m-%dT%H:%M:%S"))
    except (KeyError, ValueError):
        return 0.0
    return time.time() - submitted


def _tail(path: Path, n: int) -> list[str]:
    try:
        return path.read_text(errors="replace").strip().splitlines()[-n:]
    except OSError:
        return []
