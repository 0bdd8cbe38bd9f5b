"""Activation-aligned PPMs over batches: :func:`toolkit.filters.ppm` without the whole fmap.

For data sets too large to hold the first layer's output of the whole test split (Basset,
spec §7): two passes over the batches, the first for each filter's global maximum, the second
for the windows above ``threshold`` x maximum.
"""

from __future__ import annotations

import numpy as np

from toolkit.errors import InputError


def streaming_ppm(fmap_batches, threshold: float = 0.5, window: int = 20):
    """:func:`toolkit.filters.ppm` over batches: the same PPMs, without the whole fmap.

    Parameters
    ----------
    fmap_batches : callable
        ``fmap_batches()`` yields ``(fmap (n, L, F), x (n, L, 4))``; called twice (pass 1:
        the global maximum of each filter; pass 2: the windows above ``threshold`` x max).

    Returns
    -------
    (np.ndarray (F, window, 4), np.ndarray (F,))
        PPMs (uniform where a filter has <= 1 window) and windows per filter.
    """
    fmax = None
    for fmap, _ in fmap_batches():
        m = fmap.reshape(-1, fmap.shape[-1]).max(axis=0)
        fmax = m if fmax is None else np.maximum(fmax, m)
    if fmax is None:
        raise InputError(None, "test", "no sequences to align filters on")
    left, right = window // 2, window - window // 2
    counts = n_windows = None
    for fmap, x in fmap_batches():
        length, n_filters = fmap.shape[1], fmap.shape[2]
        p_lo, p_hi = left + 1, length - right  # the window fits strictly inside
        if counts is None:
            counts = np.zeros((n_filters, window, 4))
            n_windows = np.zeros(n_filters, np.int64)
        if p_hi <= p_lo:
            continue
        hits = fmap[:, p_lo:p_hi, :] > threshold * fmax
        n_windows += hits.sum(axis=(0, 1))
        flat = hits.reshape(-1, n_filters).T.astype(np.float32)
        for k in range(window):
            start = p_lo - left + k
            shifted = np.ascontiguousarray(x[:, start : start + p_hi - p_lo, :], np.float32)
            counts[:, k, :] += flat @ shifted.reshape(-1, 4)
    ppms = np.full(counts.shape, 0.25)
    enough = n_windows > 1
    ppms[enough] = counts[enough] / n_windows[enough, None, None]
    return ppms, n_windows
