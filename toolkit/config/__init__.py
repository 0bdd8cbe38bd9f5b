"""Everything a config is: sweep configs (YAML), the run specs they expand into, their sections.

A config names a task, a grid (models x activations x trials, optionally x the values of
``vary``) and the parameters of each step. :func:`load_config` validates everything a run
will need before any compute is spent; :meth:`SweepConfig.run_specs` expands the grid into
:class:`RunSpec` objects whose ids are derived from their content, so the same config always
maps to the same runs and records.

Modules: :mod:`~toolkit.config.spec` (the run spec, a leaf), :mod:`~toolkit.config.parse`
(the parser, the shared sections' defaults, the paths a run reads). No TensorFlow.
"""

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
