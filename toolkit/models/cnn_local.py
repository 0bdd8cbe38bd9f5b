"""CNN-local: the Task 3 model whose large first pool keeps filters local (spec §2.2)."""

from __future__ import annotations

from tensorflow import keras

from toolkit.models.layers import (
    FirstLayer,
    Kernels,
    conv_layer,
    dense_layer,
    max_pool,
    output_layer,
    sequence_input,
)


def cnn_local(
    first_layer: FirstLayer | None = None,
    input_length: int = 200,
    n_outputs: int = 1,
    kernels: Kernels | None = None,
) -> keras.Model:
    """Build CNN-local.

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
        Uncompiled. Shapes at L = 200: conv1 (200, 24), pool1 (4, 24), conv2 (4, 48),
        pool2 (2, 48), flatten 96, dense1 96, output (1,).
    """
    inputs = sequence_input(input_length)
    k = kernels or Kernels()
    x = (first_layer or FirstLayer())(inputs, 24, 19, dropout=0.1, kernels=k)
    x = max_pool(x, 50, name="pool1")
    x = conv_layer(x, 48, 3, name="conv2", padding="same", dropout=0.2, kernel_initializer=k.hidden)
    x = max_pool(x, 2, name="pool2")
    x = keras.layers.Flatten(name="flatten")(x)
    x = dense_layer(x, 96, name="dense1", dropout=0.5, kernel_initializer=k.hidden)
    outputs = output_layer(x, n_outputs, kernel_initializer=k.head())
    return keras.Model(inputs, outputs, name="cnn_local")
