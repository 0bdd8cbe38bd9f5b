"""Everything a config is: sweep configs (YAML), the run specs they expand into, their sections.

A config names a task, a grid (models x activations x trials, optionally x the values of
``vary``) and the parameters of each step. :func:`load_config` validates everything a run
will need before any compute is spent; :meth:`SweepConfig.run_specs` expands the grid into
:class:`RunSpec` objects whose ids are derived from their content, so the same config always
maps to the same runs and records.

Modules (none imports TensorFlow, and none imports anything above the config):

- :mod:`~toolkit.config.spec`: the run spec (a leaf, below the run-folder contract);
- :mod:`~toolkit.config.parse`: the sweep parser, the shared sections' defaults, the paths a
  run reads; the task's own sections come from its record (:mod:`toolkit.tasks`);
- :mod:`~toolkit.config.sections`: the value checks of every section (and the attribution
  section's, ``Task.config_check``);
- :mod:`~toolkit.config.names`: model, activation, initializer, Tomtom and attribution names;
- :mod:`~toolkit.config.train`: the ``train`` section (:class:`TrainConfig`);
- :mod:`~toolkit.config.model`: the ``model`` section (initializers, BatchNorm, L2, filters);
- :mod:`~toolkit.config.analysis`: re-analysis configs (``expact analyze``);
- :mod:`~toolkit.config.inputs`: every input file opened and parsed before compute
  (``expact run --check``). It reads files with the science's readers, so it sits above
  them and is not re-exported here: import ``toolkit.config.inputs``.
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
