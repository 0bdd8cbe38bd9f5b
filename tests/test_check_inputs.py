"""`expact run CONFIG --check`: every malformed input fails in seconds, naming its file.

Each case writes a valid set of inputs (config, Task 1 HDF5, PFM, Tomtom target MEME,
ground-truth JSON, Slurm profile, container image) into its own tmp folder, breaks exactly
one of them, and runs the real command line in a subprocess there, as a user would.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

SPLITS = ("train", "valid", "test")
SECONDS = 20  # "seconds, not minutes": the check imports no TensorFlow and trains nothing

# Two motifs; MA0001.1 and MA0002.1 are the ground truth's IDs.
MEME = """MEME version 4

ALPHABET= ACGT

strands: + -

Background letter frequencies
A 0.25 C 0.25 G 0.25 T 0.25

MOTIF MA0001.1 ONE
letter-probability matrix: alength= 4 w= 3 nsites= 10 E= 0
0.7 0.1 0.1 0.1
0.1 0.7 0.1 0.1
0.1 0.1 0.7 0.1

MOTIF MA0002.1 TWO
letter-probability matrix: alength= 4 w= 2 nsites= 10 E= 0
0.1 0.1 0.1 0.7
0.25 0.25 0.25 0.25
"""

PFM = """>MA0001.1\tONE
A  [ 7 1 1 ]
C  [ 1 7 1 ]
G  [ 1 1 7 ]
T  [ 1 1 1 ]
>MA0002.1\tTWO
A  [ 1 2 ]
C  [ 1 2 ]
G  [ 1 2 ]
T  [ 7 2 ]
"""

GROUND_TRUTH = {"tfs": ["one", "two"], "ids": {"one": ["MA0001.1"], "two": ["MA0002.1", "X"]}}


def _onehot(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    x = np.zeros((n, 4, length), dtype=np.float32)
    x[np.arange(n)[:, None], rng.integers(4, size=(n, length)), np.arange(length)] = 1
    return x


def _write_h5(path: Path, labels: int = 12, models: bool = True, **change) -> Path:
    """A tiny data set in the generators' layout; ``change`` replaces or (None) drops keys."""
    rng = np.random.default_rng(0)
    arrays = {}
    for split, rows in zip(SPLITS, (6, 2, 3), strict=True):
        arrays[f"X_{split}"] = _onehot(rng, rows, 20)
        y = rng.integers(2, size=(rows, labels)).astype(np.float32)
        y[1] = 1 - y[0]  # both classes of every column in every split (labels that can be learned)
        arrays[f"Y_{split}"] = y
        if models:
            model = rng.random((rows, 4, 20))
            arrays[f"model_{split}"] = model / model.sum(axis=1, keepdims=True)
    arrays.update(change)
    with h5py.File(path, "w") as f:
        for key, value in arrays.items():
            if value is not None:
                f.create_dataset(key, data=value)
    return path


