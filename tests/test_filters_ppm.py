"""Filter -> PPM: the vectorised alignment against the original per-hit loop, and golden values."""

from __future__ import annotations

import numpy as np
import pytest
from reference_data import ppm_naive

from toolkit.errors import InputError
from toolkit.filters import clip, ppm


def _one_hot(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    return np.eye(4)[rng.integers(0, 4, size=(n, length))]


def test_matches_the_original_loop_on_random_activations():
    rng = np.random.default_rng(0)
    x = _one_hot(rng, 40, 60)
    fmap = rng.gamma(1.0, size=(40, 60, 5)) ** 3  # heavy tail: few strong hits per filter
    fmap[..., 4] = 0.0  # a dead filter: every position equals the max, all hits kept
    fast, n_windows = ppm(fmap, x)
    slow = ppm_naive(fmap, x)
    np.testing.assert_allclose(fast, slow, atol=1e-6)
    assert n_windows.shape == (5,)


def test_recovers_a_planted_motif_and_counts_windows():
    rng = np.random.default_rng(1)
    x = _one_hot(rng, 30, 50)
    motif = np.eye(4)[[0, 1, 2, 3, 3, 2]]  # ACGTTG
    x[:, 20:26] = motif
    fmap = np.zeros((30, 50, 1))
    fmap[:, 23, 0] = 1.0  # the filter fires at the motif's centre in every sequence
    result, n_windows = ppm(fmap, x, threshold=0.5, window=20)
    assert n_windows.tolist() == [30]
    # window starts 10 before the hit: the motif sits at window offsets 7..12
    np.testing.assert_allclose(result[0, 7:13], motif)


def test_edge_hits_are_dropped_strictly_as_the_original():
    x = np.tile(np.eye(4)[[0]], (2, 40, 1))  # all A
    fmap = np.zeros((2, 40, 1))
    fmap[0, 10, 0] = 1.0  # start = 0: dropped (original needs start > 0)
    fmap[1, 30, 0] = 1.0  # end = 40 = L: dropped (original needs end < L)
    result, n_windows = ppm(fmap, x)
    assert n_windows.tolist() == [0]
    np.testing.assert_allclose(result, 0.25)  # no window -> uniform
    fmap[0, 11, 0] = 1.0
    fmap[1, 29, 0] = 1.0  # both inside now
    fmap[0, 10, 0] = fmap[1, 30, 0] = 0.0
    result, n_windows = ppm(fmap, x)
    assert n_windows.tolist() == [2]
    np.testing.assert_allclose(result[0, :, 0], 1.0)


def test_single_window_gives_uniform_as_the_original():
    x = np.tile(np.eye(4)[[2]], (1, 40, 1))
    fmap = np.zeros((1, 40, 1))
    fmap[0, 20, 0] = 1.0
    result, n_windows = ppm(fmap, x)
    assert n_windows.tolist() == [1]
    np.testing.assert_allclose(result, 0.25)


def test_golden_values_seeded():
    rng = np.random.default_rng(7)
    x = _one_hot(rng, 8, 32)
    fmap = rng.random((8, 32, 2))
    result, n_windows = ppm(fmap, x, threshold=0.9, window=6)
    assert n_windows.tolist() == [18, 18]
    # golden numbers from this implementation, checked equal to the original loop below
    np.testing.assert_allclose(result, ppm_naive(fmap, x, threshold=0.9, window=6))
    np.testing.assert_allclose(result[0, 0], np.array([4, 8, 4, 2]) / 18, atol=1e-9)
    np.testing.assert_allclose(result[1, 2], np.array([2, 6, 3, 7]) / 18, atol=1e-9)


def test_bad_shapes_are_clear_errors():
    with pytest.raises(InputError, match=r"fmap \(N, L, F\) and x \(N, L, 4\)"):
        ppm(np.zeros((2, 10)), np.zeros((2, 10, 4)))
    with pytest.raises(InputError, match="differ in N or L"):
        ppm(np.zeros((2, 10, 3)), np.zeros((3, 10, 4)))


def test_clip_keeps_informative_span_with_padding():
    w = np.full((20, 4), 0.25)
    w[8:11] = np.eye(4)[[0, 1, 2]]
    (clipped,) = clip(w[None], threshold=0.5, pad=3)
    assert clipped.shape == (9, 4)  # positions 5..13
    np.testing.assert_allclose(clipped[3:6], np.eye(4)[[0, 1, 2]])


def test_clip_index0_bug_is_fixed_by_default_and_reproducible():
    w = np.full((20, 4), 0.25)
    w[0] = [1, 0, 0, 0]  # only position 0 is informative
    (fixed,) = clip(w[None])
    (buggy,) = clip(w[None], reproduce_index0_bug=True)
    assert fixed.shape == (4, 4)  # 0..3
    assert buggy.shape == (20, 4)  # index.any() was False: returned unclipped
