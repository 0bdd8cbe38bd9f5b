"""The first-layer activations as numpy curves, for Fig. 1a (the report imports no TensorFlow).

Each formula mirrors :mod:`toolkit.activations` (spec §3, the training code's constants:
Modified-Tanh shifts by 6, ELU has alpha 1); ``tests/test_report_figures.py`` checks every
curve against the TensorFlow activation it draws.
"""

from __future__ import annotations

import numpy as np


def _relu(x):
    return np.maximum(x, 0.0)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


_CURVES = {
    "relu": _relu,
    "exponential": np.exp,
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softplus": lambda x: np.log1p(np.exp(x)),
    "linear": lambda x: x,
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "exp_relu": lambda x: _relu(np.exp(0.1 * x) - 1.0),
    "shift_scale_relu": lambda x: _relu((x - 0.2) ** 3),
    "shift_scale_tanh": lambda x: 500.0 * np.tanh(x - 6.0) + 500.0,
    "shift_scale_sigmoid": lambda x: 4000.0 * _sigmoid(x - 8.0),
    "shift_relu": lambda x: _relu(x - 0.2),
    "shift_tanh": lambda x: np.tanh(x - 6.0),
    "shift_sigmoid": lambda x: _sigmoid(x - 8.0),
    "scale_relu": lambda x: _relu(x**3),
    "scale_tanh": lambda x: 500.0 * np.tanh(x) + 500.0,
    "scale_sigmoid": lambda x: 4000.0 * _sigmoid(x),
    "log_relu": lambda x: _relu(np.log(np.abs(x) + 1e-10)),
    "log": lambda x: np.log(np.abs(x) + 1e-10),
}


def activation_curves(name: str, x: np.ndarray) -> np.ndarray:
    """The activation ``name`` (canonical, incl. ``exp_scale:<s>``, ``exp_shift:<s>``) at ``x``.

    Raises
    ------
    KeyError
        For a name this module does not draw.
    """
    x = np.asarray(x, np.float64)
    base, _, value = name.partition(":")
    if base == "exp_scale":
        return np.exp(float(value) * x)
    if base == "exp_shift":
        return np.exp(x - float(value))
    return np.asarray(_CURVES[name](x), np.float64)
