"""Model zoo of spec §2, built by name through :func:`build_model`.

Every model takes a one-hot ``(N, L, 4)`` input and returns sigmoid probabilities
``(N, n_outputs)``. Only the first conv block varies with the activation and the §8 controls;
its activation output is the layer named :data:`FIRST_ACTIVATION_LAYER`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

from tensorflow import keras

from toolkit.activations import canonical_activation
from toolkit.config.model import PUBLISHED_KERNEL_INITIALIZER

# The names live in toolkit.config.names (no TensorFlow there), so configs validate without TF.
from toolkit.config.names import MODEL_ALIASES, MODEL_NAMES, canonical_model_name
from toolkit.errors import InputError

# Submodules are imported as modules (not their same-named builders) so that
# `toolkit.models.cnn` etc. stay modules, e.g. for mock.patch.
from toolkit.models import basset, cnn, cnn_deep, cnn_dist, cnn_local, cnn_log, residualbind
from toolkit.models.cnn_log import LOG_FIRST_LAYER_L2
from toolkit.models.first_layer import first_layer_model
from toolkit.models.layers import (
    DEFAULT_L2,
    FIRST_ACTIVATION_LAYER,
    FIRST_BN_LAYER,
    FIRST_CONV_LAYER,
    FirstLayer,
    Kernels,
    resolve_initializer,
)

__all__ = [
    "DEFAULT_INPUT_LENGTH",
    "DEFAULT_N_OUTPUTS",
    "FIRST_ACTIVATION_LAYER",
    "FIRST_BN_LAYER",
    "FIRST_CONV_LAYER",
    "MODEL_ALIASES",
    "MODEL_NAMES",
    "build_model",
    "canonical_model_name",
    "first_layer_model",
]

#: Default sequence length per model (the length of the data set each was trained on).
DEFAULT_INPUT_LENGTH: dict[str, int] = {
    "cnn-deep": 200,
    "cnn-2": 200,
    "cnn-50": 200,
    "cnn-local": 200,
    "cnn-dist": 200,
    "basset": 600,
    "residualbind": 400,
    "cnn-deep-log": 200,
    "cnn-dist-log": 200,
}

#: Default number of sigmoid outputs per model (Task 1 and Task 2 both have 12 labels).
DEFAULT_N_OUTPUTS: dict[str, int] = {
    "cnn-deep": 12,
    "cnn-2": 12,
    "cnn-50": 12,
    "cnn-local": 1,
    "cnn-dist": 1,
    "basset": 164,
    "residualbind": 1,
    "cnn-deep-log": 12,
    "cnn-dist-log": 1,
}

# Model-specific keyword arguments build_model passes on.
_EXTRA_KW: dict[str, tuple[str, ...]] = {
    "cnn-deep": ("multiplier",),
    "cnn-2": ("multiplier",),
    "cnn-50": ("multiplier",),
    "cnn-deep-log": ("l2_norm",),
    "cnn-dist-log": ("l2_norm",),
}

_LOG_MODELS = ("cnn-deep-log", "cnn-dist-log")


def _positive_int(value: Any, field: str) -> int:
    # numbers.Integral admits numpy integers from config/array code; bool is excluded on purpose.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InputError(None, field, f"must be a positive integer, got {value!r}")
    return int(value)


Builder = Callable[[FirstLayer, int, int, Kernels], keras.Model]


def _builder(name: str, kw: dict[str, Any]) -> Builder:
    """Builder taking (first_layer, input_length, n_outputs, kernels), with ``kw`` bound."""
    builders: dict[str, Builder] = {
        "cnn-2": lambda fl, n, o, k: cnn.cnn((2, 50), fl, n, o, name="cnn_2", kernels=k, **kw),
        "cnn-50": lambda fl, n, o, k: cnn.cnn((50, 2), fl, n, o, name="cnn_50", kernels=k, **kw),
        "cnn-deep": lambda fl, n, o, k: cnn_deep.cnn_deep(fl, n, o, kernels=k, **kw),
        "cnn-local": lambda fl, n, o, k: cnn_local.cnn_local(fl, n, o, kernels=k),
        "cnn-dist": lambda fl, n, o, k: cnn_dist.cnn_dist(fl, n, o, kernels=k),
        "basset": lambda fl, n, o, k: basset.basset(fl, n, o, kernels=k),
        "residualbind": lambda fl, n, o, k: residualbind.residualbind(fl, n, o, kernels=k),
        "cnn-deep-log": lambda fl, n, o, k: cnn_log.cnn_log("cnn-deep", fl, n, o, kernels=k),
        "cnn-dist-log": lambda fl, n, o, k: cnn_log.cnn_log("cnn-dist", fl, n, o, kernels=k),
    }
    return builders[name]


def build_model(
    name: str,
    activation: str = "relu",
    input_length: int | None = None,
    n_outputs: int | None = None,
    kernel_initializer: str | keras.initializers.Initializer | None = PUBLISHED_KERNEL_INITIALIZER,
    first_layer_initializer: str | keras.initializers.Initializer | None = None,
    output_initializer: str | keras.initializers.Initializer | None = None,
    first_layer_batchnorm: bool = True,
    first_layer_l2: float | None = None,
    first_layer_filters: int | None = None,
    **kw: Any,
) -> keras.Model:
    """Build an uncompiled model of the zoo by name.

    Parameters
    ----------
    name : str
        One of :data:`MODEL_NAMES` or an alias (case-insensitive; ``cnn-4`` -> ``cnn-2``,
        ``cnn-25`` -> ``cnn-50``; ``cnn_deep`` == ``CNN-deep``).
    activation : str
        First-layer activation (see :func:`toolkit.activations.activations`), e.g. ``"exp"``
        or ``"exp_scale:0.05"``. Deeper layers are always ReLU.
    input_length : int or None
        Sequence length L of the ``(N, L, 4)`` input; None takes
        :data:`DEFAULT_INPUT_LENGTH`. CNN-2/50/deep double every width when L == 1000.
    n_outputs : int or None
        Number of sigmoid outputs; None takes :data:`DEFAULT_N_OUTPUTS`.
    kernel_initializer : str or Initializer or None
        Every conv and hidden dense kernel (spec §2.3): he_normal, the published models'
        (default); ``"glorot_uniform"`` (or None) for the original from 2020-08-07 on and the
        §8 controls. ResidualBind's residual-block convs are he_normal in every era.
    first_layer_initializer : str or Initializer or None
        First-conv kernel initializer: a Keras name (``"he_normal"``), ``"random_normal:<sigma>"``
        for the §8 init sweep, or None for the model's own (``kernel_initializer``; the log
        models' plain Conv1D: glorot_uniform).
    output_initializer : str or Initializer or None
        Output Dense kernel; None for the model's own (glorot_uniform; cnn-dist-log
        glorot_normal).
    first_layer_batchnorm : bool
        False removes the first conv's BatchNorm (the §8 no-BN control).
    first_layer_l2 : float or None
        First-conv kernel L2 strength (0 for none). None means the model's default: 1e-6, or
        for the log variants 0.1 when ``l2_norm`` (default True) else none. Giving it
        together with ``l2_norm`` is an error.
    first_layer_filters : int or None
        Number of first-layer filters; None keeps the model's (ResidualBind's residual block
        adds its input, so it takes only its own 24).
    **kw
        Model-specific options: ``multiplier`` (int; cnn-2, cnn-50, cnn-deep) overrides the
        width multiplier; ``l2_norm`` (bool; cnn-deep-log, cnn-dist-log) picks the
        0.1 * sum(w^2) first-layer penalty (True) or none (False).

    Returns
    -------
    keras.Model
        Uncompiled; input ``(None, L, 4)``, output ``(None, n_outputs)``. Named layers:
        ``conv1``, ``conv1_bn`` (unless no-BN), ``conv1_activation``, ``logits``, ``output``.

    Raises
    ------
    InputError
        Unknown model, activation, initializer or keyword; non-positive sizes; an input too
        short for the model's pools and valid convs.
    """
    model = canonical_model_name(name)
    act = canonical_activation(activation)
    length = _positive_int(
        DEFAULT_INPUT_LENGTH[model] if input_length is None else input_length, "input_length"
    )
    outputs = _positive_int(
        DEFAULT_N_OUTPUTS[model] if n_outputs is None else n_outputs, "n_outputs"
    )
    allowed = _EXTRA_KW.get(model, ())
    unknown = sorted(set(kw) - set(allowed))
    if unknown:
        raise InputError(
            None, "model", f"{model} takes no option(s) {unknown}; model options: {list(allowed)}"
        )
    if "multiplier" in kw:
        kw["multiplier"] = _positive_int(kw["multiplier"], "multiplier")
    if "l2_norm" in kw and first_layer_l2 is not None:
        # Two knobs for one setting: refuse rather than silently pick one.
        raise InputError(None, "first_layer_l2", "give either first_layer_l2 or l2_norm, not both")
    l2_norm = bool(kw.pop("l2_norm", True))
    if first_layer_l2 is None:
        l2 = (LOG_FIRST_LAYER_L2 if l2_norm else None) if model in _LOG_MODELS else DEFAULT_L2
    else:
        if isinstance(first_layer_l2, bool) or not isinstance(first_layer_l2, numbers.Real):
            raise InputError(None, "first_layer_l2", f"must be a number, got {first_layer_l2!r}")
        if not (math.isfinite(first_layer_l2) and first_layer_l2 >= 0):
            raise InputError(None, "first_layer_l2", f"must be >= 0, got {first_layer_l2!r}")
        l2 = float(first_layer_l2)
    if first_layer_filters is not None:
        first_layer_filters = _positive_int(first_layer_filters, "first_layer_filters")
        if model == "residualbind" and first_layer_filters != 24:
            raise InputError(
                None,
                "first_layer_filters",
                "residualbind's residual block adds the first layer's output: it needs 24",
            )
    first = FirstLayer(
        filters=first_layer_filters,
        activation=act,
        # Resolved here so a bad name fails before any layer is built.
        initializer=(
            None
            if first_layer_initializer is None
            else resolve_initializer(first_layer_initializer)
        ),
        batchnorm=bool(first_layer_batchnorm),
        l2=l2,
    )
    kernels = Kernels(
        hidden=resolve_initializer(kernel_initializer),
        output=None if output_initializer is None else resolve_initializer(output_initializer),
    )
    try:
        return _builder(model, kw)(first, length, outputs, kernels)
    except InputError:
        raise
    except ValueError as err:
        # Keras rejects a pool or valid conv that would shrink the sequence below one position.
        raise InputError(
            None, "input_length", f"{length} is too short for {model}: {' '.join(str(err).split())}"
        ) from None
