"""First-layer activation functions of spec §3, looked up by name.

Only the first convolution of every model takes one of these; deeper layers are ReLU.
Names that the original passed straight to Keras (relu, sigmoid, tanh, softplus, linear, elu,
exponential) resolve to the Keras built-ins so that the numerics match the original exactly.
The custom ones are registered as Keras serialisable objects so that a model's config
(``model.get_config()``, ``clone_model``) still round-trips.

Parametric activations are written ``base:value`` in configs, e.g. ``exp_scale:0.05``
(exp(0.05 x), the §8 exp-scale sweep) or ``exp_shift:2`` (exp(x - 2)).
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf
from tensorflow import keras

from toolkit.config.names import (
    ALL_ACTIVATIONS,
    PAPER_ACTIVATIONS,
    PARAMETRIC_ACTIVATIONS,
    TASK3_ACTIVATIONS,
    canonical_activation,
    format_value,
    parse_activation,
)

__all__ = [
    "ALL_ACTIVATIONS",
    "PAPER_ACTIVATIONS",
    "PARAMETRIC_ACTIVATIONS",
    "TASK3_ACTIVATIONS",
    "activations",
    "canonical_activation",
]

_PACKAGE = "expact"


# The custom activations of spec §3. Each is a plain function of a tensor so that Keras can
# serialise it by its registered name.
@keras.saving.register_keras_serializable(package=_PACKAGE)
def exp_relu(x: tf.Tensor) -> tf.Tensor:
    """Modified-Exp: relu(exp(0.1 x) - 1)."""
    return tf.nn.relu(tf.exp(0.1 * x) - 1.0)


@keras.saving.register_keras_serializable(package=_PACKAGE)
def shift_scale_relu(x: tf.Tensor) -> tf.Tensor:
    """Modified-Relu: relu((x - 0.2)^3)."""
    # tf.pow with an integer-valued float exponent is defined for negative bases.
    return tf.nn.relu(tf.pow(x - 0.2, 3.0))


@keras.saving.register_keras_serializable(package=_PACKAGE)
def shift_scale_tanh(x: tf.Tensor) -> tf.Tensor:
    """Modified-Tanh: 500 tanh(x - 6) + 500 (training code's x - 6, not the plot's x - 5)."""
    return 500.0 * tf.tanh(x - 6.0) + 500.0


@keras.saving.register_keras_serializable(package=_PACKAGE)
def shift_scale_sigmoid(x: tf.Tensor) -> tf.Tensor:
    """Modified-Sigmoid: 4000 sigmoid(x - 8)."""
    return 4000.0 * tf.sigmoid(x - 8.0)


@keras.saving.register_keras_serializable(package=_PACKAGE)
def shift_relu(x: tf.Tensor) -> tf.Tensor:
    """Shift-only ablation of Modified-Relu: relu(x - 0.2)."""
    return tf.nn.relu(x - 0.2)


@keras.saving.register_keras_serializable(package=_PACKAGE)
def shift_tanh(x: tf.Tensor) -> tf.Tensor:
    """Shift-only ablation of Modified-Tanh: tanh(x - 6)."""
    return tf.tanh(x - 6.0)


@keras.saving.register_keras_serializable(package=_PACKAGE)
def shift_sigmoid(x: tf.Tensor) -> tf.Tensor:
    """Shift-only ablation of Modified-Sigmoid: sigmoid(x - 8)."""
    return tf.sigmoid(x - 8.0)


@keras.saving.register_keras_serializable(package=_PACKAGE)
def scale_relu(x: tf.Tensor) -> tf.Tensor:
    """Scale-only ablation of Modified-Relu: relu(x^3)."""
    return tf.nn.relu(tf.pow(x, 3.0))


@keras.saving.register_keras_serializable(package=_PACKAGE)
def scale_tanh(x: tf.Tensor) -> tf.Tensor:
    """Scale-only ablation of Modified-Tanh: 500 tanh(x) + 500."""
    return 500.0 * tf.tanh(x) + 500.0


@keras.saving.register_keras_serializable(package=_PACKAGE)
def scale_sigmoid(x: tf.Tensor) -> tf.Tensor:
    """Scale-only ablation of Modified-Sigmoid: 4000 sigmoid(x)."""
    return 4000.0 * tf.sigmoid(x)


@keras.saving.register_keras_serializable(package=_PACKAGE)
def log_relu(x: tf.Tensor) -> tf.Tensor:
    """Log-Relu: relu(ln(|x| + 1e-10))."""
    # The 1e-10 keeps ln finite at x == 0, as in the original.
    return tf.nn.relu(tf.math.log(tf.abs(x) + 1e-10))


@keras.saving.register_keras_serializable(package=_PACKAGE)
def log(x: tf.Tensor) -> tf.Tensor:
    """ln(|x| + 1e-10) (defined in the original, unused in its experiments)."""
    return tf.math.log(tf.abs(x) + 1e-10)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class ExpScale:
    """exp(s x) with a fixed (not trained) scale ``s``: the §8 exp-scale sweep.

    Parameters
    ----------
    scale : float
        The multiplier ``s`` inside the exponential.
    """

    def __init__(self, scale: float):
        self.scale = float(scale)
        self.__name__ = f"exp_scale:{format_value(self.scale)}"

    def __call__(self, x: tf.Tensor) -> tf.Tensor:
        return tf.exp(self.scale * x)

    def get_config(self) -> dict:
        return {"scale": self.scale}

    @classmethod
    def from_config(cls, config: dict) -> ExpScale:
        return cls(**config)

    def __repr__(self) -> str:
        return f"ExpScale({self.scale!r})"


@keras.saving.register_keras_serializable(package=_PACKAGE)
class ExpShift:
    """exp(x - s) with a fixed shift ``s`` (§8, development only).

    Parameters
    ----------
    shift : float
        The amount subtracted from the input before exponentiating.
    """

    def __init__(self, shift: float):
        self.shift = float(shift)
        self.__name__ = f"exp_shift:{format_value(self.shift)}"

    def __call__(self, x: tf.Tensor) -> tf.Tensor:
        return tf.exp(x - self.shift)

    def get_config(self) -> dict:
        return {"shift": self.shift}

    @classmethod
    def from_config(cls, config: dict) -> ExpShift:
        return cls(**config)

    def __repr__(self) -> str:
        return f"ExpShift({self.shift!r})"


# Keras built-ins, passed straight through as the original did (spec §3). ELU keeps alpha=1.
_KERAS_BUILTINS: dict[str, Callable[[tf.Tensor], tf.Tensor]] = {
    "relu": keras.activations.relu,
    "exponential": keras.activations.exponential,
    "sigmoid": keras.activations.sigmoid,
    "tanh": keras.activations.tanh,
    "softplus": keras.activations.softplus,
    "linear": keras.activations.linear,
    "elu": keras.activations.elu,
}

_CUSTOM: dict[str, Callable[[tf.Tensor], tf.Tensor]] = {
    "shift_scale_relu": shift_scale_relu,
    "shift_scale_tanh": shift_scale_tanh,
    "shift_scale_sigmoid": shift_scale_sigmoid,
    "exp_relu": exp_relu,
    "shift_relu": shift_relu,
    "shift_tanh": shift_tanh,
    "shift_sigmoid": shift_sigmoid,
    "scale_relu": scale_relu,
    "scale_tanh": scale_tanh,
    "scale_sigmoid": scale_sigmoid,
    "log_relu": log_relu,
    "log": log,
}

_FIXED: dict[str, Callable[[tf.Tensor], tf.Tensor]] = {**_KERAS_BUILTINS, **_CUSTOM}

_PARAMETRIC: dict[str, Callable[[float], Callable[[tf.Tensor], tf.Tensor]]] = {
    "exp_scale": ExpScale,
    "exp_shift": ExpShift,
}

# The names (and their parsing) live in toolkit.config.names, which imports no TensorFlow, so that
# configs are validated without it; this module maps them to functions.
if set(_FIXED) != set(ALL_ACTIVATIONS) or set(_PARAMETRIC) != set(PARAMETRIC_ACTIVATIONS):
    raise ImportError("toolkit.config.names and toolkit.activations name different activations")


def activations(name: str) -> Callable[[tf.Tensor], tf.Tensor]:
    """Look up a first-layer activation function by name.

    Parameters
    ----------
    name : str
        One of ``ALL_ACTIVATIONS``, the alias ``exp``, or a parametric name ``exp_scale:<s>``
        (exp(s x)) or ``exp_shift:<s>`` (exp(x - s)). Case-insensitive.

    Returns
    -------
    Callable[[tf.Tensor], tf.Tensor]
        An element-wise function; output shape equals input shape, e.g. ``(N, L, filters)``.
        Usable as ``keras.layers.Activation(fn)``.

    Raises
    ------
    InputError
        If the name is unknown (the message lists the valid names) or its parameter is bad.
    """
    base, value = parse_activation(name)
    if value is None:
        return _FIXED[base]
    return _PARAMETRIC[base](value)
