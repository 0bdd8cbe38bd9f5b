"""Two-sample t-tests, original vs modified first-layer activation, per model (spec §9.3).

As the paper: ``scipy.stats.ttest_ind`` (equal variances) of the per-trial filter match
fractions of, e.g., ``sigmoid`` vs ``shift_scale_sigmoid``; pairs sigmoid/shift_scale_sigmoid,
tanh/shift_scale_tanh, relu/shift_scale_relu and exponential/exp_relu. Task 3 runs with
attribution scores are tested on saliency AUROC (the paper's Task 3 comparison) when present.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.report.order import MODIFIED_PAIRS

COLUMNS = [
    "task",
    "model",
    "metric",
    "original",
    "modified",
    "n_original",
    "n_modified",
    "mean_original",
    "mean_modified",
    "t",
    "p_value",
    "paper_p_value",
    "paper_source",
    "agrees_with_paper",
]


def ttests(
    runs: pd.DataFrame, paper: pd.DataFrame | None = None, alpha: float = 0.05
) -> pd.DataFrame:
    """One row per (task, model, metric, pair) where both activations have >= 2 trials.

    Parameters
    ----------
    runs : DataFrame
        Finished runs (``task, model, activation`` and metric columns).
    paper : DataFrame, optional
        The paper's p-values (``paper_values("ttests")``) to set beside ours.
    alpha : float
        ``agrees_with_paper`` is True when both p-values fall on the same side of ``alpha``.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`; ``t`` and ``p_value`` are NaN when both groups are constant
        and equal (no test possible).
    """
    rows = []
    for (task, model), cell in runs.groupby(["task", "model"], sort=True):
        for metric in _metrics(cell):
            for original, modified in MODIFIED_PAIRS:
                a = cell.loc[cell["activation"] == original, metric].dropna().to_numpy(float)
                b = cell.loc[cell["activation"] == modified, metric].dropna().to_numpy(float)
                if len(a) < 2 or len(b) < 2:
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    result = stats.ttest_ind(a, b)
                rows.append(
                    {
                        "task": task,
                        "model": model,
                        "metric": metric,
                        "original": original,
                        "modified": modified,
                        "n_original": len(a),
                        "n_modified": len(b),
                        "mean_original": float(a.mean()),
                        "mean_modified": float(b.mean()),
                        "t": float(result.statistic),
                        "p_value": float(result.pvalue),
                    }
                )
    table = pd.DataFrame(rows, columns=COLUMNS[:11])
    table["paper_p_value"] = np.nan
    table["paper_source"] = None
    table["agrees_with_paper"] = None
    if paper is not None and len(table):
        key = ["task", "metric", "model", "original", "modified"]
        merged = table[key].merge(paper[[*key, "p_value", "source"]], on=key, how="left")
        table["paper_p_value"] = merged["p_value"].to_numpy(float)
        table["paper_source"] = merged["source"].to_numpy(object)
        known = table["paper_p_value"].notna() & table["p_value"].notna()
        agree = (table["p_value"] < alpha) == (table["paper_p_value"] < alpha)
        table["agrees_with_paper"] = agree.where(known, None).astype(object)
    return table[COLUMNS]


def _metrics(cell: pd.DataFrame) -> list[str]:
    metrics = []
    if cell["match_fraction"].notna().any():
        metrics.append("match_fraction")
    if "attr_saliency_auroc" in cell and cell["attr_saliency_auroc"].notna().any():
        metrics.append("attr_saliency_auroc")
    return metrics
