"""bench/motif_noise.py (docs/motif_matching.md's noise table): its own logic on a tiny run."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from toolkit.meme_io import write_meme

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "motif_noise.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("motif_noise", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["motif_noise"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules["motif_noise"]


def test_database_specs(bench):
    db = bench.parse_database("JASPAR2024:ic=1.0:w=25")
    assert (db.source, db.min_mean_ic, db.max_width) == ("JASPAR2024", 1.0, 25)
    assert bench.parse_database("file").min_mean_ic == 0.0
    for bad in ("file:w=20", "JASPAR2024:x=1", "JASPAR2024:ic="):
        with pytest.raises(ValueError):
            bench.parse_database(bad)


def test_noise_sets_and_summary(bench):
    pool = [np.eye(4)[[0, 1, 2, 3, 0]] * 0.97 + 0.0075] * 30
    generators = bench.noise_sets(pool)
    assert tuple(generators) == bench.NOISE_SETS
    for name, make in generators.items():
        ppms = make(0)
        assert len(ppms) == bench.N_FILTERS, name
        assert all(p.shape[1] == 4 and np.allclose(p.sum(axis=1), 1, atol=1e-4) for p in ppms)
        assert all(np.array_equal(a, b) for a, b in zip(ppms, make(0), strict=True)), name
    assert bench.summary([3]) == "3"
    assert bench.summary([0, 5, 2]) == "2 [0-5]"
    assert bench.summary([1, 2]) == "1.5 [1-2]"


def test_tiny_run(bench, tmp_path, capsys):
    """One seed of two sets against a 6-motif 'file' database, all and min_mean_ic 1.0."""
    rng = np.random.default_rng(0)
    vague = list(rng.dirichlet([3.0] * 4, size=(3, 20)))
    sharp = [np.eye(4)[rng.integers(0, 4, size=10)] * 0.94 + 0.015 for _ in range(3)]
    names = [f"MA000{j}.1 M{j}" for j in range(6)]
    target = write_meme(tmp_path / "tiny.meme", vague + sharp, names=names)
    out = tmp_path / "r.json"
    argv = ["--seeds", "1", "--sets", "dirichlet-3", "untrained-relu", "--jaspar2016"]
    argv += [str(target), "--databases", "file", "file:ic=1.0", "--out", str(out)]
    results = bench.main(argv)
    assert json.loads(out.read_text())["databases"] == results["databases"]
    assert [results["databases"][k]["n_motifs"] for k in ("file", "file:ic=1.0")] == [6, 3]
    for name in ("dirichlet-3", "untrained-relu"):
        # the vague targets absorb the noise (18-20 of 24); without them 1 of 24 matches
        (everything,) = results["databases"]["file"]["lite"][name]["matched"]
        (kept,) = results["databases"]["file:ic=1.0"]["lite"][name]["matched"]
        assert everything >= 12 and kept <= 6, (name, everything, kept)
    assert "| file:ic=1.0 | 3 |" in capsys.readouterr().out
