"""The reproduction check: each published number beside this run's median and trial range."""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = [
    "task",
    "figure",
    "metric",
    "model",
    "activation",
    "paper",
    "source",
    "tolerance",
    "n_trials",
    "median",
    "min",
    "max",
    "median_minus_paper",
    "within_range",
]


def reproduction_check(runs: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Paper value vs median and min-max over trials, for every value the runs cover.

    Parameters
    ----------
    runs : DataFrame
        Finished runs (``task, model, activation`` and metric columns).
    paper : DataFrame
        :func:`toolkit.report.paper.paper_values` (task, figure, metric, model, activation,
        value, source, tolerance).

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`, in the paper table's order. ``within_range`` is True when
        ``min - tolerance <= paper <= max + tolerance`` (the tolerance is how precisely the
        paper value was read off its figure).
    """
    groups = {key: cell for key, cell in runs.groupby(["task", "model", "activation"], sort=False)}
    rows = []
    for ref in paper.itertuples(index=False):
        cell = groups.get((ref.task, ref.model, ref.activation))
        if cell is None or ref.metric not in cell:
            continue
        values = cell[ref.metric].dropna().to_numpy(float)
        if not len(values):
            continue
        lo, hi, med = float(values.min()), float(values.max()), float(np.median(values))
        tol = float(ref.tolerance) if pd.notna(ref.tolerance) else 0.0
        rows.append(
            {
                "task": ref.task,
                "figure": ref.figure,
                "metric": ref.metric,
                "model": ref.model,
                "activation": ref.activation,
                "paper": float(ref.value),
                "source": ref.source,
                "tolerance": tol,
                "n_trials": len(values),
                "median": med,
                "min": lo,
                "max": hi,
                "median_minus_paper": med - float(ref.value),
                "within_range": bool(lo - tol - 1e-9 <= float(ref.value) <= hi + tol + 1e-9),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
