"""Saliency x input logos of selected sequences over a window of positions (spec §7 figures)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def saliency_logos(
    maps: np.ndarray, indices: list[int], start: int, end: int, path: str | Path
) -> list[Path]:
    """One logo row per map over positions ``[start, end)``, saved as PDF and PNG.

    Parameters
    ----------
    maps : np.ndarray, shape (n, L, 4)
        Saliency x input (columns A, C, G, T).
    indices : list of int, length n
        Labels of the rows (``seq <index>``).
    start, end : int
        Plotted positions.
    path : str or Path
        Output path without suffix.

    Returns
    -------
    list of Path
        The PDF and the PNG.
    """
    import logomaker
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from toolkit.plots._save import save_figure

    fig, axes = plt.subplots(len(maps), 1, figsize=(20, 1.6 * len(maps)), squeeze=False)
    for ax, values, index in zip(axes[:, 0], maps, indices, strict=True):
        frame = pd.DataFrame(values[start:end], columns=list("ACGT"), index=range(start, end))
        logomaker.Logo(frame, ax=ax, show_spines=False)
        ax.set_ylabel(f"seq {index}", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[-1, 0].set_xlabel("position")
    fig.tight_layout()
    return save_figure(fig, path, dpi=120)
