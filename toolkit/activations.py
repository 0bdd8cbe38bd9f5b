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

import math
from collections.abc import Callable

import tensorflow as tf
from tensorflow import keras

from toolkit.errors import InputError

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
        self.__name__ = f"exp_scale:{_format_value(self.scale)}"

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
        self.__name__ = f"exp_shift:{_format_value(self.shift)}"

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

_ALIASES: dict[str, str] = {"exp": "exponential"}

#: The 17 first-layer activations of the Task 1/2 run grid (spec §4), in the grid's order.
PAPER_ACTIVATIONS: tuple[str, ...] = (
    "relu",
    "exponential",
    "sigmoid",
    "tanh",
    "softplus",
    "linear",
    "elu",
    "shift_scale_relu",
    "shift_scale_tanh",
    "shift_scale_sigmoid",
    "exp_relu",
    "shift_relu",
    "shift_tanh",
    "shift_sigmoid",
    "scale_relu",
    "scale_tanh",
    "scale_sigmoid",
)

#: The 11 activations of the Task 3 run grid: the first 11 of PAPER_ACTIVATIONS.
TASK3_ACTIVATIONS: tuple[str, ...] = PAPER_ACTIVATIONS[:11]

#: Every fixed (parameter-free) activation name, canonical spelling.
ALL_ACTIVATIONS: tuple[str, ...] = PAPER_ACTIVATIONS + ("log_relu", "log")

#: Base names of the activations that need a ``:value`` parameter.
PARAMETRIC_ACTIVATIONS: tuple[str, ...] = tuple(_PARAMETRIC)


def _format_value(value: float) -> str:
    # Shortest repr that round-trips, without a trailing ".0", so "exp_scale:2" and
    # "exp_scale:2.0" canonicalise to the same run name.
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _valid_names() -> str:
    return ", ".join([*ALL_ACTIVATIONS, *_ALIASES, *(f"{b}:<value>" for b in _PARAMETRIC)])


def _parse(name: str) -> tuple[str, float | None]:
    """Split ``name`` into its canonical base name and optional parameter."""
    if not isinstance(name, str):
        raise InputError(None, "activation", f"expected a name string, got {name!r}")
    base, sep, raw = name.strip().partition(":")
    # Case and '-' vs '_' are not meaningful in configs; normalise them away.
    base = base.strip().lower().replace("-", "_")
    base = _ALIASES.get(base, base)
    if base in _FIXED:
        if sep:
            raise InputError(None, "activation", f"{base!r} takes no parameter, got {name!r}")
        return base, None
    if base in _PARAMETRIC:
        if not sep or not raw.strip():
            raise InputError(
                None, "activation", f"{base!r} needs a parameter, e.g. '{base}:0.05'; got {name!r}"
            )
        try:
            value = float(raw)
        except ValueError:
            raise InputError(None, "activation", f"parameter of {name!r} is not a number") from None
        if not math.isfinite(value):
            raise InputError(None, "activation", f"parameter of {name!r} must be finite")
        return base, value
    raise InputError(
        None, "activation", f"unknown activation {name!r}; valid names: {_valid_names()}"
    )


def canonical_activation(name: str) -> str:
    """Canonical spelling of an activation name.

    Lower-cases, maps ``-`` to ``_``, resolves aliases (``exp`` -> ``exponential``) and writes a
    parametric value in its shortest form (``exp_scale:0.050`` -> ``exp_scale:0.05``,
    ``exp_shift:2.0`` -> ``exp_shift:2``).

    Parameters
    ----------
    name : str
        An activation name as written in a config.

    Returns
    -------
    str
        The canonical name.

    Raises
    ------
    InputError
        If the name is unknown (the message lists the valid names) or its parameter is bad.
    """
    base, value = _parse(name)
    return base if value is None else f"{base}:{_format_value(value)}"


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
    base, value = _parse(name)
    if value is None:
        return _FIXED[base]
    return _PARAMETRIC[base](value)
