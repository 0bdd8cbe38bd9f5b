"""The config's ``model`` section: what may vary in the first conv block (spec §2.1, §8).

Checked and canonicalised without TensorFlow, so a config with a bad option fails in a
second. A run spec keeps only the options that differ from the model's defaults
(``RunSpec.model_options``): a config that spells out a default means the same runs, with
the same hashes, as one that leaves it out.

Keys (defaults = the paper's models):

- ``first_layer_initializer``: a Keras initializer name (``he_normal``, ``lecun_uniform``...)
  or ``random_normal:<sigma>`` (the §8 init sweep); null is Keras' default, glorot_uniform.
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

DEFAULTS: dict[str, Any] = {
    "first_layer_initializer": None,
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
        E.g. ``{"first_layer_initializer": "random_normal:0.1", "first_layer_l2": 0.1}``
        (``log`` and ``paper`` become numbers; ``glorot_uniform`` is the default and drops).

    Raises
    ------
    InputError
        Naming ``model.<key>``, the value and what was expected.
    """
    from toolkit.names import canonical_initializer

    section = section or {}
    if not isinstance(section, dict):
        raise InputError(source, "model", f"expected a mapping, got {type(section).__name__}")
    unknown = sorted(set(section) - set(DEFAULTS), key=str)
    if unknown:
        raise InputError(
            source, f"model.{unknown[0]}", f"unknown key; valid keys: {list(DEFAULTS)}"
        )
    out: dict[str, Any] = {}
    init = section.get("first_layer_initializer")
    if init is not None:
        if not isinstance(init, str):
            raise InputError(
                source, "model.first_layer_initializer", f"expected a name, got {init!r}"
            )
        try:
            init = canonical_initializer(init)
        except InputError as exc:
            raise InputError(source, "model.first_layer_initializer", exc.problem) from None
        if init != "glorot_uniform":
            out["first_layer_initializer"] = init
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
