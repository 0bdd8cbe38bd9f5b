"""The paper's tables: ``mean+/-std`` over trials per ``{model}_{activation}`` row.

Formatted as the original scripts wrote them (spec §5.4 "TSV"): tab-separated, header
``model<TAB>AUROC<TAB>AUPR`` (classification) or ``model<TAB>match JASPAR<TAB>match ground
truth`` (filters; real data without ground truth: ``model<TAB>match JASPAR``), each cell
``%.3f+/-%.3f`` of numpy's nanmean and nanstd (ddof 0). Records with attribution scores add
an attribution table (``{method} AUROC``, ``{method} AUPR``; a simplex-corrected map's
``{method}_corrected`` columns right after its method's), records with off-simplex statistics
an off-simplex table (``> 30 deg``, ``> 45 deg``, ``> 60 deg``: fractions of positions). Which tables a task's runs make
is its record's ``report_tables`` (:mod:`toolkit.tasks`). Each table comes with its statistics
(means, stds, trial counts) for a Parquet twin.

``expact summarize`` and ``expact report`` both write exactly these tables
(:func:`sweep_tables`): the same names, the same columns, the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

_CLASSIFICATION = (("AUROC", "auroc"), ("AUPR", "aupr"))
_FILTERS = (("match JASPAR", "match_any"), ("match ground truth", "match_fraction"))
_FILTERS_ANY = _FILTERS[:1]  # real data: no ground truth to match
_OFF_SIMPLEX = tuple((f"> {t} deg", f"off_simplex_{t}") for t in (30, 45, 60))


@dataclass
class Table:
    """One paper table: the TSV text and its numbers."""

    name: str
    title: str
    tsv: str
    stats: pd.DataFrame  # cell, model, activation, n_trials, <col>_mean, <col>_std, ...
    columns: list[tuple[str, str]]  # (header label, column of stats without _mean/_std)


def paper_tables(runs: pd.DataFrame, order: list[tuple[str, str]]) -> list[Table]:
    """The tables of every task present in ``runs`` (finished runs only).

    Parameters
    ----------
    runs : DataFrame
        Finished runs (``status == 'done'``) with the columns of ``toolkit.report.rows`` and
        the ``attr_{method}_{metric}`` columns of :func:`toolkit.report.attribution.expand_attribution`.
    order : list of (model, activation)
        Row order (see :func:`toolkit.report.order.cell_order`).

    Returns
    -------
    list of Table
        Per task in sorted order, the tables its record lists (``Task.report_tables`` /
        ``Analysis.report_tables`` in :mod:`toolkit.tasks`; every table for a task no record
        names) that its runs hold numbers for: ``{task}_classification_performance``,
        ``{task}_filter_results`` (when the runs have match statistics; without the
        ground-truth column when no run has one), ``{task}_attribution_results`` (when they
        have attribution scores) and ``{task}_filter_tfs`` (best-hit TFs, real data).
    """
    tables = []
    for task in sorted(runs["task"].dropna().unique()):
        sub = runs[runs["task"] == task]
        made = report_tables(task)
        specs = _table_specs(sub, made)
        # Task 4's TSV, as the paper's: +/- is the std over the 164 classes (of each run;
        # averaged over trials when there are several), not over trials
        over_classes = "auroc_class_std" in sub and sub["auroc_class_std"].notna().all()
        for suffix, title, columns in specs:
            names = [c for _, c in columns]
            if over_classes and suffix == "classification_performance":
                names += ["auroc_class_std", "aupr_class_std"]
                title += " (+/- std over classes)"
            stats = _mean_std(sub, names, order)
            lines = ["\t".join(["model", *(label for label, _ in columns)])]
            for _, row in stats.iterrows():
                spread = (
                    (lambda c, r=row: r[f"{c}_class_std_mean"])
                    if over_classes and suffix == "classification_performance"
                    else (lambda c, r=row: r[f"{c}_std"])
                )
                cells = [f"{row[c + '_mean']:.3f}+/-{spread(c):.3f}" for _, c in columns]
                lines.append("\t".join([row["cell"], *cells]))
            tables.append(
                Table(
                    f"{task}_{suffix}",
                    f"{task}: {title}",
                    "\n".join(lines) + "\n",
                    stats,
                    list(columns),
                )
            )
        if "filter_tfs" in made and "filter_tfs" in sub and sub["filter_tfs"].notna().any():
            tables.append(_filter_tfs(task, sub, order))
    return tables


def report_tables(task: str) -> tuple[str, ...]:
    """The tables the record of ``task`` (a task or a re-analysis) says its runs make;
    every table for runs of a task no record names."""
    from toolkit.tasks import ANALYSES, REPORT_TABLES, TASKS

    entry = TASKS.get(task) or ANALYSES.get(task)
    return entry.report_tables if entry is not None else REPORT_TABLES


def _table_specs(runs: pd.DataFrame, made: tuple[str, ...]) -> list:
    """``(suffix, title, columns)`` of each table in ``made`` that the runs hold numbers for
    (the classification table always)."""
    specs = []
    if "classification_performance" in made:
        specs.append(("classification_performance", "classification performance", _CLASSIFICATION))
    if "filter_results" in made and runs["match_fraction"].notna().any():
        specs.append(("filter_results", "first-layer filters matching JASPAR", _FILTERS))
    elif "filter_results" in made and runs["match_any"].notna().any():
        specs.append(("filter_results", "first-layer filters matching JASPAR", _FILTERS_ANY))
    attr = [
        (f"{c[5:].rsplit('_', 1)[0]} {c.rsplit('_', 1)[1].upper()}", c)
        for c in runs.columns
        if c.startswith("attr_") and runs[c].notna().any()
    ]
    if "attribution_results" in made and attr:
        specs.append(("attribution_results", "attribution AUROC/AUPR per method", tuple(attr)))
    if "off_simplex" in made and "off_simplex_30" in runs and runs["off_simplex_30"].notna().any():
        specs.append(
            (
                "off_simplex",
                "fraction of positions whose input gradient lies more than 30/45/60 degrees "
                "off the simplex plane",
                _OFF_SIMPLEX,
            )
        )
    return specs


def _filter_tfs(task: str, runs: pd.DataFrame, order) -> Table:
    """Which TFs the first-layer filters match, per model and activation (real data).

    TSV ``model<TAB>filters matching any motif<TAB>best-hit TFs``: the mean number of
    filters with a Tomtom hit per trial, and every TF that is some filter's best hit with the
    number of such filters summed over trials, most frequent first.
    """
    import json
    from collections import Counter

    rows = []
    groups = dict(list(runs.groupby(["model", "activation"], sort=False)))
    for model, activation in order:
        cell = groups.get((model, activation))
        if cell is None:
            continue
        lists = [json.loads(v) for v in cell["filter_tfs"].dropna()]
        if not lists:
            continue
        counts = Counter(name for names in lists for name in names if name)
        rows.append(
            {
                "cell": f"{model}_{activation}",
                "model": model,
                "activation": activation,
                "n_trials": len(lists),
                "n_filters": float(np.mean([len(names) for names in lists])),
                "filters_matched_mean": float(
                    np.mean([sum(1 for n in names if n) for names in lists])
                ),
                "tfs": ", ".join(f"{tf} {n}" for tf, n in counts.most_common()),
            }
        )
    stats = pd.DataFrame(rows)
    lines = ["model\tfilters matching any motif\tbest-hit TFs (filters, all trials)"]
    lines += [
        f"{r.cell}\t{r.filters_matched_mean:.1f} of {r.n_filters:.0f}\t{r.tfs}"
        for r in stats.itertuples()
    ]
    return Table(
        f"{task}_filter_tfs",
        f"{task}: the TFs first-layer filters match",
        "\n".join(lines) + "\n",
        stats,
        [("filters matching any motif", "filters_matched_mean")],
    )


def finished_runs(rows: pd.DataFrame, sweep) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """The finished runs of one sweep, with attribution columns, and their row order.

    Parameters
    ----------
    rows : DataFrame
        :func:`toolkit.report.rows.record_row` rows (any sweeps, any status).
    sweep : toolkit.report.inventory.Sweep
        The sweep; records made from another spec than its ``sweep.json`` (stale) are left out.

    Returns
    -------
    (DataFrame, list of (model, activation))
    """
    from toolkit.report.attribution import expand_attribution
    from toolkit.report.order import cell_order

    sub = rows[(rows["sweep_dir"] == sweep.rel) & (rows["status"] == "done")]
    expected = {name: spec.get("spec_hash") for name, spec in sweep.expected.items()}
    stale = [
        bool(expected.get(run)) and spec_hash != expected[run]
        for run, spec_hash in zip(sub["run"], sub["spec_hash"], strict=True)
    ]
    runs, _ = expand_attribution(sub[~pd.Series(stale, index=sub.index, dtype=bool)])
    runs = with_variant_in_model(runs)
    expected = [with_variant_in_model(spec) for spec in sweep.expected.values()]
    return runs, cell_order(runs, expected)


def with_variant_in_model(runs):
    """A ``vary`` sweep's cells: ``model`` becomes ``model[variant]`` (``base_model`` keeps
    the zoo name), so every table, figure and logo treats each variant as its own row.

    Takes a DataFrame of rows or one spec dict; returns the same kind.
    """
    if isinstance(runs, dict):
        variant = runs.get("variant") or ""
        return runs | {"model": f"{runs.get('model')}[{variant}]"} if variant else runs
    if "variant" not in runs or not (runs["variant"].fillna("") != "").any():
        return runs
    variant = runs["variant"].fillna("")
    labelled = runs["model"] + "[" + variant + "]"
    return runs.assign(base_model=runs["model"], model=labelled.where(variant != "", runs["model"]))


def sweep_tables(rows: pd.DataFrame, sweep) -> list[Table]:
    """The paper's tables of one sweep (see :func:`paper_tables`, :func:`finished_runs`)."""
    runs, order = finished_runs(rows, sweep)
    return paper_tables(runs, order) if len(runs) else []


def _mean_std(runs: pd.DataFrame, columns: list[str], order: list[tuple[str, str]]) -> pd.DataFrame:
    rows = []
    groups = dict(list(runs.groupby(["model", "activation"], sort=False)))
    for model, activation in order:
        cell = groups.get((model, activation))
        if cell is None or cell.empty:
            continue
        row = {
            "cell": f"{model}_{activation}",
            "model": model,
            "activation": activation,
            "n_trials": len(cell),
        }
        for c in columns:
            values = cell[c].to_numpy(dtype=float) if c in cell else np.full(len(cell), np.nan)
            finite = values[~np.isnan(values)]
            row[c + "_mean"] = float(finite.mean()) if len(finite) else float("nan")
            row[c + "_std"] = float(finite.std()) if len(finite) else float("nan")
        rows.append(row)
    columns_out = [
        "cell",
        "model",
        "activation",
        "n_trials",
        *[f"{c}_{s}" for c in columns for s in ("mean", "std")],
    ]
    return pd.DataFrame(rows, columns=columns_out)
