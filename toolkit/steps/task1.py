"""One Task 1 (or Task 2) run: train, evaluate, filters -> PPMs -> MEME -> Tomtom -> match.

Spec §1.1/§1.3 (data), §2 (models), §4 (training), §5 (filters, Tomtom, ground-truth
match). The record is written last and atomically (:mod:`toolkit.steps.record`).
"""

from __future__ import annotations

import time
from pathlib import Path

from toolkit.config import RunSpec
from toolkit.run_folder import RunFolder


def task1(spec: RunSpec, run_dir: str | Path, progress: bool = True) -> dict:
    """Run one (model, activation, trial) cell of Task 1 and write its record.

    Parameters
    ----------
    spec : RunSpec
        The run's parameters (paths already absolute).
    run_dir : str or Path
        The run's folder; created if missing.
    progress : bool
        Show a progress bar over epochs.

    Returns
    -------
    dict
        The record written to ``run_dir/record.json``.
    """
    from toolkit.data import load
    from toolkit.steps.filter_analysis import filter_analysis, model_ppms
    from toolkit.steps.fit import fit
    from toolkit.steps.record import record

    run, started = RunFolder(Path(run_dir)), time.time()
    data = load(spec.data["path"])
    timings = {"load": round(time.time() - started, 3)}
    fitted = fit(spec, data, run, progress)
    t0 = time.time()
    ppms, n_windows = model_ppms(fitted.model, data.x_test, spec)
    filters = filter_analysis(ppms, n_windows, spec, run, ground_truth=True)
    timings |= fitted.timings | {"filters_tomtom": round(time.time() - t0, 3)}
    return record(
        spec,
        run,
        started=started,
        timings=timings,
        history=fitted.history,
        metrics=fitted.metrics,
        files={"weights": run.weights.name, "history": run.history.name, **filters["files"]},
        tomtom_backend=spec.tomtom["backend"],
        match=filters["match"],
        n_windows=filters["n_windows"],
    )
