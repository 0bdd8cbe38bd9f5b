"""Region scorer and motif scans of Ext Data Fig 1c,d, on small hand-made inputs."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.localisation import localisation, motif_scan


def _model(length: int, motifs: list[tuple[int, int]]) -> np.ndarray:
    """(1, 4, L) ground truth: uniform background, a certain base inside each (start, end)."""
    model = np.full((1, 4, length), 0.25)
    for start, end in motifs:
        model[0, :, start:end] = 0.0
        model[0, 0, start:end] = 1.0
    return model


def test_segments_dilation_and_max_per_segment():
    model = _model(30, [(10, 13)])
    scan = np.zeros((1, 30))
    scan[0, 11] = 5.0  # inside the motif
    # buffer 0: segments [0,10) bg, [10,13) motif, [13,30) bg
    result = localisation(scan, model, buffer=0)
    assert (result["n_positive"], result["n_negative"]) == (1, 2)
    assert result["auroc"] == 1.0 and result["aupr"] == pytest.approx(1.0)
    # a background peak higher than the motif's: the motif segment ranks last
    scan[0, 25] = 9.0
    assert localisation(scan, model, buffer=0)["auroc"] == 0.5
    # buffer 13 swallows the peak at 25 into the motif segment, leaving one background segment
    wide = localisation(scan, model, buffer=13)
    assert (wide["n_positive"], wide["n_negative"]) == (1, 1) and wide["auroc"] == 1.0
    # channels-last ground truth is the same thing
    assert localisation(scan, model.transpose(0, 2, 1), buffer=0)["auroc"] == 0.5


def test_no_background_segment_gives_nan():
    model = _model(10, [(0, 10)])
    result = localisation(np.ones((1, 10)), model, buffer=0)
    assert np.isnan(result["auroc"]) and result["n_negative"] == 0


def test_motif_scan_equals_a_naive_loop():
    rng = np.random.default_rng(0)
    x = np.eye(4)[rng.integers(0, 4, (3, 25))]
    pwms = [rng.dirichlet(np.ones(4), size=w).T for w in (4, 7)]
    for kind in ("ppm", "pwm"):
        got = motif_scan(x, pwms, kind)
        want = np.full((3, 25), -np.inf)
        for pwm in pwms:
            w = pwm.shape[1]
            weights = np.log2(pwm / 0.25 + 1e-10) if kind == "pwm" else pwm
            for n in range(3):
                for i in range(25 - w + 1):
                    s = sum(weights[:, j] @ x[n, i + j] for j in range(w))
                    want[n, i + w // 2] = max(want[n, i + w // 2], s)
        want[~np.isfinite(want)] = np.nan
        np.testing.assert_allclose(got, want, equal_nan=True)
    assert np.isnan(got[:, 0]).all() and np.isfinite(got[:, 2]).all()
