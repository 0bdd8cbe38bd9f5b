"""Checks and helpers shared by the attribution methods (private).

Every method validates its inputs here before any compute: the sequences must be a one-hot
``(N, L, 4)`` batch, the model a single-input Keras model with a ``(None, L, 4)`` input and a
``(None, C)`` output, the class index in range, and the target (``prob`` or ``logit``)
resolvable. Failures raise :class:`toolkit.errors.InputError` naming the method and the
argument.
"""

from __future__ import annotations

import logging

import numpy as np

from toolkit.config.names import ATTRIBUTION_TARGETS as TARGETS
from toolkit.errors import InputError

# compiled functions built per call (a new model, a new shap explainer): TensorFlow warns
# once it has traced the same Python function 5 times, which is expected here
_OWN_FUNCTIONS = (
    "gradient_function.<locals>",
    "output_function.<locals>",
    "integrated_gradients.<locals>",
    "mutagenesis.<locals>",
    "_local_functions.<locals>",
    "TFDeep.phi_symbolic.<locals>",
)


class _ExpectedRetracing(logging.Filter):
    """Drops TensorFlow's retracing warnings about this package's per-call functions."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "triggered tf.function retracing" not in message or not any(
            name in message for name in _OWN_FUNCTIONS
        )


def _quiet_retracing() -> None:
    tf_logger = logging.getLogger("tensorflow")
    if not any(isinstance(f, _ExpectedRetracing) for f in tf_logger.filters):
        tf_logger.addFilter(_ExpectedRetracing())


def check_onehot(x, method: str, name: str = "x") -> np.ndarray:
    """``x`` as float32 (N, L, 4), strictly one-hot (values 0/1, one 1 per position).

    Raises
    ------
    InputError
        If ``x`` is not 3-D with 4 channels last, is empty, or a position is not one-hot
        (the message names the first bad sequence and position).
    """
    try:
        array = np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError):
        raise InputError(method, name, "expected a numeric array of shape (N, L, 4)") from None
    if array.ndim != 3 or array.shape[-1] != 4:
        hint = (
            " (channels-first? transpose to (N, L, 4))"
            if array.ndim == 3 and array.shape[1] == 4
            else ""
        )
        raise InputError(
            method, name, f"expected one-hot sequences of shape (N, L, 4), got {array.shape}{hint}"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise InputError(
            method, name, f"expected at least one sequence of length >= 1, got {array.shape}"
        )
    ok = ((array == 0) | (array == 1)).all(axis=-1) & (array.sum(axis=-1) == 1)
    if not ok.all():
        n, pos = (int(i) for i in np.argwhere(~ok)[0])
        raise InputError(
            method,
            name,
            f"sequence {n}, position {pos}: {array[n, pos].tolist()} is not one-hot "
            "(values 0/1, exactly one 1 per position)",
        )
    return array


def check_references(references, x: np.ndarray, method: str) -> np.ndarray:
    """References as float32 (N, R, L, 4) matching ``x`` (N, L, 4); R >= 1."""
    try:
        refs = np.asarray(references, dtype=np.float32)
    except (TypeError, ValueError):
        raise InputError(method, "references", "expected a numeric array (N, R, L, 4)") from None
    n, length, _ = x.shape
    if refs.ndim != 4 or refs.shape[0] != n or refs.shape[2:] != (length, 4) or refs.shape[1] < 1:
        raise InputError(
            method,
            "references",
            f"expected shape (N, R, L, 4) = ({n}, R, {length}, 4) with R >= 1, got {refs.shape}",
        )
    if not np.isfinite(refs).all():
        raise InputError(method, "references", "contains NaN or inf")
    return refs


def positive_int(value, method: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(method, name, f"expected a positive integer, got {value!r}")
    return int(value)


def _logit_tensor(model, method: str):
    """The pre-sigmoid tensor of ``model``: a layer named ``logits``, the input of a final
    sigmoid ``Activation`` layer, or a linear copy of a final layer with a sigmoid activation.
    """
    import tensorflow as tf
    from tensorflow import keras

    names = [layer.name for layer in model.layers]
    if "logits" in names:
        return model.get_layer("logits").output
    last = model.layers[-1]
    sigmoid = (keras.activations.sigmoid, tf.nn.sigmoid, tf.math.sigmoid, tf.sigmoid)
    activation = getattr(last, "activation", None)
    is_sigmoid = activation in sigmoid or getattr(activation, "__name__", "") == "sigmoid"
    if isinstance(last, keras.layers.Activation) and is_sigmoid:
        return last.input
    if is_sigmoid and hasattr(last, "get_config"):
        config = last.get_config() | {"activation": "linear", "name": f"{last.name}_logit"}
        linear = last.__class__.from_config(config)
        out = linear(last.input)
        linear.set_weights(last.get_weights())
        return out
    raise InputError(
        method,
        "target",
        "target='logit' needs the pre-sigmoid output: a layer named 'logits', a final "
        "Activation('sigmoid') layer or a final layer with activation='sigmoid'; "
        f"{model.name!r} ends with {last.__class__.__name__} {last.name!r}. "
        "Use target='prob' or pass a model that outputs the logits.",
    )


def target_model(
    model, method: str, target: str = "prob", class_index: int = 0, length: int | None = None
):
    """The Keras model whose output column ``class_index`` the method explains.

    Parameters
    ----------
    model : keras.Model
        Single input of shape (None, L, 4) (L may be None), single output of shape (None, C).
    method : str
        Named in errors.
    target : {"prob", "logit"}
        ``prob``: the model's output (the sigmoid probability for the paper's models);
        ``logit``: the pre-sigmoid value (see :func:`_logit_tensor`).
    class_index : int
        Output column, 0 <= class_index < C.
    length : int, optional
        Sequence length L of the batch; must match a fixed model input length.

    Returns
    -------
    keras.Model
        ``model`` itself for ``prob``, else a model sharing its weights.
    """
    from tensorflow import keras

    _quiet_retracing()
    if not isinstance(model, keras.Model):
        raise InputError(method, "model", f"expected a Keras model, got {type(model).__name__}")
    if target not in TARGETS:
        raise InputError(method, "target", f"expected one of {TARGETS}, got {target!r}")
    inputs = getattr(model, "inputs", None)
    if not inputs:
        raise InputError(method, "model", "the model is not built (it has no inputs yet)")
    if len(inputs) != 1:
        raise InputError(method, "model", f"expected one input, the model has {len(inputs)}")
    shape = tuple(inputs[0].shape)
    if len(shape) != 3 or shape[-1] != 4:
        raise InputError(
            method, "model", f"expected an input of shape (None, L, 4) (one-hot DNA), got {shape}"
        )
    if length is not None and shape[1] is not None and shape[1] != length:
        raise InputError(
            method, "x", f"sequences have length {length}, the model takes length {shape[1]}"
        )
    if len(model.outputs) != 1:
        raise InputError(
            method, "model", f"expected one output, the model has {len(model.outputs)}"
        )
    out = model.outputs[0] if target == "prob" else _logit_tensor(model, method)
    out_shape = tuple(out.shape)
    if len(out_shape) != 2 or out_shape[1] is None:
        raise InputError(
            method,
            "model",
            f"expected an output of shape (None, C) (one value per class), got {out_shape}; "
            "reduce other outputs (e.g. profiles) to one scalar per class first",
        )
    if (
        isinstance(class_index, bool)
        or not isinstance(class_index, int | np.integer)
        or not 0 <= class_index < out_shape[1]
    ):
        raise InputError(
            method,
            "class_index",
            f"expected an integer in [0, {out_shape[1]}), got {class_index!r}",
        )
    if target == "prob":
        return model
    return keras.Model(model.inputs, out, name=f"{model.name}_logit")


def gradient_function(model, class_index: int, length: int):
    """A compiled ``x -> d out[:, class_index] / d x`` for float32 batches (n, L, 4)."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([None, length, 4], tf.float32)])
    def grad(batch):
        with tf.GradientTape() as tape:
            tape.watch(batch)
            out = model(batch, training=False)[:, class_index]
        return tape.gradient(out, batch)

    return grad


def output_function(model, class_index: int, length: int):
    """A compiled ``x -> out[:, class_index]`` for float32 batches (n, L, 4)."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([None, length, 4], tf.float32)])
    def forward(batch):
        return model(batch, training=False)[:, class_index]

    return forward


def batched(fn, x: np.ndarray, batch_size: int) -> np.ndarray:
    """``fn`` over ``x`` in batches along axis 0, results concatenated (as numpy)."""
    parts = [np.asarray(fn(x[i : i + batch_size])) for i in range(0, len(x), batch_size)]
    return np.concatenate(parts, axis=0)
