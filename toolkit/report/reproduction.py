"""The reproduction check: each published number beside this run's trials.

Two rules, by what the paper gives:

- a value read off a figure (a median over trials, ``F``) is reproduced when it lies within the
  runs' range, min-max over trials, widened by the reading's precision (``tolerance``);
- a printed mean +/- std over trials (``P`` with ``std``, Task 3 attribution) is reproduced when
  the runs' mean lies within two of the paper's standard deviations of the paper's mean: the
  paper's own trial-to-trial spread, which a few trials of ours cannot estimate as well.
"""

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
    "mean",
    "paper_std",
    "median_minus_paper",
    "rule",
    "within_range",
]
#: ``rule`` values, as the report and the reproduction page state them.
RANGE_RULE = "paper within min-max +/- tolerance"
SPREAD_RULE = "mean within 2 paper std"
SPREAD_FACTOR = 2.0


def reproduction_check(runs: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Paper value vs median and min-max over trials, for every value the runs cover.

    Parameters
    ----------
    runs : DataFrame
        Finished runs (``task, model, activation``, metric columns, and for Task 3 the
        ``attribution`` JSON, expanded into ``attr_{method}_{metric}`` columns here).
    paper : DataFrame
        :func:`toolkit.report.paper.paper_values` (task, figure, metric, model, activation,
        value, source, tolerance, std).

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`, in the paper table's order. ``within_range`` follows ``rule``
        (module docstring): :data:`RANGE_RULE`, ``min - tolerance <= paper <= max + tolerance``,
        or, where the paper printed a std, :data:`SPREAD_RULE`,
        ``|mean - paper| <= 2 * paper_std``.
    """
    if "attribution" in runs and not any(str(c).startswith("attr_") for c in runs):
        from toolkit.report.attribution import expand_attribution

        runs = expand_attribution(runs)[0]
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
        mean = float(values.mean())
        tol = float(ref.tolerance) if pd.notna(ref.tolerance) else 0.0
        std = getattr(ref, "std", None)
        spread = std is not None and pd.notna(std)
        paper_value = float(ref.value)
        if spread:
            within = abs(mean - paper_value) <= SPREAD_FACTOR * float(std) + 1e-9
        else:
            within = lo - tol - 1e-9 <= paper_value <= hi + tol + 1e-9
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
                "mean": mean,
                "paper_std": float(std) if spread else np.nan,
                "median_minus_paper": med - paper_value,
                "rule": SPREAD_RULE if spread else RANGE_RULE,
                "within_range": bool(within),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
