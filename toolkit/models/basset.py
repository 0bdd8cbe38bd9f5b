"""Basset as modified in the original repo (spec §2.2), not the original Basset.

Every conv and hidden dense has L2 1e-6 and BatchNorm. Shapes at 600 nt:
600 -> 200 -> 190 -> 47 -> 41 -> 10, flatten 10 x 200 = 2000.
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


def basset(
    first_layer: FirstLayer | None = None,
    input_length: int = 600,
    n_outputs: int = 164,
    kernels: Kernels | None = None,
) -> keras.Model:
    """Build the repo's Basset.

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
        Number of sigmoid outputs (164 DNase-seq cell types).

    Returns
    -------
    keras.Model
        Uncompiled. Shapes at L = 600: conv1 (600, 300), pool1 (200, 300), conv2 (190, 200),
        pool2 (47, 200), conv3 (41, 200), pool3 (10, 200), flatten 2000, dense1 1000,
        dense2 1000, output (164,).
    """
    inputs = sequence_input(input_length)
    k = kernels or Kernels()
    x = (first_layer or FirstLayer())(inputs, 300, 19, dropout=0.2, kernels=k)
    x = max_pool(x, 3, name="pool1")
    x = conv_layer(
        x, 200, 11, name="conv2", padding="valid", dropout=0.2, kernel_initializer=k.hidden
    )
    x = max_pool(x, 4, name="pool2")
    x = conv_layer(
        x, 200, 7, name="conv3", padding="valid", dropout=0.2, kernel_initializer=k.hidden
    )
    x = max_pool(x, 4, name="pool3")
    x = keras.layers.Flatten(name="flatten")(x)
    x = dense_layer(x, 1000, name="dense1", dropout=0.5, kernel_initializer=k.hidden)
    x = dense_layer(x, 1000, name="dense2", dropout=0.5, kernel_initializer=k.hidden)
    outputs = output_layer(x, n_outputs, kernel_initializer=k.head())
    return keras.Model(inputs, outputs, name="basset")
