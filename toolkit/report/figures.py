"""The report's figures (PDF and PNG), laid out like the paper's.

Per task, as far as the runs cover it:

- ``{task}_match_fraction``: filter match fraction ("match ground truth") per activation, one
  panel per model (Fig. 1c/1d layout), the paper's medians as red diamonds;
- ``{task}_match_any``: fraction of filters matching any JASPAR motif, same layout;
- ``{task}_classification``: test AUROC (top) and AUPR (bottom) per activation and model;
- ``{task}_modified``: original vs modified activation (sigmoid/shift_scale_sigmoid, ...,
  exponential/exp_relu) per model, with the t-test p-value over each pair;
- ``{task}_ablation``: original / shift / scale / shift+scale per model and base activation;
- ``{task}_attribution`` / ``{task}_attribution_aupr``: attribution AUROC / AUPR per
  activation, one panel per model and method;
- ``{task}_classification_vs_attribution``: test AUROC against saliency AUROC per trial
  (Fig. 2c);
- ``{task}_modified_attribution``: original vs modified activations, paired by trial, on
  saliency AUROC with their t-tests (Supp Fig 11a);
- ``{task}_off_simplex``: the fractions of positions whose input gradient lies more than
  30, 45 and 60 degrees off the simplex plane, per activation and model;
- ``{task}_attribution_correction``: per activation, the uncorrected (grey) and the
  simplex-corrected (blue) attribution AUROC side by side, one panel per model and method
  (runs with ``attribution.correction: both``).

Boxes show the trials' quartiles (whiskers 1.5 IQR), dots the trials themselves (up to
:data:`MAX_DOTS` per box). Built on
:class:`matplotlib.figure.Figure` without pyplot, so no display and no global state is used.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.report.order import (
    ABLATION_BASES,
    ACTIVATIONS,
    MODELS,
    MODIFIED_PAIRS,
)

_MODIFIED = {m for _, m in MODIFIED_PAIRS}
_ABLATION = {f"{k}_{b}" for b in ABLATION_BASES for k in ("shift", "scale")}
_LABELS = {"exponential": "exp", "exp_relu": "exp-relu", "softplus": "softplus"}
_PAPER_FIGURES = {
    "match_fraction": ("Fig. 1c", "Fig. 1d"),
    "match_any": ("Fig. 1d match any",),
    "auroc": ("Task 3 classification",),
}


_DRAWN = {"task", "model", "activation", "trial", "auroc", "aupr", "match_fraction", "match_any"}
_OFF_SIMPLEX = [(f"off_simplex_{t}", f"fraction > {t} deg") for t in (30, 45, 60)]
_KEYS = "fingerprints.json"  # figure name -> hash of its inputs, to skip redrawing
MAX_DOTS = 40  # trials drawn as dots per box; more are summarised by the box alone


@dataclass
class FigureFile:
    """One written figure."""

    name: str
    title: str
    caption: str
    png: Path
    pdf: Path


def figures(
    runs: pd.DataFrame,
    out_dir: str | Path,
    paper: pd.DataFrame | None = None,
    ttest_table: pd.DataFrame | None = None,
    client=None,
    previous: str | Path | None = None,
) -> list[FigureFile]:
    """Draw every figure the runs support into ``out_dir`` (``<name>.png`` and ``<name>.pdf``).

    Parameters
    ----------
    runs : DataFrame
        Finished runs (``task, model, activation`` and metric columns; ``attr_*`` columns for
        attribution panels).
    out_dir : str or Path
        Folder for the files (created).
    paper : DataFrame, optional
        :func:`toolkit.report.paper.paper_values`, drawn as red diamonds.
    ttest_table : DataFrame, optional
        :func:`toolkit.report.ttests.ttests`, for the p-values of the modified panels.
    client : distributed.Client, optional
        Draw the figures in parallel on its workers (they share ``out_dir``'s file system).
    previous : str or Path, optional
        The figures folder of the last report: a figure whose inputs (the task's runs, paper
        values, t-tests and this module's code) are unchanged is copied from there, not redrawn.

    Returns
    -------
    list of FigureFile
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # only what the panels draw: the closures below travel to the workers
    runs = runs[[c for c in runs.columns if c in _DRAWN or c.startswith(("attr_", "off_simplex_"))]]
    paper = (
        paper
        if paper is not None
        else pd.DataFrame(columns=["task", "figure", "metric", "model", "activation", "value"])
    )
    old_keys = _read_keys(Path(previous) / _KEYS) if previous else {}
    written, jobs, keys = [], [], {}
    for task in sorted(runs["task"].dropna().unique()):
        sub = runs[runs["task"] == task]
        tp = paper[paper["task"] == task]
        tt = (
            ttest_table[ttest_table["task"] == task]
            if ttest_table is not None and len(ttest_table)
            else None
        )
        key = _fingerprint(sub, tp, tt)
        for name, title, caption, draw in _plans(task, sub, tp, ttest_table):
            png, pdf = out_dir / f"{name}.png", out_dir / f"{name}.pdf"
            written.append(FigureFile(name, title, caption, png, pdf))
            keys[name] = key
            old_png, old_pdf = (
                (Path(previous) / png.name, Path(previous) / pdf.name) if previous else (None, None)
            )
            if old_keys.get(name) == key and old_png.is_file() and old_pdf.is_file():
                shutil.copyfile(old_png, png)
                shutil.copyfile(old_pdf, pdf)
            else:
                jobs.append((draw, png, pdf))
    (out_dir / _KEYS).write_text(json.dumps(keys, indent=1, sort_keys=True) + "\n")
    if client is not None and len(jobs) > 1:
        client.gather([client.submit(_save, *job, pure=False) for job in jobs])
    else:
        for job in jobs:
            _save(*job)
    return written


def _fingerprint(runs: pd.DataFrame, paper: pd.DataFrame, ttest_table) -> str:
    """Hash of everything a task's figures are drawn from, and of the code that draws them."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for frame in (runs, paper, ttest_table):
        if frame is not None and len(frame):
            digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
            digest.update(",".join(map(str, frame.columns)).encode())
    return digest.hexdigest()[:20]


def _read_keys(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _save(draw, png: Path, pdf: Path) -> None:
    fig = draw()
    fig.savefig(png, dpi=110)
    fig.savefig(pdf)


def _plans(task, runs, paper, ttest_table):
    models = _ordered(runs["model"].dropna().unique(), MODELS)
    acts = _ordered(runs["activation"].dropna().unique(), ACTIVATIONS)
    main = [a for a in acts if a not in _MODIFIED and a not in _ABLATION] or acts
    plans = []
    for metric, label, what in (
        ("match_fraction", "match fraction", "ground-truth motifs"),
        ("match_any", "match any JASPAR", "any JASPAR motif"),
    ):
        if runs[metric].notna().any():
            ref = _paper_lookup(paper, metric, _PAPER_FIGURES[metric])
            plans.append(
                (
                    f"{task}_{metric}",
                    f"{task}: first-layer filters matching {what}",
                    f"Fraction of first-layer filters with a Tomtom hit (E < 0.1) to {what}, per "
                    f"trial; one panel per model (Fig. 1c layout). Red diamonds: the paper's medians.",
                    lambda m=metric, lab=label, r=ref: _panel_grid(
                        runs, models, [(m, lab)], main, r
                    ),
                )
            )
    ref = _paper_lookup(paper, "auroc", _PAPER_FIGURES["auroc"])
    plans.append(
        (
            f"{task}_classification",
            f"{task}: test AUROC and AUPR",
            "Test-set AUROC (top) and AUPR (bottom, trapezoidal), class-averaged, per trial.",
            lambda: _panel_grid(
                runs,
                models,
                [("auroc", "AUROC"), ("aupr", "AUPR")],
                acts,
                {"auroc": ref.get("auroc", {})},
            ),
        )
    )
    if "off_simplex_30" in runs and runs["off_simplex_30"].notna().any():
        plans.append(
            (
                f"{task}_off_simplex",
                f"{task}: input gradients off the simplex plane",
                "Fraction of positions whose input gradient lies more than 30, 45, 60 degrees "
                "off the simplex plane (the component gradient correction removes), per trial; "
                "gradients in random directions give 0.39, 0.18, 0.058.",
                lambda: _panel_grid(
                    runs, models, [m for m in _OFF_SIMPLEX if m[0] in runs], acts, {}
                ),
            )
        )
    if runs["match_fraction"].notna().any() and set(acts) & _MODIFIED:
        ref = _paper_lookup(paper, "match_fraction", ("modified activations",))
        plans.append(
            (
                f"{task}_modified",
                f"{task}: original vs modified activations",
                "Match fraction of each original activation (grey) beside its modified version "
                "(blue: shift+scale, exp_relu); p: two-sample t-test. Red diamonds: the paper's medians.",
                lambda r=ref: _modified(runs, models, r, ttest_table),
            )
        )
    if runs["match_fraction"].notna().any() and set(acts) & _ABLATION:
        ref = _paper_lookup(paper, "match_fraction", ("ablation",))
        plans.append(
            (
                f"{task}_ablation",
                f"{task}: ablation of the modified activations",
                "Match fraction for the original, shift-only, scale-only and shift+scale variant of "
                "each activation. Red diamonds: the paper's medians.",
                lambda r=ref: _ablation(runs, models, r),
            )
        )
    return plans + _attribution_plans(task, runs, models, acts, ttest_table)


def _attribution_plans(task, runs, models, acts, ttest_table):
    """The attribution figures of a task whose runs scored attribution maps."""
    plans = []
    attr = [
        c
        for c in runs.columns
        if c.startswith("attr_") and c.endswith("_auroc") and runs[c].notna().any()
    ]
    if not attr:
        return plans
    plans.append(
        (
            f"{task}_attribution",
            f"{task}: attribution quality per method",
            "Per-sequence AUROC of each attribution map against the ground-truth motif "
            "positions, averaged per trial; one panel per model (rows) and method (columns).",
            lambda: _attribution(runs, models, acts, attr, "attribution AUROC"),
        )
    )
    aupr = [c[: -len("auroc")] + "aupr" for c in attr if c[: -len("auroc")] + "aupr" in runs]
    aupr = [c for c in aupr if runs[c].notna().any()]
    if aupr:
        plans.append(
            (
                f"{task}_attribution_aupr",
                f"{task}: attribution AUPR per method",
                "Per-sequence AUPR (trapezoid) of each attribution map against the "
                "ground-truth motif positions, averaged per trial.",
                lambda: _attribution(runs, models, acts, aupr, "attribution AUPR"),
            )
        )
    plans.append(
        (
            f"{task}_classification_vs_attribution",
            f"{task}: classification against attribution",
            "Each trial's test AUROC (x) against its attribution AUROC (y), one colour per "
            "first-layer activation (Fig. 2c): good classifiers need not explain well.",
            lambda: _classification_vs_attribution(runs, models, acts, attr),
        )
    )
    corrected = [
        c[: -len("_corrected_auroc")]
        for c in attr
        if c.endswith("_corrected_auroc") and c.replace("_corrected", "") in attr
    ]
    if corrected:
        plans.append(
            (
                f"{task}_attribution_correction",
                f"{task}: uncorrected vs simplex-corrected attribution AUROC",
                "Per activation, the attribution AUROC of the uncorrected map (grey) beside its "
                "simplex-corrected version (blue: the gradient's mean over the four nucleotides "
                "removed at every position, Majdandzic et al. 2023), one dot per trial.",
                lambda: _correction(runs, models, acts, corrected),
            )
        )
    if "attr_saliency_auroc" in attr and set(acts) & _MODIFIED:
        plans.append(
            (
                f"{task}_modified_attribution",
                f"{task}: original vs modified activations (saliency)",
                "Saliency AUROC of each original activation (grey) beside its modified "
                "version (blue); p: two-sample t-test over trials (Supp Fig 11a).",
                lambda: _modified(
                    runs, models, {}, ttest_table, "attr_saliency_auroc", "saliency AUROC"
                ),
            )
        )
    return plans


def _panel_grid(runs, models, metrics, acts, ref):
    fig = _figure(len(metrics), len(models), len(acts))
    axes = fig.subplots(len(metrics), len(models), squeeze=False, sharey="row")
    for i, (metric, label) in enumerate(metrics):
        for j, model in enumerate(models):
            cell = runs[runs["model"] == model]
            present = [a for a in acts if (cell["activation"] == a).any()]
            data = [
                cell.loc[cell["activation"] == a, metric].dropna().to_numpy(float) for a in present
            ]
            marks = [ref.get(metric, {}).get((model, a)) for a in present]
            _boxes(axes[i, j], data, present, marks)
            if i == 0:
                axes[i, j].set_title(_model_label(model))
            if j == 0:
                axes[i, j].set_ylabel(label)
    return fig


def _modified(runs, models, ref, ttest_table, metric="match_fraction", ylabel="match fraction"):
    fig = _figure(1, len(models), 8)
    axes = fig.subplots(1, len(models), squeeze=False, sharey=True)[0]
    for ax, model in zip(axes, models, strict=True):
        cell = runs[runs["model"] == model]
        labels, data, marks, colors, pairs = [], [], [], [], []
        for original, modified in MODIFIED_PAIRS:
            if not (cell["activation"] == modified).any():
                continue
            pairs.append((len(labels), original, modified))
            for act, color in ((original, "0.75"), (modified, "tab:blue")):
                labels.append(act)
                data.append(cell.loc[cell["activation"] == act, metric].dropna().to_numpy(float))
                marks.append(ref.get(metric, {}).get((model, act)))
                colors.append(color)
        _boxes(ax, data, labels, marks, colors)
        for pos, original, modified in pairs:
            p = _p_value(ttest_table, runs, model, original, modified, metric)
            if p is not None:
                ax.text(pos + 1.5, 1.04, f"p={p:.2g}", ha="center", va="bottom", fontsize=7)
        ax.set_ylim(-0.05, 1.15)
        ax.set_title(_model_label(model), pad=14)
    axes[0].set_ylabel(ylabel)
    return fig


def _ablation(runs, models, ref):
    fig = _figure(len(models), len(ABLATION_BASES), 4)
    axes = fig.subplots(len(models), len(ABLATION_BASES), squeeze=False, sharey=True)
    for i, model in enumerate(models):
        cell = runs[runs["model"] == model]
        for j, base in enumerate(ABLATION_BASES):
            acts = [
                a
                for a in (base, f"shift_{base}", f"scale_{base}", f"shift_scale_{base}")
                if (cell["activation"] == a).any()
            ]
            data = [
                cell.loc[cell["activation"] == a, "match_fraction"].dropna().to_numpy(float)
                for a in acts
            ]
            marks = [ref.get("match_fraction", {}).get((model, a)) for a in acts]
            labels = [
                {
                    base: "original",
                    f"shift_{base}": "shift",
                    f"scale_{base}": "scale",
                    f"shift_scale_{base}": "shift+scale",
                }[a]
                for a in acts
            ]
            _boxes(axes[i, j], data, labels, marks)
            axes[i, j].set_title(f"{_model_label(model)}, {base}", fontsize=9)
        axes[i, 0].set_ylabel("match fraction")
    return fig


def _attribution(runs, models, acts, columns, ylabel):
    fig = _figure(len(models), len(columns), len(acts))
    axes = fig.subplots(len(models), len(columns), squeeze=False, sharey=True)
    for i, model in enumerate(models):
        cell = runs[runs["model"] == model]
        present = [a for a in acts if (cell["activation"] == a).any()]
        for j, column in enumerate(columns):
            data = [
                cell.loc[cell["activation"] == a, column].dropna().to_numpy(float) for a in present
            ]
            _boxes(axes[i, j], data, present, [None] * len(present))
            method = column[5:].rsplit("_", 1)[0]
            axes[i, j].set_title(f"{_model_label(model)}: {method}", fontsize=9)
        axes[i, 0].set_ylabel(ylabel)
    return fig


def _correction(runs, models, acts, methods):
    fig = _figure(len(models), len(methods), 2 * len(acts))
    axes = fig.subplots(len(models), len(methods), squeeze=False, sharey=True)
    for i, model in enumerate(models):
        cell = runs[runs["model"] == model]
        present = [a for a in acts if (cell["activation"] == a).any()]
        for j, method in enumerate(methods):
            labels, data, colors = [], [], []
            for act in present:
                for column, color, suffix in (
                    (f"{method}_auroc", "0.75", ""),
                    (f"{method}_corrected_auroc", "tab:blue", " corr."),
                ):
                    values = cell.loc[cell["activation"] == act, column].dropna()
                    labels.append(_LABELS.get(act, act) + suffix)
                    data.append(values.to_numpy(float))
                    colors.append(color)
            _boxes(axes[i, j], data, labels, [None] * len(data), colors)
            name = {"integrated_gradients": "IG"}.get(method[5:], method[5:])
            axes[i, j].set_title(f"{_model_label(model)}: {name}", fontsize=8)
        axes[i, 0].set_ylabel("attribution AUROC")
    return fig


def _classification_vs_attribution(runs, models, acts, columns):
    fig = _figure(len(models), len(columns), 6)
    axes = fig.subplots(len(models), len(columns), squeeze=False, sharex=True, sharey=True)
    colors = ("0.5", "tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")
    for i, model in enumerate(models):
        cell = runs[runs["model"] == model]
        for j, column in enumerate(columns):
            ax = axes[i, j]
            for k, act in enumerate(acts):
                pick = cell[cell["activation"] == act]
                if len(pick):
                    ax.scatter(
                        pick["auroc"], pick[column], s=14, color=colors[k % len(colors)], label=act
                    )
            ax.set_title(f"{_model_label(model)}: {column[5:].rsplit('_', 1)[0]}", fontsize=9)
            ax.set_xlabel("test AUROC")
            ax.grid(alpha=0.3)
        axes[i, 0].set_ylabel("attribution AUROC")
        axes[i, 0].legend(fontsize=7)
    return fig


def _boxes(ax, data, labels, marks, colors=None):
    """Box-and-whisker plots as four collections (boxes, medians, whiskers, caps).

    The same statistics as ``Axes.boxplot`` (quartiles, whiskers at the furthest trial within
    1.5 IQR, no fliers), drawn with a handful of artists instead of seven per box: a grid of
    51 boxes builds and draws several times faster.
    """
    from matplotlib.collections import LineCollection, PolyCollection

    positions = np.arange(1, len(data) + 1, dtype=float)
    boxes, faces, medians, whiskers, caps, lows, highs = [], [], [], [], [], [], []
    for k, (pos, values) in enumerate(zip(positions, data, strict=True)):
        if not len(values):
            continue
        q1, med, q3 = np.percentile(values, [25, 50, 75])
        iqr = q3 - q1
        lo = values[values >= q1 - 1.5 * iqr].min()
        hi = values[values <= q3 + 1.5 * iqr].max()
        left, right = pos - 0.3, pos + 0.3
        boxes.append([(left, q1), (right, q1), (right, q3), (left, q3)])
        faces.append(colors[k] if colors else "0.85")
        medians.append([(left, med), (right, med)])
        whiskers += [[(pos, lo), (pos, q1)], [(pos, q3), (pos, hi)]]
        caps += [[(pos - 0.15, lo), (pos + 0.15, lo)], [(pos - 0.15, hi), (pos + 0.15, hi)]]
        lows.append(lo)
        highs.append(hi)
    if boxes:
        ax.add_collection(
            PolyCollection(boxes, facecolors=faces, edgecolors="black", linewidths=0.8, zorder=2)
        )
        ax.add_collection(LineCollection(whiskers + caps, colors="black", linewidths=0.8, zorder=1))
        ax.add_collection(LineCollection(medians, colors="black", linewidths=1.4, zorder=3))
    rng = np.random.default_rng(0)
    dots_x, dots_y = [], []
    for pos, values in zip(positions, data, strict=True):
        if 0 < len(values) <= MAX_DOTS:  # beyond that the box says it all (and PDFs stay small)
            dots_x.append(pos + rng.uniform(-0.15, 0.15, len(values)))
            dots_y.append(values)
    if dots_x:
        ax.scatter(
            np.concatenate(dots_x),
            np.concatenate(dots_y),
            s=6,
            color="0.2",
            alpha=0.6,
            zorder=4,
            linewidths=0,
        )
    shown = [(pos, m) for pos, m in zip(positions, marks, strict=True) if m is not None]
    if shown:
        ax.scatter(*zip(*shown, strict=True), marker="D", s=28, color="tab:red", zorder=5)
    if lows:  # collections do not autoscale: add their extent (shared y axes see all panels)
        ax.update_datalim([(positions[0], min(lows)), (positions[-1], max(highs))])
        ax.autoscale_view(scalex=False)
    ax.set_xticks(
        positions,
        [_LABELS.get(x, x.replace("shift_scale_", "mod-")) for x in labels],
        rotation=60,
        ha="right",
        fontsize=8,
    )
    ax.set_xlim(0.4, len(data) + 0.6)
    ax.grid(axis="y", alpha=0.3)


def _figure(rows, cols, n_boxes):
    from matplotlib.figure import Figure

    # fixed margins in inches instead of a layout engine: drawing twice (PNG, PDF) with
    # constrained layout costs ~40 % more, and these grids are regular
    width = min(18.0, max(2.6, 0.38 * n_boxes + 1.0) * cols + 0.9)
    height = 2.9 * rows + 0.5
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(
        left=0.75 / width,
        right=1 - 0.15 / width,
        bottom=1.0 / height,
        top=1 - 0.45 / height,
        wspace=0.12 if cols > 1 else 0.2,
        hspace=0.75,
    )
    return fig


def _paper_lookup(paper, metric, figures_):
    rows = paper[(paper["metric"] == metric) & paper["figure"].isin(figures_)]
    return {metric: {(r.model, r.activation): float(r.value) for r in rows.itertuples()}}


def _p_value(ttest_table, runs, model, original, modified, metric="match_fraction"):
    if ttest_table is None or not len(ttest_table):
        return None
    hit = ttest_table[
        (ttest_table["model"] == model)
        & (ttest_table["original"] == original)
        & (ttest_table["modified"] == modified)
        & (ttest_table["metric"] == metric)
        & (ttest_table["task"].isin(runs["task"].unique()))
    ]
    if hit.empty or pd.isna(hit["p_value"].iloc[0]):
        return None
    return float(hit["p_value"].iloc[0])


def _ordered(names, known):
    names = [str(n) for n in names]
    return [n for n in known if n in names] + sorted(n for n in names if n not in known)


def _model_label(model: str) -> str:
    return (
        model.upper()
        .replace("CNN-DEEP", "CNN-deep")
        .replace("-LOG", "-log")
        .replace("CNN-LOCAL", "CNN-local")
        .replace("CNN-DIST", "CNN-dist")
    )
