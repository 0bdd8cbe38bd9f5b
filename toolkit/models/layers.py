"""Building blocks shared by the model zoo (spec §2.1).

Every conv block is ``Conv1D(no bias, L2 1e-6) -> BatchNorm -> Activation -> Dropout`` and every
hidden dense block is ``Dense(no bias, L2 1e-6) -> BatchNorm -> Activation -> Dropout``. The head
is ``Dense(bias, no L2) -> sigmoid``. Their kernel initializers are a :class:`Kernels`: he_normal
for every conv and hidden dense kernel in the code that made the published figures, Keras'
glorot_uniform from 2020-08-07 on (spec §2.3; the era of each figure: toolkit/eras.py).

Layers get fixed names so analysis code can find them without relying on indices (spec §12
item 10): block ``convK`` is made of ``convK``, ``convK_bn``, ``convK_activation`` and
``convK_dropout``; the first-layer activation is therefore :data:`FIRST_ACTIVATION_LAYER`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import tensorflow as tf
from tensorflow import keras

from toolkit.activations import activations
from toolkit.config.model import PUBLISHED_KERNEL_INITIALIZER

# INITIALIZER_NAMES is re-exported: its home is toolkit.config.names, which imports no TensorFlow
from toolkit.config.names import INITIALIZER_NAMES, parse_initializer  # noqa: F401

#: Name of the first conv layer (its kernel holds the filters that are interpreted).
FIRST_CONV_LAYER = "conv1"
#: Name of the BatchNorm after the first conv (absent in the no-BN control).
FIRST_BN_LAYER = "conv1_bn"
#: Name of the Activation layer after the first conv + BN: the filter-analysis layer.
FIRST_ACTIVATION_LAYER = "conv1_activation"

#: The L2 strength of every conv and hidden dense kernel in the paper's models.
DEFAULT_L2 = 1e-6

Activation = str | Callable[[tf.Tensor], tf.Tensor]
Initializer = str | keras.initializers.Initializer | None


def resolve_initializer(spec: Initializer) -> keras.initializers.Initializer | str:
    """Turn a config value into a Keras kernel initializer.

    Parameters
    ----------
    spec : str or keras.initializers.Initializer or None
        ``None`` (Keras' default, glorot_uniform), a Keras initializer name (see
        :data:`INITIALIZER_NAMES`), ``random_normal:<sigma>`` (``RandomNormal(0, sigma)``) or an
        initializer instance.

    Returns
    -------
    keras.initializers.Initializer or str
        Something ``Conv1D(kernel_initializer=...)`` accepts.

    Raises
    ------
    InputError
        If the name is unknown or sigma is not a positive number.
    """
    if spec is None:
        # The original's `initialization == 'glorot_uniform'` was a no-op; Keras' default stands.
        return "glorot_uniform"
    if isinstance(spec, keras.initializers.Initializer):
        return spec
    base, sigma = parse_initializer(spec)  # names checked without TF (toolkit.config.names)
    if sigma is not None:
        return keras.initializers.RandomNormal(mean=0.0, stddev=sigma)
    return base


def _l2(strength: float | None) -> keras.regularizers.Regularizer | None:
    # keras l2(s) adds s * sum(w^2); 0 or None means no penalty at all.
    return keras.regularizers.L2(strength) if strength else None


def conv_layer(
    x: tf.Tensor,
    filters: int,
    kernel_size: int,
    *,
    name: str,
    padding: str = "same",
    activation: Activation = "relu",
    dropout: float = 0.0,
    batchnorm: bool = True,
    kernel_initializer: Initializer = None,
    l2: float | None = DEFAULT_L2,
) -> tf.Tensor:
    """Conv block: ``Conv1D(no bias) -> [BatchNorm] -> Activation -> [Dropout]``.

    Parameters
    ----------
    x : tf.Tensor
        Input of shape ``(N, L, C)``.
    filters, kernel_size : int
        Conv1D settings; stride 1.
    name : str
        Block name ``convK``; the layers are ``convK``, ``convK_bn``, ``convK_activation`` and
        ``convK_dropout``.
    padding : {"same", "valid"}
        Conv padding.
    activation : str or callable
        Keras activation name or function.
    dropout : float
        Dropout rate; 0 adds no Dropout layer.
    batchnorm : bool
        False drops the BatchNorm (the §8 no-BN control). The conv keeps ``use_bias=False``
        as in the original's ``conv_layer(bn=False)``.
    kernel_initializer : str or Initializer or None
        See :func:`resolve_initializer`.
    l2 : float or None
        L2 strength on the kernel; None or 0 for none.

    Returns
    -------
    tf.Tensor
        Shape ``(N, L', filters)`` with ``L' = L`` for same padding, ``L - kernel_size + 1``
        for valid.
    """
    x = keras.layers.Conv1D(
        filters,
        kernel_size,
        strides=1,
        padding=padding,
        use_bias=False,
        kernel_initializer=resolve_initializer(kernel_initializer),
        kernel_regularizer=_l2(l2),
        name=name,
    )(x)
    if batchnorm:
        x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    x = keras.layers.Activation(activation, name=f"{name}_activation")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name=f"{name}_dropout")(x)
    return x


def dense_layer(
    x: tf.Tensor,
    units: int,
    *,
    name: str,
    activation: Activation = "relu",
    dropout: float = 0.0,
    kernel_initializer: Initializer = None,
    l2: float | None = DEFAULT_L2,
) -> tf.Tensor:
    """Hidden dense block: ``Dense(no bias, L2) -> BatchNorm -> Activation -> [Dropout]``.

    Parameters
    ----------
    x : tf.Tensor
        Input of shape ``(N, D)``.
    units : int
        Width of the layer.
    name : str
        Block name ``denseK``; layers ``denseK``, ``denseK_bn``, ``denseK_activation``,
        ``denseK_dropout``.
    activation : str or callable
        Keras activation name or function.
    dropout : float
        Dropout rate; 0 adds no Dropout layer.
    kernel_initializer : str or Initializer or None
        See :func:`resolve_initializer`.
    l2 : float or None
        L2 strength on the kernel.

    Returns
    -------
    tf.Tensor
        Shape ``(N, units)``.
    """
    x = keras.layers.Dense(
        units,
        use_bias=False,
        kernel_initializer=resolve_initializer(kernel_initializer),
        kernel_regularizer=_l2(l2),
        name=name,
    )(x)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    x = keras.layers.Activation(activation, name=f"{name}_activation")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name=f"{name}_dropout")(x)
    return x


def output_layer(
    x: tf.Tensor, n_outputs: int, *, kernel_initializer: Initializer = "glorot_uniform"
) -> tf.Tensor:
    """Head: ``Dense(n_outputs, bias, no L2)`` named ``logits``, then sigmoid named ``output``.

    Parameters
    ----------
    x : tf.Tensor
        Input of shape ``(N, D)``.
    n_outputs : int
        Number of binary labels.
    kernel_initializer : str or Initializer or None
        glorot_uniform everywhere except cnn-dist-log (glorot_normal); see
        :func:`resolve_initializer`.

    Returns
    -------
    tf.Tensor
        Probabilities of shape ``(N, n_outputs)``. The pre-sigmoid logits stay reachable as
        layer ``logits``.
    """
    x = keras.layers.Dense(
        n_outputs,
        use_bias=True,
        kernel_initializer=resolve_initializer(kernel_initializer),
        name="logits",
    )(x)
    return keras.layers.Activation("sigmoid", name="output")(x)


def max_pool(x: tf.Tensor, size: int, *, name: str, padding: str = "valid") -> tf.Tensor:
    """``MaxPool1D(size, stride=size)``; output length ``floor(L/size)`` (valid) or ceil (same)."""
    return keras.layers.MaxPool1D(pool_size=size, strides=size, padding=padding, name=name)(x)


@dataclass(frozen=True)
class Kernels:
    """Kernel initializers of a model's blocks (spec §2.3).

    Attributes
    ----------
    hidden : str or Initializer or None
        Every :func:`conv_layer` and :func:`dense_layer` kernel, and the first conv's unless
        :attr:`FirstLayer.initializer` is set. Default he_normal (the published models);
        None is Keras' glorot_uniform (the original from 2020-08-07 on, and its controls).
    output : str or Initializer or None
        The output Dense's kernel; None is the model's own (glorot_uniform, cnn-dist-log
        glorot_normal).
    """

    hidden: Initializer = PUBLISHED_KERNEL_INITIALIZER
    output: Initializer = None

    def head(self, model_default: str = "glorot_uniform") -> Initializer:
        """The output kernel's initializer: :attr:`output`, else the model's own."""
        return model_default if self.output is None else self.output


@dataclass(frozen=True)
class FirstLayer:
    """What may vary in the first conv block (spec §2.1 and the §8 controls).

    Attributes
    ----------
    activation : str
        Activation name understood by :func:`toolkit.activations.activations`.
    initializer : str or Initializer or None
        First-conv kernel initializer (see :func:`resolve_initializer`); None takes the
        model's hidden kernels' (:attr:`Kernels.hidden`).
    batchnorm : bool
        False removes the first BatchNorm (no-BN control).
    l2 : float or None
        Kernel L2 strength; the paper's default is 1e-6, the log variants use 0.1 or none.
    filters : int or None
        Number of first-layer filters; None keeps the model's.
    """

    activation: str = "relu"
    initializer: Initializer = None
    batchnorm: bool = True
    l2: float | None = DEFAULT_L2
    filters: int | None = None

    def __call__(
        self, x: tf.Tensor, filters: int, kernel_size: int, dropout: float, kernels: Kernels
    ) -> tf.Tensor:
        """Apply the first conv block (``conv1``, same padding) to ``x`` of shape (N, L, 4)."""
        initializer = kernels.hidden if self.initializer is None else self.initializer
        return conv_layer(
            x,
            self.filters or filters,
            kernel_size,
            name=FIRST_CONV_LAYER,
            padding="same",
            activation=activations(self.activation),
            dropout=dropout,
            batchnorm=self.batchnorm,
            kernel_initializer=initializer,
            l2=self.l2,
        )


def sequence_input(input_length: int) -> tf.Tensor:
    """One-hot DNA input of shape ``(N, input_length, 4)``, named ``input``."""
    return keras.Input(shape=(input_length, 4), name="input")
