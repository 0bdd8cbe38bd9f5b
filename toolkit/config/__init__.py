"""Everything a config is: sweep configs (YAML), the run specs they expand into, their sections.

A config names a task, a grid (models x activations x trials, optionally x the values of
``vary``) and the parameters of each step. :func:`load_config` validates everything a run
will need before any compute is spent; :meth:`SweepConfig.run_specs` expands the grid into
:class:`RunSpec` objects whose ids are derived from their content, so the same config always
maps to the same runs and records.

Modules (none imports TensorFlow, and none imports anything above the config):

- :mod:`~toolkit.config.spec`: the run spec (a leaf, below the run-folder contract);
- :mod:`~toolkit.config.schema`: a section declared once (:class:`~toolkit.config.schema.Key`:
  default, rule, help; :class:`~toolkit.config.schema.Section`), the rules, and the one
  existence test of an input file (a leaf: the task records declare their sections with it);
- :mod:`~toolkit.config.names`: model, activation, initializer, Tomtom and attribution names
  (a leaf);
- :mod:`~toolkit.config.parse`: the sweep parser, the paths a run reads; the task's own
  sections come from its record (:mod:`toolkit.tasks`);
- :mod:`~toolkit.config.sections`: the sections every config takes (``data``, ``filters``,
  ``tomtom``, ``match``) and the checks of a config's sections; ``expact sections``;
- :mod:`~toolkit.config.train`: the ``train`` section (:class:`TrainConfig`);
- :mod:`~toolkit.config.model`: the ``model`` section (initializers, BatchNorm, L2, filters);
- :mod:`~toolkit.config.analysis`: re-analysis configs (``expact analyze``);
- :mod:`~toolkit.config.inputs`: every input file opened and parsed before compute
  (``expact run --check``). It reads files with the science's readers, so it sits above
  them and is not re-exported here: import ``toolkit.config.inputs``.

The names below are imported when first used, so that importing a leaf (``toolkit.tasks``
imports :mod:`~toolkit.config.schema`) does not import the parser, which reads the task records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "DEFAULTS",
    "TOP_LEVEL",
    "RunSpec",
    "SweepConfig",
    "default_results",
    "load_config",
    "parse_config",
    "read_yaml",
    "resolve_paths",
]

if TYPE_CHECKING:
    from toolkit.config.parse import (
        DEFAULTS,
        TOP_LEVEL,
        SweepConfig,
        default_results,
        load_config,
        parse_config,
        read_yaml,
        resolve_paths,
    )
    from toolkit.config.spec import RunSpec


def __getattr__(name: str) -> Any:
    if name == "RunSpec":
        from toolkit.config.spec import RunSpec

        return RunSpec
    if name in __all__:
        from toolkit.config import parse

        return getattr(parse, name)
    raise AttributeError(f"module 'toolkit.config' has no attribute {name!r}")
