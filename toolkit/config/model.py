"""The config's ``model`` section: kernel initializers and the first conv block (spec §2, §8).

Checked and canonicalised without TensorFlow, so a config with a bad option fails in a
second. A run spec keeps only the options that differ from the defaults
(``RunSpec.model_options``): a config that spells out a default means the same runs, with
the same hashes, as one that leaves it out. Initializers are compared with the models as
they were before ``kernel_initializer`` existed (everything glorot_uniform), so the specs of
those models keep their hashes and every run whose kernels changed gets a new one.

Its keys, defaults, rules and help are :data:`MODEL` (defaults = the published models, spec
§2.3; ``expact sections`` prints them).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from toolkit.config.schema import Boolean, Custom, Integer, Key, Optional, Section
from toolkit.errors import InputError

#: The published models' conv and hidden dense kernels (spec §2.3).
PUBLISHED_KERNEL_INITIALIZER = "he_normal"
#: Keras' default, what every kernel was before the ``kernel_initializer`` key (hash baseline).
KERAS_DEFAULT_INITIALIZER = "glorot_uniform"
#: Named first-layer L2 strengths (Keras ``l2(s)`` adds s * sum(w^2) to the loss).
L2_NAMES: dict[str, float | None] = {"default": None, "none": 0.0, "paper": 1e-6, "log": 0.1}


def _initializer_name(value: Any, field: str, source: Any) -> None:
    """A Keras initializer name or ``random_normal:<sigma>``; null is the default."""
    from toolkit.config.names import canonical_initializer

    if value is None:
        return
    if not isinstance(value, str):
        raise InputError(source, field, f"expected an initializer name, got {value!r}")
    try:
        canonical_initializer(value)
    except InputError as exc:
        raise InputError(source, field, exc.problem) from None


def _l2(value: Any, field: str, source: Any) -> None:
    """A name of :data:`L2_NAMES` or a number >= 0."""
    if isinstance(value, str):
        if value not in L2_NAMES:
            raise InputError(
                source,
                field,
                f"expected one of {list(L2_NAMES)} or a number >= 0, got {value!r}",
            )
    elif (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not (math.isfinite(value) and value >= 0)
    ):
        raise InputError(source, field, f"expected a name or a number >= 0, got {value!r}")


_INITIALIZER = Custom(_initializer_name, "a Keras initializer name or random_normal:<sigma>")

MODEL = Section(
    {
        "kernel_initializer": Key(
            PUBLISHED_KERNEL_INITIALIZER,
            _INITIALIZER,
            "every conv and hidden dense kernel of the zoo's conv/dense blocks (the first conv "
            "too, unless first_layer_initializer says otherwise); null: the default. he_normal "
            "is the original's tfomics/layers.py until 2020-08-07, the code that made the "
            "published Task 1-6 figures; the §8 controls ran later with Keras' default, "
            "glorot_uniform (their configs say so). ResidualBind's residual-block convs are "
            "he_normal in both eras and do not follow this key",
        ),
        "first_layer_initializer": Key(
            None,
            Optional(_INITIALIZER),
            "the first conv's kernels (random_normal:<sigma>: the §8 init sweep); null is the "
            "model's own first conv: kernel_initializer, except the log models (cnn-deep-log, "
            "cnn-dist-log), whose first conv was a plain Keras Conv1D (glorot_uniform) in "
            "every era",
        ),
        "output_initializer": Key(
            None,
            Optional(_INITIALIZER),
            "the output Dense's kernel; null is the model's own (glorot_uniform; cnn-dist-log "
            "glorot_normal)",
        ),
        "first_layer_batchnorm": Key(
            True, Boolean(), "false removes the first conv's BatchNorm (the §8 no-BN control)"
        ),
        "first_layer_l2": Key(
            "default",
            Custom(_l2, f"one of {', '.join(L2_NAMES)} or a number >= 0"),
            "default (the model's own: 1e-6, or for the log models 0.1), none, paper "
            "(1e-6 * sum(w^2), Keras l2(1e-6)), log (0.1 * sum(w^2), the log experiments' "
            "penalty) or a number >= 0",
        ),
        "first_layer_filters": Key(
            None, Optional(Integer(1)), "the number of first-layer filters; null keeps the model's"
        ),
    }
)


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
    MODEL.reject_unknown(section, "model", source, f"unknown key; valid keys: {list(MODEL)}")
    values = dict(MODEL) | section
    MODEL.check(values, "model", source)
    out: dict[str, Any] = {}
    kernel = _initializer(values, "kernel_initializer")
    first = _initializer(values, "first_layer_initializer")
    output = _initializer(values, "output_initializer")
    if kernel != KERAS_DEFAULT_INITIALIZER:
        out["kernel_initializer"] = kernel
    # glorot_uniform everywhere was the only model before `kernel_initializer`: spelled out
    # or left out, it is the same model, so it keeps its old (empty) options
    if first is not None and (first, kernel) != (KERAS_DEFAULT_INITIALIZER,) * 2:
        out["first_layer_initializer"] = first
    if output is not None:
        out["output_initializer"] = output
    if not values["first_layer_batchnorm"]:
        out["first_layer_batchnorm"] = False
    l2 = values["first_layer_l2"]
    l2 = L2_NAMES[l2] if isinstance(l2, str) else l2
    if l2 is not None:
        out["first_layer_l2"] = float(l2)
    if values["first_layer_filters"] is not None:
        out["first_layer_filters"] = int(values["first_layer_filters"])
    return out


def _initializer(values: dict, key: str) -> str | None:
    """The canonical spelling of ``values[key]`` (checked already); null is the default."""
    from toolkit.config.names import canonical_initializer

    value = values[key]
    if value is None:  # left out or null: the default
        value = MODEL[key]
    return None if value is None else canonical_initializer(value)


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
