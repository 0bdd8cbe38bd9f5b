"""Labels that can be learned (toolkit.data.labels): both classes of every 0/1 column in
every split, else an error before any compute; a warning on extreme imbalance; per-column
counts in ``expact run --check``, on the FASTA + table and the HDF5 routes."""

from __future__ import annotations

import logging
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from toolkit.cli import main
from toolkit.data.labels import MIN_CLASS_FRACTION, check_labels
from toolkit.data.sequences import sequences
from toolkit.errors import InputError


def _y(*columns: list[int]) -> np.ndarray:
    return np.asarray(columns, np.float32).T


def _splits(train, valid, test) -> dict[str, np.ndarray]:
    return {"train": _y(*train), "valid": _y(*valid), "test": _y(*test)}


# ----------------------------------------------------------------------------- the function


def test_learnable_labels_are_counted_per_split_and_column():
    labels = _splits([[1, 0, 1, 0], [1, 1, 0, 0]], [[1, 0], [0, 1]], [[0, 1, 1], [1, 0, 0]])
    counts = check_labels(labels, "set.h5", ["IRF1", "CTCF"])
    assert counts.warnings == []
    assert counts.lines() == [
        "labels set.h5 (positives+/negatives- per split):",
        "  IRF1: train 2+/2-, valid 1+/1-, test 2+/1-",
        "  CTCF: train 2+/2-, valid 1+/1-, test 1+/2-",
    ]
    # 1-D labels are one column; names that do not fit the columns are replaced
    assert check_labels({"train": np.array([0, 1])}, "x", ["a", "b"]).names == ["column 0"]


def test_all_positive_labels_are_an_error_naming_file_column_split_counts_and_fix():
    labels = _splits([[1, 1, 1]], [[1]], [[1, 1]])
    with pytest.raises(InputError) as info:
        check_labels(labels, "peaks.tsv", ["bound"])
    error = info.value
    assert error.source == "peaks.tsv" and error.field == "column 'bound', train split"
    assert "no negative (3 positive(s), 0 negative(s))" in error.problem
    assert "train 3+/0-, valid 1+/0-, test 2+/0-" in error.problem
    assert "add negatives" in error.problem and "background:" in error.problem


@pytest.mark.parametrize(
    ("labels", "field", "words"),
    [
        (([[1, 0, 1]], [[0, 0]], [[1, 0]]), "column 'c', valid split", "no positive"),
        (([[1, 0, 1]], [[0, 1]], [[1, 1]]), "column 'c', test split", "no negative"),
        (([[0, 0, 0]], [[0, 0]], [[0, 1]]), "column 'c', train split", "no positive"),
    ],
    ids=["valid without positives", "test without negatives", "train without positives"],
)
def test_a_split_without_one_class_is_an_error(labels, field, words):
    with pytest.raises(InputError) as info:
        check_labels(_splits(*labels), "set.h5", ["c"])
    assert info.value.field == field and words in info.value.problem
    # both classes exist in the column: the fix is more of the class or another split
    assert "split otherwise" in info.value.problem


def test_every_failing_column_is_listed_and_only_binary_columns_are_checked():
    train = [[1, 1, 1], [0, 1, 0], [0.5, 2.0, -1.0]]  # the third column: a regression target
    labels = _splits(train, [[1, 0], [0, 0], [3.0, 1.0]], [[1, 0], [1, 1], [0.2, 0.1]])
    with pytest.raises(InputError) as info:
        check_labels(labels, "set.h5", ["a", "b", "signal"])
    assert info.value.field == "column 'a', train split"
    assert "'b' in valid" in info.value.problem and "'b' in test" in info.value.problem
    assert "signal" not in info.value.problem
    counts = check_labels({"train": np.array([[0.5], [2.0]])}, "reg.h5", ["signal"])
    assert counts.lines()[1] == "  signal: not 0/1 (class checks skipped)"


