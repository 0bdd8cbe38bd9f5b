"""Gradient correction for one-hot DNA and the off-simplex angle of a gradient.

Majdandzic, Rajesh & Koo, "Correcting gradient-based interpretations of deep neural networks
for genomics", Genome Biology 24:109 (2023): a one-hot input lives on the simplex (the four
channels of a position sum to 1), so no input can move along the direction (1, 1, 1, 1) of a
position, and the gradient's component along it is arbitrary (a model is free to put any
value there without changing its output on one-hot data). **Simplex correction** removes it:
at every position i, ``g_i - mean(g_i) * (1, 1, 1, 1)``, the projection of the 4-vector
``g_i`` onto the plane ``sum = 0``. How each method applies it:

- saliency: the input gradient is corrected;
- integrated gradients: every path gradient is corrected before it is averaged (``paper``)
  or multiplied by ``(x - x')`` (``standard``); the correction is linear, so for the
  ``paper`` variant this equals correcting the mean path gradient;
- DeepSHAP: every reference's multipliers (modified gradients) are corrected before they
  are multiplied by ``(x - x'_r)`` and averaged over the references.

For one-hot ``x`` and one-hot references, ``sum_c (x - x')`` is 0 at every position, so the
removed mean adds nothing to IG's or DeepSHAP's sum over the map: completeness and
additivity (the DeepSHAP convergence delta) hold for the corrected maps exactly as for the
uncorrected ones. Grad x input at the observed base b changes by the removed mean only:
``g_ib - mean(g_i)``.

**Off-simplex angle** of position i: the angle between ``g_i`` and its projection onto the
plane ``sum = 0``, ``arcsin(|g_i . u| / |g_i|)`` with the plane's unit normal
``u = (1, 1, 1, 1) / 2``, i.e. ``arcsin(2 |mean(g_i)| / |g_i|)``, in degrees (0: the
gradient lies in the plane; 90: it is all along (1, 1, 1, 1)). A position whose gradient is
exactly zero (``|g_i| = 0``, e.g. outside every active unit of a relu model) has no direction:
its angle is NaN, it is left out of the fractions and counted as ``n_zero``. For reference,
gradients pointing in uniformly random directions of R^4 give fractions 0.39, 0.18 and 0.058
above 30, 45 and 60 degrees (mean angle 26.8).
"""

from __future__ import annotations

import numpy as np

from toolkit.config.names import CORRECTIONS
from toolkit.errors import InputError

#: Degrees off the simplex plane whose exceedance is reported (Majdandzic et al.'s 30/45/60).
ANGLE_THRESHOLDS = (30, 45, 60)
#: Name suffix of a simplex-corrected map in records, tables and NPZ files.
CORRECTED_SUFFIX = "_corrected"


def check_correction(correction, method: str, allowed: tuple = CORRECTIONS) -> str:
    """``correction`` if it is one of ``allowed``, else an :class:`InputError`."""
    if correction not in allowed:
        raise InputError(method, "correction", f"expected one of {allowed}, got {correction!r}")
    return correction


def simplex_correct(gradient: np.ndarray) -> np.ndarray:
    """The gradient with its per-position mean over the 4 channels removed.

    Parameters
    ----------
    gradient : array, shape (..., L, 4)
        Gradients (or multipliers) of one-hot inputs, channels last.

    Returns
    -------
    np.ndarray, shape (..., L, 4), float32
        ``gradient - gradient.mean(axis=-1, keepdims=True)``: every position sums to 0.
    """
    gradient = np.asarray(gradient, dtype=np.float32)
    return gradient - gradient.mean(axis=-1, keepdims=True)


def off_simplex_angles(gradient: np.ndarray) -> np.ndarray:
    """Angle in degrees of each position's gradient off the simplex plane (module doc).

    Parameters
    ----------
    gradient : array, shape (N, L, 4)
        Input gradients (the raw, uncorrected ones).

    Returns
    -------
    np.ndarray, shape (N, L), float64
        ``degrees(arcsin(2 |mean_c g| / |g|))`` in [0, 90]; NaN where ``|g| = 0``.
    """
    g = np.asarray(gradient, dtype=np.float64)
    if g.ndim < 2 or g.shape[-1] != 4:
        raise InputError("off_simplex_angles", "gradient", f"expected (N, L, 4), got {g.shape}")
    norm = np.linalg.norm(g, axis=-1)
    along = np.abs(g.sum(axis=-1)) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        sine = np.clip(along / norm, 0.0, 1.0)
    return np.where(norm > 0, np.degrees(np.arcsin(sine)), np.nan)


def off_simplex_stats(gradient: np.ndarray, thresholds=ANGLE_THRESHOLDS) -> dict:
    """Fractions of positions whose gradient lies more than each threshold off the simplex.

    Parameters
    ----------
    gradient : array, shape (N, L, 4)
        Raw input gradients at the sequences analysed.
    thresholds : tuple of float
        Degrees (default 30, 45, 60).

    Returns
    -------
    dict
        ``fraction_gt_{t}`` per threshold (over positions with a non-zero gradient; None if
        there is none), ``mean_angle``, ``median_angle`` (degrees), ``n_positions`` (N L),
        ``n_zero`` (positions with a zero gradient, left out), ``thresholds``.
    """
    angles = off_simplex_angles(gradient)
    defined = angles[np.isfinite(angles)]
    out: dict = {}
    for t in thresholds:
        out[f"fraction_gt_{t:g}"] = float((defined > t).mean()) if defined.size else None
    out |= {
        "mean_angle": float(defined.mean()) if defined.size else None,
        "median_angle": float(np.median(defined)) if defined.size else None,
        "n_positions": int(angles.size),
        "n_zero": int(angles.size - defined.size),
        "thresholds": [float(t) for t in thresholds],
    }
    return out


def corrected_name(method: str) -> str:
    """The record's, table's and NPZ's name of a method's corrected map."""
    return f"{method}{CORRECTED_SUFFIX}"


def by_correction(raw: np.ndarray, corrected: np.ndarray, correction: str):
    """A method's result for ``correction``: one map, or ``{"none": .., "simplex": ..}``."""
    if correction == "both":
        return {"none": raw, "simplex": corrected}
    return corrected if correction == "simplex" else raw
