"""Trim uninformative flanks of filter PPMs (spec §5.1 step 5, ``utils.clip_filters``)."""

from __future__ import annotations

import numpy as np

from toolkit.filters.information import information


def clip(
    ppms: np.ndarray | list[np.ndarray],
    threshold: float = 0.5,
    pad: int = 3,
    reproduce_index0_bug: bool = False,
) -> list[np.ndarray]:
    """Keep the span of positions with more than ``threshold`` bits, plus ``pad`` on each side.

    Information per position is :func:`toolkit.filters.information.information`. A PPM
    with no informative position is returned whole. The original tested ``index.any()``,
    which is False when the only informative position is 0, so such a PPM was returned
    unclipped;
    ``reproduce_index0_bug=True`` restores that behaviour.

    Parameters
    ----------
    ppms : np.ndarray, shape (F, W, 4), or list of (W_f, 4) arrays
    threshold : float
        Bits a position needs to count as informative.
    pad : int
        Positions kept on each side of the informative span.

    Returns
    -------
    list of np.ndarray, each of shape (W'_f, 4)
    """
    clipped = []
    for w in ppms:
        w = np.asarray(w, dtype=np.float64)
        index = np.where(information(w) > threshold)[0]
        found = index.any() if reproduce_index0_bug else index.size > 0
        if found:
            start = max(int(index.min()) - pad, 0)
            end = min(int(index.max()) + pad + 1, w.shape[0])
            clipped.append(w[start:end, :])
        else:
            clipped.append(w)
    return clipped
