"""Column information of PPMs (``toolkit.filters.information``), the formula shared by filter
clipping and the motif database's ``motifs.min_mean_ic`` filter."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.filters import clip, information
from toolkit.tomtom.targets import mean_information


def test_information_of_known_columns():
    ppm = np.array(
        [
            [0.25, 0.25, 0.25, 0.25],  # uniform: no information
            [1.0, 0.0, 0.0, 0.0],  # one letter: 2 bits
            [0.5, 0.5, 0.0, 0.0],  # two letters: 1 bit
            [0.7, 0.1, 0.1, 0.1],
        ]
    )
    expected = [0.0, 2.0, 1.0, 2 + 0.7 * np.log2(0.7) + 3 * 0.1 * np.log2(0.1)]
    np.testing.assert_allclose(information(ppm), expected, atol=1e-6)
    assert mean_information(ppm) == pytest.approx(np.mean(expected), abs=1e-6)


def test_clip_keeps_the_informative_span_by_the_same_formula():
    flank = [0.25, 0.25, 0.25, 0.25]
    ppm = np.array([flank] * 5 + [[0.5, 0.5, 0, 0], [1, 0, 0, 0]] + [flank] * 5, float)
    (clipped,) = clip([ppm], threshold=0.5, pad=1)
    assert clipped.shape == (4, 4)  # the two informative columns and one flank column each side
    np.testing.assert_array_equal(clipped, ppm[4:8])
    assert (information(clipped)[1:3] > 0.5).all()
