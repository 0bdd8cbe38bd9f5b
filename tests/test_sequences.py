"""Your own data (task: sequences): FASTA + labels or HDF5 through the same sweep, filters,
Tomtom, attribution and report; every bad input a clear error before compute."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from toolkit.cli import main
from toolkit.data.fasta import read_fasta, read_labels
from toolkit.data.sequences import encode, split_rows
from toolkit.errors import InputError

REPO = Path(__file__).resolve().parents[1]


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _config(tmp_path: Path, data: dict, **over) -> Path:
    config = {
        "task": "sequences",
        "name": "mine",
        "models": ["cnn-local"],
        "activations": ["relu", "exponential"],
        "data": data,
        "train": {"epochs": 1},
        "filters": {"logos": False},
        "attribution": {
            "methods": ["saliency", "mutagenesis"],
            "n_sequences": 5,
            "logo_sequences": 1,
        },
    } | over
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _fasta_pair(tmp_path: Path, n: int = 300, length: int = 200) -> tuple[Path, Path]:
    """Random sequences (some soft-masked, every 11th with an N) with one label column."""
    rng = np.random.default_rng(0)
    letters = np.array(list("ACGT"))
    fasta, table = [], ["id\tbound"]
    for i in range(n):
        seq = "".join(letters[rng.integers(0, 4, length)])
        if i % 7 == 0:
            seq = seq[:50].lower() + seq[50:]  # soft-masked
        if i % 11 == 0:
            seq = seq[:100] + "N" + seq[101:]
        name = f"chr{1 + i % 4}:{1000 * i}-{1000 * i + length}"
        fasta += [f">{name} peak {i}", seq[:120], seq[120:]]  # wrapped lines
        table.append(f"{name}\t{int(i % 2)}")
    return (
        _write(tmp_path / "mine.fa", "\n".join(fasta) + "\n"),
        _write(tmp_path / "mine.tsv", "\n".join(table) + "\n"),
    )


# ----------------------------------------------------------------------------- bad input


def _bad_cases(tmp: Path) -> dict[str, tuple[dict, str, str]]:
    """name -> (data.generate, file that must be named, words in the message)."""
    good_fa = _write(tmp / "good.fa", ">a\nACGT\n>b\nacgn\n")
    good_tsv = _write(tmp / "good.tsv", "id\ty\na\t1\nb\t0\n")
    cases = {
        "character outside ACGTN": (
            _write(tmp / "x.fa", ">a\nACGT\n>b\nACXT\n"),
            good_tsv,
            "x.fa",
            "line 4",
        ),
        "duplicate id": (
            _write(tmp / "d.fa", ">a\nACGT\n>a\nACGT\n"),
            good_tsv,
            "d.fa",
            "duplicate id",
        ),
        "id without labels": (
            _write(tmp / "extra.fa", ">a\nACGT\n>b\nACGT\n>c\nACGT\n"),
            good_tsv,
            "extra.fa",
            "'c' has no labels",
        ),
        "labels without a sequence": (
            good_fa,
            _write(tmp / "more.tsv", "id\ty\na\t1\nb\t0\nz\t1\n"),
            "more.tsv",
            "'z' has labels but no sequence",
        ),
        "non-binary label": (
            good_fa,
            _write(tmp / "two.tsv", "id\ty\na\t2\nb\t0\n"),
            "two.tsv",
            "expected 0 or 1",
        ),
        "empty FASTA": (_write(tmp / "empty.fa", ""), good_tsv, "empty.fa", "no FASTA record"),
        "line before the first header": (
            _write(tmp / "nohead.fa", "ACGT\n>a\nACGT\n"),
            good_tsv,
            "nohead.fa",
            "line 1",
        ),
        "label table without an id column": (
            good_fa,
            _write(tmp / "single.tsv", "y\n1\n0\n"),
            "single.tsv",
            "id column",
        ),
        "sequences of several lengths": (
            _write(tmp / "lens.fa", ">a\nACGT\n>b\nACG\n"),
            good_tsv,
            "lens.fa",
            "set data.generate.length",
        ),
        "empty label table": (
            good_fa,
            _write(tmp / "none.tsv", ""),
            "none.tsv",
            "empty label table",
        ),
    }
    return {
        name: ({"fasta": str(fa), "labels": str(tsv)}, named, words)
        for name, (fa, tsv, named, words) in cases.items()
    }


@pytest.mark.parametrize(
    "case",
    [
        "character outside ACGTN",
        "duplicate id",
        "id without labels",
        "labels without a sequence",
        "non-binary label",
        "empty FASTA",
        "line before the first header",
        "label table without an id column",
        "sequences of several lengths",
        "empty label table",
    ],
)
def test_bad_fasta_and_labels_fail_before_compute(tmp_path, capsys, case):
    generate, named, words = _bad_cases(tmp_path)[case]
    config = _config(tmp_path, {"generate": generate})
    results = tmp_path / "results"
    assert main(["run", str(config), "--results", str(results)]) == 2
    err = capsys.readouterr().err
    assert named in err and words in err, err
    assert "Traceback" not in err
    assert not (results / "runs").exists() and not (results / "data").exists()


def test_a_label_table_without_the_named_id_column(tmp_path, capsys):
    fa, tsv = _fasta_pair(tmp_path, n=20)
    config = _config(
        tmp_path, {"generate": {"fasta": str(fa), "labels": str(tsv), "id_column": "peak"}}
    )
    assert main(["run", str(config), "--check", "--results", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "mine.tsv" in err and "no column 'peak'" in err


# ------------------------------------------------------------------------------ reading


def test_fasta_reading_lowercase_wrapped_and_n(tmp_path):
    fa, tsv = _fasta_pair(tmp_path, n=30)
    seqs = read_fasta(fa)
    assert len(seqs) == 30 and all(len(s) == 200 and s == s.upper() for s in seqs.values())
    ids, names, y = read_labels(tsv)
    assert names == ["bound"] and y.shape == (30, 1) and list(seqs) == ids
    x, labels, ids2, _ = encode(fa, tsv)
    assert x.shape == (30, 200, 4) and ids2 == ids
    np.testing.assert_array_equal(x[0, 100], [0.25] * 4)  # N in sequence 0
    assert x[7, :50].sum(axis=1).tolist() == [1.0] * 50  # soft-masked bases are bases


def test_resizing_to_a_length(tmp_path):
    fa = _write(tmp_path / "r.fa", ">long\nAAACCCGGG\n>short\nTT\n")
    tsv = _write(tmp_path / "r.tsv", "id\ty\nlong\t1\nshort\t0\n")
    x, _, _, _ = encode(fa, tsv, length=5, resize="crop_or_pad")
    assert ["".join("ACGTN"[int(np.argmax(p)) if p.max() == 1 else 4] for p in s) for s in x] == [
        "ACCCG",  # centred crop of 9 to 5
        "NTTNN",  # centred N-pad of 2 to 5
    ]
    with pytest.raises(InputError, match="'short' has 2 nt, expected 5"):
        encode(fa, tsv, length=5, resize="center_crop")
    with pytest.raises(InputError, match="'long' has 9 nt"):
        encode(fa, tsv, length=5, resize="pad")


def test_splits_by_fraction_and_by_chromosome():
    ids = [f"chr{1 + i % 4}:{i}-{i + 10}" for i in range(100)]
    rows = split_rows(ids, {"valid": 0.1, "test": 0.2, "seed": 3}, "f")
    assert [len(rows[s]) for s in ("train", "valid", "test")] == [70, 10, 20]
    assert sorted(np.concatenate(list(rows.values())).tolist()) == list(range(100))
    again = split_rows(ids, {"valid": 0.1, "test": 0.2, "seed": 3}, "f")
    assert all(np.array_equal(rows[s], again[s]) for s in rows)
    by_chrom = split_rows(ids, {"valid_chromosomes": ["chr2"], "test_chromosomes": ["chr3"]}, "f")
    assert all(ids[i].startswith("chr3:") for i in by_chrom["test"]) and len(by_chrom["test"]) == 25
    assert all(ids[i].split(":")[0] in ("chr1", "chr4") for i in by_chrom["train"])
    with pytest.raises(InputError, match="not chr:start-end"):
        split_rows(["peak1"], {"test_chromosomes": ["chr1"]}, "f")


# -------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_fasta_route_end_to_end_with_report(tmp_path):
    fa, tsv = _fasta_pair(tmp_path)
    config = _config(
        tmp_path,
        {"generate": {"fasta": str(fa), "labels": str(tsv), "split": {"valid": 0.1, "test": 0.3}}},
        tomtom={"target": str(REPO / "tests" / "fixtures" / "tomtom" / "queries.meme")},
    )
    results = tmp_path / "results"
    assert main(["run", str(config), "--results", str(results), "--no-progress"]) == 0
    with h5py.File(results / "data" / "sequences.h5") as f:
        assert f["X_train"].shape[1:] == (4, 200) and len(f["X_test"]) == 90
        assert f.attrs["label_names"].tolist() == [b"bound"]
    record = json.loads((results / "runs" / "cnn-local_exponential_0" / "record.json").read_text())
    assert record["data"]["ground_truth"] is None and record["data"]["n_outputs"] == 1
    assert len(record["match"]["best_name"]) == 24 and 0 <= record["match"]["match_any"] <= 1
    # which motifs the filters were compared with, and the rule (issue 20 item 6)
    db = record["motif_db"]
    assert db["release"] is None and db["source"].endswith("queries.meme")  # the user's file
    assert db["min_mean_ic"] == 1.0 and db["n_kept"] == db["n_motifs"] - len(db["dropped"])
    rule = record["match_rule"]
    assert (rule["distance"], rule["threshold_type"], rule["threshold"]) == ("ed", "E-value", 0.1)
    saliency = record["attribution"]["methods"]["saliency"]
    assert saliency["auroc"] is None and "no ground truth" in record["attribution"]["scoring"]
    assert (results / "runs" / "cnn-local_exponential_0" / "attribution_logos.png").exists()
    with np.load(results / "runs" / "cnn-local_exponential_0" / "attribution_maps.npz") as maps:
        assert (maps["x"].max(axis=2) == 1).all()  # sequences with N are left out
        assert maps["saliency"].shape == (5, 200, 4)
    assert main(["report", str(results), "--no-progress"]) == 0
    tables = results / "report" / "tables"
    assert (
        (tables / "sequences_filter_tfs.tsv")
        .read_text()
        .startswith("model\tfilters matching any motif\tbest-hit TFs")
    )
    assert (tables / "sequences_filter_results.tsv").exists()
    html = (results / "report" / "index.html").read_text()
    assert "Motif database: the file" in html and "queries.meme" in html
    assert f"{db['n_motifs']} motifs" in html and "distance ed, E-value &lt;= 0.1" in html


@pytest.mark.slow
def test_hdf5_route_multilabel_with_ground_truth(tmp_path, reference_data):
    from toolkit.data import task1

    data = task1(
        tmp_path / "mine.h5", pfm=reference_data / "pfm_vertebrates.txt", n_seq=300, progress=False
    )
    config = _config(
        tmp_path, {"path": str(data)}, models=["cnn-deep"], activations=["exponential"]
    )
    results = tmp_path / "results"
    assert main(["run", str(config), "--results", str(results), "--no-progress"]) == 0
    record = json.loads((results / "runs" / "cnn-deep_exponential_0" / "record.json").read_text())
    assert record["data"]["n_outputs"] == 12 and record["data"]["ground_truth"] == "model"
    assert record["model_built"]["filters"] == 32
    assert record["attribution"]["methods"]["saliency"]["auroc"] is not None


@pytest.mark.slurm
@pytest.mark.parametrize("route", ["fasta", "hdf5"])
def test_both_routes_as_slurm_arrays_and_in_the_report(tmp_path, slurm, capsys, route):
    fa, tsv = _fasta_pair(tmp_path, n=200)
    if route == "fasta":
        data = {"generate": {"fasta": str(fa), "labels": str(tsv)}}
    else:  # the same set written in the HDF5 layout first
        from toolkit.data.sequences import sequences

        data = {"path": str(sequences(tmp_path / "mine.h5", fa, tsv))}
    config = _config(tmp_path, data)
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
    assert "2 done, 0 running, 0 pending, 0 failed, 0 missing" in out
    for run in ("cnn-local_relu_0", "cnn-local_exponential_0"):
        record = json.loads((results / "runs" / run / "record.json").read_text())
        assert record["slurm"]["SLURM_ARRAY_JOB_ID"] or record["slurm"]["SLURM_JOB_ID"]
    assert main(["report", str(results), "--no-progress"]) == 0
    html = (results / "report" / "index.html").read_text()
    assert "sequences: the TFs first-layer filters match" in html
    assert "sequences_filter_tfs" in html


def test_readme_worked_example_is_copy_pasteable(tmp_path, paper_data, monkeypatch, capsys):
    """The README's commands, run as written (the training itself with --check only)."""
    import re
    import shlex
    import shutil

    readme = (REPO / "README.md").read_text()
    block = readme.split("### Worked example", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]
    commands = [c for c in commands if c]
    assert any(c.startswith("expact data export") for c in commands)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "configs").mkdir()
    shutil.copy(REPO / "configs" / "sequences_irf1.yaml", tmp_path / "configs")
    ran = 0
    for command in commands:
        argv = shlex.split(command.replace("../shared/reference_data", str(paper_data)))
        assert argv[0] == "expact", command
        if argv[1] == "run" and "--check" not in argv:
            argv.append("--check")  # the training takes minutes: checked, not run, here
        if argv[1] == "report":
            continue  # needs the runs
        assert main(argv[1:]) == 0, (command, capsys.readouterr().err)
        ran += 1
    assert ran >= 2 and (tmp_path / "data" / "irf1.fa").exists()
    assert re.search(r"3892 sequences of 400 nt", capsys.readouterr().out)


