"""CNN-deep: four conv blocks and one dense block (spec §2.2).

Shapes at 200 nt: 200 -> 50 -> 44 -> 11 -> 9 -> 3, flatten 3 x 128 = 384. At 1000 nt the
widths double: 1000 -> 250 -> 244 -> 61 -> 59 -> 19, flatten 19 x 256 = 4864.
"""

from __future__ import annotations

from tensorflow import keras

from toolkit.models.cnn import filter_multiplier
from toolkit.models.layers import (
    FirstLayer,
    Kernels,
    conv_layer,
    dense_layer,
    max_pool,
    output_layer,
    sequence_input,
)


def cnn_deep(
    first_layer: FirstLayer | None = None,
    input_length: int = 200,
    n_outputs: int = 12,
    multiplier: int | None = None,
    last_pool_padding: str = "valid",
    name: str = "cnn_deep",
    kernels: Kernels | None = None,
) -> keras.Model:
    """Build CNN-deep.

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
    multiplier : int or None
        Width multiplier m; None means 2 when ``input_length == 1000`` else 1.
    last_pool_padding : {"valid", "same"}
        Padding of the final pool (cnn-deep-log uses 'same'; identical shapes at 200 nt).
    name : str
        Keras model name.

    Returns
    -------
    keras.Model
        Uncompiled. Shapes (m = 1, L = 200): conv1 (200, 32), conv2 (200, 48), pool1 (50, 48),
        conv3 (44, 96), pool2 (11, 96), conv4 (9, 128), pool3 (3, 128), flatten 384,
        dense1 512, output (12,).
    """
    m = filter_multiplier(input_length, multiplier)
    inputs = sequence_input(input_length)
    k = kernels or Kernels()
    x = (first_layer or FirstLayer())(inputs, 32 * m, 19, dropout=0.1, kernels=k)
    x = conv_layer(
        x, 48 * m, 7, name="conv2", padding="same", dropout=0.2, kernel_initializer=k.hidden
    )
    x = max_pool(x, 4, name="pool1")
    x = conv_layer(
        x, 96 * m, 7, name="conv3", padding="valid", dropout=0.3, kernel_initializer=k.hidden
    )
    x = max_pool(x, 4, name="pool2")
    x = conv_layer(
        x, 128 * m, 3, name="conv4", padding="valid", dropout=0.4, kernel_initializer=k.hidden
    )
    x = max_pool(x, 3, name="pool3", padding=last_pool_padding)
    x = keras.layers.Flatten(name="flatten")(x)
    x = dense_layer(x, 512 * m, name="dense1", dropout=0.5, kernel_initializer=k.hidden)
    outputs = output_layer(x, n_outputs, kernel_initializer=k.head())
    return keras.Model(inputs, outputs, name=name)
