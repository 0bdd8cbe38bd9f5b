"""Incremental aggregation: a rerun reads only new or changed records; Dask on real workers."""

from __future__ import annotations

import os

import pandas as pd
from report_records import record, write_record, write_sweep

from toolkit.report import report
from toolkit.report.aggregate import aggregate
from toolkit.report.inventory import inventory


def _recs(trials, start=0):
    return [
        record("cnn-2", a, t, auroc=0.9 + t / 1000, aupr=0.7, match_fraction=t / 32)
        for a in ("relu", "exponential")
        for t in range(start, start + trials)
    ]


def _entries(root):
    return [e for s in inventory(root) for e in s.records.values()]


def test_rerun_reads_only_new_changed_and_drops_deleted(tmp_path):
    root = write_sweep(tmp_path / "s", _recs(20))
    rows, stats = aggregate(root, _entries(root), progress=False)
    assert (stats.read, stats.cached, len(rows)) == (40, 0, 40)

    for rec in _recs(5, start=20):  # 10 more runs finished
        write_record(root, rec)
    rows, stats = aggregate(root, _entries(root), progress=False)
    assert (stats.read, stats.cached, len(rows)) == (10, 40, 50)
    assert stats.scheduler == "in-process"  # 10 files: no cluster started

    rows, stats = aggregate(root, _entries(root), progress=False)
    assert (stats.read, stats.cached, stats.scheduler) == (0, 50, "none")

    changed = record("cnn-2", "relu", 3, auroc=0.5, aupr=0.5, match_fraction=0.0)
    path = write_record(root, changed)
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # a later write
    (root / "runs/cnn-2_exponential_0/record.json").unlink()
    rows, stats = aggregate(root, _entries(root), progress=False)
    assert (stats.read, stats.dropped, len(rows)) == (1, 2, 49)  # 1 changed, 1 gone
    assert rows.set_index("run").loc["cnn-2_relu_3", "auroc"] == 0.5


def test_damaged_cache_is_rebuilt(tmp_path):
    root = write_sweep(tmp_path / "s", _recs(2))
    aggregate(root, _entries(root), progress=False)
    (root / ".report_cache/rows.parquet").write_bytes(b"not parquet")
    rows, stats = aggregate(root, _entries(root), progress=False)
    assert (stats.read, len(rows)) == (4, 4)


def test_local_cluster_reads_like_in_process(tmp_path):
    root = write_sweep(tmp_path / "s", _recs(6))
    (root / "runs/cnn-2_relu_0/record.json").write_text("{")
    result = report(root, progress=False, figures_on=False, min_cluster_files=0, use_cache=False)
    assert result.aggregation.scheduler == "local" and result.aggregation.read == 12
    dask_rows = pd.read_parquet(root / "report/runs.parquet")
    plain, _ = aggregate(root, _entries(root), progress=False, use_cache=False)
    pd.testing.assert_frame_equal(dask_rows, plain)
    assert (dask_rows["status"] == "corrupt").sum() == 1


def test_unchanged_figures_are_reused_changed_ones_redrawn(tmp_path, monkeypatch):
    import toolkit.report.figures as figures_module

    root = write_sweep(tmp_path / "s", _recs(3))
    report(root, progress=False)
    drawn = []
    real = figures_module._save
    monkeypatch.setattr(figures_module, "_save", lambda *a: (drawn.append(a[1].name), real(*a)))
    result = report(root, progress=False)
    assert drawn == []  # nothing changed: every figure copied from the last report
    assert all(p.stat().st_size > 1000 for p in result.files["figures"])
    write_record(root, record("cnn-2", "relu", 9, auroc=0.5, aupr=0.5, match_fraction=0.5))
    report(root, progress=False)
    assert "task1_match_fraction.png" in drawn and "task1_classification.png" in drawn
