"""Steps: what one array element does for one run spec (or once per sweep).

Each task names its run step and its data generator here, as ``"module:function"`` strings
so that importing this registry does not import TensorFlow. The sweep, the array jobs and
the config validator all look tasks up here, so a new task is one entry in each table.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

# task -> the step that runs one spec: fn(spec, run_dir, progress=True) -> record dict
RUN_STEPS: dict[str, str] = {
    "task1": "toolkit.steps.task1:task1",
}
# task -> the generator that writes its data set: fn(output, **data.generate) -> Path
GENERATORS: dict[str, str] = {
    "task1": "toolkit.data.task1:task1",
}
# task -> the task number the validating loader checks against (label columns, model_*)
LOADER_TASK: dict[str, int] = {
    "task1": 1,
}


def resolve(target: str) -> Callable:
    """Import ``"package.module:function"`` and return the function."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def run_step(task: str) -> Callable:
    """The run step of ``task`` (see :data:`RUN_STEPS`)."""
    return resolve(RUN_STEPS[task])
