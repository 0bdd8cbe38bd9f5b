"""Sequence-logo grids of filter PPMs (logomaker), as PDF and PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def logos(
    ppms: list[np.ndarray] | np.ndarray,
    path: str | Path,
    titles: list[str] | None = None,
    ncols: int = 8,
) -> list[Path]:
    """Draw one information-content logo per PPM in a grid and save it as PDF and PNG.

    Letter heights are ``I * p`` with ``I = 2 + sum_a p log2 p`` bits, floored at 1e-7 as the
    original ``plot_filers``; the y axis spans 0-2 bits.

    Parameters
    ----------
    ppms : list of np.ndarray, each of shape (W_f, 4)
        Position probability matrices, columns A, C, G, T.
    path : str or Path
        Output path without suffix (``.pdf`` and ``.png`` are written beside each other).
    titles : list of str, optional
        One title per logo (e.g. the filter's best Tomtom hit).
    ncols : int
        Logos per row.

    Returns
    -------
    list of Path
        The PDF and PNG written.
    """
    import logomaker
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from toolkit.files import atomic_write_bytes

    ppms = [np.asarray(p, dtype=float) for p in ppms]
    nrows = max(1, int(np.ceil(len(ppms) / ncols)))
    fig = plt.figure(figsize=(ncols * 2.2, nrows * 1.2))
    for i, w in enumerate(ppms):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        info = np.log2(4) + np.sum(w * np.log2(w + 1e-10), axis=1, keepdims=True)
        heights = np.maximum(info * w, 1e-7)
        frame = pd.DataFrame(heights, columns=list("ACGT"))
        logomaker.Logo(frame, ax=ax, show_spines=False)
        ax.set_ylim(0, 2)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(titles[i] if titles else f"filter{i}", fontsize=7)
    fig.tight_layout()
    path = Path(path)
    written = []
    for suffix in (".pdf", ".png"):
        import io

        buffer = io.BytesIO()
        fig.savefig(buffer, format=suffix[1:], dpi=150 if suffix == ".png" else None)
        written.append(atomic_write_bytes(path.with_suffix(suffix), buffer.getvalue()))
    plt.close(fig)
    return written
