"""Tomtom behind one interface: table parsing, q-values, the lite and meme back-ends.

Golden files live in tests/fixtures/tomtom/ and are rebuilt only after review with
``tests/fixtures/tomtom/regenerate.py``. Tests marked ``meme`` need the MEME 5.4.1 binary
(``bash containers/meme/build_meme.sh .venv``); they skip without it unless
``EXPACT_REQUIRE_MEME=1`` (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.errors import InputError
from toolkit.meme_io import read_meme, write_meme
from toolkit.tomtom import COLUMNS, read_tomtom_tsv, tomtom, tomtom_version
from toolkit.tomtom.meme import TomtomNotFoundError, find_tomtom
from toolkit.tomtom.qvalue import MemeRandom, tomtom_qvalues

FIX = Path(__file__).resolve().parent / "fixtures" / "tomtom"
N_JASPAR = 518  # JASPAR_CORE_2016_vertebrates.meme (the paper's, or written from pyjaspar)


@pytest.fixture(scope="module")
def jaspar(reference_data) -> Path:
    return reference_data / "JASPAR_CORE_2016_vertebrates.meme"


# ---------------------------------------------------------------------------- tomtom.tsv


def test_read_meme510_style_with_trailing_comments():
    df = read_tomtom_tsv(FIX / "meme510_style.tsv")
    assert tuple(df.columns) == COLUMNS
    assert len(df) == 8  # the 3 '#' lines are not rows: no [:-3] needed
    assert not df["Query_ID"].str.startswith("#").any()
    assert df["Optimal_offset"].dtype == np.int64 and df["Overlap"].dtype == np.int64
    assert df["p-value"].dtype == np.float64
    assert set(df["Orientation"]) <= {"+", "-"}
    assert df.loc[0, "Target_ID"] == "MA0092.1" and df.loc[0, "p-value"] == 1.39003e-06


def test_read_by_header_not_by_position(tmp_path):
    df = read_tomtom_tsv(FIX / "meme541_jaspar.tsv")
    shuffled = list(reversed(COLUMNS)) + ["Extra"]
    lines = ["# a leading comment", "\t".join(shuffled)]
    lines += ["\t".join([*(str(r[c]) for c in reversed(COLUMNS)), "x"]) for _, r in df.iterrows()]
    (tmp_path / "t.tsv").write_text("\n".join(lines) + "\n\n# trailing\n")
    pd.testing.assert_frame_equal(read_tomtom_tsv(tmp_path / "t.tsv"), df)


def test_read_meme4_header_and_empty_table(tmp_path):
    old = "#Query ID\tTarget ID\tOptimal offset\tp-value\tE-value\tq-value\tOverlap\t"
    old += "Query consensus\tTarget consensus\tOrientation\n"
    (tmp_path / "old.txt").write_text(old + "f0\tNA\t-1\t1e-05\t0.00518\t0.001\t7\tACGT\tACGG\t-\n")
    df = read_tomtom_tsv(tmp_path / "old.txt")
    assert tuple(df.columns) == COLUMNS
    assert df.loc[0, "Target_ID"] == "NA"  # a motif name, not a missing value
    (tmp_path / "empty.tsv").write_text("\t".join(COLUMNS) + "\n\n# Tomtom\n")
    empty = read_tomtom_tsv(tmp_path / "empty.tsv")
    assert len(empty) == 0 and tuple(empty.columns) == COLUMNS
    assert empty["Optimal_offset"].dtype == np.int64


def test_read_tsv_errors(tmp_path):
    (tmp_path / "a.tsv").write_text("Query_ID\tTarget_ID\n")
    with pytest.raises(InputError, match="lacks column"):
        read_tomtom_tsv(tmp_path / "a.tsv")
    (tmp_path / "b.tsv").write_text("# only comments\n")
    with pytest.raises(InputError, match="no header"):
        read_tomtom_tsv(tmp_path / "b.tsv")
    (tmp_path / "c.tsv").write_text("\t".join(COLUMNS) + "\nq\tt\tx\t1\t1\t1\t3\tA\tA\t+\n")
    with pytest.raises(InputError, match="non-numeric"):
        read_tomtom_tsv(tmp_path / "c.tsv")


@pytest.mark.parametrize("name", ["meme541_jaspar.tsv", "lite_jaspar.tsv", "meme510_style.tsv"])
def test_evalue_is_pvalue_times_number_of_targets(name):
    df = read_tomtom_tsv(FIX / name)
    assert len(df) > 0
    np.testing.assert_allclose(df["E-value"], df["p-value"] * N_JASPAR, rtol=2e-5)
    assert (df["E-value"] <= 0.1).all()


# ---------------------------------------------------------------------------- q-values


def test_qvalues_hand_checked():
    # m = 5 <= 100 p-values: pi0 = 1, so q_i = min_{j >= i} p_j * m / j
    # FDR = [0.005, 0.05, 0.035, 0.625, 0.9] -> q = [0.005, 0.035, 0.035, 0.625, 0.9]
    q = tomtom_qvalues(np.array([0.001, 0.02, 0.021, 0.5, 0.9]))
    np.testing.assert_allclose(q, [0.005, 0.035, 0.035, 0.625, 0.9], rtol=1e-12)
    np.testing.assert_allclose(tomtom_qvalues(np.array([0.3])), [0.3])
    assert tomtom_qvalues(np.array([0.5, 0.9]))[1] == 0.9
    assert tomtom_qvalues(np.array([0.9, 0.95]))[0] == 0.95  # capped FDR, then step-up
    assert tomtom_qvalues(np.array([])).size == 0
    with pytest.raises(ValueError, match="sorted"):
        tomtom_qvalues(np.array([0.2, 0.1]))


def test_meme_random_is_mtwist_unseeded_stream():
    # Printed by a C program linking MEME 5.4.1's mtwist.c: mt_ldrand() x5, skip 300000, x1
    rng = MemeRandom()
    expected = [
        0.81733006006084874,
        0.51035437247053095,
        0.035416348602732073,
        0.62570870343190432,
        0.41071051106200873,
    ]
    np.testing.assert_array_equal(rng.ldrand(5), expected)
    rng.ldrand(300000)
    assert rng.ldrand(1)[0] == 0.45072688139588279


def test_qvalues_reproduce_meme_541():
    """Exact check against the binary on targets that are their own reverse complement.

    Tomtom computes q-values over both strands of every target but prints one strand; for
    palindromic targets both strands have the same p-value, so the printed table holds every
    p-value the binary used. Query 1 estimates pi0 by bootstrap at a lambda that is not the
    minimum (0.8878 vs 0.8854), so the bootstrap is exercised; the generator stream runs on
    across the 4 queries as in the binary.
    """
    golden = read_tomtom_tsv(FIX / "meme541_palindromes_all.tsv")
    rng = MemeRandom()
    n_queries = 0
    for _, g in golden.groupby("Query_ID", sort=False):
        assert len(g) == 60
        p = g["p-value"].to_numpy().astype(np.float32).astype(np.float64)
        q = tomtom_qvalues(np.repeat(np.sort(p), 2), rng)[0::2]
        np.testing.assert_allclose(q, g["q-value"].to_numpy(), rtol=2e-5)
        n_queries += 1
    assert n_queries == 4


# ---------------------------------------------------------------------------- lite back-end


def _assert_tables_close(got: pd.DataFrame, want: pd.DataFrame, thresh: float = 0.1) -> None:
    """Same rows (except ones within 1 % of the threshold), same integers and strings."""
    key = ["Query_ID", "Target_ID"]
    both = got.merge(want, on=key, how="outer", suffixes=("_g", "_w"), indicator=True)
    lonely = both[both["_merge"] != "both"]
    e = lonely["E-value_g"].fillna(lonely["E-value_w"])
    assert ((e > thresh / 1.01) & (e <= thresh)).all(), lonely[key + ["E-value_g", "E-value_w"]]
    common = both[both["_merge"] == "both"]
    for col in ("Optimal_offset", "Overlap", "Query_consensus", "Target_consensus", "Orientation"):
        assert (common[f"{col}_g"] == common[f"{col}_w"]).all(), col
    for col in ("p-value", "E-value", "q-value"):
        np.testing.assert_allclose(common[f"{col}_g"], common[f"{col}_w"], rtol=1e-3, atol=0)


def test_lite_reproduces_its_golden_table(jaspar, tmp_path):
    df = tomtom(FIX / "queries.meme", jaspar, backend="lite", out_dir=tmp_path / "out")
    assert tuple(df.columns) == COLUMNS
    assert df.attrs["backend"] == "lite" and df.attrs["version"].startswith("memelite ")
    _assert_tables_close(df, read_tomtom_tsv(FIX / "lite_jaspar.tsv"))
    # the file is MEME's format and reads back to the returned table
    written = tmp_path / "out" / "tomtom.tsv"
    assert [p.name for p in written.parent.iterdir()] == ["tomtom.tsv"]
    pd.testing.assert_frame_equal(read_tomtom_tsv(written), df)
    text = written.read_text()
    assert text.startswith("\t".join(COLUMNS) + "\n")
    tail = text.rstrip("\n").split("\n")[-4:]
    assert tail[0] == "" and all(line.startswith("# ") for line in tail[1:])
    assert "memelite" in tail[1]


def test_lite_table_invariants_on_small_database():
    df = tomtom(FIX / "queries4.meme", FIX / "palindromes.meme", backend="lite", thresh=1e9)
    queries = read_meme(FIX / "queries4.meme")
    targets = read_meme(FIX / "palindromes.meme")
    assert list(df["Query_ID"].unique()) == list(queries)
    for qid, g in df.groupby("Query_ID", sort=False):
        assert len(g) == len(targets) and g["Target_ID"].is_unique  # one strand per target
        assert g["p-value"].is_monotonic_increasing and g["q-value"].is_monotonic_increasing
        assert (g["Query_consensus"].str.len() == len(queries[qid])).all()
        width = g["Target_ID"].map({k: len(v) for k, v in targets.items()})
        assert (g["Target_consensus"].str.len() == width).all()
        assert (g["Overlap"] <= np.minimum(width, len(queries[qid]))).all()
    np.testing.assert_allclose(df["E-value"], df["p-value"] * len(targets), rtol=2e-5)
    # The threshold cuts the ranked list. Queries with a target near the threshold are
    # recomputed exactly (lite.EDGE_FACTOR, toolkit.tomtom.exact) in the thresholded call
    # only, so their values may move a little; decisions away from the threshold may not.
    cut = tomtom(FIX / "queries4.meme", FIX / "palindromes.meme", backend="lite", thresh=0.05)
    _assert_cut_of(cut, df, "E-value", 0.05)
    # q-value thresholding (tomtom's default mode) uses the same q-values
    qcut = tomtom(FIX / "queries4.meme", FIX / "palindromes.meme", evalue=False, thresh=0.01)
    _assert_cut_of(qcut, df, "q-value", 0.01)


def _assert_cut_of(cut: pd.DataFrame, full: pd.DataFrame, col: str, thresh: float) -> None:
    """``cut`` (a thresholded table) holds the rows of ``full`` with ``col`` <= thresh, up to
    rows within the lite back-end's rescoring factor of the threshold; the rest agree."""
    from toolkit.tomtom.lite import EDGE_FACTOR

    assert (cut[col] <= thresh).all()
    for _, g in cut.groupby("Query_ID", sort=False):
        assert g["p-value"].is_monotonic_increasing and g["Target_ID"].is_unique
    key = ["Query_ID", "Target_ID"]
    want = full[full[col] <= thresh]
    both = cut.merge(want, on=key, how="outer", suffixes=("_c", "_f"), indicator=True)
    lonely = both[both["_merge"] != "both"]
    # the full table reports every pair, so each lonely pair's value is read there
    in_full = full.set_index(key)[col]
    pairs = zip(lonely.Query_ID, lonely.Target_ID, strict=True)
    value = [in_full.get(pair, np.nan) for pair in pairs]
    value = pd.Series(value, index=lonely.index, dtype=float)
    assert value.between(thresh / EDGE_FACTOR, thresh * EDGE_FACTOR).all(), lonely
    common = both[both["_merge"] == "both"]
    np.testing.assert_allclose(common["p-value_c"], common["p-value_f"], rtol=0.5)


