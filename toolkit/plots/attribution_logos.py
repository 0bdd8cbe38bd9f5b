"""Attribution maps as sequence logos, stacked under the ground-truth logo of each sequence.

The letters follow logomaker's conventions (classic colours, bold sans letters stretched to
their height, the biggest on top, negative letters flipped below zero), but are drawn from
one cached outline per letter, as a single collection per track: ``logomaker.Logo`` and
``logomaker.Glyph`` lay out every glyph from the font (about 10 ms per glyph here, so
several tens of seconds for a few 200-position tracks); this takes well under a second.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def attribution_logos(
    x: np.ndarray,
    maps: dict[str, np.ndarray],
    truth: np.ndarray,
    path: str | Path,
    norms: dict[str, str] | None = None,
    titles: list[str] | None = None,
    start: int = 0,
    end: int | None = None,
) -> list[Path]:
    """Draw, per sequence, the ground truth and every method's map as logos (PDF and PNG).

    Parameters
    ----------
    x : np.ndarray, shape (N, L, 4)
        One-hot sequences.
    maps : dict of str -> np.ndarray, shape (N, L, 4)
        Attribution maps by method name, in drawing order.
    truth : np.ndarray, shape (N, 4, L) or (N, L, 4), or (N, L), or None
        Ground-truth sequence models (PWMs), drawn as information logos (``I * p``, 0-2 bits);
        a motif-position mask, drawn as the observed bases at 2 bits; None: no truth track.
    path : str or Path
        Output path without suffix; ``.pdf`` and ``.png`` are written.
    norms : dict of str -> str, optional
        ``"times_input"`` (default: draw ``map * x``, signed) or ``"l2norm"`` (mutagenesis:
        draw the per-position L2 norm of the map on the observed base).
    titles : list of str, optional
        One title per sequence (e.g. its test index and per-method AUROC).
    start, end : int
        Positions drawn, ``[start, end)`` (default: all).

    Returns
    -------
    list of Path
        The PDF and PNG.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from toolkit.plots._save import save_figure

    x = np.asarray(x, dtype=np.float64)
    if truth is not None:
        truth = np.asarray(truth, dtype=np.float64)
        if truth.ndim == 2:  # a mask: the observed bases inside motifs, as certain positions
            truth = np.where(truth[:, :, None] > 0, x, 0.25)
        elif truth.shape[1] == 4 and truth.shape[2] == x.shape[1] and x.shape[1] != 4:
            truth = truth.transpose(0, 2, 1)
    norms = norms or {}
    end = x.shape[1] if end is None else end
    tracks = (truth is not None) + len(maps)
    fig, axes = plt.subplots(
        len(x) * tracks,
        1,
        figsize=(max(6.0, (end - start) * 0.07), 1.0 * len(x) * tracks),
        squeeze=False,
    )
    for i in range(len(x)):
        panels = []
        if truth is not None:
            pwm = truth[i, start:end]
            info = 2.0 + np.sum(pwm * np.log2(pwm + 1e-10), axis=1, keepdims=True)
            panels.append(("ground truth", np.maximum(info * pwm, 0.0)))
        for name, values in maps.items():
            values = np.asarray(values[i, start:end], dtype=np.float64)
            if norms.get(name) == "l2norm":
                heights = np.sqrt(np.sum(values**2, axis=1, keepdims=True)) * x[i, start:end]
            else:
                heights = values * x[i, start:end]
            panels.append((name, heights))
        for k, (label, heights) in enumerate(panels):
            ax = axes[i * tracks + k, 0]
            _draw(ax, heights, start)
            ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
            ax.set_yticks([])
            if k < tracks - 1:
                ax.set_xticks([])
            if k == 0 and titles:
                ax.set_title(titles[i], fontsize=9, loc="left")
            if k == 0 and truth is not None:
                ax.set_ylim(0, 2)
    fig.tight_layout()
    return save_figure(fig, path)


_COLORS = {"A": (0.0, 0.5, 0.0), "C": (0.0, 0.0, 1.0), "G": (1.0, 0.65, 0.0), "T": (1.0, 0.0, 0.0)}
_OUTLINES: dict = {}


def _outline(letter: str):
    """The letter's outline (matplotlib Path) scaled to the unit square, cached."""
    if letter not in _OUTLINES:
        from matplotlib.font_manager import FontProperties
        from matplotlib.path import Path
        from matplotlib.textpath import TextPath

        path = TextPath(
            (0, 0), letter, size=1, prop=FontProperties(family="sans-serif", weight="bold")
        )
        vertices = path.vertices.copy()
        low, high = vertices.min(axis=0), vertices.max(axis=0)
        _OUTLINES[letter] = Path((vertices - low) / (high - low), path.codes)
    return _OUTLINES[letter]


def _draw(ax, heights: np.ndarray, start: int, width: float = 0.95) -> None:
    """Stack the non-zero letters of each position (L, 4): positive ones up from 0 with the
    biggest on top, negative ones down from 0 (flipped), as logomaker's defaults.
    """
    from matplotlib.collections import PathCollection
    from matplotlib.path import Path

    paths, colors = [], []
    for p, row in enumerate(heights):
        up = down = 0.0
        for a in np.argsort(np.abs(row)):
            h = float(row[a])
            if h == 0.0:
                continue
            outline = _outline("ACGT"[a])
            vertices = outline.vertices.copy()
            if h < 0:
                vertices[:, 1] = 1.0 - vertices[:, 1]  # flipped below zero
                floor, down = down + h, down + h
            else:
                floor, up = up, up + h
            vertices[:, 0] = start + p - width / 2 + vertices[:, 0] * width
            vertices[:, 1] = floor + vertices[:, 1] * abs(h)
            paths.append(Path(vertices, outline.codes))
            colors.append(_COLORS["ACGT"[a]])
    if paths:
        ax.add_collection(PathCollection(paths, facecolors=colors, edgecolors="none", linewidths=0))
    ax.set_xlim(start - 0.5, start + len(heights) - 0.5)
    low = min(0.0, float(np.minimum(heights, 0).sum(axis=1).min()))
    high = float(np.maximum(heights, 0).sum(axis=1).max())
    ax.set_ylim(low, high if high > low else low + 1.0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
