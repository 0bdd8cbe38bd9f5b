"""The run-folder contract: paths, "is this run done", the run states, sweep.json."""

from __future__ import annotations

import json

import pytest

from toolkit.config import RunSpec
from toolkit.run_folder import STATES, RunFolder, SweepManifest


def _spec(trial: int = 0, lr: float = 0.001) -> RunSpec:
    return RunSpec(
        task="task1",
        sweep="s",
        model="cnn-deep",
        activation="exp_scale:2",
        trial=trial,
        seed=trial,
        train={"learning_rate": lr},
    )


def test_paths_follow_the_documented_layout(tmp_path):
    spec = _spec()
    run = RunFolder.of(tmp_path, spec)
    assert run.path == tmp_path / "runs" / "cnn-deep_exp_scale-2_0"
    assert run.results_dir == tmp_path
    assert run.record.name == "record.json" and run.error.name == "error.json"
    assert run.tomtom_tsv == run.path / "tomtom" / "tomtom.tsv"
    assert run.rank_log(3).name == "run.rank3.log"
    assert run.relative(run.tomtom_tsv) == "tomtom/tomtom.tsv"
    sweep = SweepManifest(tmp_path)
    assert sweep.path == tmp_path / "sweep.json"
    assert sweep.submissions == tmp_path / "slurm" / "submissions.json"
    assert sweep.run(spec) == run


def test_every_state(tmp_path):
    spec, other = _spec(), _spec(lr=0.01)
    assert spec.spec_hash != other.spec_hash
    run = RunFolder.of(tmp_path, spec)
    assert run.state(spec.spec_hash) == "missing"
    run.path.mkdir(parents=True)
    assert run.state(spec.spec_hash) == "pending"
    run.mark_running({"host": "h"})
    assert run.state(spec.spec_hash) == "running" and run.read_running() == {"host": "h"}
    run.write_error({"error": "boom", "traceback": "tb"})
    assert run.state(spec.spec_hash) == "failed" and run.read_error()["error"] == "boom"
    run.record.write_text('{"status": "do')  # truncated
    assert run.state(spec.spec_hash) == "corrupt" and run.read_record() is None
    assert not run.is_done(spec)
    run.write_record({"spec": other.to_dict()})
    assert run.state(spec.spec_hash) == "stale" and not run.is_done(spec)
    assert run.state() == "done"  # of any spec
    run.write_record({"spec": spec.to_dict()})
    assert run.state(spec.spec_hash) == "done" and run.is_done(spec)
    assert run.is_done(spec.spec_hash)
    assert set(STATES) >= {"done", "failed", "running", "pending", "stale", "corrupt", "missing"}


def test_mark_running_clears_an_old_error(tmp_path):
    run = RunFolder(tmp_path / "runs" / "r")
    run.path.mkdir(parents=True)
    run.write_error({"error": "old"})
    run.mark_running({})
    assert not run.error.exists()
    run.clear_running()
    assert run.state() == "pending"


def test_manifest_round_trip(tmp_path):
    specs = [_spec(0), _spec(1)]
    sweep = SweepManifest(tmp_path)
    assert sweep.read() is None and sweep.specs() == []
    sweep.write("cfg.yaml", "s", "task1", specs)
    assert sweep.read()["task"] == "task1"
    assert [s.spec_hash for s in sweep.specs()] == [s.spec_hash for s in specs]
    assert sweep.is_sweep() and sweep.exists()
    for spec in specs:
        sweep.run(spec).path.mkdir(parents=True)
    assert [r.name for r in sweep.run_dirs()] == sorted(s.name for s in specs)


def test_a_file_that_is_not_a_manifest_is_an_error(tmp_path):
    (tmp_path / "sweep.json").write_text(json.dumps({"name": "x"}))
    with pytest.raises(ValueError, match="not a sweep manifest"):
        SweepManifest(tmp_path).read()
