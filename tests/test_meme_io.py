"""MEME motif file I/O: the paper's exact layout, round trips, JASPAR, malformed files."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.errors import InputError
from toolkit.meme_io import read_meme, read_meme_file, write_meme

HEAD = "MEME version 4\n\nALPHABET= ACGT\n\nBackground letter frequencies:\nA 0.25 C 0.25 G 0.25 T 0.25\n\n"


def test_write_meme_exact_paper_layout(tmp_path):
    ppm0 = np.array([[1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]])
    ppm1 = np.array([[0.1, 0.2, 0.3, 0.4]])
    out = write_meme(tmp_path / "f.meme", [ppm0, ppm1])
    assert out == tmp_path / "f.meme"
    assert out.read_text() == (
        "MEME version 4\n"
        "\n"
        "ALPHABET= ACGT\n"
        "\n"
        "Background letter frequencies:\n"
        "A 0.2500 C 0.2500 G 0.2500 T 0.2500 \n"
        "\n"
        "MOTIF filter0 \n"
        "letter-probability matrix: alength= 4 w= 2 nsites= 2 \n"
        "1.0000 0.0000 0.0000 0.0000 \n"
        "0.2500 0.2500 0.2500 0.2500 \n"
        "\n"
        "MOTIF filter1 \n"
        "letter-probability matrix: alength= 4 w= 1 nsites= 1 \n"
        "0.1000 0.2000 0.3000 0.4000 \n"
        "\n"
    )
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_round_trip_sequence_dict_and_names(tmp_path):
    rng = np.random.default_rng(0)
    ppms = [rng.dirichlet(np.ones(4), size=w) for w in (1, 6, 20, 33)]
    back = read_meme(write_meme(tmp_path / "a.meme", ppms))
    assert list(back) == ["filter0", "filter1", "filter2", "filter3"]
    for ppm, got in zip(ppms, back.values(), strict=True):
        assert got.shape == ppm.shape
        np.testing.assert_allclose(got, ppm, atol=2e-4)  # %.4f, then MEME's row renormalising
        np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-12)

    named = read_meme(write_meme(tmp_path / "b.meme", ppms[:2], names=["x1", "x2"]))
    assert list(named) == ["x1", "x2"]
    mapping = read_meme(write_meme(tmp_path / "c.meme", {"k": ppms[1], "j": ppms[0]}))
    assert list(mapping) == ["k", "j"]

    # JASPAR-style "ID alt" names: the ID keys the motif, the alt name is kept
    jaspar_like = write_meme(tmp_path / "j.meme", {"MA0004.1 Arnt": ppms[1]})
    assert "MOTIF MA0004.1 Arnt \n" in jaspar_like.read_text()
    (m,) = read_meme_file(jaspar_like).motifs
    assert (m.id, m.alt) == ("MA0004.1", "Arnt")

    # a stacked (n, L, 4) array works as a sequence
    stacked = rng.dirichlet(np.ones(4), size=(3, 5))
    assert len(read_meme(write_meme(tmp_path / "d.meme", stacked))) == 3


def test_read_meme_file_metadata_of_our_file(tmp_path):
    write_meme(tmp_path / "f.meme", [np.full((7, 4), 0.25)])
    mf = read_meme_file(tmp_path / "f.meme")
    assert mf.version == "4"
    assert mf.strands is None
    np.testing.assert_array_equal(mf.background, [0.25] * 4)
    (m,) = mf.motifs
    assert (m.id, m.alt, m.nsites, m.ppm.shape, m.line) == ("filter0", None, 7.0, (7, 4), 8)


def test_read_jaspar_2016(reference_data):
    jaspar = reference_data / "JASPAR_CORE_2016_vertebrates.meme"
    mf = read_meme_file(jaspar)
    assert len(mf.motifs) == 518
    assert mf.strands == "+ -"
    first = mf.motifs[0]
    assert (first.id, first.alt, first.nsites, first.ppm.shape) == (
        "MA0002.2",
        "RUNX1",
        2000,
        (11, 4),
    )
    np.testing.assert_allclose(first.ppm[0], [0.1435, 0.248, 0.348, 0.2605])
    assert mf.alt_names()["MA0004.1"] == "Arnt"
    ppms = read_meme(jaspar)
    assert list(ppms) == [m.id for m in mf.motifs]
    assert all(np.allclose(p.sum(axis=1), 1.0) for p in ppms.values())


def test_meme5_alphabet_block_and_background(tmp_path):
    text = (
        "MEME version 5.4.1\n\n"
        'ALPHABET "DNA" DNA-LIKE\n'
        'A "Adenine" CC0000 ~ T "Thymine" 008000\n'
        'C "Cytosine" 0000CC ~ G "Guanine" FFB300\n'
        'N "Any base" = ACGT\n'
        "X = ACGT\n"
        'V "Not T" = ACG\n'
        "END ALPHABET\n\n"
        "strands: +\n\n"
        "Background letter frequencies (from file):\n"
        "A 0.4 C 0.2 G 0.2 T 0.2\n\n"
        "MOTIF m1 alt1\n\n"
        "letter-probability matrix: alength= 4 w= 2 nsites= 5 E= 1e-3\n"
        "\t0.30\t0.30\t0.30\t0.15\n"  # sums to 1.05: accepted and renormalised, as MEME does
        "\t0.1\t0.2\t0.3\t0.4\n\n"
        "URL http://example.org\n"
    )
    (tmp_path / "f.meme").write_text(text)
    mf = read_meme_file(tmp_path / "f.meme")
    assert mf.version == "5.4.1" and mf.strands == "+"
    np.testing.assert_allclose(mf.background, [0.3, 0.2, 0.2, 0.3])  # MEME symmetrises it
    (m,) = mf.motifs
    assert (m.id, m.alt, m.nsites) == ("m1", "alt1", 5.0)
    np.testing.assert_allclose(m.ppm[0], np.array([0.3, 0.3, 0.3, 0.15]) / 1.05)
    np.testing.assert_allclose(m.ppm[1], [0.1, 0.2, 0.3, 0.4])


MOTIF = "MOTIF a\nletter-probability matrix: alength= 4 w= 2 nsites= 2\n"
MALFORMED = {
    "no_version": ("ALPHABET= ACGT\n" + MOTIF + "1 0 0 0\n0 1 0 0\n", "MEME version", None),
    "no_motif": (HEAD, "no MOTIF", "MOTIF"),
    "protein": (
        "MEME version 4\n\nALPHABET= ACDEFGHIKLMNPQRSTVWY\n\n" + MOTIF + "1 0 0 0\n",
        "alphabet",
        "line 3",
    ),
    "rna_block": (
        'MEME version 5\n\nALPHABET "RNA" RNA-LIKE\nA "Adenine" CC0000\nC "Cytosine" 0000CC\n'
        'G "Guanine" FFB300\nU "Uracil" 008000\nEND ALPHABET\n\n' + MOTIF + "1 0 0 0\n",
        "expected DNA",
        "line 3",
    ),
    "row_sum": (HEAD + MOTIF + "0.5 0.5 0.5 0.5\n0 1 0 0\n", "sums to 2.0000", "line 10"),
    "three_columns": (HEAD + MOTIF + "1 0 0 0\n0.5 0.25 0.25\n", "has 3 columns", "line 11"),
    "five_columns": (HEAD + MOTIF + "1 0 0 0 0\n0 1 0 0\n", "has 5 columns", "line 10"),
    "w_too_large": (
        HEAD + MOTIF.replace("w= 2", "w= 3") + "1 0 0 0\n0 1 0 0\n\n",
        "w= 3 but",
        "line 9",
    ),
    "w_too_small": (
        HEAD + MOTIF.replace("w= 2", "w= 1") + "1 0 0 0\n0 1 0 0\n",
        "more rows",
        "line 11",
    ),
    "negative": (HEAD + MOTIF + "1.5 -0.5 0 0\n0 1 0 0\n", "outside [0, 1]", "line 10"),
    "not_a_number": (HEAD + MOTIF + "0.25 0.25 x 0.25\n0 1 0 0\n", "expected a row", "line 10"),
    "empty_matrix": (
        HEAD + "MOTIF a\nletter-probability matrix: alength= 4\n\n",
        "empty",
        "line 9",
    ),
    "no_matrix": (
        HEAD + "MOTIF a\n\nMOTIF b\n" + MOTIF[8:] + "1 0 0 0\n0 1 0 0\n",
        "no 'letter",
        "line 8",
    ),
    "alength": (
        HEAD + MOTIF.replace("alength= 4", "alength= 20") + "1 0 0 0\n",
        "alength= 20",
        "line 9",
    ),
    "duplicate": (
        HEAD + MOTIF + "1 0 0 0\n0 1 0 0\n\n" + MOTIF + "1 0 0 0\n0 1 0 0\n",
        "duplicate",
        "line 13",
    ),
    "bad_background": (HEAD.replace("A 0.25 C", "A 0.25 X"), "background", "line 5"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_meme_names_file_and_line(tmp_path, case):
    text, needle, field = MALFORMED[case]
    path = tmp_path / f"{case}.meme"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_meme(path)
    assert err.value.source == str(path)
    assert needle in str(err.value)
    if field is not None:
        assert err.value.field == field


def test_read_missing_file(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        read_meme(tmp_path / "absent.meme")


GOOD = np.full((3, 4), 0.25)
BAD_WRITES = {
    "three_columns": ([np.full((3, 3), 1 / 3)], None, "shape"),
    "one_dimensional": ([np.full(4, 0.25)], None, "shape"),
    "empty_motif": ([np.zeros((0, 4))], None, "shape"),
    "above_one": ([np.array([[1.5, -0.5, 0, 0]])], None, "[0, 1]"),
    "nan": ([np.array([[np.nan, 0.5, 0.25, 0.25]])], None, "finite"),
    "row_sum": ([np.array([[0.5, 0.5, 0.5, 0.5]])], None, "sums to"),
    "duplicate_names": ([GOOD, GOOD], ["a", "a"], "duplicate"),
    "three_tokens": ([GOOD], ["a b c"], "'ID alt'"),
    "tab_in_name": ([GOOD], ["a\tb"], "'ID alt'"),
    "empty_name": ([GOOD], [""], "'ID alt'"),
    "duplicate_id": ([GOOD, GOOD], ["MA1 x", "MA1 y"], "duplicate motif ID 'MA1'"),
    "names_length": ([GOOD, GOOD], ["a"], "1 names for 2"),
    "no_motifs": ([], None, "no motifs"),
}


@pytest.mark.parametrize("case", sorted(BAD_WRITES))
def test_write_meme_errors_write_nothing(tmp_path, case):
    ppms, names, needle = BAD_WRITES[case]
    with pytest.raises(InputError, match=None) as err:
        write_meme(tmp_path / "out.meme", ppms, names=names)
    assert needle in str(err.value)
    assert err.value.source == str(tmp_path / "out.meme")
    assert list(tmp_path.iterdir()) == []


def test_write_meme_error_keeps_existing_file(tmp_path):
    out = write_meme(tmp_path / "keep.meme", [GOOD])
    before = out.read_text()
    with pytest.raises(InputError):
        write_meme(out, {"x": np.full((2, 4), 0.5)})
    with pytest.raises(InputError, match="not both"):
        write_meme(out, {"x": GOOD}, names=["y"])
    assert out.read_text() == before
    assert list(tmp_path.iterdir()) == [out]
