"""jobs/reproduction_page.py: a sweep's report tables, its re-analyses and what --keep keeps."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "jobs" / "reproduction_page.py"


def _script():
    spec = importlib.util.spec_from_file_location("reproduction_page", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tsv(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _results(tmp_path: Path) -> Path:
    folder = tmp_path / "results" / "sweep1"
    manifest = {"name": "sweep1", "task": "task1", "config": "configs/x.yaml", "runs": []}
    _tsv(folder / "sweep.json", json.dumps(manifest))
    _tsv(folder / "runs" / "m_relu_0" / "record.json", json.dumps({"status": "done"}))
    runs = "sweep_dir\trun\tstatus\tseed\tepochs_run\twall_s\tauroc\n.\tm_relu_0\tdone\t0\t5\t120\t0.9\n"
    _tsv(folder / "report" / "runs.tsv", runs)
    _tsv(folder / "report" / "sweeps" / "tables" / "task1_filter_results.tsv", "model\tx\nm\t1\n")
    analysis = folder / "report" / "sweeps" / "analyses__offs" / "tables"
    _tsv(analysis / "off_simplex_off_simplex.tsv", "model\t> 30 deg\nm_relu\t0.35+/-0.03\n")
    _tsv(analysis / "off_simplex_classification_performance.tsv", "model\tauroc\nm\t0.9\n")
    source = folder / "analyses" / "offs"
    _tsv(source / "sweep.json", json.dumps(manifest | {"name": "offs", "config": "c/o.yaml"}))
    _tsv(source / "runs" / "m_relu_trained_0" / "record.json", json.dumps({"status": "done"}))
    return folder


def test_the_page_shows_reanalyses_and_keep_keeps_their_records(tmp_path):
    module = _script()
    folder = _results(tmp_path)
    page = module.page([folder])
    assert "## sweep1 (task1)" in page and "`task1_filter_results`" in page
    assert "### Re-analysis `offs`" in page and f"expact analyze {folder} c/o.yaml" in page
    assert "| m_relu | 0.35+/-0.03 |" in page
    assert "off_simplex_classification_performance" not in page  # the source's, repeated
    kept = module.keep(folder, docs=tmp_path / "docs")
    assert (kept / "records" / "m_relu_0.json").is_file()
    assert (kept / "analyses" / "offs" / "records" / "m_relu_trained_0.json").is_file()
    assert (kept / "analyses" / "offs" / "off_simplex_off_simplex.tsv").is_file()


def test_paths_outside_the_checkout_are_never_shown(tmp_path):
    # a sweep submitted from a copy of a shipped config, with a profile kept outside the repo
    page = _script()
    outside = tmp_path / "elsewhere"
    assert page._shown(str(outside / "repro_task1.yaml"), "configs") == "configs/repro_task1.yaml"
    assert page._shown(str(outside / "mine.yaml"), "configs") == "mine.yaml"
    assert page._shown(str(page.REPO / "configs" / "task1.yaml"), "configs") == "configs/task1.yaml"
    assert page._shown("configs/task1.yaml", "configs") == "configs/task1.yaml"
