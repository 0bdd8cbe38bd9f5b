"""Filter match statistics (spec §5.4) on a golden Tomtom table in MEME 5.1.0's format."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from toolkit.errors import InputError
from toolkit.match import load_ground_truth, match

FIXTURE = Path(__file__).parent / "fixtures" / "match" / "tomtom_5.1.0.tsv"


def test_golden_table_with_trailing_comment_lines():
    result = match(FIXTURE, n_filters=8)
    # filter0 -> sp1 (q 1e-5), filter3 -> stat1 (q 4e-3), filter5 -> max (tie on q with yy1:
    # the TF listed first wins, as in the original loop); filter2 hits a non-ground-truth motif
    assert result.best_match == ["sp1", "", "", "stat1", "", "max", "", ""]
    # ... through these ground-truth IDs (stat1's MA0137.3 beats its MEF2D slip MA0773.1)
    assert result.best_match_id == ["MA0079.3", "", "", "MA0137.3", "", "MA0058.3", "", ""]
    assert result.best_qvalue[0] == pytest.approx(1e-5)
    assert result.match_fraction == pytest.approx(3 / 8)
    # filters with any hit: 0, 2, 3, 4, 5; filter4's only hit is Gmeb1 (MA0615.1): corrected
    assert result.match_any == pytest.approx(4 / 8)
    assert result.coverage == pytest.approx(3 / 12)
    assert result.min_qvalue["sp1"] == pytest.approx(1e-5)
    assert result.min_qvalue["yy1"] == 1.0


def test_index0_bug_fixed_by_default_and_reproducible():
    table = pd.DataFrame({"Query_ID": ["filter0"], "Target_ID": ["MA0079.3"], "q-value": [1e-4]})
    assert match(table, n_filters=32).match_fraction == pytest.approx(1 / 32)
    assert match(table, n_filters=32, reproduce_index0_bug=True).match_fraction == 0.0


def test_no_hits_at_all():
    empty = pd.DataFrame(columns=["Query_ID", "Target_ID", "q-value"])
    result = match(empty, n_filters=4)
    assert result.match_fraction == 0.0 and result.match_any == 0.0
    assert result.best_match == [""] * 4


def test_ground_truth_lists_are_the_papers():
    gt = load_ground_truth()
    assert list(gt) == [
        "arid3",
        "cebpb",
        "fosl1",
        "gabpa",
        "mafk",
        "max",
        "mef2a",
        "nfyb",
        "sp1",
        "srf",
        "stat1",
        "yy1",
    ]
    assert gt["stat1"] == ["MA0137.1", "MA0137.2", "MA0137.3", "MA0660.1", "MA0773.1"]
    assert sum(len(v) for v in gt.values()) == 32


def test_bad_tables_are_clear_errors(tmp_path):
    with pytest.raises(InputError, match="missing \\['q-value'\\]"):
        match(pd.DataFrame({"Query_ID": [], "Target_ID": []}), n_filters=4)
    bad = pd.DataFrame({"Query_ID": ["filter9"], "Target_ID": ["MA0079.3"], "q-value": [0.1]})
    with pytest.raises(InputError, match="Query_ID.*filter0..filter3"):
        match(bad, n_filters=4)
