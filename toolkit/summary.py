"""First summary of a results folder: the paper's Task 1 TSVs (and Parquet twins)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.records import RECORD_NAME, atomic_write_bytes, atomic_write_text


def runs_table(results_dir: str | Path) -> pd.DataFrame:
    """One row per finished run: its cell, seed, test metrics and match statistics."""
    rows = []
    for path in sorted(Path(results_dir).glob(f"runs/*/{RECORD_NAME}")):
        try:
            record = json.loads(path.read_text())
        except json.JSONDecodeError:
            continue  # a corrupt record is not a finished run
        spec = record["spec"]
        match = record.get("match") or {}  # Task 3 runs score attributions, not filters
        rows.append(
            {
                "run": spec["name"],
                "task": spec["task"],
                "model": spec["model"],
                "activation": spec["activation"],
                "trial": spec["trial"],
                "seed": record["seed"],
                "auroc": record["metrics"]["auroc"],
                "aupr": record["metrics"]["aupr"],
                "match_fraction": match.get("match_fraction"),
                "match_any": match.get("match_any"),
                "coverage": match.get("coverage"),
                "epochs_run": record.get("epochs_run"),
            }
        )
    columns = [
        "run",
        "task",
        "model",
        "activation",
        "trial",
        "seed",
        "auroc",
        "aupr",
        "match_fraction",
        "match_any",
        "coverage",
        "epochs_run",
    ]
    return pd.DataFrame(rows, columns=columns)


def summary(results_dir: str | Path, out_dir: str | Path | None = None) -> dict[str, Path]:
    """Write ``{task}_classification_performance.tsv`` and ``{task}_filter_results.tsv``.

    ``{task}`` is the sweep's task (``task1`` when unknown). Real-data tasks have no ground
    truth: their filter table has only the "match JASPAR" column.

    Rows are ``{model}_{activation}`` with ``mean+/-std`` over trials (numpy std, ddof 0,
    %.3f), as the original scripts wrote them; each TSV has a Parquet twin with the raw
    means, standard deviations and trial counts, and ``runs.parquet`` holds every run.

    Returns
    -------
    dict
        Name -> path of every file written.
    """
    results_dir = Path(results_dir)
    out_dir = Path(out_dir) if out_dir else results_dir / "summary"
    runs = runs_table(results_dir)
    written = {"runs": _write_parquet(runs, out_dir / "runs.parquet")}
    order = _cell_order(results_dir, runs)
    task = _task(results_dir, runs)
    filter_columns = (("match JASPAR", "match_any"), ("match ground truth", "match_fraction"))
    if len(runs) and runs["match_fraction"].isna().all():
        filter_columns = filter_columns[:1]
    tables = {
        f"{task}_classification_performance": (("AUROC", "auroc"), ("AUPR", "aupr")),
        f"{task}_filter_results": filter_columns,
    }
    if len(runs) and runs["match_any"].isna().all():  # no filter analysis (Task 3)
        del tables[f"{task}_filter_results"]
    for name, columns in tables.items():
        stats = _mean_std(runs, [c for _, c in columns], order)
        lines = ["\t".join(["model", *(label for label, _ in columns)])]
        for _, row in stats.iterrows():
            cells = [f"{row[c + '_mean']:.3f}+/-{row[c + '_std']:.3f}" for _, c in columns]
            lines.append("\t".join([row["cell"], *cells]))
        written[name] = atomic_write_text(out_dir / f"{name}.tsv", "\n".join(lines) + "\n")
        written[name + "_parquet"] = _write_parquet(stats, out_dir / f"{name}.parquet")
    written |= _attribution_summary(results_dir, order, task, out_dir)
    return written


def attribution_table(results_dir: str | Path) -> pd.DataFrame:
    """One row per finished run and attribution method (Task 3 records): the run's mean
    per-sequence AUROC and AUPR of that method (``record["attribution"]["methods"]``).
    """
    rows = []
    for path in sorted(Path(results_dir).glob(f"runs/*/{RECORD_NAME}")):
        try:
            record = json.loads(path.read_text())
        except json.JSONDecodeError:
            continue
        methods = (record.get("attribution") or {}).get("methods") or {}
        spec = record["spec"]
        for method, values in methods.items():
            rows.append(
                {
                    "run": spec["name"],
                    "model": spec["model"],
                    "activation": spec["activation"],
                    "trial": spec["trial"],
                    "method": method,
                    "auroc": values.get("auroc"),
                    "aupr": values.get("aupr"),
                }
            )
    columns = ["run", "model", "activation", "trial", "method", "auroc", "aupr"]
    return pd.DataFrame(rows, columns=columns).astype({"auroc": float, "aupr": float})


def _attribution_summary(
    results_dir: Path, order: list[tuple[str, str]], task: str, out_dir: Path
) -> dict[str, Path]:
    """``{task}_attribution_results.tsv`` (+ Parquet), per-run scores, boxplots; {} if none.

    TSV: rows ``{model}_{activation}``, columns ``{method} AUROC`` / ``{method} AUPR`` with
    ``mean+/-std`` over trials of the runs' mean per-sequence scores (as the other tables).
    """
    table = attribution_table(results_dir)
    if table.empty:
        return {}
    from toolkit.plots import attribution_boxplots

    written = {"attribution_runs": _write_parquet(table, out_dir / "attribution_runs.parquet")}
    methods = list(dict.fromkeys(table["method"]))
    wide = table.pivot_table(index="run", columns="method", values=["auroc", "aupr"])
    wide.columns = [f"{method}_{metric}" for metric, method in wide.columns]
    runs = table.drop_duplicates("run").set_index("run")[["model", "activation"]].join(wide)
    columns = [(f"{m} {k.upper()}", f"{m}_{k}") for m in methods for k in ("auroc", "aupr")]
    stats = _mean_std(runs.reset_index(), [c for _, c in columns], order)
    name = f"{task}_attribution_results"
    lines = ["\t".join(["model", *(label for label, _ in columns)])]
    for _, row in stats.iterrows():
        cells = [f"{row[c + '_mean']:.3f}+/-{row[c + '_std']:.3f}" for _, c in columns]
        lines.append("\t".join([row["cell"], *cells]))
    written[name] = atomic_write_text(out_dir / f"{name}.tsv", "\n".join(lines) + "\n")
    written[name + "_parquet"] = _write_parquet(stats, out_dir / f"{name}.parquet")
    activations = list(dict.fromkeys(a for _, a in order))
    figures = attribution_boxplots(
        table, out_dir / f"{task}_attribution_auroc", activations=activations
    )
    written[f"{task}_attribution_auroc_pdf"], written[f"{task}_attribution_auroc_png"] = figures
    return written


def _mean_std(runs: pd.DataFrame, columns: list[str], order: list[tuple[str, str]]) -> pd.DataFrame:
    rows = []
    for model, activation in order:
        cell = runs[(runs["model"] == model) & (runs["activation"] == activation)]
        if cell.empty:
            continue
        row = {
            "cell": f"{model}_{activation}",
            "model": model,
            "activation": activation,
            "n_trials": len(cell),
        }
        for c in columns:
            values = cell[c].to_numpy(dtype=float)
            row[c + "_mean"] = float(np.nanmean(values))
            row[c + "_std"] = float(np.nanstd(values))
        rows.append(row)
    return pd.DataFrame(rows)


def _task(results_dir: Path, runs: pd.DataFrame) -> str:
    """The sweep's task (sweep.json, else the runs'), ``task1`` when unknown."""
    sweep_file = results_dir / "sweep.json"
    if sweep_file.exists():
        task = json.loads(sweep_file.read_text()).get("task")
        if task:
            return str(task)
    tasks = sorted(set(runs["task"]))
    return str(tasks[0]) if len(tasks) == 1 else "task1"


def _cell_order(results_dir: Path, runs: pd.DataFrame) -> list[tuple[str, str]]:
    """(model, activation) cells in the sweep's order when known, else sorted."""
    order: list[tuple[str, str]] = []
    sweep_file = results_dir / "sweep.json"
    if sweep_file.exists():
        for run in json.loads(sweep_file.read_text())["runs"]:
            cell = (run["model"], run["activation"])
            if cell not in order:
                order.append(cell)
    for cell in sorted(set(zip(runs["model"], runs["activation"], strict=True))):
        if cell not in order:
            order.append(cell)
    return order


def _write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    import io

    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return atomic_write_bytes(path, buffer.getvalue())
