"""Every name a config may use, and their canonical spellings, without TensorFlow.

Models, first-layer activations, kernel initializers, Tomtom back-ends and distances are
looked up here by the config validator (``toolkit.config``) and by the modules that build
things from them (``toolkit.models``, ``toolkit.activations``, ``toolkit.tomtom``). Keeping
the names apart from those modules lets ``expact run --check`` validate a sweep in a second
instead of paying TensorFlow's start-up first.
"""

from __future__ import annotations

import math

from toolkit.errors import InputError

__all__ = [
    "ALL_ACTIVATIONS",
    "ATTRIBUTION_METHODS",
    "ATTRIBUTION_TARGETS",
    "CORRECTIONS",
    "GRADIENT_METHODS",
    "IG_VARIANTS",
    "INITIALIZER_NAMES",
    "LITE_DISTANCES",
    "MODEL_ALIASES",
    "MODEL_NAMES",
    "PAPER_ACTIVATIONS",
    "PARAMETRIC_ACTIVATIONS",
    "RESIZE",
    "SEQUENCE_SPLIT",
    "TASK3_ACTIVATIONS",
    "TOMTOM_BACKENDS",
    "TOMTOM_DISTANCES",
    "canonical_activation",
    "canonical_initializer",
    "canonical_model_name",
    "format_value",
    "parse_activation",
    "parse_initializer",
]

# ---------------------------------------------------------------------------------- models

#: Canonical model names.
MODEL_NAMES: tuple[str, ...] = (
    "cnn-deep",
    "cnn-2",
    "cnn-50",
    "cnn-local",
    "cnn-dist",
    "basset",
    "residualbind",
    "cnn-deep-log",
    "cnn-dist-log",
)

#: Extra names; "CNN-4/CNN-25" are the original README's stale names for CNN-2/CNN-50 (§0).
#: Matching also ignores case and '-', '_' and spaces, so "CNN_deep" and "cnndeep" work.
MODEL_ALIASES: dict[str, str] = {
    "cnn-4": "cnn-2",
    "cnn-25": "cnn-50",
    "residual-bind": "residualbind",
}


def _model_key(name: str) -> str:
    return "".join(c for c in name.lower() if c not in "-_ ")


_MODEL_LOOKUP: dict[str, str] = {_model_key(n): n for n in MODEL_NAMES} | {
    _model_key(a): n for a, n in MODEL_ALIASES.items()
}


def canonical_model_name(name: str) -> str:
    """Canonical model name (one of :data:`MODEL_NAMES`) for any accepted spelling.

    Parameters
    ----------
    name : str
        E.g. ``"CNN-deep"``, ``"cnn_deep"``, ``"cnn-4"``.

    Returns
    -------
    str
        E.g. ``"cnn-deep"``, ``"cnn-2"``.

    Raises
    ------
    InputError
        If the name is unknown; the message lists the valid names.
    """
    canonical = _MODEL_LOOKUP.get(_model_key(name)) if isinstance(name, str) else None
    if canonical is None:
        valid = ", ".join([*MODEL_NAMES, *MODEL_ALIASES])
        raise InputError(None, "model", f"unknown model {name!r}; valid names: {valid}")
    return canonical


# ----------------------------------------------------------------------------- activations

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

#: Base names of the activations that need a ``:value`` parameter: exp(s x), exp(x - s).
PARAMETRIC_ACTIVATIONS: tuple[str, ...] = ("exp_scale", "exp_shift")

_ACTIVATION_ALIASES: dict[str, str] = {"exp": "exponential"}


def format_value(value: float) -> str:
    """Shortest repr of ``value`` that round-trips, without a trailing ``.0``.

    So ``exp_scale:2`` and ``exp_scale:2.0`` canonicalise to the same run name.
    """
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _valid_activations() -> str:
    return ", ".join(
        [*ALL_ACTIVATIONS, *_ACTIVATION_ALIASES, *(f"{b}:<value>" for b in PARAMETRIC_ACTIVATIONS)]
    )


def parse_activation(name: str) -> tuple[str, float | None]:
    """Split an activation name into its canonical base name and optional parameter.

    Parameters
    ----------
    name : str
        As written in a config: case-insensitive, ``-`` or ``_``, alias ``exp``, or
        ``exp_scale:<s>`` / ``exp_shift:<s>``.

    Returns
    -------
    tuple of (str, float or None)
        E.g. ``("exponential", None)``, ``("exp_scale", 0.05)``.

    Raises
    ------
    InputError
        If the name is unknown (the message lists the valid names) or its parameter is bad.
    """
    if not isinstance(name, str):
        raise InputError(None, "activation", f"expected a name string, got {name!r}")
    base, sep, raw = name.strip().partition(":")
    # Case and '-' vs '_' are not meaningful in configs; normalise them away.
    base = base.strip().lower().replace("-", "_")
    base = _ACTIVATION_ALIASES.get(base, base)
    if base in ALL_ACTIVATIONS:
        if sep:
            raise InputError(None, "activation", f"{base!r} takes no parameter, got {name!r}")
        return base, None
    if base in PARAMETRIC_ACTIVATIONS:
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
        None, "activation", f"unknown activation {name!r}; valid names: {_valid_activations()}"
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
    base, value = parse_activation(name)
    return base if value is None else f"{base}:{format_value(value)}"