@pytest.mark.parametrize(
    "over, field",
    [
        ({"motifs": {"release": "JASPAR1999"}}, "motifs.release"),
        ({"motifs": {"collection": 3}}, "motifs.collection"),
        ({"motifs": {"min_mean_ic": 2.5}}, "motifs.min_mean_ic"),
        ({"motifs": {"min_mean_ic": -0.1}}, "motifs.min_mean_ic"),
        ({"motifs": {"min_mean_ic": "high"}}, "motifs.min_mean_ic"),
        ({"train": {"epochs": 1, "record_gradients": "yes"}}, "train.record_gradients"),
    ],
)
def test_bad_motif_set_and_train_options_fail_before_compute(tmp_path, capsys, over, field):
    fa, tsv = _fasta_pair(tmp_path, n=20)
    config = _config(tmp_path, {"generate": {"fasta": str(fa), "labels": str(tsv)}}, **over)
    assert main(["run", str(config), "--check", "--results", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "mine.yaml" in err and field in err and "Traceback" not in err


def test_check_states_the_match_rule_and_refuses_a_filter_that_keeps_no_motif(tmp_path, capsys):
    """`--check` prints the Tomtom rule and how many target motifs motifs.min_mean_ic keeps;
    a threshold no motif of the target reaches stops it (exit 2) naming the field."""
    from toolkit.meme_io import write_meme

    fa, tsv = _fasta_pair(tmp_path, n=20)
    rng = np.random.default_rng(0)
    sharp = [np.eye(4)[rng.integers(0, 4, 8)] * 0.9 + 0.025 for _ in range(3)]
    vague = list(rng.dirichlet([10.0] * 4, size=(2, 12)))
    target = write_meme(tmp_path / "mine.meme", sharp + vague)
    generate = {"generate": {"fasta": str(fa), "labels": str(tsv)}}
    config = _config(tmp_path, generate, tomtom={"target": str(target)})
    assert main(["run", str(config), "--check", "--results", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "Match rule: Tomtom (lite), distance ed, E-value <= 0.1, min overlap 1" in out
    assert (
        "5 motifs, 3 of them compared after leaving out the 2 with a mean information below 1"
        in out
    )
    config = _config(
        tmp_path, generate, tomtom={"target": str(target)}, motifs={"min_mean_ic": 1.9}
    )
    assert main(["run", str(config), "--check", "--results", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "mine.yaml" in err and "motifs.min_mean_ic" in err and "lower it" in err
