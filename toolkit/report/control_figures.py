"""The control experiments' figures (spec §8), drawn whenever their records exist.

- ``{task}_variants``: the filter match fraction (or, for attribution runs, each method's
  AUROC) against the parameter a ``vary`` sweep or an ``expact analyze`` re-analysis varied,
  boxes over trials, one colour per activation (Supp Figs 5a, 5b, 9, 11b, 15, 16; Ext Data
  Fig 1e); for ``localisation`` re-analyses the region AUROC/AUPR per scan (Ext Data Fig 1c,d);
- ``training_history``: per-epoch loss, validation loss and the monitored validation metric,
  mean over trials per activation, one row per model (Supp Fig 3);
- ``gradients``: the first layer's full-training-set gradient, mean +/- std per epoch, for
  runs trained with ``train.record_gradients`` (Supp Fig 4);
- ``activations``: first-layer values before vs after the activation, trained and untrained,
  as scatter plots and histograms (Supp Fig 10).

Histories and activation values are read from the run folders (``history.json``,
``activations.npz``), next to each record.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.report.figures import FigureFile, _boxes, _figure, _model_label, _ordered
from toolkit.report.order import ACTIVATIONS, MODELS
from toolkit.run_folder import ACTIVATIONS as ACTIVATIONS_NPZ
from toolkit.run_folder import HISTORY

MAX_HISTORY_RUNS = 2000  # more runs than this: no history figure (a report stays seconds)
_COLORS = ("0.75", "tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")


def control_figures(runs: pd.DataFrame, root: str | Path, out_dir: str | Path) -> list[FigureFile]:
    """Draw the control figures the runs support; return the files written.

    Parameters
    ----------
    runs : DataFrame
        Finished runs of one sweep (:func:`toolkit.report.tables.finished_runs`), with
        ``path`` (record path relative to ``root``), ``variant`` and ``base_model`` when the
        sweep varied something.
    root : str or Path
        The report's root folder.
    out_dir : str or Path
        Folder for the PNG and PDF files.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    root = Path(root)
    plans = []
    if "variant" in runs and (runs["variant"].fillna("") != "").any():
        for task in sorted(runs["task"].dropna().unique()):
            plans += _variant_plans(task, runs[runs["task"] == task])
    histories = _histories(runs, root) if len(runs) <= MAX_HISTORY_RUNS else {}
    if histories:
        plans.append(
            (
                "training_history",
                "Training history",
                "Per-epoch training loss, validation loss and validation AUPR/AUROC, mean over "
                "trials (lines) per first-layer activation; one row per model (Supp Fig 3).",
                lambda: _history_figure(runs, histories),
            )
        )
        if any("grad_mean" in h for h in histories.values()):
            plans.append(
                (
                    "gradients",
                    "First-layer gradients during training",
                    "Mean (line) +/- std (band) over the first conv kernel's entries of the "
                    "full-training-set gradient of the loss, per epoch; one line per trial "
                    "(Supp Fig 4).",
                    lambda: _gradient_figure(runs, histories),
                )
            )
    if "activations" in set(runs["task"].dropna()):
        plans.append(
            (
                "activations",
                "First-layer values before and after the activation",
                "Scatter of the activation's input (first BatchNorm output) against its output "
                "on test sequences, and histograms of both, for trained and untrained models "
                "(Supp Fig 10).",
                lambda: _activation_figure(runs[runs["task"] == "activations"], root),
            )
        )
    written = []
    for name, title, caption, draw in plans:
        png, pdf = out_dir / f"{name}.png", out_dir / f"{name}.pdf"
        fig = draw()
        fig.savefig(png, dpi=110)
        fig.savefig(pdf)
        written.append(FigureFile(name, title, caption, png, pdf))
    return written


