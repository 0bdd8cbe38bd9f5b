"""Science check: the paper's central Task 1 finding on a reduced data set.

Koo & Ploenzke (2021), Fig. 1c: CNN-deep with an exponential first-layer activation learns
filters that match the ground-truth motifs (median match fraction 0.90), with relu it does not
(0.00). On 15,000 generated sequences and 12 epochs (one trial each, fixed seed) the gap is
already wide: measured 0.56 vs 0.03 (test AUROC 0.76 vs 0.73; 2 min 40 s for both runs on
2 cores); with 20 epochs 0.69 vs 0.00 (AUROC 0.85 vs 0.77; 4 min 20 s). 12 epochs keep the
CI run under 30 minutes. The assertion asks for a clear margin, not the paper's number.

The models here have Keras' default kernels (glorot_uniform, as the §8 controls), with which
these margins were measured. The published models' he_normal kernels (the default since
issue 17) learn more slowly in the first epochs: with them the same 12 epochs gave an
exponential match fraction of 0.34 (2026-12-03), below this test's margin; the paper-scale
runs of docs/reproduction.md use he_normal.
"""

from __future__ import annotations

import json

import pytest
import yaml

from toolkit.cli import main


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_exponential_filters_match_motifs_relu_filters_do_not(tmp_path, reference_data):
    config = {
        "task": "task1",
        "name": "science",
        "models": ["cnn-deep"],
        "activations": ["relu", "exponential"],
        "trials": 1,
        "seed": 0,
        "data": {"generate": {"n_seq": 15000, "pfm": str(reference_data / "pfm_vertebrates.txt")}},
        "train": {"epochs": 12},
        "model": {"kernel_initializer": "glorot_uniform"},  # as calibrated (docstring)
        "filters": {"logos": False},
        "tomtom": {"target": str(reference_data / "JASPAR_CORE_2016_vertebrates.meme")},
    }
    path = tmp_path / "science.yaml"
    path.write_text(yaml.safe_dump(config))
    results = tmp_path / "results"
    assert main(["run", str(path), "--results", str(results), "--no-progress"]) == 0

    def record(act: str) -> dict:
        return json.loads((results / "runs" / f"cnn-deep_{act}_0" / "record.json").read_text())

    relu, exp = record("relu"), record("exponential")
    relu_match = relu["match"]["match_fraction"]
    exp_match = exp["match"]["match_fraction"]
    print(f"match fraction: exponential {exp_match:.3f}, relu {relu_match:.3f}")
    assert exp_match >= 0.4
    assert relu_match <= 0.15
    assert exp_match - relu_match >= 0.3
    # both models learned the task (well above chance), so the contrast is about filters
    assert relu["metrics"]["auroc"] > 0.65 and exp["metrics"]["auroc"] > 0.65
