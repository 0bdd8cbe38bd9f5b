"""Sub-model from the input to the first-layer activation, found by layer name (spec §12.10)."""

from __future__ import annotations

from tensorflow import keras

from toolkit.errors import InputError
from toolkit.models.layers import FIRST_ACTIVATION_LAYER


def first_layer_model(model: keras.Model, layer: str = FIRST_ACTIVATION_LAYER) -> keras.Model:
    """Model mapping the one-hot input to a first-block layer's output.

    Parameters
    ----------
    model : keras.Model
        A model from :func:`toolkit.models.build_model` (or any model with a layer ``layer``).
    layer : str
        Layer whose output to expose. The default ``conv1_activation`` is the filter-analysis
        layer (index 3 in the original); ``conv1_bn`` gives the pre-activation values.

    Returns
    -------
    keras.Model
        Shares weights with ``model``; maps ``(N, L, 4)`` to ``(N, L, filters)``.

    Raises
    ------
    InputError
        If ``model`` has no layer called ``layer`` (e.g. ``conv1_bn`` in the no-BN control).
    """
    try:
        target = model.get_layer(layer)
    except ValueError:
        names = [lay.name for lay in model.layers]
        raise InputError(
            None, "layer", f"model {model.name!r} has no layer {layer!r}; layers: {names}"
        ) from None
    return keras.Model(model.inputs, target.output, name=f"{model.name}_{layer}")
