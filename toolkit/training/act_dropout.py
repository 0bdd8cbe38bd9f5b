"""Activation, dropout and cast in one compiled kernel (``kernels/act_dropout.cc``).

``act_dropout(x, seed, rate, activation, dtype)`` computes ``activation(x)``, zeroes each unit
with probability ``round(rate * 65536) / 65536`` (within 2**-17 of ``rate``), scales the kept
ones by ``1 / (1 - that probability)`` (the expectation is unchanged, as Keras' ``Dropout``)
and returns the result in ``dtype``. The gradient recomputes the mask from ``seed``, so no
mask is stored between the passes.

The draw, defined here and in the kernel alike: element ``i`` (row-major) takes the 16-bit
lane ``i % 4`` (lowest bits first) of word ``i // 4``, where word ``w`` is SplitMix64's output
``mix(mix(seed) + (w + 1) * 0x9E3779B97F4A7C15)``; it is dropped when that lane is below the
threshold. :func:`reference_draws` is the same in NumPy, for tests.
"""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from toolkit.training.custom_ops import custom_ops

__all__ = ["ACTIVATIONS", "LEVELS", "act_dropout", "reference_draws"]

#: Activations the kernel applies itself (others run before it as TensorFlow ops).
ACTIVATIONS = ("linear", "relu")
#: Resolution of the draw: one 16-bit lane per element.
LEVELS = 65536


def act_dropout(
    x: tf.Tensor,
    seed: tf.Tensor,
    rate: float,
    activation: str = "linear",
    dtype: tf.DType = tf.float32,
) -> tf.Tensor:
    """``dropout(activation(x))`` in ``dtype``.

    Parameters
    ----------
    x : tf.Tensor
        float32 or bfloat16 (other dtypes are cast to float32), any shape; its gradient
        comes in its dtype.
    seed : tf.Tensor
        int64 scalar; the same seed gives the same mask.
    rate : float
        Drop probability in [0, 1).
    activation : {"linear", "relu"}
        Applied before the dropout.
    dtype : tf.DType
        ``tf.float32`` or ``tf.bfloat16`` (rounded to nearest even).

    Returns
    -------
    tf.Tensor
        Same shape as ``x``, in ``dtype``.
    """
    ops = _ops()
    threshold = round(rate * LEVELS)
    if not 0 <= threshold < LEVELS:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    if x.dtype not in (tf.float32, tf.bfloat16):
        x = tf.cast(x, tf.float32)
    return ops.expact_act_dropout(
        x,
        tf.cast(seed, tf.int64),
        threshold=threshold,
        scale=LEVELS / (LEVELS - threshold),
        activation=activation,
        T=dtype,
    )


@functools.cache
def _ops():
    """The loaded kernels, with the gradient registered (once: the cache)."""
    ops = custom_ops("act_dropout")
    tf.RegisterGradient("ExpactActDropout")(_gradient)
    return ops


def _gradient(op, dy):
    attrs = {key: op.get_attr(key) for key in ("threshold", "scale", "activation")}
    dx = _ops().expact_act_dropout_grad(dy, op.inputs[0], op.inputs[1], **attrs)
    return [dx, None]


def reference_draws(seed: int, n: int) -> np.ndarray:
    """The kernel's 16-bit draws of elements ``0..n-1`` for ``seed``, in NumPy: shape (n,)."""
    gamma = np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        stream = _mix(np.array([seed], dtype=np.int64).view(np.uint64))
        counters = np.arange(1, (n + 3) // 4 + 1, dtype=np.uint64)
        words = _mix(stream + counters * gamma)
    return words.astype("<u8").view("<u2")[:n]


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))
