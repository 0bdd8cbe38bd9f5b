"""Array-job plumbing that needs no Slurm: profiles, packing, chunking, names, dry runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from toolkit.cli import main
from toolkit.cluster.profile import Profile, check_against_cluster, load_profile
from toolkit.cluster.slurm import _expand
from toolkit.cluster.submit import chunk, dry_run_script, job_name, pack
from toolkit.errors import InputError

REPO = Path(__file__).resolve().parents[1]


def test_shipped_profiles_are_valid():
    for path in sorted((REPO / "slurm" / "profiles").glob("*.yaml")):
        assert isinstance(load_profile(path), Profile)
    assert load_profile("localhost").runs_per_element == 2


@pytest.mark.parametrize(
    ("values", "key", "message"),
    [
        ({"partiton": "debug"}, "partiton", "unknown profile key"),
        ({"cpus_per_task": 0}, "cpus_per_task", "integer >= 1"),
        ({"mem_gb": "lots"}, "mem_gb", "positive number"),
        ({"runs_per_element": 1.5}, "runs_per_element", "integer >= 1"),
        ({"partition": "debug; rm -rf /"}, "partition", "not a valid Slurm name"),
        ({"srun_args": "--mpi=pmix"}, "srun_args", "list of strings"),
        ({"concurrent_runs": 0}, "concurrent_runs", "integer >= 1"),
        ({"runs_per_element": 2, "concurrent_runs": 3}, "concurrent_runs", "runs_per_element"),
        (
            {"runs_per_element": 4, "cpus_per_task": 2, "concurrent_runs": 4},
            "concurrent_runs",
            "one CPU each",
        ),
    ],
)
def test_bad_profiles_name_file_key_and_expectation(tmp_path, values, key, message):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(values))
    with pytest.raises(InputError) as info:
        load_profile(path)
    assert str(path) in str(info.value) and key in str(info.value) and message in str(info.value)


def test_unknown_profile_name_lists_the_known_ones():
    with pytest.raises(InputError, match="localhost"):
        load_profile("no-such-profile")


def test_requests_checked_against_cluster_limits():
    limits = {
        "partitions": ["debug", "urgent"],
        "default_partition": "debug",
        "max_cpus": 2,
        "max_mem_mb": 21694,
        "gres": "(null)",
    }
    check_against_cluster(Profile(partition="debug", cpus_per_task=2, mem_gb=8), limits)
    with pytest.raises(InputError, match="cpus_per_task.*at most 2"):
        check_against_cluster(Profile(cpus_per_task=4), limits)
    with pytest.raises(InputError, match="mem_gb"):
        check_against_cluster(Profile(mem_gb=64), limits)
    with pytest.raises(InputError, match="gpus_per_node.*no GPUs"):
        check_against_cluster(Profile(gpus_per_node=1), limits)


def test_pack_and_chunk():
    assert [len(g) for g in pack(list(range(7)), 3)] == [3, 3, 1]
    assert [list(r) for r in chunk(7, 3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert chunk(0, 3) == []


def test_job_names_are_shell_and_sbatch_safe():
    assert job_name('x $(rm -rf ~) "y" `z`') == "expact-x_rm_-rf_y_z"
    assert job_name("") == "expact-sweep"


def test_array_ranges_from_sacct_are_expanded():
    assert _expand("12_[0-2,5%2]") == ["12_0", "12_1", "12_2", "12_5"]
    assert _expand("12_3") == ["12_3"]


def test_dry_run_shows_the_script_and_writes_nothing(tmp_path, reference_data, capsys):
    config = tmp_path / "c.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "task": "task1",
                "name": "dry $(x)",
                "models": ["cnn-deep"],
                "activations": ["relu", "exponential"],
                "trials": 3,
                "tomtom": {"target": str(reference_data / "JASPAR_CORE_2016_vertebrates.meme")},
            }
        )
    )
    results = tmp_path / "results"
    assert (
        main(
            [
                "submit",
                str(config),
                "--profile",
                "localhost",
                "--results",
                str(results),
                "--dry-run",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "6 runs, 0 done, 6 to submit in 3 element(s) of up to 2 run(s)" in out
    assert "#SBATCH --array=0-2%2" in out and "#SBATCH --partition=debug" in out
    assert "#SBATCH --job-name=expact-dry_x" in out
    assert "cnn-deep_exponential_2" in out
    assert not results.exists()
    script = dry_run_script(Profile(), "s", tmp_path, 1)
    assert "--array" not in script
