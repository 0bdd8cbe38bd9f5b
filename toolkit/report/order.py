"""The order in which the report lists models and activations (the paper's, then the rest).

Names only, no TensorFlow: the report must not import the model zoo.
"""

from __future__ import annotations

import pandas as pd

from toolkit.config.names import ALL_ACTIVATIONS

MODELS = (
    "cnn-2",
    "cnn-50",
    "cnn-deep",
    "cnn-local",
    "cnn-dist",
    "basset",
    "residualbind",
    "cnn-deep-log",
    "cnn-dist-log",
)
# Fig. 1c's seven, then the modified (shift+scale, exp_relu), shift-only and scale-only ones
BASE_ACTIVATIONS = ALL_ACTIVATIONS[:7]
MODIFIED_PAIRS = (
    ("sigmoid", "shift_scale_sigmoid"),
    ("tanh", "shift_scale_tanh"),
    ("relu", "shift_scale_relu"),
    ("exponential", "exp_relu"),
)
ABLATION_BASES = ("sigmoid", "tanh", "relu")
ACTIVATIONS = ALL_ACTIVATIONS  # the paper's grid order, then log_relu and log


def cell_order(runs: pd.DataFrame, sweep_runs: list[dict] | None = None) -> list[tuple[str, str]]:
    """(model, activation) cells: the sweep's order when known, then paper order, then sorted.

    Parameters
    ----------
    runs : DataFrame
        Rows with ``model`` and ``activation`` columns.
    sweep_runs : list of dict, optional
        The ``runs`` of ``sweep.json`` (specs in the sweep's order).
    """
    order: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for run in sweep_runs or []:
        cell = (str(run.get("model")), str(run.get("activation")))
        if cell not in seen:
            seen.add(cell)
            order.append(cell)
    present = {
        (m, a)
        for m, a in zip(runs["model"], runs["activation"], strict=True)
        if isinstance(m, str) and isinstance(a, str)
    }
    rest = sorted(present - seen, key=lambda c: (_rank(c[0], MODELS), _rank(c[1], ACTIVATIONS)))
    return [c for c in order if c in present] + rest


def _rank(name: str, known: tuple[str, ...]) -> tuple[int, str]:
    return (known.index(name), "") if name in known else (len(known), name)
