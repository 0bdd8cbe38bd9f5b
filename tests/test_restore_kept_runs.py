"""jobs/restore_kept_runs.py: kept records go back only where the sweep expects their spec."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from toolkit.run_folder import RunFolder

SCRIPT = Path(__file__).resolve().parents[1] / "jobs" / "restore_kept_runs.py"


def _script():
    spec = importlib.util.spec_from_file_location("restore_kept_runs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _record(name: str, spec_hash: str) -> dict:
    return {"status": "done", "spec": {"name": name, "spec_hash": spec_hash}, "wall_s": 1.0}


def test_restores_matching_records_and_leaves_the_rest(tmp_path):
    results, kept = tmp_path / "results", tmp_path / "kept"
    (kept / "records").mkdir(parents=True)
    results.mkdir()
    runs = [{"name": "a_0", "spec_hash": "h0"}, {"name": "a_1", "spec_hash": "h1"}]
    runs.append({"name": "a_2", "spec_hash": "h2"})
    (results / "sweep.json").write_text(json.dumps({"name": "s", "task": "task3", "runs": runs}))
    for name, spec_hash in (("a_0", "h0"), ("a_1", "OLD"), ("a_2", "h2"), ("b_0", "h9")):
        (kept / "records" / f"{name}.json").write_text(json.dumps(_record(name, spec_hash)))
    present = RunFolder.of(results, "a_2")
    present.record.parent.mkdir(parents=True)
    present.record.write_text(json.dumps(_record("a_2", "h2") | {"wall_s": 2.0}))

    outcome = _script().restore(kept, results)

    assert outcome == {"restored": ["a_0"], "present": ["a_2"], "other": ["a_1", "b_0"]}
    assert RunFolder.of(results, "a_0").is_done("h0")
    assert (RunFolder.of(results, "a_0").file("restored.json")).is_file()
    assert not RunFolder.of(results, "a_1").record.exists()  # another spec: never mixed in
    assert json.loads(present.record.read_text())["wall_s"] == 2.0  # left alone
