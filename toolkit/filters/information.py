"""Information content of PPM columns, the one formula behind filter clipping and the motif
database's information filter."""

from __future__ import annotations

import numpy as np


def information(ppm: np.ndarray) -> np.ndarray:
    """Bits of information of each column of a PPM against a uniform background.

    ``2 + sum_a p log2(p + 1e-7)``: the original's ``utils.clip_filters`` formula (spec §5.1
    step 5), the 1e-7 keeping empty letters finite.

    Parameters
    ----------
    ppm : np.ndarray, shape (L, 4)

    Returns
    -------
    np.ndarray, shape (L,)
        Between about 0 (a uniform column) and 2 (one letter).
    """
    p = np.asarray(ppm, dtype=np.float64)
    return np.log2(4) + np.sum(p * np.log2(p + 1e-7), axis=-1)
