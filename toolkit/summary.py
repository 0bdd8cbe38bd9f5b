"""``expact summarize``: the report's tables of one results folder, without Dask or HTML.

The tables are :func:`toolkit.report.tables.sweep_tables`, the very function the report uses,
so ``summary/<name>.tsv`` and ``report/tables/<name>.tsv`` are the same file: the tables
the task's record lists (``Task.report_tables`` in :mod:`toolkit.tasks`) among the paper's
``{task}_classification_performance``, ``{task}_filter_results`` (every task with a filter
analysis, real-data tasks with "match JASPAR" only), ``{task}_attribution_results`` and
``{task}_filter_tfs``, each with a Parquet twin of its statistics, plus ``runs.parquet`` (one
row per record) and, for attribution runs, ``{task}_attribution_auroc.pdf/.png`` (per-method
boxplots across activations). Records are read in this process, one after another.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from toolkit.errors import InputError
from toolkit.files import atomic_write_bytes, atomic_write_text
from toolkit.run_folder import SweepManifest


def summary(results_dir: str | Path, out_dir: str | Path | None = None) -> dict[str, Path]:
    """Write the paper's tables of the sweep in ``results_dir``.

    Parameters
    ----------
    results_dir : str or Path
        A sweep's results folder (``sweep.json`` and/or ``runs/``).
    out_dir : str or Path, optional
        Where the tables go (default ``results_dir/summary``).

    Returns
    -------
    dict
        Name -> path of every file written (``<table>`` for a TSV, ``<table>_parquet`` for
        its twin, ``runs`` for ``runs.parquet``).
    """
    from toolkit.report.inventory import inventory
    from toolkit.report.rows import COLUMNS, record_row
    from toolkit.report.tables import finished_runs, paper_tables

    root = Path(results_dir).resolve()
    manifest = SweepManifest(root)
    if not manifest.is_sweep():
        raise InputError(results_dir, None, "not a results folder (no sweep.json and no runs/)")
    (sweep,) = [s for s in inventory(root) if s.rel == "."]
    rows = pd.DataFrame([record_row(e) for e in sweep.records.values()], columns=list(COLUMNS))
    out = Path(out_dir) if out_dir else manifest.summary_dir
    written = {"runs": _parquet(rows, out / "runs.parquet")}
    runs, order = finished_runs(rows, sweep)
    for table in paper_tables(runs, order) if len(runs) else []:
        written[table.name] = atomic_write_text(out / f"{table.name}.tsv", table.tsv)
        written[f"{table.name}_parquet"] = _parquet(table.stats, out / f"{table.name}.parquet")
    written |= _attribution_boxplots(runs, order, out)
    return written


def _attribution_boxplots(runs: pd.DataFrame, order: list, out: Path) -> dict[str, Path]:
    """Per-method boxplots of the runs' attribution AUROC, per task with attribution runs."""
    from toolkit.plots import attribution_boxplots

    written: dict[str, Path] = {}
    columns = [c for c in runs.columns if c.startswith("attr_") and c.endswith("_auroc")]
    for task in sorted(runs["task"].dropna().unique()) if columns else []:
        sub = runs[runs["task"] == task]
        long = (
            sub[["model", "activation", "trial", *columns]]
            .melt(id_vars=["model", "activation", "trial"], value_name="auroc")
            .dropna(subset=["auroc"])
        )
        if long.empty:
            continue
        long["method"] = long["variable"].str[len("attr_") : -len("_auroc")]
        activations = list(dict.fromkeys(a for _, a in order))
        pdf, png = attribution_boxplots(
            long, out / f"{task}_attribution_auroc", activations=activations
        )
        written[f"{task}_attribution_auroc_pdf"], written[f"{task}_attribution_auroc_png"] = (
            pdf,
            png,
        )
    return written


def _parquet(frame: pd.DataFrame, path: Path) -> Path:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return atomic_write_bytes(path, buffer.getvalue())
