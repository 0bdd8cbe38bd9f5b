"""Motif localisation by scans (Ext Data Fig 1c,d; spec §6 "PWM/filter-scan localisation").

A scan gives every position of a test sequence a score: the first layer's activation (max
over filters), or the best match of the generator's 24 core motifs (12 TFs and their reverse
complements) as a PPM dot product or a log-odds PWM sum. It is scored against the ground
truth with the notebook's region scorer: positions with more than ``info_threshold`` bits in
the sequence's ground-truth model are motif positions; they are dilated by ``buffer`` on
each side; the sequence splits into contiguous motif and background segments; each segment
scores the maximum of the scan inside it. AUROC and AUPR (trapezoid) are computed over the
segments of all sequences pooled (a decision: the notebook's pooling is not stated; one
sequence has only a few segments).
"""

from __future__ import annotations

import numpy as np

SCANS = ("cnn", "ppm", "pwm")


def localisation(
    scan: np.ndarray,
    model: np.ndarray,
    buffer: int = 10,
    info_threshold: float = 0.01,
) -> dict:
    """Score position scans against the ground-truth motif positions, segment by segment.

    Parameters
    ----------
    scan : np.ndarray, shape (N, L)
        Per-position scores; NaN where a scan is undefined (motif windows that do not fit).
    model : np.ndarray, shape (N, 4, L) or (N, L, 4)
        Each sequence's ground-truth PWM (the generator's ``model_*``).
    buffer : int
        Positions added on each side of every motif position before segmenting.
    info_threshold : float
        Bits above which a position belongs to a motif.

    Returns
    -------
    dict
        ``auroc``, ``aupr``, ``n_positive`` and ``n_negative`` (segments), ``buffer``,
        ``info_threshold``.
    """
    from sklearn.metrics import auc, precision_recall_curve, roc_auc_score

    scan = np.asarray(scan, float)
    model = np.asarray(model, float)
    if model.shape[1] == 4 and model.shape[2] != 4:
        model = model.transpose(0, 2, 1)  # (N, L, 4)
    if scan.shape != model.shape[:2]:
        raise ValueError(f"scan {scan.shape} and model {model.shape} disagree")
    info = 2 + np.sum(model * np.log2(model + 1e-10), axis=2)
    labels = info > info_threshold
    if buffer > 0:
        kernel = np.ones(2 * buffer + 1)
        labels = np.array([np.convolve(row, kernel, mode="same") > 0 for row in labels])
    scores, truth = [], []
    for row_scan, row_label in zip(scan, labels, strict=True):
        edges = np.flatnonzero(np.diff(row_label.astype(np.int8))) + 1
        for segment_scan, segment_label in zip(
            np.split(row_scan, edges), np.split(row_label, edges), strict=True
        ):
            if np.isfinite(segment_scan).any():
                scores.append(np.nanmax(segment_scan))
                truth.append(bool(segment_label[0]))
    scores, truth = np.asarray(scores), np.asarray(truth)
    n_pos, n_neg = int(truth.sum()), int((~truth).sum())
    if n_pos == 0 or n_neg == 0:
        aucroc = aupr = float("nan")
    else:
        aucroc = float(roc_auc_score(truth, scores))
        precision, recall, _ = precision_recall_curve(truth, scores)
        aupr = float(auc(recall, precision))
    return {
        "auroc": aucroc,
        "aupr": aupr,
        "n_positive": n_pos,
        "n_negative": n_neg,
        "buffer": int(buffer),
        "info_threshold": float(info_threshold),
    }


def motif_scan(x: np.ndarray, pwms: list[np.ndarray], kind: str = "ppm") -> np.ndarray:
    """Best motif match at every position: max over motifs of a window score.

    Parameters
    ----------
    x : np.ndarray, shape (N, L, 4)
        One-hot sequences.
    pwms : list of np.ndarray, each (4, w)
        Motif probability matrices (rows A, C, G, T).
    kind : {'ppm', 'pwm'}
        ``ppm``: sum over the window of p(observed base); ``pwm``: sum of
        ``log2(p / 0.25 + 1e-10)`` (log-odds against a uniform background).

    Returns
    -------
    np.ndarray, shape (N, L)
        The window's score placed at its centre (``start + w // 2``); NaN where no motif's
        window fits.
    """
    if kind not in ("ppm", "pwm"):
        raise ValueError(f"kind must be 'ppm' or 'pwm', got {kind!r}")
    x = np.asarray(x, np.float64)
    n, length, _ = x.shape
    best = np.full((n, length), -np.inf)
    for pwm in pwms:
        weights = np.asarray(pwm, np.float64).T  # (w, 4)
        if kind == "pwm":
            weights = np.log2(weights / 0.25 + 1e-10)
        w = len(weights)
        if w > length:
            continue
        score = np.zeros((n, length - w + 1))
        for j in range(w):
            score += x[:, j : j + length - w + 1, :] @ weights[j]
        centre = w // 2
        window = best[:, centre : centre + length - w + 1]
        np.maximum(window, score, out=window)
    best[~np.isfinite(best)] = np.nan
    return best
