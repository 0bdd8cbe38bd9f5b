"""CNN-2 / CNN-50: two conv blocks with a pool pair, then one dense block (spec §2.2).

The pool pair gives the model its name: CNN-2 pools by (2, 50), CNN-50 by (50, 2). Both
pools use 'same' padding, so at 200 nt both flatten to 2 x 124 = 248 and at 1000 nt (filters
doubled) to 10 x 248 = 2480.
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


def filter_multiplier(input_length: int, multiplier: int | None = None) -> int:
    """Width multiplier m of spec §2.2: 2 for 1000-nt inputs (Task 2), else 1, unless given."""
    if multiplier is not None:
        return int(multiplier)
    return 2 if input_length == 1000 else 1


def cnn(
    pool_sizes: tuple[int, int],
    first_layer: FirstLayer | None = None,
    input_length: int = 200,
    n_outputs: int = 12,
    multiplier: int | None = None,
    name: str | None = None,
    kernels: Kernels | None = None,
) -> keras.Model:
    """Build CNN-2 (``pool_sizes=(2, 50)``) or CNN-50 (``(50, 2)``).

    Parameters
    ----------
    pool_sizes : tuple of int
        Sizes (= strides) of the pool after conv1 and after conv2; 'same' padding.
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
    name : str or None
        Keras model name; defaults to ``cnn_<p1>``.

    Returns
    -------
    keras.Model
        Uncompiled. Shapes (m = 1, L = 200, pools (2, 50)): conv1 (200, 32), pool1 (100, 32),
        conv2 (100, 124), pool2 (2, 124), flatten 248, dense1 512, output (12,).
    """
    p1, p2 = pool_sizes
    m = filter_multiplier(input_length, multiplier)
    inputs = sequence_input(input_length)
    k = kernels or Kernels()
    x = (first_layer or FirstLayer())(inputs, 32 * m, 19, dropout=0.1, kernels=k)
    x = max_pool(x, p1, name="pool1", padding="same")
    x = conv_layer(
        x, 124 * m, 5, name="conv2", padding="same", dropout=0.1, kernel_initializer=k.hidden
    )
    x = max_pool(x, p2, name="pool2", padding="same")
    x = keras.layers.Flatten(name="flatten")(x)
    x = dense_layer(x, 512 * m, name="dense1", dropout=0.5, kernel_initializer=k.hidden)
    outputs = output_layer(x, n_outputs, kernel_initializer=k.head())
    return keras.Model(inputs, outputs, name=name or f"cnn_{p1}")
