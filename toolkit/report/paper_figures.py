"""The paper's figures that need more than the run table: read from files beside the records.

- ``activation_functions`` (Fig. 1a): every first-layer activation of the sweep, drawn from
  :mod:`toolkit.report.activation_curves` (no TensorFlow in the report);
- ``{task}_attribution_logos_{model}`` (Fig. 2d): the same test sequences explained by the
  relu and the exponential model (saliency x input, trial 0 or the first trial both have),
  under the ground truth, from the runs' ``attribution_maps.npz`` and the data set's
  ``model_test``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.report.activation_curves import activation_curves
from toolkit.report.figures import FigureFile, _ordered
from toolkit.report.order import ACTIVATIONS, MODELS
from toolkit.run_folder import ATTRIBUTION_MAPS, RECORD

N_SEQUENCES = 3  # sequences drawn in the relu-vs-exponential logos


def paper_figures(runs: pd.DataFrame, root: str | Path, out_dir: str | Path) -> list[FigureFile]:
    """Draw Fig. 1a and Fig. 2d where the runs allow; return the files written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    acts = [a for a in _ordered(runs["activation"].dropna().unique(), ACTIVATIONS) if _drawable(a)]
    if acts:
        png, pdf = out_dir / "activation_functions.png", out_dir / "activation_functions.pdf"
        fig = _activation_figure(acts)
        fig.savefig(png, dpi=110)
        fig.savefig(pdf)
        written.append(
            FigureFile(
                "activation_functions",
                "First-layer activation functions",
                "Each first-layer activation of this sweep on [-4, 4] (Fig. 1a; the training "
                "code's constants: Modified-Tanh shifted by 6, ELU with alpha 1).",
                png,
                pdf,
            )
        )
    for task in sorted(runs["task"].dropna().unique()):
        sub = runs[runs["task"] == task]
        base = sub["base_model"] if "base_model" in sub else sub["model"]
        for model in _ordered(base.fillna(sub["model"]).unique(), MODELS):
            pair = _relu_exp_pair(sub[base.fillna(sub["model"]) == model], Path(root))
            if pair is None:
                continue
            name = f"{task}_attribution_logos_{model}"
            files = _attribution_pair_figure(*pair, out_dir / name)
            if files:
                written.append(
                    FigureFile(
                        name,
                        f"{task}: relu vs exponential attribution maps, {model}",
                        "The same positive test sequences: ground truth (top), then saliency x "
                        "input of the relu and of the exponential model (Fig. 2d).",
                        files[1],
                        files[0],
                    )
                )
    return written


def _drawable(name: str) -> bool:
    try:
        activation_curves(name, np.zeros(1))
    except (KeyError, ValueError):
        return False
    return True


def _activation_figure(acts: list[str]):
    from matplotlib.figure import Figure

    cols = min(len(acts), 6)
    rows = -(-len(acts) // cols)
    fig = Figure(figsize=(2.3 * cols, 2.0 * rows + 0.3))
    axes = fig.subplots(rows, cols, squeeze=False)
    x = np.linspace(-4, 4, 401)
    for ax, act in zip(axes.ravel(), acts, strict=False):
        ax.plot(x, activation_curves(act, x), color="tab:blue")
        ax.axhline(0, color="0.7", lw=0.6)
        ax.axvline(0, color="0.7", lw=0.6)
        ax.set_title(act, fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(acts) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def _relu_exp_pair(runs: pd.DataFrame, root: Path):
    """(relu record folder, exponential record folder) of the same trial with saved maps."""
    folders = {}
    for act in ("relu", "exponential"):
        pick = runs[runs["activation"] == act].sort_values("trial")
        folders[act] = {
            int(t): (root / str(p)).parent
            for t, p in zip(pick["trial"], pick["path"], strict=True)
            if ((root / str(p)).parent / ATTRIBUTION_MAPS).is_file()
        }
    common = sorted(set(folders["relu"]) & set(folders["exponential"]))
    if not common:
        return None
    return folders["relu"][common[0]], folders["exponential"][common[0]]


def _attribution_pair_figure(relu: Path, exp: Path, path: Path) -> list[Path]:
    import h5py

    from toolkit.plots import attribution_logos

    with np.load(relu / ATTRIBUTION_MAPS) as a, np.load(exp / ATTRIBUTION_MAPS) as b:
        if "saliency" not in a or "saliency" not in b:
            return []
        rows, shared_a, shared_b = np.intersect1d(
            a["test_index"], b["test_index"], return_indices=True
        )
        pick_a, pick_b = shared_a[:N_SEQUENCES], shared_b[:N_SEQUENCES]
        rows = rows[:N_SEQUENCES]
        if not len(rows):
            return []
        x = a["x"][pick_a].astype(np.float32)
        maps = {
            "relu saliency": a["saliency"][pick_a],
            "exponential saliency": b["saliency"][pick_b],
        }
    record = json.loads((relu / RECORD).read_text())
    try:
        with h5py.File(record["spec"]["data"]["path"], "r") as f:
            truth = np.stack([f["model_test"][int(r)] for r in rows])
    except (OSError, KeyError):
        return []  # the data set moved: no ground truth to draw
    titles = [f"test sequence {int(r)}" for r in rows]
    return attribution_logos(x, maps, truth, path, titles=titles)
