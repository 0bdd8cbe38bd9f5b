"""One Task 1 (or Task 2) run: train, evaluate, filters -> PPMs -> MEME -> Tomtom -> match.

Spec §1.1/§1.3 (data), §2 (models), §4 (training), §5 (filters, Tomtom, ground-truth
match). The record is written last and atomically (:mod:`toolkit.steps.record`).
"""

from __future__ import annotations

from pathlib import Path

from toolkit.config import RunSpec
from toolkit.run_folder import RunFolder


def task1(spec: RunSpec, run_dir: str | Path, progress: bool = True) -> dict:
    """Run one (model, activation, trial) cell of Task 1 (or Task 2); return its record.

    The step signature of ``toolkit.tasks.Task.step``; the record also lands in
    ``run_dir/record.json``, with the ground-truth ``match`` statistics of the filters.
    """
    from toolkit.data import load
    from toolkit.steps.filter_analysis import filter_analysis, model_ppms
    from toolkit.steps.fit import fit
    from toolkit.steps.record import Clock, record

    run, clock = RunFolder(Path(run_dir)), Clock()
    with clock.lap("load"):
        data = load(spec.data["path"])
    fitted = fit(spec, data, run, progress)
    with clock.lap("filters_tomtom"):
        ppms, n_windows = model_ppms(fitted.model, data.x_test, spec)
        filters = filter_analysis(ppms, n_windows, spec, run, ground_truth=True)
    return record(
        spec,
        run,
        clock,
        fitted,
        files=filters["files"],
        tomtom_backend=spec.tomtom["backend"],
        match=filters["match"],
        motif_db=filters["motif_db"],
        match_rule=filters["match_rule"],
        n_windows=filters["n_windows"],
    )
