"""Test and benchmark helpers that write or compute reference data (never used by toolkit/).

- :func:`write_basset_layout`: arrays in the Basset ``er.h5`` layout (Task 4 tests, the
  Horovod worker, ``bench/bench_horovod_basset.py``);
- :func:`ppm_naive`: the original per-hit ``activation_pwm`` loop, the reference of
  :func:`toolkit.filters.ppm.ppm` (tests, ``bench/bench_ppm.py``).

Benchmarks import it with ``tests/`` on ``sys.path``, as ``tests/reference_files.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np


def write_basset_layout(
    path: str | os.PathLike,
    splits: dict[str, tuple[np.ndarray, np.ndarray]],
    target_labels: list[str] | None = None,
    compression: str | None = "gzip",
    chunk_rows: int = 2048,
) -> Path:
    """Write arrays in the ``er.h5`` layout (tests, benchmarks): X (N, 4, L) -> (N, 4, 1, L).

    ``splits`` maps split name -> (x (N, 4, L), y (N, T)); dtypes are kept.
    """
    path = Path(path)
    with h5py.File(path, "w") as f:
        for split, (x, y) in splits.items():
            x = np.asarray(x)
            f.create_dataset(
                f"{split}_in",
                data=x[:, :, None, :],
                compression=compression,
                chunks=(min(chunk_rows, len(x)), 4, 1, x.shape[-1]),
            )
            f.create_dataset(
                f"{split}_out",
                data=np.asarray(y),
                compression=compression,
                chunks=(min(chunk_rows, len(y)), np.asarray(y).shape[1]),
            )
        if target_labels is not None:
            f.create_dataset("target_labels", data=np.array(target_labels, dtype="S"))
        if "test" in splits:
            f.create_dataset(
                "test_headers",
                data=np.array([f"seq{i}" for i in range(len(splits["test"][0]))], dtype="S"),
            )
    return path


def ppm_naive(
    fmap: np.ndarray, x: np.ndarray, threshold: float = 0.5, window: int = 20
) -> np.ndarray:
    """Reference per-hit loop, a line-by-line port of the original ``activation_pwm``.

    The reference tests and ``bench/bench_ppm.py`` check and time
    :func:`toolkit.filters.ppm.ppm` against.

    Returns
    -------
    np.ndarray, shape (F, window, 4)
    """
    window_left = int(window / 2)
    window_right = window - window_left
    _, length, _ = x.shape
    out = []
    for f in range(fmap.shape[-1]):
        coords = np.where(fmap[:, :, f] > np.max(fmap[:, :, f]) * threshold)
        data_index, pos_index = coords
        order = np.argsort(fmap[data_index, pos_index, f])[::-1]
        seq_align = []
        for i in order:
            start = pos_index[i] - window_left
            end = pos_index[i] + window_right
            if (start > 0) & (end < length):
                seq_align.append(x[data_index[i], start:end, :])
        if len(seq_align) > 1:
            out.append(np.mean(seq_align, axis=0))
        else:
            out.append(np.ones((window, 4)) / 4)
    return np.array(out)