# ---------------------------------------------------------------------------- initializers

#: Keras initializer names accepted for the first conv (the §8 initialization control),
#: besides ``random_normal:<sigma>`` for the §8 init sweep.
INITIALIZER_NAMES: tuple[str, ...] = (
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "lecun_uniform",
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "zeros",
    "ones",
    "orthogonal",
)

_INIT_FIELD = "first_layer_initializer"


def parse_initializer(spec: str) -> tuple[str, float | None]:
    """Split an initializer name into its Keras name and the ``random_normal`` sigma.

    Parameters
    ----------
    spec : str
        A name of :data:`INITIALIZER_NAMES` (case-insensitive) or ``random_normal:<sigma>``.

    Returns
    -------
    tuple of (str, float or None)
        E.g. ``("he_normal", None)``, ``("random_normal", 0.1)``.

    Raises
    ------
    InputError
        If the name is unknown, a parameter is given to another initializer, or sigma is
        not a finite number > 0.
    """
    if not isinstance(spec, str):
        raise InputError(None, _INIT_FIELD, f"expected a name, got {spec!r}")
    base, sep, raw = spec.strip().partition(":")
    base = base.strip().lower()
    if sep:
        if base != "random_normal":
            raise InputError(
                None, _INIT_FIELD, f"only random_normal takes ':<sigma>'; got {spec!r}"
            )
        try:
            sigma = float(raw)
        except ValueError:
            raise InputError(None, _INIT_FIELD, f"sigma in {spec!r} is not a number") from None
        if not sigma > 0 or sigma == float("inf"):
            raise InputError(None, _INIT_FIELD, f"sigma in {spec!r} must be > 0")
        return base, sigma
    if base not in INITIALIZER_NAMES:
        valid = ", ".join([*INITIALIZER_NAMES, "random_normal:<sigma>"])
        raise InputError(None, _INIT_FIELD, f"unknown initializer {spec!r}; valid: {valid}")
    return base, None


def canonical_initializer(spec: str | None) -> str:
    """Canonical spelling of an initializer name; None is Keras' default, glorot_uniform.

    Parameters
    ----------
    spec : str or None
        E.g. ``"He_Normal"``, ``"random_normal:0.10"``.

    Returns
    -------
    str
        E.g. ``"he_normal"``, ``"random_normal:0.1"``.

    Raises
    ------
    InputError
        As :func:`parse_initializer`.
    """
    if spec is None:
        return "glorot_uniform"
    base, sigma = parse_initializer(spec)
    return base if sigma is None else f"{base}:{format_value(sigma)}"


# ------------------------------------------------------------------------------------ tomtom

#: ``lite``: memelite's numba Tomtom (built in); ``meme``: the MEME Suite binary.
TOMTOM_BACKENDS: tuple[str, ...] = ("lite", "meme")
#: tomtom.c ``-dist`` choices (the ``meme`` back-end).
TOMTOM_DISTANCES: tuple[str, ...] = (
    "allr",
    "ed",
    "kullback",
    "pearson",
    "sandelin",
    "blic1",
    "blic5",
    "llr1",
    "llr5",
)
#: What the ``lite`` back-end implements: Euclidean distance only.
LITE_DISTANCES: tuple[str, ...] = ("ed",)

# how the sequences task fits FASTA records of other lengths (data.generate.resize)
RESIZE: tuple[str, ...] = ("error", "center_crop", "pad", "crop_or_pad")
# its default split (data.generate.split): fractions of a seeded permutation of the records
SEQUENCE_SPLIT: dict[str, float | int] = {"valid": 0.1, "test": 0.2, "seed": 0}
# the peaks route's default split by chromosome (data.generate.split with data.generate.peaks):
# DeepSEA's (Zhou & Troyanskaya 2015: chr8 and chr9 held out for testing, validation from
# chr7), kept by DanQ (Quang & Xie 2016) and Selene's DeepSEA example (chr8/chr9 test)
PEAK_SPLIT: dict[str, list[str]] = {
    "valid_chromosomes": ["chr7"],
    "test_chromosomes": ["chr8", "chr9"],
}
# what the peaks route does with a window running off its chromosome
OFF_CHROMOSOME: tuple[str, ...] = ("drop", "shift", "pad", "error")
# the background (negative) sequences it can make (data.generate.background.methods)
BACKGROUND_METHODS: tuple[str, ...] = ("shuffle", "flank", "gc_matched")

# attribution methods of spec §6 in the paper's order (toolkit.attribution.METHODS), what they
# explain (the sigmoid output, as the paper, or the logit), integrated gradients' variants
ATTRIBUTION_METHODS: tuple[str, ...] = (
    "saliency",
    "mutagenesis",
    "integrated_gradients",
    "deepshap",
)
ATTRIBUTION_TARGETS: tuple[str, ...] = ("prob", "logit")
IG_VARIANTS: tuple[str, ...] = ("paper", "standard")
#: Simplex gradient correction (Majdandzic et al. 2023): none | simplex (corrected maps only) |
#: both (corrected and uncorrected maps of the same run).
CORRECTIONS: tuple[str, ...] = ("none", "simplex", "both")
#: The attribution methods built on input gradients: the ones gradient correction applies to.
GRADIENT_METHODS: tuple[str, ...] = ("saliency", "integrated_gradients", "deepshap")
