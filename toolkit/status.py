"""A text status view of a results folder: done, failed and pending runs."""

from __future__ import annotations

import json
from pathlib import Path

from toolkit.records import RECORD_NAME


def status(results_dir: str | Path) -> str:
    """Counts of done / failed / pending runs, and each failure's error line and log path."""
    results_dir = Path(results_dir)
    sweep_file = results_dir / "sweep.json"
    if not sweep_file.exists():
        return f"{results_dir}: no sweep.json (not a results folder, or nothing started yet)"
    sweep = json.loads(sweep_file.read_text())
    done, failed, pending = [], [], []
    for run in sweep["runs"]:
        run_dir = results_dir / "runs" / run["name"]
        if (run_dir / RECORD_NAME).exists():
            done.append(run["name"])
        elif (run_dir / "error.json").exists():
            failed.append(run["name"])
        else:
            pending.append(run["name"])
    lines = [f"{sweep['name']} ({sweep['task']}): {len(done)} done, {len(failed)} failed, "
             f"{len(pending)} pending, {len(sweep['runs'])} total"]
    for name in failed:
        error = json.loads((results_dir / "runs" / name / "error.json").read_text())
        lines.append(f"  FAILED {name}: {error['error']}  (log: {results_dir / 'runs' / name / 'run.log'})")
    return "\n".join(lines)
