"""expact analyze: re-analyses of finished runs from their weights, never retraining."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from toolkit.cli import main


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def task1_sweep(tmp_path_factory, reference_data):
    """A tiny Task 1 sweep (CNN-deep relu and exponential, one trial each)."""
    tmp = tmp_path_factory.mktemp("reanalysis")
    config = tmp / "tiny.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "task": "task1",
                "name": "tiny",
                "models": ["cnn-deep"],
                "activations": ["relu", "exponential"],
                "data": {
                    "generate": {"n_seq": 600, "pfm": str(reference_data / "pfm_vertebrates.txt")}
                },
                "train": {"epochs": 2},
                "filters": {"logos": False},
                "tomtom": {"target": str(reference_data / "JASPAR_CORE_2016_vertebrates.meme")},
            }
        )
    )
    results = tmp / "results"
    assert main(["run", str(config), "--results", str(results), "--no-progress"]) == 0
    return tmp, results


def _analysis(tmp: Path, **values) -> Path:
    path = tmp / f"{values.get('name', 'a')}.yaml"
    path.write_text(yaml.safe_dump(values))
    return path


def test_threshold_reanalysis_at_half_is_the_original_run(task1_sweep, capsys):
    tmp, results = task1_sweep
    weights = {p: _digest(p) for p in results.glob("runs/*/weights.h5")}
    histories = {p: _digest(p) for p in results.glob("runs/*/history.json")}
    analysis = _analysis(tmp, analysis="filter_threshold", name="thresholds", values=[0.3, 0.5])
    assert main(["analyze", str(results), str(analysis), "--no-progress"]) == 0
    out = results / "analyses" / "thresholds"
    for activation in ("relu", "exponential"):
        original = results / "runs" / f"cnn-deep_{activation}_0"
        same = out / "runs" / f"cnn-deep_{activation}_threshold-0.5_0"
        with np.load(original / "filters.npz") as a, np.load(same / "filters.npz") as b:
            np.testing.assert_array_equal(a["ppms"], b["ppms"])
            np.testing.assert_array_equal(a["n_windows"], b["n_windows"])
        rec_a = json.loads((original / "record.json").read_text())
        rec_b = json.loads((same / "record.json").read_text())
        assert rec_b["match"]["match_fraction"] == rec_a["match"]["match_fraction"]
        assert rec_b["match"]["best_qvalue"] == rec_a["match"]["best_qvalue"]
        assert rec_b["metrics"] == rec_a["metrics"] and rec_b["epochs_run"] == rec_a["epochs_run"]
        assert rec_b["analysis"]["value"] == 0.5
        assert rec_b["analysis"]["source_spec_hash"] == rec_a["spec"]["spec_hash"]
        assert rec_b["spec"]["filters"]["threshold"] == 0.5
        other = json.loads(
            (out / "runs" / f"cnn-deep_{activation}_threshold-0.3_0" / "record.json").read_text()
        )
        with np.load(original / "filters.npz") as a:
            # a lower threshold aligns at least as many windows per filter
            assert np.all(np.asarray(other["n_windows"]) >= a["n_windows"])
    # never retrained: the source weights and histories are byte-identical
    assert {p: _digest(p) for p in results.glob("runs/*/weights.h5")} == weights
    assert {p: _digest(p) for p in results.glob("runs/*/history.json")} == histories
    # a rerun skips every finished re-analysis
    capsys.readouterr()
    assert main(["analyze", str(results), str(analysis), "--no-progress"]) == 0
    assert "0 run(s) done now, 4 already done" in capsys.readouterr().out
    # the summary of the analysis has one row per (activation, threshold)
    table = (out / "summary" / "filter_threshold_filter_results.tsv").read_text().splitlines()
    assert len(table) == 5 and table[1].startswith("cnn-deep[threshold-0.3]_relu\t")


def test_activations_before_and_after_trained_and_untrained(task1_sweep):
    tmp, results = task1_sweep
    analysis = _analysis(
        tmp,
        analysis="activations",
        name="prepost",
        values=["trained", "untrained"],
        runs={"activations": ["exponential"]},
        params={"n_sequences": 10},
    )
    assert main(["analyze", str(results), str(analysis), "--no-progress"]) == 0
    out = results / "analyses" / "prepost" / "runs"
    trained = np.load(out / "cnn-deep_exponential_state-trained_0" / "activations.npz")
    untrained = np.load(out / "cnn-deep_exponential_state-untrained_0" / "activations.npz")
    for values in (trained, untrained):
        assert values["pre"].shape == values["post"].shape == (10, 200, 32)
        # exponential: post = exp(pre), for the trained and the fresh model alike
        np.testing.assert_allclose(values["post"], np.exp(values["pre"]), rtol=1e-4)
    assert not np.allclose(trained["pre"], untrained["pre"])
    record = json.loads((out / "cnn-deep_exponential_state-trained_0" / "record.json").read_text())
    assert record["activations"]["layer_before"] == "conv1_bn"
    assert record["activations"]["post"]["min"] > 0


def test_localisation_of_the_planted_motifs(task1_sweep):
    tmp, results = task1_sweep
    analysis = _analysis(
        tmp,
        analysis="localisation",
        name="loc",
        values=["cnn", "ppm", "pwm"],
        runs={"activations": ["exponential"]},
    )
    assert main(["analyze", str(results), str(analysis), "--no-progress"]) == 0
    runs = results / "analyses" / "loc" / "runs"
    found = {
        scan: json.loads(
            (runs / f"cnn-deep_exponential_scan-{scan}_0" / "record.json").read_text()
        )["localisation"]
        for scan in ("cnn", "ppm", "pwm")
    }
    # the generator's own motifs find where it planted them (measured on this 600-sequence
    # set: log-odds PWM 0.97, PPM dot 0.79; the PPM's sum favours wide motifs' windows)
    assert found["pwm"]["auroc"] > 0.9 and found["ppm"]["auroc"] > 0.65
    assert 0 <= found["cnn"]["auroc"] <= 1 and found["cnn"]["buffer"] == 10
    assert found["ppm"]["n_positive"] == found["cnn"]["n_positive"] > 0


@pytest.mark.parametrize(
    "values, field",
    [
        ({"analysis": "filter_thresholds", "values": [0.5]}, "analysis"),
        ({"analysis": "filter_threshold", "values": [0]}, "values"),
        ({"analysis": "filter_threshold", "values": [1.5]}, "values"),
        ({"analysis": "filter_threshold", "values": []}, "values"),
        ({"analysis": "filter_threshold", "values": [0.5], "params": {"x": 1}}, "params.x"),
        ({"analysis": "attribution_references", "values": [2.5]}, "values"),
        ({"analysis": "activations", "values": ["half"]}, "values"),
        (
            {"analysis": "filter_threshold", "values": [0.5], "runs": {"models": ["cnn-9"]}},
            "models",
        ),
        ({"analysis": "attribution_references", "values": [3]}, "applies to"),
    ],
)
def test_bad_analyses_are_errors_before_compute(task1_sweep, capsys, values, field):
    tmp, results = task1_sweep
    path = _analysis(tmp, name="bad", **values)
    assert main(["analyze", str(results), str(path)]) == 2
    err = capsys.readouterr().err
    assert field in err and "bad.yaml" in err, err
    assert not (results / "analyses" / "bad").exists()


@pytest.mark.slow
def test_reference_count_reanalysis_at_ten_is_the_original_run(tmp_path, reference_data):
    config = tmp_path / "t3.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "task": "task3",
                "name": "t3",
                "models": ["cnn-local"],
                "activations": ["exponential"],
                "data": {
                    "generate": {"n_seq": 400, "pfm": str(reference_data / "pfm_vertebrates.txt")}
                },
                "train": {"epochs": 1},
                "attribution": {
                    "methods": ["integrated_gradients", "deepshap"],
                    "n_sequences": 4,
                    "logo_sequences": 0,
                },
            }
        )
    )
    results = tmp_path / "results"
    assert main(["run", str(config), "--results", str(results), "--no-progress"]) == 0
    analysis = _analysis(
        tmp_path,
        analysis="attribution_references",
        name="refs",
        values=[2, 10],
        params={"n_sequences": 4},
    )
    assert main(["analyze", str(results), str(analysis), "--no-progress"]) == 0
    runs = results / "analyses" / "refs" / "runs"
    original = json.loads(
        (results / "runs" / "cnn-local_exponential_0" / "record.json").read_text()
    )
    ten = json.loads((runs / "cnn-local_exponential_references-10_0" / "record.json").read_text())
    two = json.loads((runs / "cnn-local_exponential_references-2_0" / "record.json").read_text())
    for method in ("integrated_gradients", "deepshap"):
        got, want = (
            ten["attribution"]["methods"][method],
            original["attribution"]["methods"][method],
        )
        assert got["auroc"] == pytest.approx(want["auroc"], abs=1e-6)
        assert got["aupr"] == pytest.approx(want["aupr"], abs=1e-6)
        assert two["attribution"]["methods"][method]["params"]["n_references"] == 2
    assert ten["analysis"]["parameter"] == "references" and ten["analysis"]["value"] == 10


@pytest.mark.slurm
def test_reanalysis_runs_as_a_slurm_array_with_status(task1_sweep, slurm, capsys):
    tmp, results = task1_sweep
    analysis = _analysis(tmp, analysis="filter_threshold", name="on_slurm", values=[0.4, 0.6])
    code = main(
        [
            "analyze",
            str(results),
            str(analysis),
            "--cluster",
            "slurm",
            "--profile",
            "localhost",
            "--wait",
            "--timeout",
            "600",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    folder = results / "analyses" / "on_slurm"
    assert "4 done, 0 running, 0 pending, 0 failed, 0 missing" in out
    for run in folder.glob("runs/*"):
        record = json.loads((run / "record.json").read_text())
        assert record["slurm"]["SLURM_ARRAY_JOB_ID"] or record["slurm"]["SLURM_JOB_ID"]
        assert record["analysis"]["kind"] == "filter_threshold"
    (entry,) = json.loads((folder / "slurm" / "submissions.json").read_text())
    assert entry["cluster"] == "slurm" and len(entry["elements"]) == 2  # 2 runs per element
    assert main(["status", str(folder)]) == 0
    assert "4 done" in capsys.readouterr().out


def test_an_analysis_file_that_is_not_a_mapping(task1_sweep, capsys):
    tmp, results = task1_sweep
    path = tmp / "list.yaml"
    path.write_text("- filter_threshold\n")
    assert main(["analyze", str(results), str(path)]) == 2
    assert "list.yaml" in capsys.readouterr().err


def test_off_simplex_statistics_of_task1_runs(task1_sweep):
    tmp, results = task1_sweep
    analysis = _analysis(
        tmp,
        analysis="off_simplex",
        name="simplex",
        values=["trained"],
        params={"n_sequences": 5, "classes": [0, 3]},
    )
    assert main(["analyze", str(results), str(analysis), "--no-progress"]) == 0
    out = results / "analyses" / "simplex"
    for activation in ("relu", "exponential"):
        run = out / "runs" / f"cnn-deep_{activation}_state-trained_0"
        section = json.loads((run / "record.json").read_text())["off_simplex"]
        assert section["classes"] == [0, 3] and set(section["per_class"]) == {"0", "3"}
        assert section["n_positions"] == 2 * 5 * 200
        fractions = [section[f"fraction_gt_{t}"] for t in (30, 45, 60)]
        assert all(0 <= f <= 1 for f in fractions) and fractions == sorted(fractions)[::-1]
        with np.load(run / "off_simplex_gradients.npz") as arrays:
            assert arrays["angles_0"].shape == (5, 200)
    table = (out / "summary" / "off_simplex_off_simplex.tsv").read_text().splitlines()
    assert table[0].split("\t")[:4] == ["model", "> 30 deg", "> 45 deg", "> 60 deg"]
    assert len(table) == 3


def test_gradient_correction_in_a_task3_run_and_its_reanalysis(tmp_path, reference_data):
    """``correction: both`` in a Task 3 config scores corrected and uncorrected maps side by
    side; ``expact analyze`` adds them to a finished run without retraining, its uncorrected
    scores equal to the run's own (same sequences, same reference streams)."""
    methods = ["saliency", "integrated_gradients", "deepshap"]
    attribution = {"methods": methods, "n_sequences": 4, "logo_sequences": 0, "ig_steps": 4}
    config = tmp_path / "t3.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "task": "task3",
                "name": "t3",
                "models": ["cnn-local"],
                "activations": ["exponential"],
                "data": {
                    "generate": {"n_seq": 300, "pfm": str(reference_data / "pfm_vertebrates.txt")}
                },
                "train": {"epochs": 1},
                "attribution": attribution | {"correction": "none"},
            }
        )
    )
    results = tmp_path / "results"
    assert main(["run", str(config), "--results", str(results), "--no-progress"]) == 0
    source = results / "runs" / "cnn-local_exponential_0"
    original = json.loads((source / "record.json").read_text())
    assert "correction" not in original["spec"]["extra"]["attribution"]  # hash kept
    assert set(original["attribution"]["methods"]) == set(methods)
    assert original["off_simplex"]["n_positions"] == 4 * 200
    shap = original["attribution"]["methods"]["deepshap"]["convergence"]
    assert shap["status"] == "ok" and shap["max_abs"] < 1e-3
    weights = _digest(source / "weights.h5")
    analysis = _analysis(
        tmp_path,
        analysis="attribution_correction",
        name="corr",
        values=["both"],
        params={"n_sequences": 4},
    )
    assert main(["analyze", str(results), str(analysis), "--no-progress"]) == 0
    assert _digest(source / "weights.h5") == weights
    run = results / "analyses" / "corr" / "runs" / "cnn-local_exponential_correction-both_0"
    record = json.loads((run / "record.json").read_text())
    got = record["attribution"]["methods"]
    assert set(got) == set(methods) | {f"{m}_corrected" for m in methods}
    for m in methods:
        assert got[m]["auroc"] == pytest.approx(original["attribution"]["methods"][m]["auroc"])
        assert got[f"{m}_corrected"]["correction"] == "simplex"
    assert got["deepshap_corrected"]["convergence"]["status"] == "ok"
    for t in (30, 45, 60):
        key = f"fraction_gt_{t}"
        assert record["off_simplex"][key] == pytest.approx(original["off_simplex"][key])
    import pandas as pd

    scores = pd.read_parquet(run / "attribution_scores.parquet")
    assert len(scores) == 6 * 4 and scores["convergence_delta"].notna().sum() == 2 * 4
    table = (results / "analyses" / "corr" / "summary").glob("*_attribution_results.tsv")
    header = next(iter(table)).read_text().splitlines()[0].split("\t")
    assert header[1:5] == [
        "saliency AUROC",
        "saliency AUPR",
        "saliency_corrected AUROC",
        "saliency_corrected AUPR",
    ]
