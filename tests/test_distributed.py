"""Horovod data-parallel training (Task 4): averaging proven, ranks identical, kill + resume.

The two slow tests start 2 processes on this machine: one ``horovodrun -np 2 --gloo`` launch
(tests/hvd_worker.py) and one Task 4 sweep through ``expact submit`` on the real Slurm (one
job with 2 tasks, Gloo rendezvous by rank 0), with a rank killed and the run resubmitted.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import submitit  # noqa: F401  (its import runs logging.config.dictConfig: do it before capture)
import yaml

from toolkit.cli import main
from toolkit.errors import InputError

REPO = Path(__file__).resolve().parents[1]


def _have_horovod() -> bool:
    try:
        import horovod.tensorflow  # noqa: F401
    except ImportError:
        return False
    return True


needs_horovod = pytest.mark.skipif(not _have_horovod(), reason="Horovod not built (setup.sh)")


def test_warmup_and_task_counts():
    from toolkit.config import RunSpec
    from toolkit.training.distributed import DistConfig, warmup_lr
    from toolkit.training.horovod import _tasks_per_node

    assert warmup_lr(0, 2e-3, 2, 10) == pytest.approx(1e-3)  # starts at the unscaled rate
    assert warmup_lr(5, 2e-3, 2, 10) == pytest.approx(1.5e-3)
    assert warmup_lr(50, 2e-3, 2, 10) == pytest.approx(2e-3)
    assert warmup_lr(0, 1e-3, 1, 10) == 1e-3
    with pytest.raises(InputError, match="reverse_complement"):
        DistConfig.from_dict({"reverse_complement": "sometimes"})
    os.environ["SLURM_STEP_TASKS_PER_NODE"] = "2(x2),1"
    try:
        assert _tasks_per_node(3, 5) == [2, 2, 1]
    finally:
        del os.environ["SLURM_STEP_TASKS_PER_NODE"]

    from toolkit.cluster.submit import tasks_per_element

    spec = RunSpec(
        task="task4",
        sweep="s",
        model="basset",
        activation="relu",
        trial=0,
        seed=0,
        extra={"distributed": {"processes": 2}},
    )
    assert tasks_per_element([spec]) == 2
    assert (
        tasks_per_element(
            [RunSpec(task="task1", sweep="s", model="cnn-deep", activation="relu", trial=0, seed=0)]
        )
        == 1
    )


def _tiny_basset(path: Path, length: int = 600, targets: int = 164) -> Path:
    from reference_data import write_basset_layout

    rng = np.random.default_rng(0)

    def split(n):
        x = np.eye(4, dtype=np.uint8)[rng.integers(0, 4, (n, length))].transpose(0, 2, 1)
        return x, (rng.random((n, targets)) < 0.2).astype(np.uint8)

    return write_basset_layout(
        path, {"train": split(96), "valid": split(24), "test": split(20)}, chunk_rows=16
    )


def _config(tmp_path: Path, data: Path, **over) -> Path:
    config = {
        "task": "task4",
        "name": "task4_tiny",
        "models": ["basset"],
        "activations": ["exponential"],
        "data": {"path": str(data)},
        "train": {"epochs": 3, "batch_size": 8, "monitor": "val_auroc"},
        "distributed": {"processes": 2, "steps_per_epoch": 2, "chunk_rows": 16},
        "analysis": {"filters": False, "saliency_sequences": 2},  # tests/test_task4_analysis.py
    } | over
    path = tmp_path / "task4.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_global_batch_splits_over_ranks_and_keeps_the_rate():
    from toolkit.config import parse_config
    from toolkit.training.distributed import DistConfig

    dist = DistConfig.from_dict({"batch": "global", "scale_lr": False})
    assert dist.batch_per_rank(100, 2) == 50 and dist.batch_per_rank(100, 4) == 25
    with pytest.raises(InputError, match="does not split evenly over 3 ranks"):
        dist.batch_per_rank(100, 3)
    assert DistConfig.from_dict({}).batch_per_rank(100, 3) == 100
    with pytest.raises(InputError, match="distributed.batch"):
        DistConfig.from_dict({"batch": "global"})  # scale_lr would change the paper's rate
    base = {"task": "task4", "models": ["basset"], "activations": ["relu"]}
    base |= {"data": {"path": __file__}}  # an existing file: parse checks only that
    with pytest.raises(InputError, match="distributed.scale_lr"):
        parse_config(base | {"distributed": {"batch": "global"}})
    with pytest.raises(InputError, match="train.batch_size"):
        parse_config(
            base
            | {
                "train": {"batch_size": 100},
                "distributed": {"batch": "global", "scale_lr": False, "processes": 3},
            }
        )
    shipped = yaml.safe_load((REPO / "configs" / "task4.yaml").read_text())
    assert shipped["train"]["batch_size"] == 100 and shipped["distributed"]["batch"] == "global"
    assert shipped["distributed"]["scale_lr"] is False


def test_task4_config_and_local_cluster_refuses_two_processes(tmp_path, capsys):
    from toolkit.config import load_config

    data = _tiny_basset(tmp_path / "er.h5")
    config = load_config(_config(tmp_path, data))
    assert config.extra["distributed"]["processes"] == 2
    assert config.extra["distributed"]["scale_lr"] is True  # defaults filled in
    code = main(
        [
            "submit",
            str(_config(tmp_path, data)),
            "--cluster",
            "local",
            "--results",
            str(tmp_path / "r"),
        ]
    )
    assert code == 2 and "horovodrun -np 2" in capsys.readouterr().err
    bad = tmp_path / "bad.h5"
    shutil.copy(data, bad)
    import h5py

    with h5py.File(bad, "a") as f:
        del f["test_out"]
    code = main(["run", str(_config(tmp_path, bad)), "--results", str(tmp_path / "r2")])
    assert code == 2 and "test_out" in capsys.readouterr().err  # layout checked before compute


@needs_horovod
@pytest.mark.slow
def test_horovodrun_two_ranks_average_gradients_and_end_identical(tmp_path):
    env = os.environ | {"OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1"}
    horovodrun = Path(sys.executable).with_name("horovodrun")
    out = subprocess.run(
        [
            str(horovodrun),
            "-np",
            "2",
            "-H",
            "localhost:2",
            "--gloo",
            sys.executable,
            str(REPO / "tests" / "hvd_worker.py"),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["size"] for r in ranks] == [2, 2]
    for r in ranks:
        avg = r["averaging"]
        # 2 ranks x batch b == 1 process x batch 2b, and visibly not a step on b alone
        assert avg["max_diff_vs_2b"] < 1e-6, avg
        assert avg["max_diff_vs_own_batch"] > 100 * max(avg["max_diff_vs_2b"], 1e-7), avg
        assert avg["max_update"] > 1e-3
    a, b = (r["training"] for r in ranks)
    assert a["checksum"] == b["checksum"] and a["first_weight"] == b["first_weight"]
    for key in ("loss", "val_loss", "val_auroc", "val_aupr", "lr"):  # averaged / gathered
        assert a["history"][key] == b["history"][key], key
    assert len(a["history"]["loss"]) == 2
    assert a["history"]["lr"][-1] == pytest.approx(2e-3)  # 1e-3 x 2 ranks after warm-up
    assert (tmp_path / "checkpoint" / "state.json").exists()


@needs_horovod
@pytest.mark.slow
def test_expact_run_under_horovodrun_trains_on_every_rank(tmp_path):
    """One entry point: `expact run` finds itself launched by horovodrun and every rank trains
    (`python -m toolkit.distributed` is the same command under its old name)."""
    data = _tiny_basset(tmp_path / "er.h5")
    config = _config(
        tmp_path,
        data,
        train={"epochs": 2, "batch_size": 16, "monitor": "val_auroc"},
        # the paper's way: a global batch split over the ranks, the learning rate unscaled
        distributed={
            "processes": 2,
            "steps_per_epoch": 2,
            "chunk_rows": 16,
            "batch": "global",
            "scale_lr": False,
            "warmup_epochs": 0.0,
        },
    )
    results = tmp_path / "results"
    env = os.environ | {"OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1"}
    for module in ("toolkit", "toolkit.distributed"):
        out = subprocess.run(
            [
                str(Path(sys.executable).with_name("horovodrun")),
                "-np",
                "2",
                "-H",
                "localhost:2",
                "--gloo",
                sys.executable,
                "-m",
                module,
                *(["run"] if module == "toolkit" else []),
                str(config),
                "--results",
                str(results),
                *(["--no-progress"] if module == "toolkit" else []),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        if module == "toolkit":
            assert "1 run(s) done now, 0 already done, on 2 rank(s)" in out.stdout
        else:  # the alias finds the run done
            assert "0 run(s) done now, 1 already done, on 2 rank(s)" in out.stdout
    run = results / "runs" / "basset_exponential_0"
    record = json.loads((run / "record.json").read_text())
    dist = record["distributed"]
    assert dist["size"] == 2 and dist["launcher"] == "horovodrun" and dist["global_batch"] == 16
    assert dist["batch"] == "global" and dist["batch_per_rank"] == 8
    assert dist["learning_rate"] == pytest.approx(1e-3)
    assert len(set(dist["weight_checksums"])) == 1
    assert record["faults"] == {} and record["slurm"]["SLURM_JOB_ID"] is None
    assert (run / "run.rank1.log").exists()


@needs_horovod
@pytest.mark.slow
@pytest.mark.slurm
def test_slurm_job_with_two_ranks_killed_rank_fails_and_retry_resumes(
    slurm, tmp_path, capsys, monkeypatch
):
    data = _tiny_basset(tmp_path / "er.h5")
    config = _config(tmp_path, data)
    results = tmp_path / "results"
    run = results / "runs" / "basset_exponential_0"
    monkeypatch.setenv("EXPACT_TESTING", "1")  # fault hooks act only with it
    monkeypatch.setenv("EXPACT_FAULT_KILL_RANK", "1@1")  # rank 1 dies when epoch 2 starts
    code = main(
        [
            "submit",
            str(config),
            "--profile",
            "localhost_horovod",
            "--results",
            str(results),
            "--wait",
            "--timeout",
            "600",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1, out
    assert "1 failed" in out and "another rank died or left" in out
    error = json.loads((run / "error.json").read_text())
    assert "RankLostError" in error["error"] and "Last checkpoint: epoch 1" in error["error"]
    assert json.loads((run / "checkpoint" / "state.json").read_text())["epoch"] == 1
    (entry,) = json.loads((results / "slurm" / "submissions.json").read_text())
    script = (
        Path(entry["elements"][0]["log"]).parent / f"{entry['elements'][0]['job']}_submission.sh"
    )
    assert "--ntasks-per-node=2" in script.read_text()

    monkeypatch.delenv("EXPACT_FAULT_KILL_RANK")
    code = main(["retry", str(results), "--wait", "--timeout", "600"])
    out = capsys.readouterr().out
    assert code == 0, out
    record = json.loads((run / "record.json").read_text())
    assert record["resumed_from_epoch"] == 1 and record["epochs_run"] == 3
    dist = record["distributed"]
    assert dist["size"] == 2 and dist["launcher"] == "slurm" and dist["global_batch"] == 16
    assert len(set(dist["weight_checksums"])) == 1  # both ranks hold the same weights
    assert record["faults"] == {}  # the retry ran without the hook
    assert 0 <= record["metrics"]["auroc"] <= 1
    assert (run / "run.rank1.log").exists() and not (run / "checkpoint").exists()
