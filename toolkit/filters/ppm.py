"""Activation-aligned position probability matrices of first-layer filters (spec §5.1)."""

from __future__ import annotations

import numpy as np

from toolkit.errors import InputError


def ppm(
    fmap: np.ndarray,
    x: np.ndarray,
    threshold: float = 0.5,
    window: int = 20,
) -> tuple[np.ndarray, np.ndarray]:
    """Average the sequence windows around every strong activation of each filter.

    For filter f, every (sequence n, position p) with ``fmap[n, p, f] > threshold * max(fmap[..., f])``
    (the max is global over all N sequences, the comparison strict) contributes the window
    ``x[n, p - window//2 : p + window - window//2]``. As in the original, a window is kept only if
    ``p - window//2 > 0`` and ``p + window - window//2 < L`` (strict: edge hits are dropped) and a
    filter with at most one window gets the uniform PPM.

    Vectorised over hits: for each of the ``window`` offsets, one (F, N*P) x (N*P, 4) product of
    the hit mask with the shifted sequences; no Python loop over sequences or hits.

    Parameters
    ----------
    fmap : np.ndarray, shape (N, L, F)
        First-layer post-activation outputs on the sequences ``x``.
    x : np.ndarray, shape (N, L, 4)
        One-hot sequences, channels last.
    threshold : float
        Fraction of each filter's global maximum an activation must exceed.
    window : int
        Width of the aligned window.

    Returns
    -------
    ppms : np.ndarray, shape (F, window, 4)
        Position probability matrices (rows sum to 1).
    n_windows : np.ndarray, shape (F,)
        Number of windows averaged per filter (0 or 1 means the PPM is uniform).
    """
    fmap = np.asarray(fmap)
    x = np.asarray(x)
    if fmap.ndim != 3 or x.ndim != 3 or x.shape[-1] != 4:
        raise InputError(
            None,
            "fmap/x",
            f"expected fmap (N, L, F) and x (N, L, 4), got {fmap.shape} and {x.shape}",
        )
    if fmap.shape[:2] != x.shape[:2]:
        raise InputError(
            None, "fmap/x", f"fmap {fmap.shape} and x {x.shape} differ in N or L (expected equal)"
        )
    n, length, n_filters = fmap.shape
    left = window // 2
    right = window - left
    # positions whose window fits strictly inside the sequence (original: start > 0, end < L)
    p_lo, p_hi = left + 1, length - right  # p in [p_lo, p_hi)
    ppms = np.full((n_filters, window, 4), 0.25, dtype=np.float64)
    if p_hi <= p_lo:
        return ppms, np.zeros(n_filters, dtype=np.int64)

    fmax = fmap.reshape(-1, n_filters).max(axis=0)
    hits = fmap[:, p_lo:p_hi, :] > threshold * fmax  # (N, P, F)
    n_windows = hits.sum(axis=(0, 1)).astype(np.int64)
    hits_flat = hits.reshape(-1, n_filters).T.astype(np.float32)  # (F, N*P)
    counts = np.empty((n_filters, window, 4), dtype=np.float64)
    for k in range(window):
        start = p_lo - left + k
        shifted = np.ascontiguousarray(x[:, start : start + (p_hi - p_lo), :], dtype=np.float32)
        counts[:, k, :] = hits_flat @ shifted.reshape(-1, 4)
    enough = n_windows > 1
    ppms[enough] = counts[enough] / n_windows[enough, None, None]
    return ppms, n_windows
