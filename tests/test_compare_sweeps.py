"""jobs/compare_sweeps.py: per (model, activation) means, the difference and the 2-SE rule."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "jobs" / "compare_sweeps.py"


def _script():
    spec = importlib.util.spec_from_file_location("compare_sweeps", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write(folder: Path, kept: bool, aurocs: list[float], saliency: list[float]) -> None:
    for trial, (auroc, sal) in enumerate(zip(aurocs, saliency, strict=True)):
        record = {
            "status": "done",
            "spec": {"model": "cnn-dist", "activation": "relu"},
            "metrics": {"auroc": auroc, "aupr": 0.5},
            "epochs_run": 10,
            "attribution": {"methods": {"saliency": {"auroc": sal}}},
        }
        path = (
            folder / "records" / f"r{trial}.json"
            if kept
            else folder / "runs" / f"r{trial}" / "record.json"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record))


def test_rows_means_differences_and_verdicts(tmp_path):
    _write(tmp_path / "a", True, [0.90, 0.92, 0.94], [0.70, 0.71, 0.72])
    _write(tmp_path / "b", False, [0.91, 0.93, 0.95], [0.80, 0.81, 0.82])
    page = _script().compare(tmp_path / "a", tmp_path / "b", ("keras", "fast"))
    rows = {line.split(" | ")[2]: line for line in page.splitlines() if "| cnn-dist" in line}
    # auroc: means 0.92 and 0.93, std 0.02 each: SE = sqrt(2 * 0.0004 / 3) = 0.0163
    assert "0.9200 +/- 0.0200 (3)" in rows["auroc"] and "+0.0100 (SE 0.0163) | yes" in rows["auroc"]
    # saliency: 0.10 apart with SE 0.0082: beyond the trial spread
    assert "+0.1000 (SE 0.0082) | no" in rows["saliency auroc"]
    assert "0.5000 (3)" not in rows["aupr"] and rows["aupr"].endswith("| - |")  # no spread
