"""Array jobs on a real Slurm (slurm/slurm-up.sh: slurmctld, slurmd, slurmdbd on localhost).

jobs/test.sh starts the daemons before pytest and stops them after; these tests skip when no
Slurm answers, unless EXPACT_REQUIRE_SLURM=1 (set by jobs/test.sh), where that is a failure.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from slurm_helpers import preempt_after_epoch, restart_slurm, wait_for_record, write_profile

from toolkit.cli import main

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slurm


def _config(tmp_path: Path, reference_data: Path, name="tiny", **over) -> Path:
    config = {
        "task": "task1",
        "name": name,
        "models": ["cnn-deep"],
        "activations": ["relu", "exponential"],
        "trials": 1,
        "data": {"generate": {"n_seq": 300, "pfm": str(reference_data / "pfm_vertebrates.txt")}},
        "train": {"epochs": 2},
        "filters": {"logos": False},
        "tomtom": {"target": str(reference_data / "JASPAR_CORE_2016_vertebrates.meme")},
    } | over
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _submissions(results: Path) -> list[dict]:
    return json.loads((results / "slurm" / "submissions.json").read_text())


def test_sweep_with_a_hostile_name_runs_as_an_array_and_resubmission_skips_it(
    slurm, tmp_path, reference_data, capsys
):
    canary = tmp_path / "injected"
    name = f"evil $(touch {canary}) \"double\" 'single' `touch {canary}` spaces"
    config = _config(tmp_path, reference_data, name=name)
    results = tmp_path / "results"
    code = main(
        [
            "submit",
            str(config),
            "--profile",
            "localhost",
            "--results",
            str(results),
            "--wait",
            "--timeout",
            "600",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert not canary.exists()
    assert "2 done, 0 running, 0 pending, 0 failed, 0 missing" in out
    for run in ("cnn-deep_relu_0", "cnn-deep_exponential_0"):
        record = json.loads((results / "runs" / run / "record.json").read_text())
        assert record["slurm"]["SLURM_ARRAY_JOB_ID"] or record["slurm"]["SLURM_JOB_ID"]
        assert f"run {run} starts" in (results / "runs" / run / "run.log").read_text()
    (entry,) = _submissions(results)
    assert len(entry["elements"]) == 1  # both runs packed into one element (runs_per_element 2)
    assert json.loads((results / "sweep.json").read_text())["name"] == name

    assert main(["submit", str(config), "--profile", "localhost", "--results", str(results)]) == 0
    assert "nothing submitted" in capsys.readouterr().out
    assert len(_submissions(results)) == 1
    assert (results / "summary" / "task1_filter_results.tsv").exists()


def test_a_failing_run_is_isolated_reported_and_retried_alone(
    slurm, tmp_path, reference_data, monkeypatch, capsys
):
    config = _config(tmp_path, reference_data)
    results = tmp_path / "results"
    monkeypatch.setenv("EXPACT_TESTING", "1")  # fault hooks act only with it
    monkeypatch.setenv("EXPACT_FAULT_INJECT", "*_relu_*")  # exported to the job by sbatch
    code = main(
        [
            "submit",
            str(config),
            "--profile",
            "localhost",
            "--results",
            str(results),
            "--wait",
            "--timeout",
            "600",
        ]
    )
    assert code == 1
    assert main(["status", str(results)]) == 0
    out = capsys.readouterr().out
    assert "1 done, 0 running, 0 pending, 1 failed" in out
    assert "FAILED cnn-deep_relu_0: RuntimeError('fault injected" in out
    assert str(results / "runs" / "cnn-deep_relu_0" / "run.log") in out
    record = json.loads((results / "runs" / "cnn-deep_exponential_0" / "record.json").read_text())
    assert record["faults"] == {"EXPACT_FAULT_INJECT": "*_relu_*"}  # the record says so

    monkeypatch.delenv("EXPACT_FAULT_INJECT")
    done = results / "runs" / "cnn-deep_exponential_0" / "record.json"
    before = done.stat().st_mtime_ns
    assert main(["retry", str(results), "--wait", "--timeout", "600"]) == 0
    out = capsys.readouterr().out
    assert "submitted 1 run(s)" in out and "2 done" in out
    assert done.stat().st_mtime_ns == before
    assert _submissions(results)[-1]["elements"][0]["runs"] == ["cnn-deep_relu_0"]


def test_preempted_element_is_requeued_and_resumes_from_its_checkpoint(
    slurm, tmp_path, reference_data
):
    config = _config(
        tmp_path,
        reference_data,
        activations=["exponential"],
        data={"generate": {"n_seq": 2000, "pfm": str(reference_data / "pfm_vertebrates.txt")}},
        train={"epochs": 25, "patience": 25},
    )
    results = tmp_path / "results"
    assert main(["submit", str(config), "--profile", "localhost", "--results", str(results)]) == 0
    run = results / "runs" / "cnn-deep_exponential_0"
    preempt_after_epoch(run, 3, tmp_path / "urgent.out")
    record = wait_for_record(run)
    log = (run / "run.log").read_text()
    assert "resumed training from epoch" in log
    resumed_at = int(log.split("resumed training from epoch ")[1].split()[0])
    assert resumed_at >= 3
    assert record["epochs_run"] == 25  # the history covers every epoch, before and after
    assert record["slurm"]["SLURM_RESTART_COUNT"] == "1"
    earlier = record["timings_s"]["train_earlier_attempts"]  # the epochs before preemption
    assert earlier > 0 and record["wall_s"] > earlier + record["timings_s"]["train"]
    assert not (run / "checkpoint").exists()


def test_sweep_larger_than_max_array_size_is_split(
    slurm_started_by_tests, tmp_path, reference_data, capsys
):
    restart_slurm(max_array_size=3)  # rewrites slurm.conf: only on the tests' own Slurm
    try:
        config = _config(tmp_path, reference_data, trials=2)  # 4 runs
        profile = write_profile(tmp_path / "unpacked.yaml", mem_gb=1, runs_per_element=1)
        results = tmp_path / "results"
        code = main(
            [
                "submit",
                str(config),
                "--profile",
                str(profile),
                "--results",
                str(results),
                "--wait",
                "--timeout",
                "600",
            ]
        )
        assert code == 0, capsys.readouterr().out
        sizes = [len(e["elements"]) for e in _submissions(results)]
        assert sizes == [3, 1]
        assert [e["element"] for s in _submissions(results) for e in s["elements"]] == [0, 1, 2, 3]
        assert len(list(results.glob("runs/*/record.json"))) == 4
    finally:
        restart_slurm()


def test_impossible_requests_are_rejected_before_submission(
    slurm, tmp_path, reference_data, capsys
):
    config = _config(tmp_path, reference_data)
    for key, value, message in (
        ("cpus_per_task", 64, "at most"),
        ("mem_gb", 4096, "at most"),
        ("partition", "nope", "does not exist"),
        ("gpus_per_node", 1, "no GPUs"),
    ):
        profile = tmp_path / "bad.yaml"
        profile.write_text(yaml.safe_dump({key: value}))
        code = main(
            [
                "submit",
                str(config),
                "--profile",
                str(profile),
                "--results",
                str(tmp_path / "results"),
            ]
        )
        err = capsys.readouterr().err
        assert code == 2 and key in err and message in err and "bad.yaml" in err
    assert not (tmp_path / "results").exists()


def test_task3_sweep_runs_as_a_slurm_array_with_all_four_attribution_methods(
    slurm, tmp_path, reference_data, capsys
):
    """The Task 3 step goes through the same array machinery as Task 1: one run per element
    here, each scoring all four attribution methods inside its Slurm element."""
    methods = ["saliency", "mutagenesis", "integrated_gradients", "deepshap"]
    config = tmp_path / "tiny3.yaml"
    pfm = str(reference_data / "pfm_vertebrates.txt")
    config.write_text(
        yaml.safe_dump(
            {
                "task": "task3",
                "name": "tiny3",
                "models": ["cnn-local"],
                "activations": ["relu", "exponential"],
                "data": {"generate": {"n_seq": 400, "pfm": pfm}},
                "train": {"epochs": 1},
                "attribution": {
                    "n_sequences": 4,
                    "ig_references": 2,
                    "ig_steps": 3,
                    "shap_references": 2,
                    "logo_sequences": 0,
                },
            }
        )
    )
    profile = write_profile(
        tmp_path / "one-per-element.yaml", time_min=30, cpus_per_task=1, runs_per_element=1
    )
    results = tmp_path / "results"
    code = main(
        [
            "submit",
            str(config),
            "--profile",
            str(profile),
            "--results",
            str(results),
            "--wait",
            "--timeout",
            "600",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "2 done, 0 running, 0 pending, 0 failed, 0 missing" in out
    (entry,) = _submissions(results)
    assert len(entry["elements"]) == 2
    tasks = set()
    for run in ("cnn-local_relu_0", "cnn-local_exponential_0"):
        record = json.loads((results / "runs" / run / "record.json").read_text())
        assert record["spec"]["task"] == "task3" and record["status"] == "done"
        tasks.add(record["slurm"]["SLURM_ARRAY_TASK_ID"])
        scored = record["attribution"]["methods"]
        assert list(scored) == methods
        assert all(
            0.0 <= scored[m]["auroc"] <= 1.0 and scored[m]["n_scored"] == 4 for m in methods
        ), scored
    assert tasks == {"0", "1"}  # each run in its own array element
    attr = (results / "summary" / "task3_attribution_results.tsv").read_text().splitlines()
    assert len(attr) == 3


def _log_span(run: Path) -> tuple[str, str]:
    """First and last timestamps of a run's log (``YYYY-mm-dd HH:MM:SS,ms``)."""
    lines = [line for line in (run / "run.log").read_text().splitlines() if line[:2] == "20"]
    return lines[0][:23], lines[-1][:23]