def test_lite_exact_match_is_best_with_offset_zero(tmp_path):
    targets = read_meme(FIX / "palindromes.meme")
    rng = np.random.default_rng(3)
    q = {"fwd": rng.dirichlet(np.ones(4), size=9)}
    q["rev"] = q["fwd"][::-1, ::-1]
    write_meme(tmp_path / "t.meme", {**targets, "planted": q["fwd"]})
    write_meme(tmp_path / "q.meme", q)
    df = tomtom(tmp_path / "q.meme", tmp_path / "t.meme")
    best = df.groupby("Query_ID", sort=False).head(1).set_index("Query_ID")
    assert list(best["Target_ID"]) == ["planted", "planted"]
    assert list(best["Orientation"]) == ["+", "-"]
    assert list(best["Optimal_offset"]) == [0, 0] and list(best["Overlap"]) == [9, 9]


def test_lite_skips_queries_wider_than_100_like_meme(tmp_path):
    rng = np.random.default_rng(4)
    write_meme(
        tmp_path / "q.meme",
        {
            "wide": rng.dirichlet(np.ones(4), size=101),
            "ok": read_meme(FIX / "palindromes.meme")["pal00"],
        },
    )
    with pytest.warns(UserWarning, match="wider than 100"):
        df = tomtom(tmp_path / "q.meme", FIX / "palindromes.meme", thresh=1e9)
    assert set(df["Query_ID"]) == {"ok"}
    write_meme(tmp_path / "w.meme", {"wide": np.full((101, 4), 0.25)})
    with pytest.warns(UserWarning, match="wider than 100"):
        assert len(tomtom(tmp_path / "w.meme", FIX / "palindromes.meme")) == 0


