"""Test metrics as the paper reports them (spec §4, `tfomics/metrics.py::calculate_metrics`)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import auc, precision_recall_curve, roc_curve


def metrics(y_true: np.ndarray, y_score: np.ndarray) -> dict:
    """Per-class AUROC and trapezoid AUPR, and their nan-means over classes.

    The paper's AUPR is ``auc(recall, precision)`` (trapezoid rule), not sklearn's
    average precision; we keep that so numbers are comparable.

    Parameters
    ----------
    y_true : np.ndarray, shape (N, C)
        Binary labels.
    y_score : np.ndarray, shape (N, C)
        Predicted probabilities.

    Returns
    -------
    dict
        ``auroc`` and ``aupr`` (macro nan-means, float) and ``auroc_per_class`` /
        ``aupr_per_class`` (lists of length C; NaN where a class has one label value only).
    """
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score)
    if y_true.ndim == 1:
        y_true = y_true[:, None]
    if y_score.ndim == 1:
        y_score = y_score[:, None]
    if y_true.shape != y_score.shape:
        raise ValueError(f"labels {y_true.shape} and scores {y_score.shape} differ in shape")
    roc, pr = [], []
    for c in range(y_true.shape[1]):
        yt, ys = y_true[:, c], y_score[:, c]
        if yt.min() == yt.max():  # one class only: the curve is undefined
            roc.append(float("nan"))
            pr.append(float("nan"))
            continue
        fpr, tpr, _ = roc_curve(yt, ys)
        precision, recall, _ = precision_recall_curve(yt, ys)
        roc.append(float(auc(fpr, tpr)))
        pr.append(float(auc(recall, precision)))
    return {
        "auroc": float(np.nanmean(roc)) if np.isfinite(roc).any() else float("nan"),
        "aupr": float(np.nanmean(pr)) if np.isfinite(pr).any() else float("nan"),
        "auroc_per_class": roc,
        "aupr_per_class": pr,
    }
