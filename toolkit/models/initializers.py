"""Kernel initializers read back off a built model, by their config names (spec §2.3)."""

from __future__ import annotations

import re

from tensorflow import keras

from toolkit.config.names import format_value


def initializer_name(init: keras.initializers.Initializer) -> str:
    """The config name of a Keras initializer instance.

    Parameters
    ----------
    init : keras.initializers.Initializer
        E.g. ``HeNormal()`` or ``RandomNormal(stddev=0.1)``.

    Returns
    -------
    str
        ``he_normal``, ``glorot_uniform``... as accepted by ``model.kernel_initializer``;
        ``random_normal:<sigma>`` for a zero-mean RandomNormal.
    """
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", type(init).__name__).lower()
    if name == "random_normal":
        return f"random_normal:{format_value(float(init.stddev))}"
    return name


def kernel_initializers(model: keras.Model) -> dict[str, str]:
    """Every Conv1D and Dense kernel's initializer, by layer name.

    Parameters
    ----------
    model : keras.Model
        A built model.

    Returns
    -------
    dict of str to str
        E.g. ``{"conv1": "he_normal", ..., "dense1": "he_normal", "logits": "glorot_uniform"}``
        in layer order.
    """
    return {
        layer.name: initializer_name(layer.kernel_initializer)
        for layer in model.layers
        if isinstance(layer, keras.layers.Conv1D | keras.layers.Dense)
    }
