"""Saliency of chosen test sequences, saved and plotted: the saliency block of the steps on
real data (Tasks 4-6, spec §7)."""

from __future__ import annotations

import numpy as np

from toolkit.run_folder import SALIENCY, SALIENCY_PLOTS, RunFolder


def saliency_analysis(
    model,
    x: np.ndarray,
    rows: np.ndarray,
    class_index: int,
    run: RunFolder,
    plot_indices: list[int],
    plot_range: tuple[int, int],
    batch_size: int = 256,
    extra_arrays: dict[str, np.ndarray] | None = None,
) -> dict:
    """d sigmoid output / d input of ``x`` for one class; ``saliency.npz`` and logos.

    Parameters
    ----------
    model : keras.Model
        ``(None, L, 4) -> (None, C)``.
    x : np.ndarray, shape (n, L, 4)
        The sequences to explain.
    rows : np.ndarray, shape (n,)
        Their rows in the test split (saved as ``test_index``).
    class_index : int
        The output explained.
    run : RunFolder
        Where ``saliency.npz`` and ``saliency_plots.pdf/.png`` go.
    plot_indices : list of int
        Indices into ``x`` to draw as saliency x input logos (those >= n are left out).
    plot_range : (int, int)
        Plotted positions ``[start, end)`` (``end`` capped at L).
    batch_size : int
        Sequences per gradient call.
    extra_arrays : dict, optional
        More arrays for the NPZ (e.g. an example sequence's saliency).

    Returns
    -------
    dict
        The record's ``saliency`` section: ``file``, ``files``, ``n_sequences``,
        ``class_index``, ``method``, ``target``, ``plot_indices``, ``plot_range``, ``plots``.
    """
    from toolkit.attribution.saliency import saliency
    from toolkit.files import write_npz
    from toolkit.plots import saliency_logos

    grad = saliency(model, x, class_index=class_index, batch_size=batch_size).astype(np.float32)
    indices = [i for i in plot_indices if i < len(x)]
    plots: list[str] = []
    if indices:
        start, end = plot_range[0], min(plot_range[1], x.shape[1])
        drawn = saliency_logos(
            grad[indices] * x[indices], indices, start, end, run.file(SALIENCY_PLOTS)
        )
        plots = [p.name for p in drawn]
    write_npz(
        run.file(SALIENCY),
        saliency=grad,
        x=x.astype(np.int8),
        test_index=np.asarray(rows, np.int64),
        **(extra_arrays or {}),
    )
    return {
        "file": SALIENCY,
        "files": [SALIENCY, *plots],
        "n_sequences": int(len(x)),
        "class_index": class_index,
        "method": "toolkit.attribution.saliency",
        "target": "prob",
        "plot_indices": indices,
        "plot_range": list(plot_range),
        "plots": plots,
    }
