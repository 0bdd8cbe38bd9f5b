"""The config's ``model`` section: kernel initializers and the first conv block (spec §2, §8).

Checked and canonicalised without TensorFlow, so a config with a bad option fails in a
second. A run spec keeps only the options that differ from the defaults
(``RunSpec.model_options``): a config that spells out a default means the same runs, with
the same hashes, as one that leaves it out. Initializers are compared with the models as
they were before ``kernel_initializer`` existed (everything glorot_uniform), so the specs of
those models keep their hashes and every run whose kernels changed gets a new one.

Keys (defaults = the published models, spec §2.3):

- ``kernel_initializer``: every conv and hidden dense kernel of the zoo's conv/dense blocks
  (the first conv too, unless ``first_layer_initializer`` says otherwise). Default
  ``he_normal``: the original's ``tfomics/layers.py`` until 2020-08-07, i.e. the code that made
  the published Task 1-6 figures; the §8 controls ran later with Keras' default,
  ``glorot_uniform`` (their configs say so). ResidualBind's residual-block convs are
  he_normal in both eras and do not follow this key.
- ``first_layer_initializer``: a Keras initializer name (``he_normal``, ``lecun_uniform``...)
  or ``random_normal:<sigma>`` (the §8 init sweep); null is the model's own first conv:
  ``kernel_initializer``, except the log models (cnn-deep-log, cnn-dist-log), whose first
  conv was a plain Keras ``Conv1D`` (glorot_uniform) in every era.
- ``output_initializer``: the output Dense's kernel; null is the model's own (glorot_uniform;
  cnn-dist-log glorot_normal).
- ``first_layer_batchnorm``: false removes the first conv's BatchNorm (the §8 no-BN control).
- ``first_layer_l2``: ``default`` (the model's own: 1e-6, or for the log models 0.1),
  ``none``, ``paper`` (1e-6 * sum(w^2), Keras ``l2(1e-6)``), ``log`` (0.1 * sum(w^2), the log
  experiments' penalty) or a number >= 0.
- ``first_layer_filters``: the number of first-layer filters; null keeps the model's.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from toolkit.errors import InputError

#: The published models' conv and hidden dense kernels (spec §2.3).
PUBLISHED_KERNEL_INITIALIZER = "he_normal"
#: Keras' default, what every kernel was before the ``kernel_initializer`` key (hash baseline).
KERAS_DEFAULT_INITIALIZER = "glorot_uniform"

DEFAULTS: dict[str, Any] = {
    "kernel_initializer": PUBLISHED_KERNEL_INITIALIZER,
    "first_layer_initializer": None,
    "output_initializer": None,
    "first_layer_batchnorm": True,
    "first_layer_l2": "default",
    "first_layer_filters": None,
}
#: Named first-layer L2 strengths (Keras ``l2(s)`` adds s * sum(w^2) to the loss).
L2_NAMES: dict[str, float | None] = {"default": None, "none": 0.0, "paper": 1e-6, "log": 0.1}


def model_options(section: dict | None, source: str = "config") -> dict[str, Any]:
    """Check a ``model`` section; return its non-default options, canonically spelled.

    Parameters
    ----------
    section : dict or None
        The config's ``model`` mapping.
    source : str
        The config file, for error messages.

    Returns
    -------
    dict
        E.g. ``{"kernel_initializer": "he_normal", "first_layer_initializer":
        "random_normal:0.1", "first_layer_l2": 0.1}`` (``log`` and ``paper`` become numbers;
        see the module docstring for when an initializer drops).

    Raises
    ------
    InputError
        Naming ``model.<key>``, the value and what was expected.
    """
    section = section or {}
    if not isinstance(section, dict):
        raise InputError(source, "model", f"expected a mapping, got {type(section).__name__}")
    unknown = sorted(set(section) - set(DEFAULTS), key=str)
    if unknown:
        raise InputError(
            source, f"model.{unknown[0]}", f"unknown key; valid keys: {list(DEFAULTS)}"
        )
    out: dict[str, Any] = {}
    kernel = _initializer(section, "kernel_initializer", source)
    first = _initializer(section, "first_layer_initializer", source)
    output = _initializer(section, "output_initializer", source)
    if kernel != KERAS_DEFAULT_INITIALIZER:
        out["kernel_initializer"] = kernel
    # glorot_uniform everywhere was the only model before `kernel_initializer`: spelled out
    # or left out, it is the same model, so it keeps its old (empty) options
    if first is not None and (first, kernel) != (KERAS_DEFAULT_INITIALIZER,) * 2:
        out["first_layer_initializer"] = first
    if output is not None:
        out["output_initializer"] = output
    bn = section.get("first_layer_batchnorm", True)
    if not isinstance(bn, bool):
        raise InputError(
            source, "model.first_layer_batchnorm", f"expected true or false, got {bn!r}"
        )
    if not bn:
        out["first_layer_batchnorm"] = False
    l2 = section.get("first_layer_l2", "default")
    if isinstance(l2, str):
        if l2 not in L2_NAMES:
            raise InputError(
                source,
                "model.first_layer_l2",
                f"expected one of {list(L2_NAMES)} or a number >= 0, got {l2!r}",
            )
        l2 = L2_NAMES[l2]
    elif (
        isinstance(l2, bool)
        or not isinstance(l2, numbers.Real)
        or not (math.isfinite(l2) and l2 >= 0)
    ):
        raise InputError(
            source, "model.first_layer_l2", f"expected a name or a number >= 0, got {l2!r}"
        )
    if l2 is not None:
        out["first_layer_l2"] = float(l2)
    filters = section.get("first_layer_filters")
    if filters is not None:
        if isinstance(filters, bool) or not isinstance(filters, numbers.Integral) or filters < 1:
            raise InputError(
                source, "model.first_layer_filters", f"expected a positive integer, got {filters!r}"
            )
        out["first_layer_filters"] = int(filters)
    return out


def _initializer(section: dict, key: str, source: str) -> str | None:
    """The canonical spelling of ``section[key]`` (the default when absent); None stays None."""
    from toolkit.config.names import canonical_initializer

    value = section.get(key)
    if value is None:  # left out or null: the default
        value = DEFAULTS[key]
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(source, f"model.{key}", f"expected an initializer name, got {value!r}")
    try:
        return canonical_initializer(value)
    except InputError as exc:
        raise InputError(source, f"model.{key}", exc.problem) from None


def build_kwargs(options: dict[str, Any]) -> dict[str, Any]:
    """``build_model`` keyword arguments for a run spec's canonical ``model_options``.

    The canonical options leave out what equals the models before ``kernel_initializer``
    existed (glorot_uniform kernels), so an absent ``kernel_initializer`` means glorot_uniform
    here, not the config default (he_normal, which the options always spell out).

    Parameters
    ----------
    options : dict
        ``RunSpec.model_options``, as :func:`model_options` returns them.

    Returns
    -------
    dict
        The same options with ``kernel_initializer`` always present.
    """
    return {"kernel_initializer": KERAS_DEFAULT_INITIALIZER} | dict(options)