def _variant_plans(task: str, runs: pd.DataFrame) -> list:
    metrics = [
        (c, c.replace("_", " ").replace("auroc", "AUROC").replace("aupr", "AUPR"))
        for c in ("localisation_auroc", "localisation_aupr")
        if c in runs and runs[c].notna().any()
    ]
    if runs["match_fraction"].notna().any():
        metrics.append(("match_fraction", "match fraction"))
    metrics += [
        (c, f"{c[5:-6]} AUROC")
        for c in runs.columns
        if c.startswith("attr_") and c.endswith("_auroc") and runs[c].notna().any()
    ]
    if not metrics:
        return []
    return [
        (
            f"{task}_variants",
            f"{task}: against the varied parameter",
            "Per trial, against the value the sweep varied (`vary`, or the re-analysis "
            "parameter); boxes over trials, one colour per first-layer activation (Supp Figs "
            "5, 9, 11b, 15, 16; Ext Data Fig 1e).",
            lambda: _variant_figure(runs, metrics),
        )
    ]


def _variant_figure(runs: pd.DataFrame, metrics: list[tuple[str, str]]):
    base = runs["base_model"] if "base_model" in runs else runs["model"]
    runs = runs.assign(base=base.fillna(runs["model"]), variant=runs["variant"].fillna(""))
    models = _ordered(runs["base"].unique(), MODELS)
    variants = list(dict.fromkeys(runs["variant"]))
    acts = _ordered(runs["activation"].unique(), ACTIVATIONS)
    # the axis with more values goes along x; the other is the colour
    x_axis, hue = (
        ("activation", "variant") if len(acts) > len(variants) else ("variant", "activation")
    )
    xs, hues = (acts, variants) if x_axis == "activation" else (variants, acts)
    fig = _figure(len(metrics), len(models), len(xs) * len(hues))
    axes = fig.subplots(len(metrics), len(models), squeeze=False, sharey="row")
    for i, (metric, label) in enumerate(metrics):
        for j, model in enumerate(models):
            cell = runs[runs["base"] == model]
            data, labels, colors = [], [], []
            for x in xs:
                for k, h in enumerate(hues):
                    pick = cell[(cell[x_axis] == x) & (cell[hue] == h)]
                    if pick.empty:
                        continue
                    data.append(pick[metric].dropna().to_numpy(float))
                    labels.append(f"{x} {h}" if len(hues) > 1 else str(x))
                    colors.append(_COLORS[k % len(_COLORS)])
            _boxes(axes[i, j], data, labels, [None] * len(data), colors)
            if i == 0:
                axes[i, j].set_title(_model_label(model))
            if j == 0:
                axes[i, j].set_ylabel(label)
    return fig