def test_lenient_mode_warns_for_a_rare_column_in_valid_or_test_of_a_multilabel_set(caplog):
    labels = _splits([[1, 0, 1], [1, 0, 1]], [[1, 0], [0, 0]], [[1, 0], [1, 0]])
    with pytest.raises(InputError):
        check_labels(labels, "set.h5")  # strict: users' data
    with caplog.at_level(logging.WARNING, logger="toolkit.data.labels"):
        counts = check_labels(labels, "set.h5", strict=False)  # the paper's generated sets
    assert "column 'column 1' has no positive in the valid split" in caplog.text
    assert counts.warnings and "left out of the mean" in counts.warnings[0]
    single = _splits([[1, 0, 1]], [[0, 0]], [[1, 0]])  # one column: its AUROC would be nan
    with pytest.raises(InputError, match="valid split"):
        check_labels(single, "set.h5", strict=False)
    untrainable = _splits([[1, 1, 1], [1, 0, 1]], [[1, 0], [1, 0]], [[1, 0], [1, 0]])
    with pytest.raises(InputError, match="train split"):
        check_labels(untrainable, "set.h5", strict=False)


def test_extreme_imbalance_is_a_warning_with_the_counts(caplog):
    assert MIN_CLASS_FRACTION == 0.01
    y = np.zeros((1000, 1), np.float32)
    y[[0, 700, 900]] = 1  # 3 positives in 1000: 0.3 %
    labels = {"train": y[:700], "valid": y[700:800], "test": y[800:]}
    with caplog.at_level(logging.WARNING, logger="toolkit.data.labels"):
        counts = check_labels(labels, "rare.h5", ["rare"])
    assert len(counts.warnings) == 1 and counts.warnings[0] in caplog.text
    assert "3 positives of 1000 sequences (0.30%, under 1%" in counts.warnings[0]
    assert "train 1+/699-, valid 1+/99-, test 1+/199-" in counts.warnings[0]
    y[:20] = 1  # 2.2 %: no warning
    assert (
        check_labels({"train": y[:700], "valid": y[700:800], "test": y[800:]}, "x").warnings == []
    )


def test_check_lists_the_most_imbalanced_columns_of_a_wide_set():
    rng = np.random.default_rng(0)
    y = (rng.random((400, 30)) < np.linspace(0.05, 0.5, 30)).astype(np.float32)
    y[:2] = [[1] * 30, [0] * 30]  # both classes everywhere
    y[100:102], y[200:202] = y[:2], y[:2]
    lines = check_labels({"train": y[:100], "valid": y[100:200], "test": y[200:]}, "w.h5").lines()
    assert len(lines) == 1 + 24 + 1 and lines[1].startswith("  column 0:")
    assert lines[-1] == "  ... 6 more column(s), all less imbalanced"


# ------------------------------------------------------------------- the routes, end to end


def _fasta_table(folder: Path, labels: list[list[int]], names: list[str]) -> tuple[Path, Path]:
    rng = np.random.default_rng(1)
    fasta, table = [], ["\t".join(["id", *names])]
    for i, row in enumerate(labels):
        fasta += [f">s{i}", "".join(rng.choice(list("ACGT"), 30))]
        table.append("\t".join([f"s{i}", *map(str, row)]))
    (folder / "mine.fa").write_text("\n".join(fasta) + "\n")
    (folder / "mine.tsv").write_text("\n".join(table) + "\n")
    return folder / "mine.fa", folder / "mine.tsv"


def _config(folder: Path, data: dict) -> Path:
    path = folder / "mine.yaml"
    config = {"task": "sequences", "name": "mine", "models": ["cnn-local"], "data": data}
    path.write_text(yaml.safe_dump(config | {"activations": ["relu"], "train": {"epochs": 1}}))
    return path


