"""Background sequences made for a peak set: the dinucleotide shuffle preserves counts
exactly; flank and GC-matched windows overlap no peak of any file; every negative's method,
seed and source is recorded; the same seed makes the same set."""

from __future__ import annotations

import json
from collections import Counter
from itertools import permutations

import h5py
import numpy as np
import pytest
from peak_files import SPLIT, random_peaks, write_genome, write_peaks

from toolkit.data.background import background
from toolkit.data.bed import bed
from toolkit.data.dinucleotide_shuffle import dinucleotide_shuffle
from toolkit.data.genome import genome
from toolkit.data.intervals import intervals
from toolkit.data.peak_windows import peak_windows
from toolkit.data.peaks import peaks


def _dinucleotides(seq: str) -> Counter:
    return Counter(seq[i : i + 2] for i in range(len(seq) - 1))


def test_dinucleotide_shuffle_preserves_every_dinucleotide_count_exactly():
    rng = np.random.default_rng(0)
    for length in (1, 2, 3, 10, 200, 1000):
        for _ in range(20):
            seq = "".join(rng.choice(list("ACGTN"), length, p=[0.3, 0.2, 0.2, 0.28, 0.02]))
            out = dinucleotide_shuffle(seq, rng)
            assert len(out) == length and Counter(out) == Counter(seq)
            assert _dinucleotides(out) == _dinucleotides(seq)
            assert out[:1] == seq[:1] and out[-1:] == seq[-1:]
    long = "".join(rng.choice(list("ACGT"), 500))
    assert dinucleotide_shuffle(long, rng) != long  # it does shuffle


def test_dinucleotide_shuffle_draws_every_valid_sequence_uniformly():
    """Each sequence with the dinucleotide counts (and ends) of ACAGATAC is as likely."""
    seq = "ACAGATAC"
    valid = {
        "".join(p)
        for p in permutations(seq)
        if p[0] == "A" and p[-1] == "C" and _dinucleotides("".join(p)) == _dinucleotides(seq)
    }
    rng = np.random.default_rng(1)
    draws = Counter(dinucleotide_shuffle(seq, rng) for _ in range(6000))
    assert set(draws) == valid and len(valid) > 2
    expected = 6000 / len(valid)
    assert all(abs(n - expected) < 5 * expected**0.5 for n in draws.values()), draws


@pytest.fixture
def peak_set(tmp_path):
    sizes = {f"chr{k}": 20000 for k in range(1, 5)}
    fa = write_genome(tmp_path / "g.fa", sizes, seed=3)
    chroms = list(sizes)
    a = write_peaks(tmp_path / "a.narrowPeak", random_peaks(40, chroms, 20000, 5))
    b = write_peaks(tmp_path / "b.bed", random_peaks(30, chroms, 20000, 6), narrow=False)
    # peaks on a chromosome left out by the filter still keep negatives away
    c = write_peaks(tmp_path / "c.bed", random_peaks(30, ["chr4"], 20000, 7), narrow=False)
    return fa, [a, b, c]


def test_flank_and_gc_matched_windows_overlap_no_peak_and_stay_in_their_split(peak_set):
    fa, files = peak_set
    with genome(fa) as g:
        w = peak_windows(files, g, 200, split=SPLIT, exclude_chromosomes=["chr4"])
        neg = background(w, g, ["flank", "gc_matched", "shuffle"], ratio=2.0, seed=0)
    every = [bed(f) for f in files]
    index = intervals(
        np.concatenate([p.chrom for p in every]),
        np.concatenate([p.start for p in every]),
        np.concatenate([p.end for p in every]),
    )
    made = neg.method != "shuffle"
    for chrom, start, end in zip(neg.chrom[made], neg.start[made], neg.end[made], strict=True):
        assert not index.overlaps(chrom, start, end)[0]
        assert chrom != "chr4"  # nor on a chromosome left out
    for code, split in enumerate(("train", "valid", "test")):
        rows = neg.split == code
        positives = int((w.split == code).sum())
        assert sum(c["made"] for c in neg.counts[split].values()) == rows.sum()
        assert abs(rows.sum() - 2 * positives) <= 3  # flanks may fall short, never more
        expected = {"chr2"} if split == "valid" else {"chr3"} if split == "test" else {"chr1"}
        assert set(neg.chrom[rows]) == expected
    shuffled = neg.method == "shuffle"
    assert (neg.seed[shuffled] == np.arange(shuffled.sum())).all() and (
        neg.seed[~shuffled] == -1
    ).all()
    assert all(s.startswith("GC ") for s in neg.source[neg.method == "gc_matched"])


