"""Attribution maps scored against a ground-truth mask (spec §6, ``helper.interpretability_performance``).

Per sequence:

1. a per-position score: ``norm="times_input"`` (saliency, integrated gradients, DeepSHAP)
   sums ``attribution * x`` over the 4 channels (signed: no absolute value, no
   normalisation); ``norm="l2norm"`` (mutagenesis) takes ``sqrt(sum_a delta_a^2 + 1e-10)``
   on the observed base;
2. the positive positions: a given boolean mask, or, from ground-truth sequence models
   (PWMs), the positions with more than ``info_threshold`` bits
   (``2 + sum_a p log2(p + 1e-10) > 0.01``: every column of an embedded motif);
3. AUROC (sklearn ``roc_curve`` + ``auc``) and AUPR (``precision_recall_curve`` +
   ``auc(recall, precision)``, the trapezoid, not average precision) over all L positions.

A sequence whose mask is all positive or all negative has no curve: its scores are NaN.
"""

from __future__ import annotations

import numpy as np

from toolkit.attribution._common import check_onehot
from toolkit.errors import InputError

NORMS = ("times_input", "l2norm")
#: How the paper turns each method's map into per-position scores.
DEFAULT_NORM = {
    "saliency": "times_input",
    "mutagenesis": "l2norm",
    "integrated_gradients": "times_input",
    "deepshap": "times_input",
}


def _mask(truth, x: np.ndarray, info_threshold: float) -> np.ndarray:
    """(N, L) boolean mask from a mask or from ground-truth PWMs (see the module docstring)."""
    n, length, _ = x.shape
    try:
        truth = np.asarray(truth)
    except (TypeError, ValueError):
        raise InputError("score", "truth", "expected an array") from None
    if truth.dtype.kind not in "biuf":
        raise InputError(
            "score", "truth", f"expected a numeric or boolean array, got {truth.dtype}"
        )
    if truth.ndim == 2:
        if truth.shape != (n, length):
            raise InputError(
                "score",
                "truth",
                f"mask of shape {truth.shape} does not match the sequences: expected (N, L) = "
                f"({n}, {length})",
            )
        if not np.isin(truth, (0, 1)).all():
            raise InputError("score", "truth", "a 2-D mask must hold only 0/1 (or booleans)")
        return truth.astype(bool)
    if truth.ndim == 3 and truth.shape[0] == n:
        if truth.shape[1:] == (length, 4):
            pwm = truth.astype(np.float64)
        elif truth.shape[1:] == (4, length):
            pwm = truth.astype(np.float64).transpose(0, 2, 1)
        else:
            pwm = None
        if pwm is not None:
            if (
                not np.isfinite(pwm).all()
                or (pwm < 0).any()
                or (np.abs(pwm.sum(-1) - 1) > 1e-4).any()
            ):
                raise InputError(
                    "score",
                    "truth",
                    "ground-truth models must hold probability vectors per position",
                )
            info = 2.0 + np.sum(pwm * np.log2(pwm + 1e-10), axis=-1)
            return info > info_threshold
    raise InputError(
        "score",
        "truth",
        f"expected a mask (N, L) = ({n}, {length}) or ground-truth PWMs (N, L, 4) / (N, 4, L), "
        f"got shape {truth.shape}",
    )


def score(
    attribution: np.ndarray,
    x: np.ndarray,
    truth: np.ndarray,
    norm: str = "times_input",
    info_threshold: float = 0.01,
) -> dict[str, np.ndarray]:
    """Per-sequence AUROC and AUPR of attribution maps against the ground truth.

    Parameters
    ----------
    attribution : np.ndarray, shape (N, L, 4)
        Maps from any method (gradient, ISM deltas, IG, SHAP values...).
    x : np.ndarray, shape (N, L, 4)
        The one-hot sequences they explain.
    truth : np.ndarray
        Either a mask of shape (N, L) (True/1 = position belongs to a motif), or the
        ground-truth sequence models (PWMs) of shape (N, L, 4) or (N, 4, L) (the Task 1/3
        files' ``model_*`` layout), turned into a mask with ``info_threshold``.
    norm : {"times_input", "l2norm"}
        Per-position score; see the module docstring (``DEFAULT_NORM`` names the paper's
        choice per method).
    info_threshold : float
        Bits above which a ground-truth position is positive (paper: 0.01).

    Returns
    -------
    dict
        ``auroc`` and ``aupr``: np.ndarray (N,) float64 (NaN where the mask has one class);
        ``n_positive``: np.ndarray (N,) int, positive positions per sequence;
        ``position_score``: np.ndarray (N, L) float64, the per-position scores ranked.

    Raises
    ------
    InputError
        Before any scoring: ``x`` not one-hot; ``attribution`` not the shape of ``x`` or not
        finite; a mask or PWMs of the wrong shape (e.g. the wrong length); an unknown
        ``norm``.
    """
    from sklearn.metrics import auc, precision_recall_curve, roc_curve

    x = check_onehot(x, "score")
    try:
        attribution = np.asarray(attribution, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("score", "attribution", "expected a numeric array (N, L, 4)") from None
    if attribution.shape != x.shape:
        raise InputError(
            "score",
            "attribution",
            f"shape {attribution.shape} does not match the sequences' {x.shape}",
        )
    if not np.isfinite(attribution).all():
        raise InputError("score", "attribution", "contains NaN or inf")
    if norm not in NORMS:
        raise InputError("score", "norm", f"expected one of {NORMS}, got {norm!r}")
    mask = _mask(truth, x, float(info_threshold))

    if norm == "times_input":
        per_position = np.sum(attribution * x, axis=-1)
    else:
        per_position = np.sqrt(np.sum(attribution**2, axis=-1) + 1e-10)
    n = len(x)
    auroc = np.full(n, np.nan)
    aupr = np.full(n, np.nan)
    for i in range(n):
        label = mask[i]
        if label.all() or not label.any():
            continue
        fpr, tpr, _ = roc_curve(label, per_position[i])
        precision, recall, _ = precision_recall_curve(label, per_position[i])
        auroc[i] = auc(fpr, tpr)
        aupr[i] = auc(recall, precision)
    return {
        "auroc": auroc,
        "aupr": aupr,
        "n_positive": mask.sum(axis=1),
        "position_score": per_position,
    }