def test_parameter_errors(tmp_path):
    q = FIX / "queries4.meme"
    with pytest.raises(InputError, match="backend"):
        tomtom(q, q, backend="blast")
    with pytest.raises(InputError, match="only dist='ed'"):
        tomtom(q, q, dist="pearson")
    with pytest.raises(InputError, match="min_overlap=1"):
        tomtom(q, q, min_overlap=3)
    with pytest.raises(InputError, match="thresh"):
        tomtom(q, q, thresh=-1)
    with pytest.raises(InputError, match="dist"):
        tomtom(q, q, dist="manhattan", backend="meme")
    bad = tmp_path / "bad.meme"
    bad.write_text("MEME version 4\n\nMOTIF a\nletter-probability matrix: w= 1\n0.5 0.5 0.5\n")
    with pytest.raises(InputError, match="line 5") as err:
        tomtom(bad, q, out_dir=tmp_path / "out")
    assert err.value.source == str(bad)
    assert not (tmp_path / "out").exists()


def test_numba_cache_falls_back_to_user_cache(monkeypatch, tmp_path):
    import toolkit.tomtom.lite as lite

    monkeypatch.setenv("NUMBA_CACHE_DIR", "")  # recorded, so teardown restores the original
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    reloads = []
    # leave the session's numba configuration alone
    monkeypatch.setattr(lite, "_reload_numba_config", lambda: reloads.append(1))
    # read-only site-packages
    monkeypatch.setattr(lite, "_writable_dir", lambda path: "memelite" not in str(path))
    assert lite.configure_numba_cache() == str(tmp_path / "xdg" / "expact" / "numba")
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "xdg" / "expact" / "numba")
    assert reloads == [1]
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setattr(lite, "_writable_dir", lambda path: False)  # read-only home, too
    assert "expact-numba-" in lite.configure_numba_cache()
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert lite.configure_numba_cache() == str(tmp_path / "mine")  # an explicit choice wins