class Inputs:
    """A valid set of inputs in ``folder``; cases overwrite one file before the run."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.config = folder / "sweep.yaml"
        self.data = _write_h5(folder / "data.h5")
        self.pfm = folder / "motifs.pfm"
        self.pfm.write_text(PFM)
        self.target = folder / "target.meme"
        self.target.write_text(MEME)
        self.truth = folder / "truth.json"
        self.truth.write_text(json.dumps(GROUND_TRUTH))
        self.image = folder / "images" / "expact.sif"
        self.image.parent.mkdir()
        self.image.write_bytes(b"#!/usr/bin/env run-singularity\nSIF_MAGIC")
        self.profile = folder / "cluster.yaml"
        self.profile.write_text(yaml.safe_dump({"mem_gb": 2, "container": str(self.image)}))
        self.write_config()

    def values(self) -> dict:
        return {
            "task": "task1",
            "models": ["cnn-deep"],
            "activations": ["relu", "exp"],
            "trials": 2,
            "data": {"path": str(self.data), "generate": {"pfm": str(self.pfm)}},
            "tomtom": {"target": str(self.target)},
            "match": {"ground_truth": str(self.truth)},
        }

    def write_config(self, **sections) -> None:
        values = self.values()
        for key, value in sections.items():
            if isinstance(value, dict) and isinstance(values.get(key), dict):
                values[key] = values[key] | value
            else:
                values[key] = value
        self.config.write_text(yaml.safe_dump(values))


def _run(inputs: Inputs, command: str = "run", extra: tuple[str, ...] = ("--check",)):
    argv = [sys.executable, "-m", "toolkit", command, str(inputs.config)]
    argv += [*extra, "--profile", str(inputs.profile), "--results", "results"]
    start = time.monotonic()
    result = subprocess.run(argv, cwd=inputs.folder, capture_output=True, text=True, timeout=120)
    return result, time.monotonic() - start


def _replace(path_of: Callable[[Inputs], Path], old: str, new: str):
    def change(inputs: Inputs) -> Path:
        path = path_of(inputs)
        text = path.read_text()
        assert old in text, (old, path)
        path.write_text(text.replace(old, new, 1))
        return path

    return change


def _text(path_of: Callable[[Inputs], Path], text: str):
    def change(inputs: Inputs) -> Path:
        path_of(inputs).write_text(text)
        return path_of(inputs)

    return change


def _config(**sections):
    def change(inputs: Inputs) -> Path:
        inputs.write_config(**sections)
        return inputs.config

    return change


def _data(**keys):
    def change(inputs: Inputs) -> Path:
        labels = keys.pop("labels", 12)
        return _write_h5(inputs.data, labels=labels, **keys)

    return change


def _task5_class_index(inputs: Inputs) -> Path:
    # Tasks 5/6 have one label column: a saliency class beyond it is caught against the data
    _write_h5(inputs.data, labels=1, models=False)
    inputs.write_config(
        task="task5", models=["residualbind"], data={"generate": {}}, saliency={"class_index": 3}
    )
    return inputs.config


def _generator_tf_missing(inputs: Inputs) -> Path:
    # no data.path: the generator will look its TFs up in the PFM
    inputs.write_config(
        data={"path": None, "generate": {"pfm": "motifs.pfm", "core_names": ["NOPE"]}}
    )
    return inputs.pfm


def _not_two_columns(inputs: Inputs) -> Path:
    x = _onehot(np.random.default_rng(1), 3, 20)
    x[1, :, 4] = [0, 2, 0, 0]
    return _write_h5(inputs.data, X_test=x)


def _profile(**values):
    def change(inputs: Inputs) -> Path:
        raw = yaml.safe_load(inputs.profile.read_text()) | values
        inputs.profile.write_text(yaml.safe_dump(raw))
        return inputs.profile

    return change


def _image_missing(inputs: Inputs) -> Path:
    inputs.image.unlink()
    return inputs.image


def _image_is_folder(inputs: Inputs) -> Path:
    inputs.image.unlink()
    inputs.image.mkdir()
    return inputs.image


def _image_empty(inputs: Inputs) -> Path:
    inputs.image.write_bytes(b"")
    return inputs.image


_target = lambda i: i.target  # noqa: E731
_pfm = lambda i: i.pfm  # noqa: E731
_truth = lambda i: i.truth  # noqa: E731
_cfg = lambda i: i.config  # noqa: E731

# name -> (break one input and return the file that must be named, words the message has)
CASES: dict[str, tuple[Callable[[Inputs], Path], tuple[str, ...]]] = {
    # config file and its sections
    "config: not YAML": (_text(_cfg, "task: [task1\nmodels: x\n"), ("not valid YAML",)),
    "config: unknown key": (_config(filters={"treshold": 0.5}), ("filters.treshold",)),
    "config: unknown activation": (_config(activations=["swish"]), ("activations", "relu")),
    "config: threshold out of range": (_config(filters={"threshold": 1.5}), ("filters.threshold",)),
    "config: window zero": (_config(filters={"window": 0}), ("filters.window",)),
    "config: unknown kernel initializer": (
        _config(model={"kernel_initializer": "xavier"}),
        ("model.kernel_initializer", "he_normal"),
    ),
    "config: output initializer not a name": (
        _config(model={"output_initializer": 3}),
        ("model.output_initializer",),
    ),
    "config: tomtom thresh negative": (_config(tomtom={"thresh": -1}), ("tomtom.thresh",)),
    "config: lite with another distance": (
        _config(tomtom={"dist": "pearson"}),
        ("tomtom.dist", "lite"),
    ),
    "config: epochs a string": (_config(train={"epochs": "ten"}), ("train.epochs",)),
    "config: learning rate a string": (
        _config(train={"learning_rate": "fast"}),
        ("train.learning_rate",),
    ),
    "config: generator option typo": (
        _config(data={"generate": {"nseq": 10}}),
        ("data.generate.nseq", "n_seq"),
    ),
    "config: saliency plot index": (
        _config(
            task="task5",
            models=["residualbind"],
            data={"generate": {}},
            saliency={"n_sequences": 5, "plot_indices": [7]},
        ),
        ("saliency.plot_indices",),
    ),
    "config: class index beyond the data": (_task5_class_index, ("saliency.class_index",)),
    # data set
    "data: not HDF5": (_text(lambda i: i.data, "not an HDF5 file\n"), ("HDF5",)),
    "data: missing Y_test": (_data(Y_test=None), ("Y_test",)),
    "data: not one-hot": (_not_two_columns, ("X_test", "one-hot")),
    "data: 11 label columns": (_data(labels=11), ("label columns", "12")),
    # generator PFM
    "pfm: row missing": (_replace(_pfm, "T  [ 1 1 1 ]\n", ""), ("line", "row 'T")),
    "pfm: a generator TF missing": (_generator_tf_missing, ("core_names", "NOPE")),
    "pfm: not a number": (_replace(_pfm, "C  [ 1 7 1 ]", "C  [ 1 x 1 ]"), ("non-numeric",)),
    # Tomtom target MEME
    "meme: row of five values": (
        _replace(_target, "0.1 0.7 0.1 0.1\n", "0.1 0.7 0.1 0.1 0.0\n"),
        ("line 13", "5 columns"),
    ),
    "meme: no letter-probability matrix line": (
        _replace(_target, "letter-probability matrix: alength= 4 w= 2 nsites= 10 E= 0\n", ""),
        ("letter-probability matrix",),
    ),
    "meme: rows are counts": (
        _replace(_target, "0.7 0.1 0.1 0.1", "7 1 1 1"),
        ("line 12", "outside [0, 1]"),
    ),
    "meme: rows do not sum to 1": (
        _replace(_target, "0.7 0.1 0.1 0.1", "0.5 0.1 0.1 0.1"),
        ("line 12", "sums to 0.8"),
    ),
    "meme: w= more than the rows": (_replace(_target, "w= 3", "w= 4"), ("w= 4",)),
    "meme: w= fewer than the rows": (_replace(_target, "w= 3", "w= 2"), ("more rows",)),
    "meme: no motif": (_text(_target, "MEME version 4\n\nALPHABET= ACGT\n"), ("no MOTIF",)),
    "meme: not a MEME file": (_text(_target, "hello\n"), ("MEME version",)),
    "meme: protein alphabet": (
        _replace(_target, "ALPHABET= ACGT", "ALPHABET= ACDEFGHIKLMNPQRSTVWY"),
        ("alphabet",),
    ),
    # ground-truth JSON
    "ground truth: not JSON": (_text(_truth, '{"ids": {"one": ["MA0001.1"]\n'), ("JSON",)),
    "ground truth: IDs not in the target": (
        _text(_truth, json.dumps({"ids": {"one": ["MA0009.1"]}})),
        ("ids.one", "Tomtom target"),
    ),
    "ground truth: IDs not a list": (
        _text(_truth, json.dumps({"ids": {"one": "MA0001.1"}})),
        ("ids.one", "list"),
    ),
    # Slurm profile and container image
    "profile: unknown key": (_profile(memory=4), ("memory", "unknown profile key")),
    "profile: negative memory": (_profile(mem_gb=-1), ("mem_gb",)),
    "profile: not YAML": (_text(lambda i: i.profile, "mem_gb: [2\n"), ("not valid YAML",)),
    "container: image missing": (_image_missing, ("container", "not found")),
    "container: image is a folder": (_image_is_folder, ("container",)),
    "container: image empty": (_image_empty, ("empty",)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_input_fails_fast_naming_the_file(tmp_path, case):
    inputs = Inputs(tmp_path)
    breaks, words = CASES[case]
    named = breaks(inputs)
    result, seconds = _run(inputs)
    err = result.stderr
    assert result.returncode == 2, (result.stdout, err)
    assert "Traceback" not in err, err
    assert err.startswith("expact: error:"), err
    assert named.name in err, err
    for word in words:
        assert word in err, err
    assert not (tmp_path / "results").exists()  # no runs, no data, nothing at all
    assert seconds < SECONDS, f"{seconds:.1f} s"


def test_valid_inputs_pass_listing_each_file_and_writing_nothing(tmp_path):
    inputs = Inputs(tmp_path)
    result, seconds = _run(inputs)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "all inputs are valid" in out
    for path in (inputs.config, inputs.data, inputs.pfm, inputs.target, inputs.truth):
        assert str(path) in out, out
    assert str(inputs.profile) in out and str(inputs.image) in out
    assert "2 TFs, 3 JASPAR IDs (2 in the Tomtom target)" in out
    assert "11 sequences checked, length 20, 12 label column(s)" in out
    assert not (tmp_path / "results").exists()
    assert seconds < SECONDS


def test_check_imports_no_tensorflow_for_any_task(tmp_path):
    from reference_data import write_basset_layout

    inputs = Inputs(tmp_path)
    configs = [inputs.config]
    rng = np.random.default_rng(2)
    layouts = {"task2": (12, False), "task3": (1, True), "task5": (1, False), "task6": (1, False)}
    for task, (labels, models) in layouts.items():
        data = _write_h5(tmp_path / f"{task}.h5", labels=labels, models=models)
        configs.append(tmp_path / f"{task}.yaml")
        model = {"task2": "cnn-deep", "task3": "cnn-dist"}.get(task, "residualbind")
        configs[-1].write_text(
            yaml.safe_dump(
                {
                    "task": task,
                    "models": [model],
                    "activations": ["exp"],
                    "data": {"path": str(data)},
                }
            )
        )
    x = np.eye(4, dtype=np.uint8)[rng.integers(0, 4, (8, 600))].transpose(0, 2, 1)
    y = (rng.random((8, 164)) < 0.2).astype(np.uint8)
    basset = write_basset_layout(tmp_path / "er.h5", {s: (x, y) for s in SPLITS})
    configs.append(tmp_path / "task4.yaml")
    configs[-1].write_text(
        yaml.safe_dump(
            {
                "task": "task4",
                "models": ["basset"],
                "activations": ["exp"],
                "data": {"path": str(basset)},
            }
        )
    )
    code = (
        "import sys\n"
        "from toolkit.cli import main\n"
        f"for config in {[str(c) for c in configs]!r}:\n"
        "    code = main(['run', config, '--check', '--results', 'results'])\n"
        "    assert code == 0, (config, code)\n"
        "print('tensorflow' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("all inputs are valid") == 6
    assert result.stdout.strip().splitlines()[-1] == "False"
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(
    ("command", "extra"), [("run", ()), ("submit", ("--dry-run",)), ("submit", ())]
)
def test_run_and_submit_check_before_anything_else(tmp_path, command, extra):
    inputs = Inputs(tmp_path)
    _replace(_target, "0.1 0.7 0.1 0.1\n", "0.1 0.7 0.1 0.1 0.0\n")(inputs)
    # a run without --check would generate and train; a submission would reach Slurm
    result, seconds = _run(inputs, command, extra)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "target.meme" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "results").exists()
    assert seconds < SECONDS
