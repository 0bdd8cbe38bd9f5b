"""Peaks + genome (task: sequences, data.generate.peaks): reading, windows, labels, split,
filters, the streamed HDF5, and every bad input an error naming file and line before compute."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml
from peak_files import SPLIT, random_peaks, write_genome, write_peaks

from toolkit.cli import main
from toolkit.data.bed import bed
from toolkit.data.genome import genome
from toolkit.data.peak_windows import peak_windows
from toolkit.data.peaks import peaks
from toolkit.errors import InputError

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def small(tmp_path):
    """A 4-chromosome genome (+ chrM and an unplaced contig) and two peak files."""
    sizes = {"chr1": 12000, "chr2": 8000, "chr3": 8000, "chr4": 6000, "chrM": 1600}
    sizes["chr1_random"] = 2000
    fa = write_genome(tmp_path / "genome.fa", sizes)
    chroms = ["chr1", "chr2", "chr3", "chr4"]
    a = write_peaks(tmp_path / "ctcf.narrowPeak.gz", random_peaks(40, chroms, 6000, 1))
    b = write_peaks(tmp_path / "irf1.bed", random_peaks(24, chroms, 6000, 2), narrow=False)
    return fa, a, b


# ----------------------------------------------------------------------------- reading


def test_bed_reads_narrowpeak_gz_and_bed3(small):
    _, a, b = small
    narrow = bed(a)
    assert len(narrow.chrom) == 40 and narrow.line[0] == 3  # track + comment lines skipped
    assert ((narrow.summit >= narrow.start) & (narrow.summit < narrow.end)).all()
    plain = bed(b)
    assert (plain.summit == -1).all() and plain.name is None
    assert bed(a, column=4).name.tolist() == ["p"] * 40


def test_index_built_beside_the_genome_or_in_the_results_folder(small, tmp_path, monkeypatch):
    fa, _, _ = small
    with genome(fa) as g:
        assert g.index == fa.with_name("genome.fa.fai") and g.lengths["chr2"] == 8000
        assert g.fetch("chr1", 98, 102) == g.window("chr1", 98, 102).upper()
        assert g.window("chrM", -2, 2)[:2] == "NN" and g.window("chrM", 1598, 1602)[2:] == "NN"
    fa.with_name("genome.fa.fai").unlink()
    monkeypatch.setattr("toolkit.data.genome.os.access", lambda *a: False)  # read-only folder
    with genome(fa, index_dir=tmp_path / "results" / "data") as g:
        assert g.index == tmp_path / "results" / "data" / "genome.fa.fai" and g.index.is_file()
    assert not fa.with_name("genome.fa.fai").exists()


# ----------------------------------------------------------------------------- windows


def test_windows_centred_on_summit_else_centre_with_labels_and_split(small):
    fa, a, b = small
    with genome(fa) as g:
        w = peak_windows({"CTCF": a, "IRF1": b}, g, 200, split=SPLIT)
    assert w.outputs == ["CTCF", "IRF1"] and (w.end - w.start == 200).all()
    narrow, plain = bed(a), bed(b)
    centres = set(zip(narrow.chrom, narrow.summit - 100, strict=True))
    centres |= set(zip(plain.chrom, (plain.start + plain.end) // 2 - 100, strict=True))
    assert set(zip(w.chrom, w.start, strict=True)) == centres
    # a window's label k: it holds the summit (else the centre) of a peak of output k
    assert w.labels.sum(axis=1).min() == 1 and w.labels[:, 0].sum() >= 40
    assert set(w.chrom[w.split == 1]) == {"chr2"} and set(w.chrom[w.split == 2]) == {"chr3"}
    assert set(w.chrom[w.split == 0]) == {"chr1", "chr4"}
    assert np.isfinite(w.gc).all() and 0.3 < w.gc.mean() < 0.7


def test_output_column_names_the_outputs(tmp_path, small):
    fa, _, _ = small
    rows = random_peaks(30, ["chr1", "chr2", "chr3"], 6000, 3)
    path = tmp_path / "all.bed"
    path.write_text(
        "".join(f"{c}\t{s}\t{e}\t{'AB'[k % 2]}\n" for k, (c, s, e, _) in enumerate(rows))
    )
    with genome(fa) as g:
        w = peak_windows(str(path), g, 100, output_column=4, split=SPLIT)
    assert w.outputs == ["A", "B"] and (w.labels.sum(axis=0) >= 15).all()  # + neighbours


def test_filters_blacklist_off_chromosome_and_n(tmp_path, small):
    fa, _, _ = small
    rows = [
        ("chr1", 5000, 5300),  # kept
        ("chrM", 700, 900),  # default filter: no chrM
        ("chr1_random", 700, 900),  # default filter: no unplaced contigs
        ("chr4", 0, 60),  # runs off chr4's start
        ("chr1", 8000, 8200),  # on the blacklist
        ("chr2", 3000, 3100),
        ("chr3", 3000, 3100),
    ]
    path = write_peaks(tmp_path / "p.bed", rows, narrow=False)
    black = write_peaks(tmp_path / "black.bed", [("chr1", 8100, 8150)], narrow=False)
    with genome(fa) as g:
        w = peak_windows(path, g, 200, split=SPLIT, blacklist=str(black))
        assert w.chrom.tolist() == ["chr1", "chr2", "chr3"]
        assert w.counts["dropped_chromosome_filter"] == 2 and w.counts["dropped_blacklist"] == 1
        assert w.counts["off_chromosome"] == 1
        shifted = peak_windows(
            path, g, 200, split=SPLIT, blacklist=str(black), off_chromosome="shift"
        )
        assert ("chr4", 0) in set(zip(shifted.chrom, shifted.start, strict=True))
        padded = peak_windows(path, g, 200, split=SPLIT, off_chromosome="pad", max_n_fraction=0.5)
        assert ("chr4", -70) in set(zip(padded.chrom, padded.start, strict=True))
        with pytest.raises(InputError, match=r"p.bed: line 6: .*runs off chr4"):
            peak_windows(path, g, 200, split=SPLIT, off_chromosome="error")
        kept = peak_windows(path, g, 200, split=SPLIT, chromosomes=["chr1", "chr2", "chr3"])
        assert "chr4" not in set(kept.chrom)
        # 70 of 200 nt beyond chr4's start are N: dropped at max_n_fraction 0.1
        strict = peak_windows(path, g, 200, split=SPLIT, off_chromosome="pad")
        assert "chr4" not in set(strict.chrom) and strict.counts["dropped_n_fraction"] == 1


def test_default_split_is_chr8_chr9_test_chr7_valid_in_either_naming(tmp_path):
    sizes = {str(k): 3000 for k in range(1, 10)}  # Ensembl names: 1 ... 9
    fa = write_genome(tmp_path / "ens.fa", sizes)
    path = write_peaks(tmp_path / "p.bed", [(str(k), 1000, 1200) for k in range(1, 10)], False)
    with genome(fa) as g:
        w = peak_windows(path, g, 100)
    assert w.split_chromosomes == {"valid": ["7"], "test": ["8", "9"]}
    assert w.chrom[w.split == 2].tolist() == ["8", "9"]


# ------------------------------------------------------------------- the HDF5 data set


def test_streamed_hdf5_is_the_loaders_layout_and_independent_of_the_batch(tmp_path, small):
    from toolkit.data import load

    fa, a, b = small
    bg = {"methods": ["shuffle", "flank", "gc_matched"], "ratio": 1.0, "seed": 4}
    one = peaks(tmp_path / "a.h5", [a, b], fa, 200, split=SPLIT, background_options=bg)
    two = peaks(tmp_path / "b.h5", [a, b], fa, 200, split=SPLIT, background_options=bg, batch=7)
    data = load(one, task="sequences")
    assert data.x_train.shape[1:] == (200, 4) and data.y_train.shape[1] == 2
    with h5py.File(one) as f, h5py.File(two) as g:
        for key in f:
            assert np.array_equal(f[key][()], g[key][()]), key  # same bytes, any batch size
        assert f.attrs["label_names"].tolist() == [b"ctcf", b"irf1"]
        made = json.loads(f.attrs["peaks"])
        assert made["split_chromosomes"] == {"valid": ["chr2"], "test": ["chr3"]}
        ids = f["ids_train"][()].astype(str)
        origin = f["origin_train"][()].astype(str)
        positive = origin == "peak"
        x = f["X_train"][()]
        with genome(fa) as g:  # row i is the window its id names, one-hot (N: 0.25)
            chrom, span = ids[0].split(":")
            start, end = map(int, span.split("-"))
            seq = g.window(chrom, start, end)
        assert "".join("ACGT"[i] for i in x[0].argmax(axis=0)) == seq.replace("N", "A")
        assert (f["Y_train"][()][~positive] == 0).all() and (
            f["seed_train"][()][positive] == -1
        ).all()
        assert set(f["source_train"][()][positive].astype(str)) <= {
            f"{p.name}:{n}" for p in (a, b) for n in range(3, 60)
        }


# ----------------------------------------------------------------------- bad input (item 5)


def _config(tmp_path: Path, generate: dict) -> Path:
    config = {
        "task": "sequences",
        "name": "mine",
        "models": ["cnn-local"],
        "activations": ["relu"],
        "data": {"generate": generate},
        "train": {"epochs": 1},
    }
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _bad(tmp: Path, fa: Path) -> dict[str, tuple[Path, Path, str]]:
    """case -> (peak file text (None: a truncated gzip), genome, words the message holds)."""
    good = "chr1\t100\t400\nchr2\t100\t400\n"
    bad_gz = tmp / "bad.bed.gz"
    bad_gz.write_bytes(gzip.compress(good.encode() * 50)[:-30])  # truncated
    dup = tmp / "dup.fa"
    dup.write_text(fa.read_text() + ">chr2 again\nACGT\n")
    odd = tmp / "odd.fa"
    lines = fa.read_text().split("\n")
    lines[4] = "R" + lines[4][1:]  # chr1:180, inside the window 150-350 of chr1:100-400
    odd.write_text("\n".join(lines))
    cases = {
        "start >= end": ("chr1\t100\t400\nchr2\t400\t400\n", fa, "x.bed: line 2: start 400 >= end"),
        "negative": ("chr1\t-5\t400\n", fa, "x.bed: line 1: negative start -5"),
        "non-integer": ("chr1\t100\t4e2\n", fa, "x.bed: line 1: end '4e2' is not an integer"),
        "absent chromosome": (good + "chr22\t1\t9\n", fa, "x.bed: line 3: chromosome 'chr22'"),
        "summit outside": (
            "chr1\t100\t400\tp\t0\t.\t1\t-1\t-1\t300\n",
            fa,
            "x.bed: line 1: summit offset 300 outside",
        ),
        "duplicate chromosome": (good, dup, "dup.fa: line 154: duplicate chromosome name 'chr2'"),
        "non-ACGTN letter": (good, odd, "odd.fa: chr1:180: letter 'R'"),
        "unreadable gzip": (None, fa, "bad.bed.gz: line"),
    }
    return cases


@pytest.mark.parametrize(
    "case",
    [
        "start >= end",
        "negative",
        "non-integer",
        "absent chromosome",
        "summit outside",
        "duplicate chromosome",
        "non-ACGTN letter",
        "unreadable gzip",
    ],
)
def test_bad_input_fails_check_before_compute_with_file_and_line(tmp_path, capsys, case):
    fa = write_genome(tmp_path / "g.fa", {"chr1": 3000, "chr2": 3000, "chr3": 3000})
    text, genome_file, words = _bad(tmp_path, fa)[case]
    path = tmp_path / ("bad.bed.gz" if text is None else "x.bed")
    if text is not None:
        path.write_text(text)
    generate = {"peaks": str(path), "genome": str(genome_file), "length": 200, "split": SPLIT}
    config = _config(tmp_path, generate)
    assert main(["run", str(config), "--results", str(tmp_path / "r"), "--check"]) == 2
    err = capsys.readouterr().err
    assert words in err, err
    assert not (tmp_path / "r" / "data").exists()  # nothing made


def test_check_prints_counts_per_output_and_split_and_the_background_plan(tmp_path, capsys, small):
    fa, a, b = small
    bg = {"methods": ["shuffle", "gc_matched"], "ratio": 2, "seed": 1}
    generate = {"peaks": {"CTCF": str(a), "IRF1": str(b)}, "genome": str(fa), "length": 200}
    config = _config(tmp_path, generate | {"split": SPLIT, "background": bg})
    assert main(["run", str(config), "--results", str(tmp_path / "r"), "--check"]) == 0
    out = capsys.readouterr().out
    assert "test CTCF:" in out and "valid IRF1:" in out and "from the background" in out
    assert "background: 2 per positive, shared by ['shuffle', 'gc_matched'], seed 1" in out
    assert not (tmp_path / "r" / "data").exists()


@pytest.mark.parametrize(
    "over, field",
    [
        ({"background": {"methods": ["random"]}}, "data.generate.background.methods"),
        ({"background": {"ratio": 0}}, "data.generate.background.ratio"),
        ({"off_chromosome": "wrap"}, "data.generate.off_chromosome"),
        ({"split": {"valid": 0.1}}, "data.generate.split"),
        ({"labels": "x.tsv"}, "data.generate.labels"),
        ({"length": None}, "data.generate.length"),
    ],
)
def test_bad_peak_options_are_config_errors(tmp_path, capsys, small, over, field):
    fa, a, _ = small
    generate = {"peaks": str(a), "genome": str(fa), "length": 200} | over
    config = _config(tmp_path, generate)
    assert main(["run", str(config), "--results", str(tmp_path / "r"), "--check"]) == 2
    assert field in capsys.readouterr().err


def _nine_chromosomes(tmp_path: Path) -> tuple[Path, Path, Path]:
    sizes = {f"chr{k}": 4000 for k in range(1, 10)}
    fa = write_genome(tmp_path / "hg.fa", sizes)
    chroms = list(sizes)
    a = write_peaks(tmp_path / "ctcf.narrowPeak.gz", random_peaks(90, chroms, 4000, 1))
    b = write_peaks(tmp_path / "irf1.bed.gz", random_peaks(45, chroms, 4000, 2), narrow=False)
    return fa, a, b


def test_shipped_peaks_config_checks_with_your_files(tmp_path, capsys):
    fa, a, b = _nine_chromosomes(tmp_path)
    raw = yaml.safe_load((REPO / "configs" / "sequences_peaks.yaml").read_text())
    raw["data"]["generate"] |= {"peaks": {"CTCF": str(a), "IRF1": str(b)}, "genome": str(fa)}
    config = tmp_path / "peaks.yaml"
    config.write_text(yaml.safe_dump(raw))
    assert main(["run", str(config), "--results", str(tmp_path / "r"), "--check"]) == 0
    out = capsys.readouterr().out
    assert "'test': ['chr8', 'chr9']" in out and "train CTCF:" in out and "gc_matched" in out


@pytest.mark.slow
def test_peaks_route_end_to_end_with_record_and_report(tmp_path):
    fa, a, b = _nine_chromosomes(tmp_path)
    generate = {
        "peaks": [str(a), str(b)],
        "genome": str(fa),
        "length": 100,
        "background": {"methods": ["shuffle", "gc_matched"], "ratio": 1.0, "seed": 0},
    }
    config = _config(tmp_path, generate)
    raw = yaml.safe_load(config.read_text())
    raw |= {
        "filters": {"logos": False},
        "tomtom": {"target": str(REPO / "tests" / "fixtures" / "tomtom" / "queries.meme")},
        "attribution": {"methods": ["saliency"], "n_sequences": 3, "logo_sequences": 0},
    }
    config.write_text(yaml.safe_dump(raw))
    results = tmp_path / "results"
    assert main(["run", str(config), "--results", str(results), "--no-progress"]) == 0
    record = json.loads((results / "runs" / "cnn-local_relu_0" / "record.json").read_text())
    made = record["data"]["background"]
    assert made["methods"] == ["shuffle", "gc_matched"] and made["seed"] == 0
    assert record["data"]["peaks"]["split_chromosomes"]["test"] == ["chr8", "chr9"]
    assert main(["report", str(results), "--no-progress"]) == 0
    page = (results / "report" / "index.html").read_text()
    assert "Negatives made for you: shuffle, gc_matched, 1.0 per positive, seed 0" in page


def test_one_peak_file_without_background_is_a_label_error_before_compute(tmp_path, capsys, small):
    """Every window of a single peak file is positive: nothing to learn. --check says so,
    with the output, the split and the fix, before the data set is made."""
    fa, a, _ = small
    generate = {"peaks": {"CTCF": str(a)}, "genome": str(fa), "length": 200, "split": SPLIT}
    config = _config(tmp_path, generate)
    assert main(["run", str(config), "--results", str(tmp_path / "r"), "--check"]) == 2
    err = capsys.readouterr().err
    assert "CTCF" in err and "train" in err and "background" in err, err
    assert not (tmp_path / "r" / "data" / "sequences.h5").exists()
