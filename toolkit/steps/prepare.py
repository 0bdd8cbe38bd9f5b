"""Inputs every run of a sweep shares: the data set and the Tomtom target database.

Made once per sweep, before any run starts, so array elements never race to create them.
"""

from __future__ import annotations

import logging
from pathlib import Path

from toolkit.config import RunSpec
from toolkit.config.schema import input_file_exists

log = logging.getLogger(__name__)


def prepare(spec: RunSpec) -> None:
    """Create the spec's data set and JASPAR target file if they do not exist yet."""
    data_path = Path(spec.data["path"])
    if not input_file_exists(data_path):
        from toolkit.tasks import TASKS, resolve

        task = TASKS[spec.task]
        if task.generator is None:
            from toolkit.errors import InputError

            raise InputError(
                data_path,
                None,
                f"data file not found, and {spec.task} has no "
                f"generator: download {task.data_source or 'it'}",
            )
        params = dict(spec.data.get("generate") or {})
        log.info("generating %s data set at %s with %s", spec.task, data_path, params)
        resolve(task.generator)(data_path, **params)
    target = Path(spec.tomtom["target"])
    if not input_file_exists(target):
        from toolkit.data.jaspar_meme import jaspar_meme

        # the paper's JASPAR 2016 CORE vertebrates, or the `motifs` section's set (sequences)
        motifs = spec.extra.get("motifs") or {}
        query = {k: motifs[k] for k in ("release", "collection", "tax_group") if k in motifs}
        log.info("writing the JASPAR target database %s to %s", query or "JASPAR2016", target)
        target.parent.mkdir(parents=True, exist_ok=True)  # no generator may have made it
        # the whole set: motifs.min_mean_ic is applied by each run (tomtom/targets.meme)
        jaspar_meme(target, **query)
