"""One Task 5 (ZBED2) or Task 6 (IRF1) run end to end on the real ChIP-seq data (spec §7).

ResidualBind with one first-layer activation, trained as the paper: reverse-complement copies
appended to every split (``load(..., reverse_complement=True)``), early stopping and the LR
schedule on ``val_auroc`` (the config's ``train.monitor``). Then:

- test AUROC/AUPR (on the RC-doubled test split, as the original evaluated it);
- the 24 first-layer filters -> activation-aligned PPMs -> clipped MEME -> Tomtom against
  JASPAR -> "match any JASPAR" (there is no ground truth for real data); logos titled with
  each filter's best hit;
- saliency (d sigmoid output / d input, spec §6) on the first ``saliency.n_sequences``
  positive test sequences in test order (with the RC copies appended after the originals,
  as the original's ``x_test[y_test == 1][:500]``), saved as ``saliency.npz``;
- saliency x input plots of the config's hand-picked indices (``saliency.plot_indices``) over
  positions ``[plot_start, plot_end)``, as the paper's figures.

The record (``record.json``) is written last and atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from toolkit.config import RunSpec
from toolkit.run_folder import RunFolder
from toolkit.tasks import TASKS


def chip(spec: RunSpec, run_dir: str | Path, progress: bool = True) -> dict:
    """Run one (model, activation, trial) cell of Task 5 or Task 6; return its record.

    The step signature of ``toolkit.tasks.Task.step``; ``spec.extra`` holds the
    ``augment`` and ``saliency`` sections (defaults in ``toolkit.tasks.TASKS``).
    """
    from toolkit.data import load
    from toolkit.steps.filter_analysis import filter_analysis, model_ppms
    from toolkit.steps.fit import fit
    from toolkit.steps.record import Clock, data_section, record
    from toolkit.steps.saliency_analysis import saliency_analysis

    run, clock = RunFolder(Path(run_dir)), Clock()
    extra = {
        name: defaults | spec.extra.get(name, {})
        for name, defaults in TASKS[spec.task].sections.items()
    }
    sal, rc = extra["saliency"], extra["augment"]["reverse_complement"]
    with clock.lap("load"):
        data = load(spec.data["path"], task=TASKS[spec.task].loader, reverse_complement=rc)
    fitted = fit(spec, data, run, progress)
    with clock.lap("filters_tomtom"):
        filters = filter_analysis(*model_ppms(fitted.model, data.x_test, spec), spec, run)
    # the first N positives in test order (RC copies after the originals), as the original's
    # x_test[y_test[:, 0] == 1][:500]
    rows = np.flatnonzero(data.y_test[:, sal["class_index"]] == 1)[: sal["n_sequences"]]
    with clock.lap("saliency"):
        saliency = saliency_analysis(
            fitted.model,
            data.x_test[rows],
            rows,
            sal["class_index"],
            run,
            sal["plot_indices"],
            (sal["plot_start"], sal["plot_end"]),
            batch_size=sal["batch_size"],
        )
    files = filters["files"] | {"saliency": saliency["file"], "saliency_plots": saliency["plots"]}
    sections = {
        "tomtom_backend": spec.tomtom["backend"],
        "data": data_section(spec, data, reverse_complement=rc),
        "match": filters["match"],
        "motif_db": filters["motif_db"],
        "match_rule": filters["match_rule"],
        "n_windows": filters["n_windows"],
        "saliency": saliency,
    }
    return record(spec, run, clock, fitted, files=files, **sections)