@pytest.mark.parametrize(
    "argv",
    [["run", "--check"], ["run"], ["submit", "--dry-run"], ["submit", "--cluster", "debug"]],
    ids=["run --check", "run", "submit --dry-run", "submit"],
)
def test_only_positive_sequences_stop_every_command_before_compute(tmp_path, capsys, argv):
    """The user's case: all labels 1 used to train to the end and report test AUROC nan."""
    fa, tsv = _fasta_table(tmp_path, [[1]] * 40, ["bound"])
    config = _config(tmp_path, {"generate": {"fasta": str(fa), "labels": str(tsv)}})
    results = tmp_path / "results"
    command = [argv[0], str(config), *argv[1:], "--results", str(results)]
    assert main(command) == 2
    err = capsys.readouterr().err
    assert f"{tsv}: column 'bound', train split: no negative (28 positive(s)" in err, err
    assert "add negatives" in err and "background:" in err and "Traceback" not in err
    assert not results.exists()  # no data set, no run folder, nothing submitted


def test_check_prints_per_column_counts_of_the_split_the_import_makes(tmp_path, capsys):
    rng = np.random.default_rng(2)
    rows = [[int(i % 2), int(i % 3 == 0), int(rng.random() < 0.5)] for i in range(60)]
    fa, tsv = _fasta_table(tmp_path, rows, ["IRF1", "CTCF", "open"])
    split = {"valid": 0.2, "test": 0.2, "seed": 5}
    generate = {"fasta": str(fa), "labels": str(tsv), "split": split}
    assert main(["run", str(_config(tmp_path, {"generate": generate})), "--check"]) == 0
    out = capsys.readouterr().out
    # the import's own split: the counts --check prints are those of the file it writes
    made = sequences(tmp_path / "made.h5", fa, tsv, split=split)
    with h5py.File(made) as f:
        for k, name in enumerate(("IRF1", "CTCF", "open")):
            parts = []
            for s in ("train", "valid", "test"):
                y = f[f"Y_{s}"][:, k]
                parts.append(f"{s} {int(y.sum())}+/{int(len(y) - y.sum())}-")
            assert f"    {name}: {', '.join(parts)}\n" in out, out


def test_hdf5_route_names_the_file_column_and_split(tmp_path, capsys, caplog):
    rng = np.random.default_rng(3)
    with h5py.File(tmp_path / "mine.h5", "w") as f:
        for split, n in (("train", 300), ("valid", 40), ("test", 40)):
            f[f"X_{split}"] = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (n, 20))].transpose(
                0, 2, 1
            )
            y = np.zeros((n, 2), np.float32)
            y[: n // 2, 0] = 1
            y[:2, 1] = 1 if split == "train" else 0  # no positive of 'rare' in valid or test
            f[f"Y_{split}"] = y
        f.attrs["label_names"] = np.asarray(["bound", "rare"], "S")
    config = _config(tmp_path, {"path": str(tmp_path / "mine.h5")})
    assert main(["run", str(config), "--check", "--results", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "mine.h5: column 'rare', valid split: no positive (0 positive(s), 40 negative(s))" in err
    assert "'rare' in test" not in err  # the same column is named once


def test_check_warns_on_stderr_about_an_extremely_imbalanced_column(tmp_path, capsys):
    # 'rare': 3 positives of 400, one in each split of the import (seed 0: test, valid, train)
    order = np.random.RandomState(0).permutation(400)
    ids = {int(order[0]), int(order[100]), int(order[200])}
    rows = [[int(i % 2), int(i in ids)] for i in range(400)]
    fa, tsv = _fasta_table(tmp_path, rows, ["bound", "rare"])
    generate = {"fasta": str(fa), "labels": str(tsv), "split": {"valid": 0.25, "test": 0.25}}
    assert main(["run", str(_config(tmp_path, {"generate": generate})), "--check"]) == 0
    captured = capsys.readouterr()
    assert "WARNING" in captured.err and "column 'rare' is extremely imbalanced" in captured.err
    assert "3 positives of 400 sequences (0.75%, under 1%" in captured.err
    assert "    rare: train 1+/199-, valid 1+/99-, test 1+/99-" in captured.out


def test_splits_with_different_columns_are_an_error():
    with pytest.raises(InputError, match="splits differ in their label columns"):
        check_labels({"train": np.zeros((4, 2)), "valid": np.zeros((4, 3))}, "x.h5")
