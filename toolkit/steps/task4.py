"""One Task 4 run (spec §7): Basset on the Basset ``er.h5`` data, data-parallel with Horovod.

Every rank of the launch runs this step for the same spec; the shared block
:func:`toolkit.steps.distributed_fit.distributed_fit` trains on every rank's shard, saves the
model and scores the gathered test predictions on rank 0, which writes the record.

Then, on rank 0 (the ``analysis`` section): the 300 first-layer filters -> activation-aligned
PPMs over the streamed test split (two passes: the global maximum per filter, then the
windows; the fmap of the whole split is never held) -> clipped MEME -> Tomtom -> "match any
JASPAR" and logos; saliency x input for ``saliency_class`` (4) on the first test sequences
positive only for it and without N, plotted over positions 150-450; and, when a sequence is
given (``example_sequence``, e.g. the Basset paper's Fig. 4 chr9 region, which is not shipped),
its saliency for ``example_class`` (113).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from toolkit.config import RunSpec
from toolkit.errors import InputError
from toolkit.run_folder import RunFolder
from toolkit.tasks import TASKS

log = logging.getLogger(__name__)


def task4(spec: RunSpec, run_dir: str | Path, progress: bool = True) -> dict:
    """Train and evaluate one (model, activation, trial) cell on this rank.

    Returns
    -------
    dict
        The record on rank 0 (also written to ``run_dir/record.json``); on other ranks
        ``{"rank": r}`` and nothing is written.
    """
    from toolkit.steps.distributed_fit import distributed_fit
    from toolkit.steps.record import Clock, record

    run, clock = RunFolder(Path(run_dir)), Clock()
    fitted = distributed_fit(spec, run, progress)  # every rank trains; rank 0 saves, scores
    if fitted.rank != 0:
        return {"rank": fitted.rank}
    path, files = spec.data["path"], {}
    match = {"match_fraction": None, "match_any": None, "coverage": None}
    sections: dict = {}
    analysis = TASKS["task4"].sections["analysis"] | spec.extra.get("analysis", {})
    if analysis["filters"]:
        with clock.lap("filters_tomtom"):
            found = basset_filters(
                fitted.model, path, fitted.eval_rc, spec, run.path, analysis["filter_sequences"]
            )
        match, sections["n_windows"], files = found["match"], found["n_windows"], found["files"]
        sections |= {"motif_db": found["motif_db"], "match_rule": found["match_rule"]}
    with clock.lap("saliency"):
        sections["saliency"] = basset_saliency(fitted.model, path, analysis, run.path)
    files["saliency"] = sections["saliency"]["files"]
    return record(
        spec,
        run,
        clock,
        fitted,
        files=files,
        tomtom_backend=spec.tomtom["backend"] if analysis["filters"] else None,
        **fitted.sections,
        match=match,
        **sections,
    )


def basset_filters(
    model, path, rc: str, spec: RunSpec, run_dir: str | Path, limit: int = 0
) -> dict:
    """First-layer filters over the streamed test split -> PPMs, MEME, Tomtom, match any.

    Returns
    -------
    dict
        As :func:`toolkit.steps.filter_analysis.filter_analysis`.
    """
    from toolkit.data.basset import stream
    from toolkit.filters import streaming_ppm
    from toolkit.models import first_layer_model
    from toolkit.steps.filter_analysis import filter_analysis

    first = first_layer_model(model)
    test = stream(path, "test", batch_size=256, shuffle=False, reverse_complement=rc)

    def fmap_batches():
        seen = 0
        for x, _ in test.batches():
            if limit and seen >= limit:
                return
            yield first(x, training=False).numpy(), x
            seen += len(x)

    ppms, n_windows = streaming_ppm(fmap_batches, spec.filters["threshold"], spec.filters["window"])
    return filter_analysis(ppms, n_windows, spec, RunFolder(Path(run_dir)), logo_columns=15)


def basset_saliency(model, path, analysis: dict, run_dir: str | Path) -> dict:
    """Saliency of class ``saliency_class`` on test sequences positive only for it, no N.

    ``saliency.npz``: ``saliency`` (n, L, 4) raw gradients, ``x`` int8, ``test_index``; and
    ``example_saliency`` / ``example_x`` for ``example_sequence`` when one is given.
    """
    from toolkit.attribution.saliency import saliency
    from toolkit.data.basset import stream
    from toolkit.files import write_npz
    from toolkit.plots import saliency_logos
    from toolkit.run_folder import SALIENCY
    from toolkit.steps.saliency_analysis import saliency_analysis

    run = RunFolder(Path(run_dir))
    cls, want = analysis["saliency_class"], analysis["saliency_sequences"]
    test = stream(path, "test", batch_size=256, shuffle=False, reverse_complement="none")
    if not 0 <= cls < test.n_targets or not 0 <= analysis["example_class"] < test.n_targets:
        raise InputError(None, "analysis.saliency_class", f"expected 0..{test.n_targets - 1}")
    xs, rows, offset = [], [], 0
    for x, y in test.batches():
        has_n = (x == 0.25).all(axis=2).any(axis=1)
        keep = np.flatnonzero((y[:, cls] == 1) & (y.sum(axis=1) == 1) & ~has_n)
        xs.append(x[keep])
        rows.extend((offset + keep).tolist())
        offset += len(x)
        if len(rows) >= want:
            break
    x = np.concatenate(xs)[:want] if xs else np.zeros((0, test.length, 4), np.float32)
    rows = np.asarray(rows[:want], np.int64)

    example_arrays: dict[str, np.ndarray] = {}
    example_plots: list[str] = []
    example = analysis["example_sequence"].strip().upper()
    if example:
        if len(example) != test.length or set(example) - set("ACGT"):
            raise InputError(
                None, "analysis.example_sequence", f"expected {test.length} letters of A, C, G, T"
            )
        one_hot = np.eye(4, dtype=np.float32)[["ACGT".index(c) for c in example]][None]
        grad = saliency(model, one_hot, class_index=analysis["example_class"], batch_size=1)
        example_arrays = {"example_saliency": grad, "example_x": one_hot.astype(np.int8)}
        drawn = saliency_logos(grad * one_hot, [0], 0, test.length, run.file("saliency_example"))
        example_plots = [p.name for p in drawn]

    plot_range = (analysis["plot_start"], analysis["plot_end"])
    if len(x):
        info = saliency_analysis(
            model,
            x,
            rows,
            cls,
            run,
            analysis["plot_indices"],
            plot_range,
            batch_size=128,
            extra_arrays=example_arrays,
        )
    else:
        info = {"class_index": cls, "n_sequences": 0, "target": "prob", "files": [], "plots": []}
        info["plot_range"] = list(plot_range)
        if example_arrays:
            write_npz(run.file(SALIENCY), **example_arrays)
            info["files"] = [SALIENCY]
    if example:
        info["example_class"] = analysis["example_class"]
        info["plots"] = info["plots"] + example_plots
        info["files"] = info["files"] + example_plots
    return info
