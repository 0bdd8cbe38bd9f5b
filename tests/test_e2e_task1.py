"""Task 1 end to end through the command line: a tiny sweep, reruns, failures, bad input.

Real parts only: real TensorFlow training, the real built-in Tomtom, real files. One test
replaces the step with a failing one to check failure isolation; it stands beside the real
sweep tests, not instead of them.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml

from toolkit.cli import main


def _config(tmp_path: Path, reference_data: Path, **over) -> Path:
    config = {
        "task": "task1",
        "name": "tiny",
        "models": ["cnn-deep"],
        "activations": ["relu", "exponential"],
        "trials": 1,
        "data": {"generate": {"n_seq": 400, "pfm": str(reference_data / "pfm_vertebrates.txt")}},
        "train": {"epochs": 2},
        "tomtom": {"target": str(reference_data / "JASPAR_CORE_2016_vertebrates.meme")},
    } | over
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory, reference_data):
    tmp_path = tmp_path_factory.mktemp("e2e")
    results = tmp_path / "results"
    code = main(
        ["run", str(_config(tmp_path, reference_data)), "--results", str(results), "--no-progress"]
    )
    return tmp_path, results, code


def test_sweep_writes_records_tables_meme_tomtom_and_logos(tiny_sweep):
    _, results, code = tiny_sweep
    assert code == 0
    for name in ("cnn-deep_relu_0", "cnn-deep_exponential_0"):
        run = results / "runs" / name
        record = json.loads((run / "record.json").read_text())
        assert record["status"] == "done"
        assert record["spec"]["activation"] in name
        assert record["versions"]["tensorflow-cpu"].startswith("2.15")
        assert 0.0 <= record["match"]["match_fraction"] <= 1.0
        assert len(record["match"]["best_qvalue"]) == 32
        # how the match was made travels with it (the report states it from here)
        assert record["match_rule"]["threshold"] == record["spec"]["tomtom"]["thresh"]
        assert "match_ground_truth" in record["match_rule"]
        assert (
            record["motif_db"]["n_kept"] == record["motif_db"]["n_motifs"] > 0
        )  # JASPAR 2016, whole
        assert record["epochs_run"] == 2
        assert (run / "filters.meme").read_text().startswith("MEME version 4")
        tomtom = pd.read_csv(run / "tomtom" / "tomtom.tsv", sep="\t", comment="#")
        assert list(tomtom.columns)[:6] == [
            "Query_ID",
            "Target_ID",
            "Optimal_offset",
            "p-value",
            "E-value",
            "q-value",
        ]
        assert (tomtom["E-value"] < 0.1).all()
        assert (run / "filter_logos.png").stat().st_size > 1000
        assert (run / "filter_logos.pdf").exists()
        assert (run / "run.log").read_text()
        with np.load(run / "filters.npz") as filters:
            assert filters["ppms"].shape == (32, 20, 4)

    perf = (results / "summary" / "task1_classification_performance.tsv").read_text().splitlines()
    assert perf[0] == "model\tAUROC\tAUPR"
    assert [line.split("\t")[0] for line in perf[1:]] == ["cnn-deep_relu", "cnn-deep_exponential"]
    assert "+/-" in perf[1]
    filt = (results / "summary" / "task1_filter_results.tsv").read_text().splitlines()
    assert filt[0] == "model\tmatch JASPAR\tmatch ground truth"
    assert len(filt) == 3
    runs = pd.read_parquet(results / "summary" / "runs.parquet")
    assert len(runs) == 2


def test_rerun_skips_finished_runs(tiny_sweep, reference_data, capsys):
    tmp_path, results, _ = tiny_sweep
    record = results / "runs" / "cnn-deep_relu_0" / "record.json"
    before = record.stat().st_mtime_ns
    assert (
        main(
            [
                "run",
                str(_config(tmp_path, reference_data)),
                "--results",
                str(results),
                "--no-progress",
            ]
        )
        == 0
    )
    assert record.stat().st_mtime_ns == before
    assert "0 run(s) done now, 2 already done" in capsys.readouterr().out


def test_changed_parameters_never_overwrite_records(tiny_sweep, reference_data, capsys):
    tmp_path, results, _ = tiny_sweep
    config = _config(tmp_path, reference_data, train={"epochs": 3})
    assert main(["run", str(config), "--results", str(results), "--no-progress"]) == 2
    assert "made with other parameters" in capsys.readouterr().err


def test_status_view(tiny_sweep, capsys):
    _, results, _ = tiny_sweep
    assert main(["status", str(results)]) == 0
    assert "2 done, 0 running, 0 pending, 0 failed, 0 missing, 2 total" in capsys.readouterr().out


def test_a_failing_run_is_recorded_and_retried_alone(tmp_path, reference_data, monkeypatch, capsys):
    import toolkit.steps.task1 as step

    real = step.task1

    def flaky(spec, run_dir, progress=True):
        if spec.activation == "relu":
            raise RuntimeError("simulated node failure")
        return real(spec, run_dir, progress)

    config = _config(tmp_path, reference_data, train={"epochs": 1})
    results = tmp_path / "results"
    monkeypatch.setattr(step, "task1", flaky)
    assert main(["run", str(config), "--results", str(results), "--no-progress"]) == 1
    error = json.loads((results / "runs" / "cnn-deep_relu_0" / "error.json").read_text())
    assert "simulated node failure" in error["traceback"]
    assert not (results / "runs" / "cnn-deep_relu_0" / "record.json").exists()
    assert (results / "runs" / "cnn-deep_exponential_0" / "record.json").exists()
    assert main(["status", str(results)]) == 0
    assert (
        "FAILED cnn-deep_relu_0: RuntimeError('simulated node failure')" in capsys.readouterr().out
    )

    monkeypatch.setattr(step, "task1", real)
    done = results / "runs" / "cnn-deep_exponential_0" / "record.json"
    before = done.stat().st_mtime_ns
    assert main(["run", str(config), "--results", str(results), "--no-progress"]) == 0
    assert "1 run(s) done now, 1 already done" in capsys.readouterr().out
    assert done.stat().st_mtime_ns == before
    assert not (results / "runs" / "cnn-deep_relu_0" / "error.json").exists()


def test_bad_data_file_stops_before_compute_and_writes_nothing(tmp_path, reference_data, capsys):
    bad = tmp_path / "bad.h5"
    with h5py.File(bad, "w") as f:
        for split, n in (("train", 20), ("valid", 5), ("test", 5)):
            x = np.zeros((n, 4, 50))
            x[:, 0, :] = 1
            x[0, 1, 3] = 1  # two bases at one position: not one-hot
            f[f"X_{split}"] = x
            f[f"Y_{split}"] = np.zeros((n, 12))
            f[f"model_{split}"] = np.full((n, 4, 50), 0.25)
    config = _config(tmp_path, reference_data, data={"path": str(bad)})
    results = tmp_path / "results"
    assert main(["run", str(config), "--results", str(results), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "bad.h5" in err and "X_train" in err and "one-hot" in err
    assert not (results / "runs").exists()
