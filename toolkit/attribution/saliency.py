"""Saliency maps (spec §6): the gradient of the explained output with respect to the input."""

from __future__ import annotations

import numpy as np

from toolkit.attribution._common import (
    batched,
    check_onehot,
    gradient_function,
    positive_int,
    target_model,
)
from toolkit.attribution.correction import by_correction, check_correction, simplex_correct


def saliency(
    model,
    x: np.ndarray,
    class_index: int = 0,
    target: str = "prob",
    batch_size: int = 256,
    correction: str = "none",
) -> np.ndarray | dict[str, np.ndarray]:
    """Gradient of one model output with respect to each one-hot input value.

    Parameters
    ----------
    model : keras.Model
        Any Keras model with one input of shape (None, L, 4) and one output of shape (None, C).
    x : np.ndarray, shape (N, L, 4)
        One-hot sequences (A, C, G, T channels last).
    class_index : int
        Output column explained (0 <= class_index < C).
    target : {"prob", "logit"}
        ``prob`` (default, as the paper: ``layer=-1``) differentiates the model's output, the
        sigmoid probability for the zoo's models; ``logit`` the pre-sigmoid value.
    batch_size : int
        Sequences per gradient call.
    correction : {"none", "simplex", "both"}
        ``simplex``: the gradient minus its mean over the 4 channels at every position
        (:func:`toolkit.attribution.simplex_correct`, Majdandzic et al. 2023); ``both``:
        the raw and the corrected gradient from the same gradient call.

    Returns
    -------
    np.ndarray, shape (N, L, 4), float32
        The raw gradient (``none``) or the corrected one (``simplex``); the paper's saliency
        map is ``gradient * x`` (see :func:`toolkit.attribution.score`). With ``both``, a
        dict ``{"none": raw, "simplex": corrected}`` of such arrays.

    Raises
    ------
    InputError
        Before any compute: ``x`` not one-hot (N, L, 4); a model that is not a single-input
        (None, L, 4) -> (None, C) Keras model; a bad ``class_index``, ``target`` or
        ``batch_size`` or ``correction``; ``target='logit'`` on a model without an
        identifiable logit.
    """
    x = check_onehot(x, "saliency")
    check_correction(correction, "saliency")
    batch_size = positive_int(batch_size, "saliency", "batch_size")
    explained = target_model(model, "saliency", target, class_index, x.shape[1])
    grad = gradient_function(explained, int(class_index), x.shape[1])
    raw = batched(grad, x, batch_size).astype(np.float32)
    return by_correction(raw, simplex_correct(raw) if correction != "none" else raw, correction)