def test_gc_matched_background_follows_the_positives_gc(tmp_path):
    """Positives in GC-rich stretches of a genome that is mostly AT-rich: the negatives
    must come from the rare GC-rich places too."""
    rng = np.random.default_rng(0)
    chunks = []
    for k in range(40):
        p = [0.1, 0.4, 0.4, 0.1] if k % 4 == 0 else [0.35, 0.15, 0.15, 0.35]
        chunks.append("".join(rng.choice(list("ACGT"), 1000, p=p)))
    seq = "".join(chunks)
    fa = tmp_path / "g.fa"
    fa.write_text("".join(f">chr{c}\n{seq}\n" for c in (1, 2, 3)))
    rows = [(f"chr{c}", 4000 * k + 300, 4000 * k + 700) for c in (1, 2, 3) for k in range(0, 10, 2)]
    path = write_peaks(tmp_path / "p.bed", rows, narrow=False)
    with genome(fa) as g:
        w = peak_windows(path, g, 200, split=SPLIT)
        neg = background(w, g, ["gc_matched"], ratio=1.0, seed=2)
        gc = [
            (lambda s: (s.count("G") + s.count("C")) / len(s))(g.fetch(c, s, e))
            for c, s, e in zip(neg.chrom, neg.start, neg.end, strict=True)
        ]
    assert w.gc.mean() > 0.7 and abs(np.mean(gc) - w.gc.mean()) < 0.05


def test_the_data_set_records_how_each_negative_was_made_and_a_seed_makes_it_again(
    tmp_path, peak_set
):
    fa, files = peak_set
    bg = {"methods": ["shuffle", "flank", "gc_matched"], "ratio": 1.0, "seed": 9}
    one = peaks(tmp_path / "one.h5", files, fa, 200, split=SPLIT, background_options=bg)
    two = peaks(tmp_path / "two.h5", files, fa, 200, split=SPLIT, background_options=bg)
    other = peaks(
        tmp_path / "x.h5", files, fa, 200, split=SPLIT, background_options=bg | {"seed": 1}
    )
    with h5py.File(one) as f, h5py.File(two) as g, h5py.File(other) as h:
        assert all(np.array_equal(f[k][()], g[k][()]) for k in f)
        assert not np.array_equal(f["X_train"][()], h["X_train"][()])
        summary = json.loads(f.attrs["background"])
        assert summary["methods"] == bg["methods"] and summary["seed"] == 9
        assert set(summary["counts"]["train"]) == set(bg["methods"])
        origin = f["origin_test"][()].astype(str)
        assert set(origin) == {"peak", "shuffle", "flank", "gc_matched"}
        x, ids, source = f["X_test"][()], f["ids_test"][()].astype(str), f["source_test"][()]
        # a shuffled negative has its source positive's letters, dinucleotides and split
        for row in np.flatnonzero(origin == "shuffle")[:5]:
            positive = list(ids).index(source[row].decode())
            letters = ["".join("ACGT"[i] for i in x[r].argmax(axis=0)) for r in (row, positive)]
            assert _dinucleotides(letters[0]) == _dinucleotides(letters[1])


def test_background_defaults_gc_matched_one_per_positive(tmp_path, peak_set):
    fa, files = peak_set
    out = peaks(tmp_path / "d.h5", files[:1], fa, 200, split=SPLIT, background_options={"seed": 3})
    with h5py.File(out) as f:
        summary = json.loads(f.attrs["background"])
        assert summary["methods"] == ["gc_matched"] and summary["ratio"] == 1.0
        origin = f["origin_train"][()].astype(str)
        assert (origin == "gc_matched").sum() == (origin == "peak").sum()
