"""Broken and partial sweeps: listed in the report, never fatal; the folder swap is atomic."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from report_records import record, spec, write_record, write_sweep

from toolkit.cli import main
from toolkit.report import build as build_module
from toolkit.report import report


def _sweep(root, n=3):
    recs = [
        record("cnn-deep", a, t, auroc=0.9, aupr=0.7, match_fraction=0.5)
        for a in ("relu", "exponential")
        for t in range(n)
    ]
    expected = [r["spec"] for r in recs] + [spec("cnn-deep", "tanh", t) for t in range(3)]
    return write_sweep(root, recs, expected=expected), recs


def test_corrupt_failed_missing_running_stale_are_listed(tmp_path, capsys):
    root, recs = _sweep(tmp_path / "s")
    runs = root / "runs"
    # truncated record (a crash while writing without the atomic writer), and not JSON at all
    text = (runs / "cnn-deep_relu_0/record.json").read_text()
    (runs / "cnn-deep_relu_0/record.json").write_text(text[: len(text) // 2])
    (runs / "cnn-deep_relu_1/record.json").write_bytes(b"\x00\xff garbage")
    # valid JSON but not a record
    (runs / "cnn-deep_exponential_0/record.json").write_text('{"status": "done"}')
    # a record made from another spec than sweep.json's
    stale = record("cnn-deep", "exponential", 1, auroc=0.1, aupr=0.1, match_fraction=0.0)
    stale["spec"]["spec_hash"] = "0000000000000000"
    write_record(root, stale)
    # failed, running and never-started runs
    (runs / "cnn-deep_tanh_0").mkdir()
    (runs / "cnn-deep_tanh_0/error.json").write_text(
        json.dumps({"run": "cnn-deep_tanh_0", "error": "ValueError('boom')", "traceback": "..."})
    )
    (runs / "cnn-deep_tanh_1").mkdir()
    (runs / "cnn-deep_tanh_1/running.json").write_text(json.dumps({"host": "n1", "pid": 7}))

    code = main(["report", str(root), "--no-progress"])
    assert code == 0
    out = capsys.readouterr().out
    assert "open: " in out and str(root / "report" / "index.html") in out
    assert "2 corrupt" in out and "1 failed" in out and "1 missing" in out

    problems = pd.read_csv(root / "report/problems.tsv", sep="\t")
    state = dict(zip(problems["run"], problems["state"], strict=True))
    assert state == {
        "cnn-deep_relu_0": "corrupt",
        "cnn-deep_relu_1": "corrupt",
        "cnn-deep_exponential_0": "invalid",
        "cnn-deep_exponential_1": "stale",
        "cnn-deep_tanh_0": "failed",
        "cnn-deep_tanh_1": "running",
        "cnn-deep_tanh_2": "missing",
    }
    detail = dict(zip(problems["run"], problems["detail"], strict=True))
    assert "boom" in detail["cnn-deep_tanh_0"] and "JSONDecodeError" in detail["cnn-deep_relu_0"]
    # the tables hold only the valid, current records: relu 2, exponential 1
    perf = pd.read_parquet(root / "report/tables/task1_classification_performance.parquet")
    assert dict(zip(perf["cell"], perf["n_trials"], strict=True)) == {
        "cnn-deep_relu": 1,
        "cnn-deep_exponential": 1,
    }
    html = (root / "report/index.html").read_text()
    for name in state:
        assert name in html


def test_report_replaces_folder_atomically_and_keeps_old_on_failure(tmp_path, monkeypatch):
    root, _ = _sweep(tmp_path / "s")
    report(root, progress=False, figures_on=False)
    first = (root / "report/report.json").read_text()
    (root / "report" / "stray.txt").write_text("from the old report")
    report(root, progress=False, figures_on=False)
    assert not (root / "report" / "stray.txt").exists()  # replaced as a whole
    assert [p.name for p in root.iterdir() if p.name.startswith(".report.")] == []

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(build_module, "render_index", broken)
    with pytest.raises(RuntimeError):
        report(root, progress=False, figures_on=False)
    assert (root / "report/index.html").exists()  # the previous report is still whole
    assert (
        json.loads((root / "report/report.json").read_text())["counts"]
        == json.loads(first)["counts"]
    )
    assert [p.name for p in root.iterdir() if p.name.startswith(".report.")] == []


def test_folder_of_sweeps_and_empty_sweep(tmp_path):
    _sweep(tmp_path / "results" / "a")
    (tmp_path / "results" / "b" / "runs").mkdir(parents=True)  # started, nothing finished
    result = report(tmp_path / "results", progress=False, figures_on=False)
    assert result.counts["sweeps"] == 2 and result.counts["done"] == 6
    assert (tmp_path / "results/report/sweeps/a/tables/task1_filter_results.tsv").exists()
    assert "No finished runs yet" in result.index.read_text()


def test_not_a_results_folder_is_a_clear_error(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "no sweep here" in capsys.readouterr().err


def test_unreadable_sweep_json_is_listed(tmp_path):
    root, _ = _sweep(tmp_path / "s")
    (root / "sweep.json").write_text('{"runs": [')
    result = report(root, progress=False, figures_on=False)
    problems = pd.read_csv(root / "report/problems.tsv", sep="\t")
    assert problems["state"].tolist() == ["unreadable"]
    assert result.counts["done"] == 6  # the records still count


def test_jobs_report_script(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root, _ = _sweep(tmp_path / "s")
    script = Path(__file__).resolve().parents[1] / "jobs" / "report.py"
    proc = subprocess.run(
        [sys.executable, str(script), str(root), "--out", str(tmp_path / "r"), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"open: {tmp_path / 'r' / 'index.html'}" in proc.stdout
    assert "tables: " in proc.stdout and "figures: " in proc.stdout
