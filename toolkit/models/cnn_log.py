"""Log-activation variants of CNN-deep and CNN-dist (spec §2 "Log variants", §8).

The first conv has no 1e-6 L2; instead it carries either a strong ``0.1 * sum(w^2)`` penalty
(``l2_norm=True``, the original's default) or none. Keras' ``L2(0.1)`` is exactly that
penalty. The first conv was a plain Keras ``Conv1D`` in the original (glorot_uniform in every
era), the later blocks the shared ``conv_layer``/``dense_layer`` (he_normal when the published
log figures were made, 2020-06-27). Layer names and order match the plain models, so cnn-dist weights load into
cnn-dist-log (the original reuses Task-3 CNN-dist relu weights for the relu/no-L2 arm).
"""

from __future__ import annotations

from dataclasses import replace

from tensorflow import keras

from toolkit.models.cnn_deep import cnn_deep
from toolkit.models.cnn_dist import cnn_dist
from toolkit.models.layers import FirstLayer, Kernels

#: First-conv initializer of the log variants (a plain Keras Conv1D in the original).
LOG_FIRST_LAYER_INITIALIZER = "glorot_uniform"
#: First-layer L2 strength of the log experiments' "L2" arm: 0.1 * sum(w^2).
LOG_FIRST_LAYER_L2 = 0.1


def cnn_log(
    base: str,
    first_layer: FirstLayer | None = None,
    input_length: int = 200,
    n_outputs: int | None = None,
    kernels: Kernels | None = None,
) -> keras.Model:
    """Build cnn-deep-log (``base="cnn-deep"``) or cnn-dist-log (``base="cnn-dist"``).

    Parameters
    ----------
    base : {"cnn-deep", "cnn-dist"}
        Which plain model the variant modifies.
    first_layer : FirstLayer or None
        First-conv options; its ``l2`` is the first-layer penalty (0.1 or None), used as is.
        None means log_relu with the 0.1 penalty (the original's defaults).
    kernels : Kernels or None
        Kernel initializers of the later blocks and the head (see :class:`Kernels`).
    input_length : int
        Sequence length L of the ``(N, L, 4)`` one-hot input (the original is 200 only).
    n_outputs : int or None
        Number of sigmoid outputs; None means 12 (cnn-deep) or 1 (cnn-dist).

    Returns
    -------
    keras.Model
        Uncompiled; same shapes as the plain model at 200 nt (flatten 384 / 192).
    """
    if first_layer is None:
        first_layer = FirstLayer(activation="log_relu", l2=LOG_FIRST_LAYER_L2)
    if first_layer.initializer is None:
        # the original's own first conv: a plain keras Conv1D, Keras' default initializer
        first_layer = replace(first_layer, initializer=LOG_FIRST_LAYER_INITIALIZER)
    if base == "cnn-deep":
        # Last pool is 'same' in the log variant; identical output at 200 nt (9 -> 3).
        return cnn_deep(
            first_layer,
            input_length,
            12 if n_outputs is None else n_outputs,
            last_pool_padding="same",
            name="cnn_deep_log",
            kernels=kernels,
        )
    if base == "cnn-dist":
        return cnn_dist(
            first_layer,
            input_length,
            1 if n_outputs is None else n_outputs,
            pool_padding="same",
            output_initializer="glorot_normal",
            name="cnn_dist_log",
            kernels=kernels,
        )
    raise ValueError(f"cnn_log base must be 'cnn-deep' or 'cnn-dist', got {base!r}")
