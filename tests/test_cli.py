"""The command line: `expact data task1`, `python -m toolkit`, errors as one line and exit 2."""

from __future__ import annotations

import subprocess
import sys

import h5py

from toolkit.cli import main


def test_data_task1_writes_the_papers_layout(tmp_path, reference_data, capsys):
    out = tmp_path / "t1.h5"
    assert (
        main(
            [
                "data",
                "task1",
                "--out",
                str(out),
                "--n-seq",
                "100",
                "--pfm",
                str(reference_data / "pfm_vertebrates.txt"),
            ]
        )
        == 0
    )
    assert f"wrote {out}" in capsys.readouterr().out
    with h5py.File(out) as f:
        assert f["X_train"].shape == (70, 4, 200) and f["Y_test"].shape == (20, 12)


def test_data_task1_bad_motif_is_one_line_error_and_writes_nothing(
    tmp_path, reference_data, capsys
):
    out = tmp_path / "t1.h5"
    code = main(
        [
            "data",
            "task1",
            "--out",
            str(out),
            "--n-seq",
            "100",
            "--motifs",
            "SP1,NOPE",
            "--pfm",
            str(reference_data / "pfm_vertebrates.txt"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("expact: error:") and "NOPE" in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_data_task3_motifs_picks_the_core_tfs(tmp_path, reference_data):
    """--motifs SRF,STAT1 writes the original's two-TF variant of the Task 3 data."""
    pfm = str(reference_data / "pfm_vertebrates.txt")
    out = tmp_path / "t3.h5"
    args = ["data", "task3", "--out", str(out), "--n-seq", "100", "--pfm", pfm]
    assert main([*args, "--motifs", "SRF,STAT1"]) == 0
    with h5py.File(out) as f:
        assert [str(n, "utf-8") if isinstance(n, bytes) else n for n in f.attrs["core_names"]] == [
            "SRF",
            "STAT1",
        ]
        assert list(f.attrs["core_ids"]) == ["MA0083.3", "MA0137.3"]


def test_python_dash_m_toolkit_is_expact():
    result = subprocess.run(
        [sys.executable, "-m", "toolkit", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("data", "run", "submit", "retry", "status", "summarize"):
        assert command in result.stdout
