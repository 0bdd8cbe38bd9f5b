"""What a results folder holds: its sweeps, their expected runs, and each run's files.

A report's root is either one sweep's results folder (``sweep.json`` and/or ``runs/``) or a
folder of such folders (``results/`` holding ``task1_quick/`` and ``task3_quick/``); both are
found here. Only ``stat`` calls: no record is opened, so a scan of 10,000 runs takes a
fraction of a second.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.run_folder import ERROR as ERROR_NAME
from toolkit.run_folder import RECORD as RECORD_NAME
from toolkit.run_folder import RUNNING as RUNNING_NAME
from toolkit.run_folder import RUNS_DIR, SweepManifest

_KEEP = ("name", "spec_hash", "task", "model", "activation", "variant", "trial", "seed")
_PARAMS = ("data", "train", "filters", "tomtom", "match", "extra")


@dataclass
class Sweep:
    """One sweep folder: its ``sweep.json`` (if readable) and the state of each run."""

    path: Path
    rel: str  # relative to the root ('.' when the root itself)
    meta: dict = field(default_factory=dict)  # sweep.json without "runs" ({} when absent)
    expected: dict[str, dict] = field(default_factory=dict)  # run name -> spec (name, hash, cell)
    params: dict = field(default_factory=dict)  # step parameters of the sweep's first spec
    records: dict[str, tuple[str, str, int, int]] = field(default_factory=dict)  # run -> entry
    errors: dict[str, dict] = field(default_factory=dict)  # run -> error.json (or its problem)
    running: dict[str, dict] = field(
        default_factory=dict
    )  # run -> running.json (started, no record)
    problems: list[str] = field(default_factory=list)  # e.g. an unreadable sweep.json


def inventory(root: str | Path) -> list[Sweep]:
    """Every sweep under ``root`` with the record files to read and the runs that failed.

    Parameters
    ----------
    root : str or Path
        A sweep's results folder (with its re-analyses in ``analyses/*``), or a folder
        whose subfolders are sweeps' results folders.

    Returns
    -------
    list of Sweep
        Sorted by folder; ``records`` hold ``(absolute path, path relative to root, mtime_ns,
        size)`` entries, the input of :func:`toolkit.report.rows.record_row`.
    """
    root = Path(root)
    if _is_sweep(root):
        folders = [root]
    else:
        folders = sorted(p for p in root.iterdir() if p.is_dir() and _is_sweep(p))
    # a sweep's re-analyses (expact analyze) are sweeps of their own inside it
    folders = [f for folder in folders for f in [folder, *_analyses(folder)]]
    return [_scan(folder, root) for folder in folders]


def _analyses(folder: Path) -> list[Path]:
    analyses = SweepManifest(folder).analyses_dir
    if not analyses.is_dir():
        return []
    return sorted(p for p in analyses.iterdir() if p.is_dir() and _is_sweep(p))


def _is_sweep(folder: Path) -> bool:
    return SweepManifest(folder).is_sweep()


def _scan(folder: Path, root: Path) -> Sweep:
    rel = folder.relative_to(root).as_posix() if folder != root else "."
    sweep = Sweep(path=folder, rel=rel)
    sweep_file = SweepManifest(folder).path
    if sweep_file.is_file():
        try:
            meta = json.loads(sweep_file.read_text())
            runs = meta.pop("runs", [])
            # keep what the report uses: a 10,000-run sweep.json is ~50 MB as Python objects
            sweep.expected = {run["name"]: {k: run.get(k) for k in _KEEP} for run in runs}
            sweep.params = {k: runs[0].get(k) for k in _PARAMS} if runs else {}
            sweep.meta = meta
            del runs
        except (OSError, ValueError, KeyError, TypeError) as exc:
            sweep.problems.append(f"sweep.json unreadable ({type(exc).__name__}: {exc})")
    runs_dir = SweepManifest(folder).runs_dir
    if not runs_dir.is_dir():
        return sweep
    prefix = "" if rel == "." else rel + "/"
    with os.scandir(runs_dir) as entries:
        for entry in entries:
            if not entry.is_dir():
                continue
            record = os.path.join(entry.path, RECORD_NAME)
            try:
                st = os.stat(record)
                sweep.records[entry.name] = (
                    record,
                    f"{prefix}{RUNS_DIR}/{entry.name}/{RECORD_NAME}",
                    st.st_mtime_ns,
                    st.st_size,
                )
                continue
            except FileNotFoundError:
                pass
            error = os.path.join(entry.path, ERROR_NAME)
            if os.path.exists(error):
                sweep.errors[entry.name] = _read_error(error)
            elif os.path.exists(os.path.join(entry.path, RUNNING_NAME)):
                sweep.running[entry.name] = _read_json(os.path.join(entry.path, RUNNING_NAME))
    return sweep


def _read_json(path: str) -> dict:
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _read_error(path: str) -> dict:
    try:
        with open(path, "rb") as handle:
            error = json.loads(handle.read())
        return {"error": str(error.get("error", "")), "traceback": str(error.get("traceback", ""))}
    except (OSError, ValueError, AttributeError) as exc:
        return {"error": f"error.json unreadable ({type(exc).__name__})", "traceback": ""}
