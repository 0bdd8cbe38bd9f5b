"""One Task 3 run end to end: train, evaluate, attribution maps scored against ground truth.

Spec §1.2 (data), §2 (CNN-local, CNN-dist), §4 (training, monitor val_auroc), §6
(attribution). The run writes everything into its own folder; the record (``record.json``)
is written last and atomically, so a run without a record is not done and is redone.

Files of a run: ``weights.h5``, ``history.json``, ``attribution_scores.parquet`` (one row
per method and sequence), ``attribution_maps.npz`` (the maps, when ``save_maps``),
``attribution_logos.pdf/.png`` (the first ``logo_sequences`` sequences), ``record.json``.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.config import RunSpec
from toolkit.run_folder import RunFolder
from toolkit.tasks import TASKS


def task3(spec: RunSpec, run_dir: str | Path, progress: bool = True) -> dict:
    """Run one (model, activation, trial) cell of Task 3; return its record.

    The step signature of ``toolkit.tasks.Task.step``; ``spec.extra["attribution"]``
    holds the attribution section. The record's ``attribution.methods`` holds per method the
    mean (and std) over sequences of the per-sequence AUROC and AUPR.
    """
    from toolkit.data import load
    from toolkit.steps.attribution_analysis import attribution_analysis
    from toolkit.steps.fit import fit
    from toolkit.steps.record import Clock, data_section, record

    run, clock = RunFolder(Path(run_dir)), Clock()
    # the section was checked when the config was read, its indices against the data by
    # toolkit.config.inputs before any run started
    attr = TASKS[spec.task].sections["attribution"] | spec.extra.get("attribution", {})
    with clock.lap("load"):
        data = load(spec.data["path"], task=TASKS[spec.task].loader)
    fitted = fit(spec, data, run, progress)
    with clock.lap("attribution"):
        result = attribution_analysis(
            fitted.model, data.x_test, data.y_test, data.model_test, attr, spec, run
        )
    files = {
        "attribution_scores": result["table"],
        "attribution_maps": result["maps"],
        "logos": result["logos"],
    }
    sections = {"data": data_section(spec, data), "attribution": result["summary"]}
    if result["off_simplex"] is not None:
        sections["off_simplex"] = result["off_simplex"]
    return record(spec, run, clock, fitted, files=files, **sections)
