"""Integrated gradients with shuffled references (spec §6, ``explain.integrated_grad``).

Two variants:

- ``paper`` (default): the original's custom version. For each of R references x' (position
  shuffles of x) take the S path points ``x' + (x - x') * s / S`` for s = 0..S-1 (the
  reference included, x itself excluded) and return the **mean gradient over all R * S
  path inputs**, *not* multiplied by (x - x'). The paper then scores ``gradient * x``.
- ``standard``: Sundararajan et al.'s integrated gradients, averaged over the references:
  ``mean_r (x - x'_r) * mean_s grad(x'_r + (x - x'_r) * (s + 1/2) / S)`` (midpoint rule).
  Its sum over positions and channels approaches ``f(x) - mean_r f(x'_r)`` (completeness;
  exact for a model linear in its input).

All path inputs of a chunk of sequences go through one compiled gradient call.
"""

from __future__ import annotations

import numpy as np

from toolkit.attribution._common import (
    check_onehot,
    check_references,
    positive_int,
    target_model,
)
from toolkit.attribution.correction import by_correction, check_correction
from toolkit.config.names import IG_VARIANTS as VARIANTS
from toolkit.errors import InputError


def integrated_gradients(
    model,
    x: np.ndarray,
    references: np.ndarray | None = None,
    n_references: int = 10,
    n_steps: int = 20,
    variant: str = "paper",
    class_index: int = 0,
    target: str = "prob",
    seed: int | np.random.RandomState | None = 0,
    batch_size: int = 2000,
    correction: str = "none",
) -> np.ndarray | dict[str, np.ndarray]:
    """Integrated gradients of one model output, averaged over shuffled references.

    Parameters
    ----------
    model : keras.Model
        Any Keras model with one input (None, L, 4) and one output (None, C).
    x : np.ndarray, shape (N, L, 4)
        One-hot sequences.
    references : np.ndarray, shape (N, R, L, 4), optional
        References per sequence; default: ``n_references`` position shuffles of each
        sequence (:func:`toolkit.attribution.shuffled_references` with ``seed``).
    n_references : int
        R when ``references`` is not given (paper: 10).
    n_steps : int
        Path points per reference, S (paper: 20).
    variant : {"paper", "standard"}
        See the module docstring.
    class_index : int
        Output column explained.
    target : {"prob", "logit"}
        Sigmoid output (default, as the paper) or the pre-sigmoid logit.
    seed : int, np.random.RandomState or None
        For the default references.
    batch_size : int
        Path inputs per gradient call (rounded to whole sequences, at least one).
    correction : {"none", "simplex", "both"}
        ``simplex``: every path gradient g (R, S, L, 4 per sequence) is replaced by
        ``g - mean_c g`` (its mean over the 4 channels at each position) before the mean
        (``paper``: the corrected mean path gradient) or before the product with
        ``(x - x')`` (``standard``: ``mean_r (x - x'_r) * mean_s (g - mean_c g)``; with
        one-hot references its sum equals the uncorrected one). ``both``: the two from the
        same path gradients.

    Returns
    -------
    np.ndarray, shape (N, L, 4), float32
        ``paper``: the mean path gradient; ``standard``: the integrated gradients
        (corrected with ``simplex``). With ``both``, ``{"none": raw, "simplex": corrected}``.

    Raises
    ------
    InputError
        Before any compute: ``x`` not one-hot; references of the wrong shape; a model that
        is not (None, L, 4) -> (None, C); bad ``variant``, ``target``, ``class_index``,
        ``n_references``, ``n_steps``, ``batch_size`` or ``correction``.
    """
    method = "integrated_gradients"
    x = check_onehot(x, method)
    check_correction(correction, method)
    if variant not in VARIANTS:
        raise InputError(method, "variant", f"expected one of {VARIANTS}, got {variant!r}")
    n_steps = positive_int(n_steps, method, "n_steps")
    batch_size = positive_int(batch_size, method, "batch_size")
    explained = target_model(model, method, target, class_index, x.shape[1])
    if references is None:
        from toolkit.attribution.references import shuffled_references

        references = shuffled_references(
            x, positive_int(n_references, method, "n_references"), seed
        )
    references = check_references(references, x, method)

    import tensorflow as tf

    n, length, _ = x.shape
    n_refs = references.shape[1]
    if variant == "paper":
        alphas = np.arange(n_steps, dtype=np.float32) / n_steps
    else:
        alphas = (np.arange(n_steps, dtype=np.float32) + 0.5) / n_steps
    alphas = tf.constant(alphas.reshape(1, 1, n_steps, 1, 1))
    column = int(class_index)
    standard = variant == "standard"

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, length, 4], tf.float32),
            tf.TensorSpec([None, n_refs, length, 4], tf.float32),
        ]
    )
    def chunk(xs, refs):
        delta = (xs[:, None] - refs)[:, :, None]  # (c, R, 1, L, 4)
        path = refs[:, :, None] + delta * alphas  # (c, R, S, L, 4)
        flat = tf.reshape(path, [-1, length, 4])
        with tf.GradientTape() as tape:
            tape.watch(flat)
            out = explained(flat, training=False)[:, column]
        grads = tf.reshape(tape.gradient(out, flat), tf.shape(path))
        mean_grads = tf.reduce_mean(grads, axis=2)  # (c, R, L, 4)
        corrected = mean_grads - tf.reduce_mean(mean_grads, axis=-1, keepdims=True)
        if standard:
            return (
                tf.reduce_mean(delta[:, :, 0] * mean_grads, axis=1),
                tf.reduce_mean(delta[:, :, 0] * corrected, axis=1),
            )
        return tf.reduce_mean(mean_grads, axis=1), tf.reduce_mean(corrected, axis=1)

    per_chunk = max(1, batch_size // (n_refs * n_steps))
    parts = [
        [a.numpy() for a in chunk(x[i : i + per_chunk], references[i : i + per_chunk])]
        for i in range(0, n, per_chunk)
    ]
    raw, corrected = (np.concatenate([p[k] for p in parts]).astype(np.float32) for k in (0, 1))
    return by_correction(raw, corrected, correction)