# ---------------------------------------------------------------------------- meme back-end


def _fake_tomtom(folder: Path, stdout_file: Path, version: str = "9.9.9") -> Path:
    script = folder / "tomtom"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "-version" ]; then echo {version}; exit 0; fi\n'
        f'echo "$@" > "{folder}/args"\n'
        f'cat "{stdout_file}"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_find_tomtom_order_and_missing_binary(monkeypatch, tmp_path):
    monkeypatch.setenv("EXPACT_TOMTOM", str(tmp_path / "nope"))
    with pytest.raises(TomtomNotFoundError, match="EXPACT_TOMTOM"):
        find_tomtom()
    monkeypatch.delenv("EXPACT_TOMTOM")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(TomtomNotFoundError, match="build_meme.sh"):
        find_tomtom()
    with pytest.raises(TomtomNotFoundError):
        tomtom(FIX / "queries4.meme", FIX / "palindromes.meme", backend="meme")
    (tmp_path / "onpath").mkdir()
    on_path = _fake_tomtom(tmp_path / "onpath", FIX / "meme510_style.tsv")
    monkeypatch.setenv("PATH", str(tmp_path / "onpath"))
    assert find_tomtom() == on_path
    (tmp_path / "prefix" / "bin").mkdir(parents=True)
    in_prefix = _fake_tomtom(tmp_path / "prefix" / "bin", FIX / "meme510_style.tsv")
    assert find_tomtom() == in_prefix  # sys.prefix/bin before PATH
    monkeypatch.setenv("EXPACT_TOMTOM", str(on_path))
    assert find_tomtom() == on_path  # the environment variable first


