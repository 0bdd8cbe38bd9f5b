"""Scoring attribution maps against ground truth (spec §6) on hand-made masks and PWMs."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.attribution import DEFAULT_NORM, score
from toolkit.errors import InputError

L = 10


def _x(n: int = 3) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, L))]


def _on_observed(x: np.ndarray, per_position: np.ndarray) -> np.ndarray:
    """A map whose ``attribution * x`` summed over channels is ``per_position``."""
    return x * per_position[..., None]


def test_perfect_reversed_and_uninformative_maps():
    x = _x()
    mask = np.zeros((3, L), dtype=bool)
    mask[:, 2:5] = True  # 3 positives of 10
    perfect = _on_observed(x, mask.astype(float))
    result = score(perfect, x, mask)
    np.testing.assert_array_equal(result["auroc"], 1.0)
    np.testing.assert_array_equal(result["aupr"], 1.0)
    np.testing.assert_array_equal(result["n_positive"], 3)
    reversed_ = score(-perfect, x, mask)
    np.testing.assert_array_equal(reversed_["auroc"], 0.0)
    flat = score(np.zeros_like(x), x, mask)
    np.testing.assert_array_equal(flat["auroc"], 0.5)
    # one threshold: (recall 1, precision 3/10) and sklearn's (recall 0, precision 1) endpoint;
    # the trapezoid between them (not average precision, which would be 0.3)
    np.testing.assert_allclose(flat["aupr"], (1 + 0.3) / 2)


def test_hand_computed_ranking():
    x = _x(1)
    mask = np.array([[1, 0, 1, 0, 0, 0, 0, 0, 0, 1]], dtype=bool)
    # scores: positives 0.9, 0.4, 0.7; negatives 0.8, 0.1 ... (one negative above two positives)
    per_position = np.array([[0.9, 0.8, 0.4, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.7]])
    result = score(_on_observed(x, per_position), x, mask)
    # AUROC = P(positive > negative): 0.9 beats all 7 negatives, 0.7 and 0.4 beat 6 of 7
    np.testing.assert_allclose(result["auroc"], (7 + 6 + 6) / 21)
    # PR points by threshold: 0.9: P=1 R=1/3; 0.8: P=1/2 R=1/3; 0.7: P=2/3 R=2/3; 0.4: P=3/4
    # R=1; 0.1: P=3/10 R=1 (no width); plus sklearn's endpoint R=0 P=1
    recall = [0, 1 / 3, 1 / 3, 2 / 3, 1]
    precision = [1, 1, 1 / 2, 2 / 3, 3 / 4]
    np.testing.assert_allclose(result["aupr"], np.trapz(precision, recall))


def test_only_the_observed_base_counts_and_sign_is_kept():
    x = _x(1)
    mask = np.zeros((1, L), dtype=bool)
    mask[0, :4] = True
    attribution = np.ones((1, L, 4)) * 5.0  # large but equal everywhere off the observed base
    attribution[x == 1] = 0.0
    attribution[0, :4][x[0, :4] == 1] = -1.0  # negative on the motif: signed sum ranks it low
    assert score(attribution, x, mask)["auroc"][0] == 0.0


def test_l2norm_for_mutagenesis():
    x = _x(1)
    mask = np.zeros((1, L), dtype=bool)
    mask[0, 5:] = True
    deltas = np.zeros((1, L, 4))
    deltas[0, 5:, :] = -2.0  # large in magnitude, negative: the L2 norm still ranks them first
    deltas[x == 1] = 0.0
    assert DEFAULT_NORM["mutagenesis"] == "l2norm"
    result = score(deltas, x, mask, norm="l2norm")
    assert result["auroc"][0] == 1.0
    np.testing.assert_allclose(result["position_score"][0, 5:], np.sqrt(12 + 1e-10))
    assert score(deltas, x, mask)["auroc"][0] == 0.5  # times_input sees only the zeros


def test_ground_truth_pwms_in_both_layouts_and_the_info_threshold():
    x = _x(2)
    pwm = np.full((2, L, 4), 0.25)
    pwm[:, 3] = [1, 0, 0, 0]  # 2 bits
    pwm[:, 4] = [0.2505, 0.25, 0.25, 0.2495]  # ~2e-6 bits: below 0.01
    pwm[:, 5] = [0.4, 0.2, 0.2, 0.2]  # ~0.08 bits: above 0.01, below 0.1
    expected = np.zeros((2, L), dtype=bool)
    expected[:, [3, 5]] = True
    attribution = _on_observed(x, expected.astype(float))
    channels_last = score(attribution, x, pwm)
    channels_first = score(attribution, x, pwm.transpose(0, 2, 1))
    np.testing.assert_array_equal(channels_last["n_positive"], 2)
    np.testing.assert_array_equal(channels_last["auroc"], 1.0)
    np.testing.assert_array_equal(channels_first["auroc"], channels_last["auroc"])
    assert score(attribution, x, pwm, info_threshold=0.1)["n_positive"].tolist() == [1, 1]


def test_sequences_without_a_curve_are_nan():
    x = _x(2)
    mask = np.zeros((2, L), dtype=bool)
    mask[1, 0] = True
    result = score(np.zeros_like(x), x, mask)
    assert np.isnan(result["auroc"][0]) and np.isnan(result["aupr"][0])
    assert result["auroc"][1] == 0.5


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        (lambda a, x, m: (a, x, m[:, :-1]), "truth", "does not match"),  # mask one position short
        (lambda a, x, m: (a, x, m[:-1]), "truth", "does not match"),
        (lambda a, x, m: (a, x, np.full((3, 4, L + 1), 0.25)), "truth", "expected a mask"),
        (lambda a, x, m: (a, x, m * 2), "truth", "0/1"),
        (lambda a, x, m: (a, x, np.full((3, L, 4), 0.3)), "truth", "probability"),
        (lambda a, x, m: (a[:, :-1], x, m), "attribution", "does not match"),
        (lambda a, x, m: (a * np.nan, x, m), "attribution", "NaN"),
        (lambda a, x, m: (a, x * 0.5, m), "x", "not one-hot"),
        (lambda a, x, m: (a, x.transpose(0, 2, 1), m), "x", "(N, L, 4)"),
    ],
)
def test_bad_input_is_rejected_before_scoring(change, field, fragment):
    x = _x()
    mask = np.zeros((3, L), dtype=int)
    mask[:, :3] = 1
    attribution, x_bad, truth = change(np.ones_like(x), x, mask)
    with pytest.raises(InputError) as info:
        score(attribution, x_bad, truth)
    assert field in str(info.value) and fragment in str(info.value)


def test_unknown_norm():
    x = _x()
    with pytest.raises(InputError, match="norm"):
        score(np.zeros_like(x), x, np.zeros((3, L)), norm="abs")
