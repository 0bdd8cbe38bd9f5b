"""Attribution scores per first-layer activation: one boxplot panel per model and method."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def attribution_boxplots(
    scores: pd.DataFrame,
    path: str | Path,
    metric: str = "auroc",
    activations: list[str] | None = None,
) -> list[Path]:
    """Boxplots of a per-run attribution score across activations (PDF and PNG).

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per (run, method): columns ``model``, ``activation``, ``method`` and
        ``metric`` (e.g. the run's mean per-sequence AUROC of that method).
    path : str or Path
        Output path without suffix.
    metric : str
        The column drawn (``auroc`` or ``aupr``).
    activations : list of str, optional
        Order of the boxes (default: order of first appearance).

    Returns
    -------
    list of Path
        The PDF and PNG. Rows of panels are models, columns methods; each box holds the
        trials of one activation, with the trials drawn as dots.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from toolkit.plots._save import save_figure

    models = list(dict.fromkeys(scores["model"]))
    methods = list(dict.fromkeys(scores["method"]))
    acts = activations or list(dict.fromkeys(scores["activation"]))
    fig, axes = plt.subplots(
        len(models),
        len(methods),
        figsize=(max(3.0, 0.45 * len(acts)) * len(methods), 3.0 * len(models)),
        squeeze=False,
        sharey=True,
    )
    for r, model in enumerate(models):
        for c, method in enumerate(methods):
            ax = axes[r, c]
            cell = scores[(scores["model"] == model) & (scores["method"] == method)]
            data = [cell.loc[cell["activation"] == a, metric].dropna().to_numpy() for a in acts]
            ax.boxplot(data, showfliers=False)
            for k, values in enumerate(data, start=1):
                ax.plot(np.full(len(values), k), values, ".", color="k", alpha=0.5, ms=3)
            ax.set_xticks(range(1, len(acts) + 1))
            ax.set_xticklabels(acts, rotation=60, ha="right", fontsize=7)
            ax.set_title(f"{model}: {method}", fontsize=9)
            if metric == "auroc":
                ax.axhline(0.5, color="grey", lw=0.5, ls="--")  # chance
            if c == 0:
                ax.set_ylabel(f"attribution {metric.upper()}")
    fig.tight_layout()
    return save_figure(fig, path)