def _histories(runs: pd.DataFrame, root: Path) -> dict[str, dict]:
    """The ``history.json`` of each run of a task whose record draws it (``Task.
    training_history``; re-analyses copy their source's history: drawn with the source)."""
    from toolkit.tasks import TASKS

    out = {}
    for run, path, task in zip(runs["run"], runs["path"], runs["task"], strict=True):
        if task not in TASKS or not TASKS[task].training_history:
            continue
        file = (root / str(path)).parent / HISTORY
        try:
            history = json.loads(file.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(history, dict) and history.get("loss"):
            out[str(run)] = history
    return out


def _history_figure(runs: pd.DataFrame, histories: dict[str, dict]):
    from matplotlib.figure import Figure

    runs = runs[runs["run"].astype(str).isin(histories)]
    models = _ordered(runs["model"].unique(), MODELS)
    val_metric = "val_aupr" if any("val_aupr" in h for h in histories.values()) else "val_auroc"
    keys = [("loss", "training loss"), ("val_loss", "validation loss"), (val_metric, val_metric)]
    fig = Figure(figsize=(11, 2.6 * len(models) + 0.6))
    axes = fig.subplots(len(models), len(keys), squeeze=False)
    acts = _ordered(runs["activation"].unique(), ACTIVATIONS)
    for i, model in enumerate(models):
        for k, act in enumerate(acts):
            names = runs.loc[(runs["model"] == model) & (runs["activation"] == act), "run"]
            for j, (key, label) in enumerate(keys):
                curves = [histories[n].get(key) or [] for n in names.astype(str)]
                curves = [
                    np.asarray([np.nan if v is None else v for v in c], float) for c in curves
                ]
                curves = [c for c in curves if len(c)]
                if not curves:
                    continue
                width = max(len(c) for c in curves)
                padded = np.full((len(curves), width), np.nan)
                for r, c in enumerate(curves):
                    padded[r, : len(c)] = c
                mean = np.nanmean(padded, axis=0)
                axes[i, j].plot(
                    np.arange(1, width + 1), mean, color=_COLORS[(k + 1) % len(_COLORS)], label=act
                )
                axes[i, j].set_title(f"{_model_label(model)}: {label}", fontsize=9)
        axes[i, 0].legend(fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    fig.tight_layout()
    return fig


def _gradient_figure(runs: pd.DataFrame, histories: dict[str, dict]):
    from matplotlib.figure import Figure

    runs = runs[runs["run"].astype(str).map(lambda n: "grad_mean" in histories.get(n, {}))]
    models = _ordered(runs["model"].unique(), MODELS)
    acts = _ordered(runs["activation"].unique(), ACTIVATIONS)
    fig = Figure(figsize=(4.2 * len(acts), 2.8 * len(models) + 0.6))
    axes = fig.subplots(len(models), len(acts), squeeze=False, sharey="row")
    for i, model in enumerate(models):
        for j, act in enumerate(acts):
            ax = axes[i, j]
            names = runs.loc[(runs["model"] == model) & (runs["activation"] == act), "run"]
            for k, name in enumerate(names.astype(str)):
                mean = np.asarray(histories[name]["grad_mean"], float)
                std = np.asarray(histories[name]["grad_std"], float)
                epochs = np.arange(1, len(mean) + 1)
                color = _COLORS[(k + 1) % len(_COLORS)]
                ax.plot(epochs, mean, color=color, lw=1)
                ax.fill_between(epochs, mean - std, mean + std, color=color, alpha=0.2, lw=0)
            ax.set_title(f"{_model_label(model)}, {act}", fontsize=9)
            ax.set_xlabel("epoch")
        axes[i, 0].set_ylabel("d loss / d first-layer kernel")
    fig.tight_layout()
    return fig


def _activation_figure(runs: pd.DataFrame, root: Path):
    from matplotlib.figure import Figure

    panels = []
    for row in runs.sort_values(["activation", "variant", "trial"]).itertuples():
        file = (root / str(row.path)).parent / ACTIVATIONS_NPZ
        try:
            with np.load(file) as values:
                pre, post = values["pre"].ravel(), values["post"].ravel()
        except (OSError, KeyError, ValueError):
            continue
        panels.append((f"{row.model}\n{row.activation}", pre, post))
    fig = Figure(figsize=(3.2 * max(len(panels), 1), 6.2))
    axes = fig.subplots(2, max(len(panels), 1), squeeze=False)
    rng = np.random.default_rng(0)
    for j, (title, pre, post) in enumerate(panels):
        pick = rng.choice(len(pre), size=min(len(pre), 5000), replace=False)
        axes[0, j].scatter(pre[pick], post[pick], s=2, alpha=0.4, color="tab:blue", lw=0)
        axes[0, j].set_title(title, fontsize=9)
        axes[0, j].set_xlabel("before activation")
        axes[1, j].hist(pre, bins=60, alpha=0.6, color="0.5", label="before")
        axes[1, j].hist(post, bins=60, alpha=0.6, color="tab:blue", label="after")
        axes[1, j].set_yscale("log")
        axes[1, j].legend(fontsize=7)
    axes[0, 0].set_ylabel("after activation")
    fig.tight_layout()
    return fig
