"""The gradient analysis of Supp Fig 4 (spec §8): the first layer's full-training-set gradient.

At the end of every epoch, the gradient of the total loss (binary cross-entropy averaged over
all training sequences and outputs, plus the regularisation losses) with respect to the first
conv kernel, computed over the whole training set in inference mode (dropout off, BatchNorm
moving statistics, as the original's ``K.gradients(model.total_loss, kernel)`` evaluated in
test phase). Its mean and standard deviation over the kernel's entries go into the history
as ``grad_mean`` and ``grad_std``. Opt-in: ``train.record_gradients: true``.
"""

from __future__ import annotations

import numpy as np


def first_layer_gradient(model, x: np.ndarray, y: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """d total loss / d first conv kernel over all of ``x``.

    Parameters
    ----------
    model : keras.Model
        With a layer named ``conv1`` and a sigmoid output ``(None, C)``.
    x : np.ndarray, shape (N, L, 4)
    y : np.ndarray, shape (N, C)
    batch_size : int
        Sequences per gradient call (the result does not depend on it).

    Returns
    -------
    np.ndarray, shape (kernel_size, 4, filters)
        The gradient, float64.
    """
    import tensorflow as tf

    from toolkit.models.layers import FIRST_CONV_LAYER

    kernel = model.get_layer(FIRST_CONV_LAYER).kernel
    n = len(x)
    total = np.zeros(kernel.shape, np.float64)
    for start in range(0, n, batch_size):
        xb = tf.constant(x[start : start + batch_size], tf.float32)
        yb = tf.constant(y[start : start + batch_size], tf.float32)
        with tf.GradientTape() as tape:
            p = model(xb, training=False)
            # sum over this batch of the per-sequence mean BCE; / N below: the full-set mean
            loss = tf.reduce_sum(tf.keras.losses.binary_crossentropy(yb, p))
        total += tape.gradient(loss, kernel).numpy().astype(np.float64) / n
    with tf.GradientTape() as tape:
        model(tf.constant(x[:1], tf.float32), training=False)
        reg = tf.add_n(model.losses) if model.losses else tf.constant(0.0)
    grad_reg = tape.gradient(reg, kernel)
    if grad_reg is not None:
        total += grad_reg.numpy().astype(np.float64)
    return total


def gradient_callback(x: np.ndarray, y: np.ndarray, batch_size: int = 512):
    """A Keras callback adding ``grad_mean`` and ``grad_std`` to each epoch's logs."""
    import tensorflow as tf

    class FirstLayerGradient(tf.keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            grad = first_layer_gradient(self.model, x, y, batch_size)
            if logs is not None:
                logs["grad_mean"] = float(grad.mean())
                logs["grad_std"] = float(grad.std())

    return FirstLayerGradient()
