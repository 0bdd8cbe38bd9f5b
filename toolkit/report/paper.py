"""The paper's published numbers (spec ``paper.md`` §9), kept as data files in ``paper_values/``.

Every value file has the columns ``task, figure, metric, model, activation, value, source,
tolerance``, and optionally ``std``: ``source`` is ``F`` (median measured off a committed
figure; ``tolerance`` is the measurement's precision, 0.01 for boxplots, 0.003 for scatter
centroids) or ``P`` (printed in a notebook output, exact). A printed mean +/- std (Task 3
attribution) has its ``std``: the paper's spread over its trials, which the reproduction check
uses instead of a trial range. ``ttests.tsv`` holds the printed t-test p-values (its own
columns).
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

_ORDER = (
    "task1_match_fraction.tsv",
    "task2_match.tsv",
    "modified_activations.tsv",
    "ablation_task1.tsv",
    "task3_auroc.tsv",
    "task3_attribution.tsv",
)  # the report lists them in this order
VALUE_COLUMNS = [
    "task",
    "figure",
    "metric",
    "model",
    "activation",
    "value",
    "source",
    "tolerance",
    "std",
]


def paper_values(name: str | None = None) -> pd.DataFrame:
    """One table of ``paper_values/`` (``name`` without ``.tsv``), or all value tables joined.

    Parameters
    ----------
    name : str, optional
        e.g. ``"ttests"``; None: every file with the value columns, concatenated.
    """
    folder = resources.files("toolkit.report") / "paper_values"
    if name is not None:
        with (folder / f"{name}.tsv").open() as handle:
            return pd.read_csv(handle, sep="\t", comment="#")
    names = sorted(e.name for e in folder.iterdir() if e.name.endswith(".tsv"))
    names = [n for n in _ORDER if n in names] + [n for n in names if n not in _ORDER]
    frames = []
    for name_ in names:
        if name_ != "ttests.tsv":
            with (folder / name_).open() as handle:
                table = pd.read_csv(handle, sep="\t", comment="#")
            frames.append(table.reindex(columns=VALUE_COLUMNS))  # `std` only where printed
    return pd.concat(frames, ignore_index=True)
