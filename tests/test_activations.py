"""Every activation of spec §3 against a numpy reference on a fixed grid."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow import keras  # noqa: E402

from toolkit.activations import (  # noqa: E402
    ALL_ACTIVATIONS,
    PAPER_ACTIVATIONS,
    PARAMETRIC_ACTIVATIONS,
    TASK3_ACTIVATIONS,
    activations,
    canonical_activation,
)
from toolkit.errors import InputError  # noqa: E402


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


# Formulas transcribed from spec §3, in float64.
REFERENCE = {
    "relu": _relu,
    "exponential": np.exp,
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softplus": lambda x: np.log1p(np.exp(x)),
    "linear": lambda x: x,
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "shift_scale_relu": lambda x: _relu((x - 0.2) ** 3),
    "shift_scale_tanh": lambda x: 500 * np.tanh(x - 6) + 500,
    "shift_scale_sigmoid": lambda x: 4000 * _sigmoid(x - 8),
    "exp_relu": lambda x: _relu(np.exp(0.1 * x) - 1),
    "shift_relu": lambda x: _relu(x - 0.2),
    "shift_tanh": lambda x: np.tanh(x - 6),
    "shift_sigmoid": lambda x: _sigmoid(x - 8),
    "scale_relu": lambda x: _relu(x**3),
    "scale_tanh": lambda x: 500 * np.tanh(x) + 500,
    "scale_sigmoid": lambda x: 4000 * _sigmoid(x),
    "log_relu": lambda x: _relu(np.log(np.abs(x) + 1e-10)),
    "log": lambda x: np.log(np.abs(x) + 1e-10),
    "exp_scale:0.05": lambda x: np.exp(0.05 * x),
    "exp_scale:2": lambda x: np.exp(2 * x),
    "exp_scale:-0.5": lambda x: np.exp(-0.5 * x),
    "exp_shift:2": lambda x: np.exp(x - 2),
    "exp_shift:-1.5": lambda x: np.exp(x + 1.5),
}

# -10..10 in steps of 0.05: includes 0 exactly, the shift points 0.2/6/8 and |x| < 1 for log.
GRID = np.round(np.linspace(-10.0, 10.0, 401), 10)


def _check(name: str) -> None:
    fn = activations(name)
    got = fn(tf.constant(GRID, dtype=tf.float32)).numpy().astype(np.float64)
    want = REFERENCE[name](GRID)
    # float32 vs float64: relative tolerance, with an absolute floor scaled to the output range
    # (500 tanh(x) + 500 cancels to ~0 far left of its shift).
    atol = 1e-6 * max(1.0, float(np.max(np.abs(want))))
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=atol, err_msg=name)


def test_reference_covers_registry() -> None:
    fixed = {n for n in REFERENCE if ":" not in n}
    assert fixed == set(ALL_ACTIVATIONS)
    assert {n.split(":")[0] for n in REFERENCE if ":" in n} == set(PARAMETRIC_ACTIVATIONS)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_formula(name: str) -> None:
    _check(name)


@pytest.mark.parametrize("name", ["relu", "shift_scale_tanh", "exp_scale:0.05"])
def test_shape_preserved(name: str) -> None:
    x = tf.random.normal((2, 7, 3))
    assert activations(name)(x).shape == (2, 7, 3)


def test_keras_builtins_are_passed_through() -> None:
    # Spec §3: these strings went straight to Keras in the original.
    for name in ("relu", "exponential", "sigmoid", "tanh", "softplus", "linear", "elu"):
        assert activations(name) is keras.activations.get(name)


def test_grids() -> None:
    assert len(PAPER_ACTIVATIONS) == 17
    assert PAPER_ACTIVATIONS[:3] == ("relu", "exponential", "sigmoid")
    assert PAPER_ACTIVATIONS[7:11] == (
        "shift_scale_relu",
        "shift_scale_tanh",
        "shift_scale_sigmoid",
        "exp_relu",
    )
    assert PAPER_ACTIVATIONS[-1] == "scale_sigmoid"
    assert TASK3_ACTIVATIONS == PAPER_ACTIVATIONS[:11]
    assert set(PAPER_ACTIVATIONS) < set(ALL_ACTIVATIONS)
    assert len(set(ALL_ACTIVATIONS)) == len(ALL_ACTIVATIONS) == 19


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("exp", "exponential"),
        ("EXP", "exponential"),
        (" Exponential ", "exponential"),
        ("Shift-Scale-Relu", "shift_scale_relu"),
        ("exp_scale:0.050", "exp_scale:0.05"),
        ("exp_scale:2.0", "exp_scale:2"),
        ("exp_shift:2", "exp_shift:2"),
        ("exp_scale:1e-3", "exp_scale:0.001"),
        ("exp-scale: 0.5", "exp_scale:0.5"),
    ],
)
def test_canonical(raw: str, canonical: str) -> None:
    assert canonical_activation(raw) == canonical
    assert canonical_activation(canonical) == canonical


def test_alias_is_same_function() -> None:
    assert activations("exp") is activations("exponential")


@pytest.mark.parametrize(
    "bad", ["swish", "", "relu:2", "exp_scale", "exp_scale:", "exp_scale:abc", "exp_shift:nan"]
)
def test_bad_names(bad: str) -> None:
    with pytest.raises(InputError):
        activations(bad)


def test_unknown_lists_valid_names() -> None:
    with pytest.raises(InputError) as info:
        activations("swish")
    msg = str(info.value)
    assert "swish" in msg
    for name in (*ALL_ACTIVATIONS, "exp", "exp_scale:<value>", "exp_shift:<value>"):
        assert name in msg


@pytest.mark.parametrize("name", ["shift_scale_tanh", "log_relu", "exp_scale:0.05", "exp_shift:2"])
def test_config_round_trip(name: str) -> None:
    # Custom activations are registered, so a model config can be rebuilt without custom_objects.
    inputs = keras.Input((5, 3))
    model = keras.Model(inputs, keras.layers.Activation(activations(name))(inputs))
    clone = keras.Model.from_config(model.get_config())
    x = tf.constant(GRID[:15].reshape(1, 5, 3), dtype=tf.float32)
    np.testing.assert_allclose(clone(x).numpy(), model(x).numpy())
    keras.backend.clear_session()
