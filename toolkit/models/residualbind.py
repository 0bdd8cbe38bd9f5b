"""ResidualBind as used in the original repo (spec §2.2): conv, one residual block, 3 pools.

Shapes at 400 nt: (400, 24) -> (400, 24) -> (40, 24) -> (40, 48) -> (8, 48) -> (6, 64) ->
(1, 64), flatten 64.
"""

from __future__ import annotations

import tensorflow as tf
from tensorflow import keras

from toolkit.models.layers import (
    DEFAULT_L2,
    FirstLayer,
    Kernels,
    conv_layer,
    dense_layer,
    max_pool,
    output_layer,
    sequence_input,
)


def _residual_block(x: tf.Tensor, kernel_size: int, name: str) -> tf.Tensor:
    """Residual block of spec §2.2, kept with its double ReLU (relu inside each conv too)."""
    filters = int(x.shape[-1])
    y = x
    for i in (1, 2):
        y = keras.layers.Conv1D(
            filters,
            kernel_size,
            strides=1,
            padding="same",
            dilation_rate=1,
            use_bias=False,
            # The original puts relu inside the conv and again after BN; reproduced as is.
            activation="relu",
            kernel_initializer="he_normal",
            kernel_regularizer=keras.regularizers.L2(DEFAULT_L2),
            name=f"{name}_conv{i}",
        )(y)
        y = keras.layers.BatchNormalization(name=f"{name}_bn{i}")(y)
        if i == 1:
            y = keras.layers.Activation("relu", name=f"{name}_activation1")(y)
    y = keras.layers.Add(name=f"{name}_add")([x, y])
    return keras.layers.Activation("relu", name=f"{name}_activation2")(y)


def residualbind(
    first_layer: FirstLayer | None = None,
    input_length: int = 400,
    n_outputs: int = 1,
    kernels: Kernels | None = None,
) -> keras.Model:
    """Build ResidualBind.

    Parameters
    ----------
    first_layer : FirstLayer or None
        First-conv options (activation, initializer, BN, L2); None means the paper default
        (relu, BN, L2 1e-6, the kernels' initializer).
    kernels : Kernels or None
        Kernel initializers of the conv/dense blocks and the head; None means the published
        models' (he_normal; head glorot_uniform), spec §2.3.
    input_length : int
        Sequence length L of the ``(N, L, 4)`` one-hot input.
    n_outputs : int
        Number of sigmoid outputs.

    Returns
    -------
    keras.Model
        Uncompiled. Shapes at L = 400: conv1 (400, 24), residual1 (400, 24), pool1 (40, 24),
        conv2 (40, 48), pool2 (8, 48), conv3 (6, 64), pool3 (1, 64), flatten 64, dense1 96,
        output (1,). The residual block's output layer is ``residual1_activation2``.
    """
    inputs = sequence_input(input_length)
    k = kernels or Kernels()
    x = (first_layer or FirstLayer())(inputs, 24, 19, dropout=0.1, kernels=k)
    x = _residual_block(x, 5, name="residual1")
    x = max_pool(x, 10, name="pool1")
    x = conv_layer(x, 48, 7, name="conv2", padding="same", dropout=0.3, kernel_initializer=k.hidden)
    x = max_pool(x, 5, name="pool2")
    x = conv_layer(
        x, 64, 3, name="conv3", padding="valid", dropout=0.4, kernel_initializer=k.hidden
    )
    x = max_pool(x, 4, name="pool3")
    x = keras.layers.Flatten(name="flatten")(x)
    x = dense_layer(x, 96, name="dense1", dropout=0.5, kernel_initializer=k.hidden)
    outputs = output_layer(x, n_outputs, kernel_initializer=k.head())
    return keras.Model(inputs, outputs, name="residualbind")
