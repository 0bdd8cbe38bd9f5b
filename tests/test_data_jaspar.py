"""JASPAR motif source: the paper's pfm_vertebrates.txt, the pyjaspar copy, name lookup."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.data import JasparMotif, jaspar_from_pyjaspar, motif_lookup, read_jaspar_pfm
from toolkit.errors import InputError

# Spec §1.1 table: the 12 Task 1 core TFs, in core_names order.
CORE_TABLE = [
    ("Arid3a", "MA0151.1", 6),
    ("CEBPB", "MA0466.2", 10),
    ("FOSL1", "MA0477.1", 11),
    ("Gabpa", "MA0062.2", 11),
    ("MAFK", "MA0496.1", 15),
    ("MAX", "MA0058.3", 10),
    ("MEF2A", "MA0052.3", 12),
    ("NFYB", "MA0502.1", 15),
    ("SP1", "MA0079.3", 11),
    ("SRF", "MA0083.3", 16),
    ("STAT1", "MA0137.3", 11),
    ("YY1", "MA0095.2", 12),
]


@pytest.fixture(scope="module")
def vertebrates(reference_data):
    return read_jaspar_pfm(reference_data / "pfm_vertebrates.txt")


def test_reads_all_519_motifs(vertebrates):
    assert len(vertebrates) == 519
    ids = [m.matrix_id for m in vertebrates]
    assert len(set(ids)) == 519
    assert ids[0] == "MA0002.2" and vertebrates[0].name == "RUNX1"
    assert "MA0615.1" in ids  # Gmeb1, the one motif not in the MEME file
    for m in vertebrates:
        assert m.pwm.shape == (4, m.width) and m.pwm.dtype == np.float64
        np.testing.assert_allclose(m.pwm.sum(axis=0), 1.0, atol=1e-12)
        assert m.source == "pfm_vertebrates.txt"


def test_bracket_glued_to_first_count(vertebrates):
    # "A  [1706  137 ..." has no space after '['; the first count must not be lost.
    tfap2a = motif_lookup(vertebrates, "TFAP2A")
    assert tfap2a.matrix_id == "MA0003.3" and tfap2a.width == 11
    col0 = np.array([1706, 1939, 277, 1386], dtype=float)
    np.testing.assert_array_equal(tfap2a.pwm[:, 0], col0 / col0.sum())


@pytest.mark.parametrize(("name", "matrix_id", "width"), CORE_TABLE)
def test_core_motifs_match_spec_table(vertebrates, name, matrix_id, width):
    motif = motif_lookup(vertebrates, name)
    assert (motif.matrix_id, motif.width) == (matrix_id, width)


def test_pyjaspar_2016_equals_the_paper_file(vertebrates):
    pytest.importorskip("pyjaspar")
    bundled = jaspar_from_pyjaspar("JASPAR2016")
    assert [m.matrix_id for m in bundled] == [m.matrix_id for m in vertebrates]
    assert [m.name for m in bundled] == [m.name for m in vertebrates]
    for a, b in zip(bundled, vertebrates, strict=True):
        # Bit-identical, not just close: the generator must reproduce from either source.
        assert a.pwm.tobytes() == b.pwm.tobytes(), a.matrix_id
    assert bundled[0].source == "pyjaspar:JASPAR2016"


def test_pyjaspar_unknown_release():
    pytest.importorskip("pyjaspar")
    with pytest.raises(InputError, match="unknown JASPAR release"):
        jaspar_from_pyjaspar("JASPAR1999")


def test_lookup_takes_first_occurrence():
    pwm = np.full((4, 3), 0.25)
    motifs = [
        JasparMotif("MA0001.1", "X", pwm),
        JasparMotif("MA0002.1", "Y", pwm),
        JasparMotif("MA0003.1", "X", pwm),
    ]
    assert motif_lookup(motifs, "X").matrix_id == "MA0001.1"


def test_lookup_unknown_name_lists_close_names(vertebrates):
    with pytest.raises(InputError) as err:
        motif_lookup(vertebrates, "GABPA")  # the file spells it Gabpa
    message = str(err.value)
    assert "pfm_vertebrates.txt" in message and "core_names" in message
    assert "'GABPA'" in message and "Gabpa" in message


GOOD = ">MA0001.1\tAGL3\nA  [ 0  3 ]\nC  [ 1  0 ]\nG  [ 2  0 ]\nT  [ 1  1 ]\n"


def test_parses_small_file(tmp_path):
    path = tmp_path / "two.txt"
    path.write_text(GOOD + "\n" + GOOD.replace("MA0001.1\tAGL3", "MA0002.1 Other extra"))
    motifs = read_jaspar_pfm(path)
    assert [(m.matrix_id, m.name) for m in motifs] == [("MA0001.1", "AGL3"), ("MA0002.1", "Other")]
    np.testing.assert_array_equal(motifs[0].pwm[:, 1], [0.75, 0, 0, 0.25])


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (GOOD.replace("C  [ 1  0 ]", "G  [ 1  0 ]"), 3, "expected row 'C"),
        (GOOD.replace("G  [ 2  0 ]", "G  [ 2  x ]"), 4, "non-numeric"),
        (GOOD.replace("T  [ 1  1 ]", "T  [ 1  1  1 ]"), 1, "same non-zero width"),
        (GOOD.replace(">MA0001.1\tAGL3", ">MA0001.1"), 1, "ID and a name"),
        (GOOD.replace("T  [ 1  1 ]\n", ""), 5, "file ends before row T"),
        (GOOD.replace("A  [ 0  3 ]", "A  [ 0  -3 ]"), 1, ">= 0"),
        ("junk\n" + GOOD, 1, "expected a header"),
    ],
)
def test_malformed_file_names_file_and_line(tmp_path, text, line, fragment):
    path = tmp_path / "bad_pfm.txt"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_jaspar_pfm(path)
    message = str(err.value)
    assert "bad_pfm.txt" in message and f"line {line}" in message and fragment in message


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_jaspar_pfm(tmp_path / "nope.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(InputError, match="no motifs"):
        read_jaspar_pfm(empty)
