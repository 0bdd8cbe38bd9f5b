"""Task 2 builder (spec §1.3) on tiny files in exactly the DeepSEA bundle's layouts.

train.mat is MATLAB v7.3 (HDF5 with MATLAB's 512-byte header, arrays stored transposed:
``trainxdata`` (L, 4, N), ``traindata`` (919, N)); valid.mat and test.mat are MATLAB v5
(``scipy.io.savemat``: ``{split}xdata`` (N, 4, L), ``{split}data`` (N, 919)).
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.io

from toolkit.cli import main
from toolkit.data import load
from toolkit.data.task2 import CORE_INDEX, task2
from toolkit.errors import InputError

L = 1000


def _split(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """DeepSEA-order (A, G, C, T) one-hot X (n, 4, L) uint8 and labels (n, 919) uint8."""
    x = np.eye(4, dtype=np.uint8)[rng.integers(0, 4, (n, L))].transpose(0, 2, 1)
    y = (rng.random((n, 919)) < 0.002).astype(np.uint8)
    y[::3, list(CORE_INDEX)] = 0  # every third row: negative for all 12 kept columns
    # guarantee positives and negatives of every kept column in every split (labels that
    # can be learned): rows 1, 7, ... positive for the first 6 columns, rows 4, 10, ... for
    # the last 6 (and negative for the others)
    y[1::3, list(CORE_INDEX)] = 0
    y[1::6, list(CORE_INDEX[:6])] = 1
    y[4::6, list(CORE_INDEX[6:])] = 1
    return np.ascontiguousarray(x), y


def _bundle(folder: Path, seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    splits = {"train": _split(rng, 37), "valid": _split(rng, 11), "test": _split(rng, 14)}
    x, y = splits["train"]
    with h5py.File(folder / "train.mat", "w", userblock_size=512) as f:  # MATLAB v7.3
        f.create_dataset("trainxdata", data=x.transpose(2, 1, 0), chunks=(L, 4, 8))
        f.create_dataset("traindata", data=y.T)
    with open(folder / "train.mat", "r+b") as f:
        f.write(b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: test HDF5 schema 1.00 .")
    for split in ("valid", "test"):
        x, y = splits[split]
        scipy.io.savemat(
            folder / f"{split}.mat", {f"{split}xdata": x, f"{split}data": y}, format="5"
        )
    return splits


def test_builder_keeps_the_12_columns_positive_rows_acgt_int8(tmp_path):
    splits = _bundle(tmp_path / "deepsea_train")
    out = task2(tmp_path, tmp_path / "out" / "invivo.h5", block=5)  # finds deepsea_train/
    with h5py.File(out) as f:
        for split, (x, y) in splits.items():
            kept = y[:, list(CORE_INDEX)]
            rows = kept.any(axis=1)
            assert rows.sum() < len(y)  # some rows really are dropped
            X, Y = f[f"X_{split}"], f[f"Y_{split}"]
            assert X.dtype == np.int8 and Y.dtype == np.int8
            assert X.shape == (rows.sum(), 4, L, 1) and Y.shape == (rows.sum(), 12)
            assert X.compression == "gzip" and Y.compression == "gzip"
            np.testing.assert_array_equal(Y[()], kept[rows])
            np.testing.assert_array_equal(X[..., 0], x[rows][:, [0, 2, 1, 3], :])
        assert list(f.attrs["core_index"]) == list(CORE_INDEX)
    data = load(out, task=2)  # the validating loader accepts it as a Task 2 set
    assert data.x_train.shape[1:] == (L, 4) and data.y_test.shape[1] == 12
    assert not list((tmp_path / "out").glob(".*tmp"))  # the temporary file was renamed


def test_cli_and_errors(tmp_path, capsys):
    _bundle(tmp_path / "bundle", seed=1)
    out = tmp_path / "invivo.h5"
    assert main(["data", "task2", "--deepsea", str(tmp_path / "bundle"), "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    (tmp_path / "bundle" / "test.mat").unlink()
    with pytest.raises(InputError, match="test.mat"):
        task2(tmp_path / "bundle", tmp_path / "other.h5")
    assert main(["data", "task2", "--deepsea", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert "train.mat" in capsys.readouterr().err
    assert not (tmp_path / "other.h5").exists()


@pytest.mark.slow
def test_task2_sweep_runs_on_the_built_set(tmp_path, reference_data):
    """The built set trains through Task 1's step at input 1000: 64 first-layer filters."""
    import json

    import yaml

    _bundle(tmp_path / "bundle", seed=2)
    data = task2(tmp_path / "bundle", tmp_path / "invivo.h5")
    config = tmp_path / "task2.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "task": "task2",
                "name": "task2_tiny",
                "models": ["cnn-deep"],
                "activations": ["exponential"],
                "data": {"path": str(data)},
                "train": {"epochs": 1, "batch_size": 8},
                "filters": {"logos": False},
                "tomtom": {"target": str(reference_data / "JASPAR_CORE_2016_vertebrates.meme")},
            }
        )
    )
    results = tmp_path / "results"
    assert main(["run", str(config), "--results", str(results), "--no-progress"]) == 0
    record = json.loads((results / "runs" / "cnn-deep_exponential_0" / "record.json").read_text())
    assert record["spec"]["task"] == "task2" and len(record["match"]["best_qvalue"]) == 64
    assert (results / "summary" / "task2_filter_results.tsv").exists()
