"""The lite Tomtom against the MEME 5.4.1 binary on first-layer filters of trained models.

``fixtures/tomtom/trained_filters.meme`` holds the ``filters.meme`` of trained runs (see
``fixtures/tomtom/README.md``); ``meme541_trained.tsv`` is the binary's table for them
against JASPAR CORE 2016 vertebrates (``tomtom -text -dist ed -min-overlap 1 -evalue -thresh
0.1``), made by ``regenerate.py --only trained`` (~1 s per filter on 2 cores, too slow for
every test run). The binary is run here on a sample of the filters to confirm the table is
still its output; the lite back-end runs on all of them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.meme_io import read_meme_file
from toolkit.tomtom import read_tomtom_tsv, tomtom

FIX = Path(__file__).resolve().parent / "fixtures" / "tomtom"
TRAINED = FIX / "trained_filters.meme"
GOLDEN = FIX / "meme541_trained.tsv"
N_JASPAR = 518
KEY = ["Query_ID", "Target_ID"]


@pytest.fixture(scope="module")
def jaspar(reference_data) -> Path:
    return reference_data / "JASPAR_CORE_2016_vertebrates.meme"


@pytest.fixture(scope="module")
def golden() -> pd.DataFrame:
    return read_tomtom_tsv(GOLDEN)


@pytest.fixture(scope="module")
def lite_trained(jaspar) -> pd.DataFrame:
    return tomtom(TRAINED, jaspar, backend="lite")


def agreement(got: pd.DataFrame, want: pd.DataFrame, n_queries: int) -> dict[str, float]:
    """How often two ``-thresh 0.1`` tables make the same decisions.

    Returns
    -------
    dict
        ``best_hit``: fraction of the queries with a hit in ``want`` whose first row (the
        lowest p-value; ties in the binary's order) names the same target in ``got``;
        ``pairs``: fraction of all query x target pairs reported by both or by neither;
        ``matches``: the same over the pairs either reports (a stricter measure);
        ``rows``: fraction of the pairs both report with the same p-value (as printed),
        offset, overlap and strand.
    """
    best_w = want.groupby("Query_ID", sort=False)["Target_ID"].first()
    best_g = got.groupby("Query_ID", sort=False)["Target_ID"].first()
    same_best = (best_g.reindex(best_w.index) == best_w).mean()
    pw = set(zip(want.Query_ID, want.Target_ID, strict=True))
    pg = set(zip(got.Query_ID, got.Target_ID, strict=True))
    differ = len(pw ^ pg)
    both = want.merge(got, on=KEY, suffixes=("_w", "_g"))
    same_row = np.ones(len(both), dtype=bool)
    for col in ("p-value", "Optimal_offset", "Overlap", "Orientation"):
        same_row &= (both[f"{col}_w"] == both[f"{col}_g"]).to_numpy()
    return {
        "best_hit": float(same_best),
        "pairs": 1 - differ / (n_queries * N_JASPAR),
        "matches": 1 - differ / max(len(pw | pg), 1),
        "rows": float(same_row.mean()),
    }


def test_fixture_is_trained_filters():
    mf = read_meme_file(TRAINED)
    assert len(mf.motifs) >= 400  # see fixtures/tomtom/README.md for the runs
    assert TRAINED.stat().st_size < 600_000
    assert max(len(m.ppm) for m in mf.motifs) <= 20  # filter PPMs: 19-20 nt windows, clipped
    assert len({m.id.rsplit(".", 1)[0] for m in mf.motifs}) >= 10  # several runs


def test_lite_agrees_with_binary_on_trained_filters(lite_trained, golden):
    """Measured on 448 filters of 14 runs (95 with a hit, 409 matches): best hit 95/95, every
    E <= 0.1 decision the same, 94 % of common rows identical to the binary's (the rest are
    rows of queries with every target far from a decision, within a few % of the binary's
    p-value). memelite alone (before the exact rescoring): best hit 92/95 (96.8 %), 5 of 410
    matches decided differently (98.8 %; 99.998 % of all 232,064 pairs), no row identical.
    """
    n_queries = len(read_meme_file(TRAINED).motifs)
    got = agreement(lite_trained, golden, n_queries)
    assert got["best_hit"] >= 0.995, got
    assert got["pairs"] >= 0.995, got
    assert got["matches"] >= 0.995, got
    assert got["rows"] >= 0.9, got
    # E-values are p x 518 in both, so the threshold is applied to the same numbers
    np.testing.assert_allclose(
        lite_trained["E-value"], lite_trained["p-value"] * N_JASPAR, rtol=2e-5
    )


@pytest.mark.meme
def test_binary_reproduces_trained_golden(meme_binary, jaspar, golden, tmp_path):
    """The golden table is the binary's output: every 24th filter rerun (19 filters, ~25 s)."""
    text = TRAINED.read_text()
    head, _, body = text.partition("\nMOTIF ")
    blocks = ("MOTIF " + body).split("\nMOTIF ")
    sample = [b if b.startswith("MOTIF ") else "MOTIF " + b for b in blocks[::24]]
    sub = tmp_path / "sample.meme"
    sub.write_text(head + "\n" + "\n".join(s.rstrip("\n") + "\n" for s in sample))
    ids = [m.id for m in read_meme_file(sub).motifs]
    meme = tomtom(sub, jaspar, backend="meme")
    want = golden[golden["Query_ID"].isin(ids)].reset_index(drop=True)
    cols = [c for c in meme.columns if c != "q-value"]  # q-values depend on the query set
    pd.testing.assert_frame_equal(
        meme[cols].sort_values(KEY, ignore_index=True),
        want[cols].sort_values(KEY, ignore_index=True),
    )
