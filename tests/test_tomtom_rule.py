"""The match rule in words (toolkit/tomtom/rule.py): one sentence for the report and --check.

The record's ``match_rule`` and ``motif_db`` sections go in; every fact they hold must come
out (tool and back-end, distance, threshold, min overlap, the Gmeb1 rule, the ground-truth
rule where there is one, the database and what ``motifs.min_mean_ic`` left out). The
report states the records' sections, and rebuilds them from the sweep's parameters only for
records without them.
"""

from __future__ import annotations

import json

import numpy as np

from toolkit.meme_io import write_meme
from toolkit.report.build import _motif_db
from toolkit.report.inventory import Sweep
from toolkit.tomtom.rule import describe_match_rule, match_rule, motif_db
from toolkit.tomtom.targets import TargetSet

TOMTOM = {"backend": "lite", "dist": "ed", "thresh": 0.1, "min_overlap": 1, "target": "x"}


def test_rule_alone_states_every_fact_of_the_rule():
    text = describe_match_rule(match_rule(TOMTOM))
    assert text.startswith("Match rule: Tomtom (lite), distance ed, E-value <= 0.1, min overlap 1")
    assert "any hit at or below the threshold" in text and "MA0615.1 Gmeb1 does not count" in text
    assert "ground truth" not in text and text.endswith(".")
    with_truth = describe_match_rule(match_rule(TOMTOM, ground_truth=True))
    assert "it matches the ground truth when a hit is one of the JASPAR IDs of a planted TF" in (
        with_truth
    )


def test_database_with_and_without_the_min_mean_ic_filter():
    rule = match_rule(TOMTOM | {"thresh": 1e-5})
    kept = TargetSet("/d/mine.meme", "/run/tomtom/targets.meme", 5, 1.0, ["M4 a", "M5 b"])
    text = describe_match_rule(rule, motif_db({"min_mean_ic": 1.0}, kept))
    assert text.startswith(
        "Motif database: the file /d/mine.meme, 5 motifs, 3 of them compared after leaving out "
        "the 2 with a mean information below 1 bits per column (motifs.min_mean_ic). "
        "Match rule: Tomtom (lite), distance ed, E-value <= 1e-05, min overlap 1;"
    )
    # the paper's set, whole: named as the pyjaspar release it was written from
    paper = TargetSet("/r/JASPAR2016_CORE_vertebrates.meme", "/r/x", 518, 0.0)
    text = describe_match_rule(rule, motif_db(None, paper))
    assert text.startswith(
        "Motif database: JASPAR2016 CORE vertebrates (written from pyjaspar to "
        "JASPAR2016_CORE_vertebrates.meme), 518 motifs, all of them compared. Match rule:"
    )


def test_database_not_read_still_states_the_filter():
    db = motif_db(
        {"release": "JASPAR2024", "min_mean_ic": 1}, "/r/JASPAR2024_CORE_vertebrates.meme"
    )
    assert db["release"] == "JASPAR2024" and "n_motifs" not in db
    text = describe_match_rule(match_rule(TOMTOM), db)
    assert "JASPAR2024 CORE vertebrates (written from pyjaspar" in text
    assert "not counted" in text and "below 1 bits per column left out" in text


def _sweep(tmp_path, record: dict, target) -> Sweep:
    path = tmp_path / "runs" / "r0" / "record.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(record))
    params = {"tomtom": TOMTOM | {"target": str(target)}, "extra": {"motifs": {"min_mean_ic": 1}}}
    return Sweep(
        tmp_path,
        ".",
        meta={"task": "sequences"},
        expected={"r0": {}},
        params=params,
        records={"r0": (str(path), "runs/r0/record.json", 0, 0)},
    )


def test_report_states_the_records_sections_and_falls_back_without_them(tmp_path):
    rng = np.random.default_rng(0)
    sharp = [np.eye(4)[rng.integers(0, 4, 8)] * 0.9 + 0.025 for _ in range(3)]
    vague = list(rng.dirichlet([10.0] * 4, size=(2, 12)))
    target = write_meme(tmp_path / "mine.meme", sharp + vague)
    recorded = TargetSet(str(target), str(target), 7, 1.0, ["A", "B", "C"])  # as run: 7 motifs
    record = {"match_rule": match_rule(TOMTOM), "motif_db": motif_db({}, recorded)}
    (block,) = _motif_db(_sweep(tmp_path / "new", record, target))
    assert "7 motifs, 4 of them compared" in block["text"]  # the record's, not the file's now
    (block,) = _motif_db(_sweep(tmp_path / "old", {"spec": {}}, target))
    assert "5 motifs, 3 of them compared after leaving out the 2" in block["text"]
    assert "distance ed, E-value <= 0.1, min overlap 1" in block["text"]