def test_meme_backend_command_and_parsing_with_fake_binary(monkeypatch, tmp_path):
    fake = _fake_tomtom(tmp_path, FIX / "meme510_style.tsv", version="5.1.0")
    monkeypatch.setenv("EXPACT_TOMTOM", str(fake))
    df = tomtom(
        FIX / "queries4.meme", FIX / "palindromes.meme", backend="meme", out_dir=tmp_path / "res"
    )
    args = (tmp_path / "args").read_text().split()
    assert args[:7] == ["-text", "-verbosity", "1", "-dist", "ed", "-min-overlap", "1"]
    assert args[7:10] == ["-evalue", "-thresh", "0.1"]
    assert args[10:] == [str(FIX / "queries4.meme"), str(FIX / "palindromes.meme")]
    pd.testing.assert_frame_equal(df, read_tomtom_tsv(FIX / "meme510_style.tsv"))
    assert df.attrs["version"] == "MEME tomtom 5.1.0"
    # the binary's output is kept byte for byte
    assert (tmp_path / "res" / "tomtom.tsv").read_bytes() == (
        FIX / "meme510_style.tsv"
    ).read_bytes()


@pytest.fixture(scope="module")
def both_backends(meme_binary, jaspar):
    """Every (query, target) pair from both back-ends (thresh 1e9: all 518 targets)."""
    meme = tomtom(FIX / "queries.meme", jaspar, backend="meme", thresh=1e9)
    lite = tomtom(FIX / "queries.meme", jaspar, backend="lite", thresh=1e9)
    return meme, lite


@pytest.mark.meme
def test_meme_binary_is_541_and_reproduces_goldens(meme_binary, both_backends, tmp_path):
    assert tomtom_version("meme") == "MEME tomtom 5.4.1"
    meme, _ = both_backends
    assert len(meme) == 24 * N_JASPAR
    # -thresh only cuts the ranked list, so the E <= 0.1 rows are the paper's table
    matches = meme[meme["E-value"] <= 0.1].reset_index(drop=True)
    _assert_tables_close(matches, read_tomtom_tsv(FIX / "meme541_jaspar.tsv"))
    pal = tomtom(FIX / "queries4.meme", FIX / "palindromes.meme", backend="meme", thresh=1e9)
    _assert_tables_close(pal, read_tomtom_tsv(FIX / "meme541_palindromes_all.tsv"), thresh=1e9)


@pytest.mark.meme
def test_backends_agree_on_jaspar(both_backends):
    """lite vs the MEME 5.4.1 binary on 24 filter-like queries x JASPAR 2016 (518).

    Tolerances (measured: r = 0.99993, 24/24 best hits, 6 of ~300 decisions differ, all with
    both E-values in [0.093, 0.119]):
    * Pearson r of log10 p over all 12,432 pairs > 0.999 (the brief asks > 0.99);
    * the same best hit for every query (or one tied with MEME's best p-value);
    * match decisions (E <= 0.1) may differ only where MEME's E-value is within a factor
      1.5 of the threshold, and for at most 5 % of MEME's matches: memelite's p-values differ
      from MEME's by up to ~30 % around p = 1e-4 (binned medians, hashed target columns,
      float32), so only a match that close to the threshold can flip.
    """
    meme, lite = both_backends
    both = meme.merge(lite, on=["Query_ID", "Target_ID"], suffixes=("_m", "_l"))
    assert len(both) == len(meme) == len(lite)
    ok = (both["p-value_m"] > 0) & (both["p-value_l"] > 0)  # float32 underflow gives 0
    r = np.corrcoef(np.log10(both.loc[ok, "p-value_m"]), np.log10(both.loc[ok, "p-value_l"]))
    assert r[0, 1] > 0.999

    for qid, gm in meme.groupby("Query_ID", sort=False):
        best_l = lite.loc[lite["Query_ID"] == qid].iloc[0]
        tied = gm.loc[gm["p-value"] == gm["p-value"].iloc[0], "Target_ID"]
        assert best_l["Target_ID"] in set(tied), qid

    dm, dl = both["E-value_m"] <= 0.1, both["E-value_l"] <= 0.1
    flips = both[dm != dl]
    assert len(flips) <= 0.05 * dm.sum()
    assert flips["E-value_m"].between(0.1 / 1.5, 0.1 * 1.5).all(), flips
    # where both report a match, they agree on strand and offset nearly always
    agree = both[dm & dl]
    same = (agree["Orientation_m"] == agree["Orientation_l"]) & (
        agree["Optimal_offset_m"] == agree["Optimal_offset_l"]
    )
    assert same.mean() >= 0.95
    assert (agree["Query_consensus_m"] == agree["Query_consensus_l"]).all()
