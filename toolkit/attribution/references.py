"""Shuffled references for integrated gradients and DeepSHAP (spec §6).

The paper's references are random *position permutations* of each sequence (a mononucleotide
shuffle, ``x[np.random.permutation(L)]``), drawn per sequence and per reference.
"""

from __future__ import annotations

import numpy as np

from toolkit.attribution._common import check_onehot, positive_int


def shuffled_references(
    x: np.ndarray, n_references: int = 10, seed: int | np.random.RandomState | None = 0
) -> np.ndarray:
    """Position-shuffled copies of each sequence.

    Parameters
    ----------
    x : np.ndarray, shape (N, L, 4)
        One-hot sequences.
    n_references : int
        Copies per sequence (R; the paper uses 10).
    seed : int, np.random.RandomState or None
        Seed of a ``RandomState`` (legacy stream, as the original's ``np.random``), or a
        ``RandomState`` to draw from. The draws are, in order, ``permutation(L)`` for
        reference 0..R-1 of sequence 0, then of sequence 1, ...

    Returns
    -------
    np.ndarray, shape (N, R, L, 4), float32
        ``references[n, r] = x[n][permutation]``: same base composition as ``x[n]``.

    Raises
    ------
    InputError
        If ``x`` is not one-hot (N, L, 4) or ``n_references`` is not a positive integer.
    """
    x = check_onehot(x, "shuffled_references")
    n_references = positive_int(n_references, "shuffled_references", "n_references")
    rs = seed if isinstance(seed, np.random.RandomState) else np.random.RandomState(seed)
    n, length, _ = x.shape
    order = np.empty((n, n_references, length), dtype=np.int64)
    for i in range(n):
        for r in range(n_references):
            order[i, r] = rs.permutation(length)
    return np.take_along_axis(x[:, None, :, :], order[..., None], axis=2)
