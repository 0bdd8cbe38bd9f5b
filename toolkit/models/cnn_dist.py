"""CNN-dist: the Task 3 model that builds distributed representations (spec §2.2).

Shapes at 200 nt: 200 -> 50 -> 44 -> 11 -> 9 -> 3, flatten 3 x 64 = 192.
"""

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


def cnn_dist(
    first_layer: FirstLayer | None = None,
    input_length: int = 200,
    n_outputs: int = 1,
    pool_padding: str = "valid",
    output_initializer: str = "glorot_uniform",
    name: str = "cnn_dist",
    kernels: Kernels | None = None,
) -> keras.Model:
    """Build CNN-dist.

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
    pool_padding : {"valid", "same"}
        Padding of the first two pools; the last pool is always 'same' (spec §2.2).
        cnn-dist-log uses 'same' for all, which gives the same shapes at 200 nt.
    output_initializer : str
        Kernel initializer of the output Dense (cnn-dist-log: glorot_normal).
    name : str
        Keras model name.

    Returns
    -------
    keras.Model
        Uncompiled. Shapes at L = 200: conv1 (200, 24), conv2 (200, 32), pool1 (50, 32),
        conv3 (44, 48), pool2 (11, 48), conv4 (9, 64), pool3 (3, 64), flatten 192, dense1 96,
        output (1,).
    """
    inputs = sequence_input(input_length)
    k = kernels or Kernels()
    x = (first_layer or FirstLayer())(inputs, 24, 19, dropout=0.1, kernels=k)
    x = conv_layer(x, 32, 7, name="conv2", padding="same", dropout=0.2, kernel_initializer=k.hidden)
    x = max_pool(x, 4, name="pool1", padding=pool_padding)
    x = conv_layer(
        x, 48, 7, name="conv3", padding="valid", dropout=0.3, kernel_initializer=k.hidden
    )
    x = max_pool(x, 4, name="pool2", padding=pool_padding)
    x = conv_layer(
        x, 64, 3, name="conv4", padding="valid", dropout=0.4, kernel_initializer=k.hidden
    )
    x = max_pool(x, 3, name="pool3", padding="same")
    x = keras.layers.Flatten(name="flatten")(x)
    x = dense_layer(x, 96, name="dense1", dropout=0.5, kernel_initializer=k.hidden)
    outputs = output_layer(x, n_outputs, kernel_initializer=k.head(output_initializer))
    return keras.Model(inputs, outputs, name=name)