def test_concurrent_runs_of_an_element_train_at_once_and_resume_after_preemption(
    slurm, tmp_path, reference_data, capsys
):
    """``concurrent_runs: 2``: the element's two runs train at the same time in two processes
    (their logs overlap, their pids differ), one CPU each; preempted, the requeued element
    resumes both from their epoch checkpoints."""
    config = _config(
        tmp_path,
        reference_data,
        data={"generate": {"n_seq": 2000, "pfm": str(reference_data / "pfm_vertebrates.txt")}},
        train={"epochs": 8, "patience": 8},
    )
    profile = write_profile(
        tmp_path / "concurrent.yaml", cpus_per_task=2, runs_per_element=2, concurrent_runs=2
    )
    results = tmp_path / "results"
    assert main(["submit", str(config), "--profile", str(profile), "--results", str(results)]) == 0
    runs = [results / "runs" / f"cnn-deep_{a}_0" for a in ("relu", "exponential")]
    preempt_after_epoch(runs[0], 2, tmp_path / "urgent.out")
    records = [wait_for_record(run) for run in runs]
    (first_start, first_end), (second_start, second_end) = map(_log_span, runs)
    assert first_start < second_end and second_start < first_end  # at the same time
    assert records[0]["host"]["pid"] != records[1]["host"]["pid"]
    for record in records:
        assert record["epochs_run"] == 8 and record["slurm"]["SLURM_RESTART_COUNT"] == "1"
        assert record["device"]["kind"] == "cpu" and record["device"]["cpu"]["cores"] >= 1
    assert "resumed training from epoch" in (runs[0] / "run.log").read_text()
    (entry,) = _submissions(results)
    assert len(entry["elements"]) == 1
